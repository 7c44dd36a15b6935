import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AsyncMutex } from "./async-mutex.ts";

describe("async mutex", () => {
  it("hands the lock on first come, first served; an aborted wait leaves the queue", async () => {
    const m = new AsyncMutex();
    const order: string[] = [];
    const first = await m.lock();
    const controller = new AbortController();
    const b = m.lock().then((release) => {
      order.push("b");
      release();
    });
    const aborted = m.lock(controller.signal).then(
      () => order.push("aborted got it"),
      () => order.push("aborted"),
    );
    const c = m.lock().then((release) => {
      order.push("c");
      release();
    });
    controller.abort();
    await aborted;
    first();
    first(); // releasing twice does not release someone else's hold
    await Promise.all([b, c]);
    assert.deepEqual(order, ["aborted", "b", "c"]);
    const again = await m.lock();
    again();
  });
});
