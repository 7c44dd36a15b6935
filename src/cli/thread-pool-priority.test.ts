import { test } from "node:test";
import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { UsageError } from "../errors.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { DEFAULT_THREADPOOL_NICE, lowerThreadPoolPriority, poolNiceValue, processTasks, threadPoolNice } from "./thread-pool-priority.ts";

test("MONITORLIFT_THREADPOOL_NICE: default, 0 to leave the pool alone, anything else named in the error", () => {
  assert.equal(threadPoolNice({}), DEFAULT_THREADPOOL_NICE);
  assert.equal(threadPoolNice({ MONITORLIFT_THREADPOOL_NICE: "" }), DEFAULT_THREADPOOL_NICE);
  assert.equal(threadPoolNice({ MONITORLIFT_THREADPOOL_NICE: "0" }), 0);
  assert.equal(threadPoolNice({ MONITORLIFT_THREADPOOL_NICE: " 5 " }), 5);
  assert.equal(threadPoolNice({ MONITORLIFT_THREADPOOL_NICE: "19" }), 19);
  for (const bad of ["20", "-1", "high", "2.5"]) {
    assert.throws(
      () => threadPoolNice({ MONITORLIFT_THREADPOOL_NICE: bad }),
      (err: unknown) => err instanceof UsageError && err.message.includes("MONITORLIFT_THREADPOOL_NICE") && err.message.includes(`"${bad}"`),
    );
  }
});

test("the pool's nice value: steps below the process's own, never past the lowest priority", () => {
  assert.equal(poolNiceValue(0, 10), 10);
  assert.equal(poolNiceValue(5, 10), 15);
  assert.equal(poolNiceValue(15, 10), 19);
  assert.equal(poolNiceValue(3, 0), 3);
});

test("linux: the pool's threads run below the main thread, the main thread as it was; a second call changes nothing", { skip: process.platform !== "linux" }, async () => {
  const mainNice = getPriority(0);
  const first = await lowerThreadPoolPriority(10, silentLogger());
  const pool = processTasks().filter((t) => t.name === "libuv-worker");
  const size = Number(process.env["UV_THREADPOOL_SIZE"] ?? 4);
  assert.equal(pool.length, size, "libuv names its pool threads libuv-worker");
  assert.equal(first.nice, Math.min(19, mainNice + 10));
  assert.equal(first.lowered, mainNice === 19 ? 0 : size);
  for (const t of pool) assert.equal(getPriority(t.tid), first.nice, `thread ${t.tid}`);
  assert.equal(getPriority(0), mainNice, "the main thread keeps its priority");
  assert.deepEqual(await lowerThreadPoolPriority(10, silentLogger()), { lowered: 0, nice: first.nice });
  assert.deepEqual(await lowerThreadPoolPriority(0, silentLogger()), { lowered: 0, nice: mainNice }, "0: nothing done");
});
