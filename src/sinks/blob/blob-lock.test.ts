import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "../../telemetry/logger.ts";
import { startBlobFixture, type BlobFixture } from "../../../test/support/blob-fixture.ts";
import type { StateKey } from "../sink.ts";
import { MonitorliftError } from "../../errors.ts";

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: "trace" }, stream), lines };
}

function waitForAbort(signal: AbortSignal, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(signal.reason);
    const timer = setTimeout(() => reject(new Error(`the lock's signal was not aborted within ${ms} ms`)), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

describe("blob sink lease lock", { timeout: 60_000 }, () => {
  let fx: BlobFixture;
  before(async () => {
    fx = await startBlobFixture();
  });
  after(async () => {
    await fx?.stop();
  });

  test("only one of two sink instances holds a key's lease; release hands it over", async () => {
    const a = fx.sink({ prefix: "l1/", leaseSeconds: 15 });
    const b = fx.sink({ prefix: "l1/", leaseSeconds: 15 });
    const key: StateKey = { query: "Requests", scope: "live" };
    const lockA = await a.locks.acquire(key);
    await assert.rejects(b.locks.acquire(key), (err: unknown) => {
      assert.ok(err instanceof MonitorliftError);
      assert.equal(err.code, "LOCK_HELD");
      assert.equal(err.retryable, false);
      assert.match(err.message, /l1\/_locks\/Requests\/live\.lock/);
      assert.match(err.message, /held by [^:]+:\d+/);
      assert.match(err.hint ?? "", /one monitorlift process per query/);
      return true;
    });
    // Another scope of the same query is a different lock.
    const other = await b.locks.acquire({ query: "Requests", scope: "backfill-20261101T000000.000Z-20261102T000000.000Z" });
    await lockA.release();
    await lockA.release();
    const lockB = await b.locks.acquire(key);
    assert.equal(lockB.signal.aborted, false);
    const props = await fx.container().getBlobClient("l1/_locks/Requests/live.lock").getProperties();
    assert.equal(props.leaseState, "leased");
    assert.equal(props.leaseDuration, "fixed");
    await lockB.release();
    await other.release();
    const released = await fx.container().getBlobClient("l1/_locks/Requests/live.lock").getProperties();
    assert.equal(released.leaseState, "available");
  });

  test("a held lease is renewed past its duration; an unrenewed one expires (stale lock recovery)", { timeout: 40_000 }, async () => {
    const renewing = fx.sink({ prefix: "l2/", leaseSeconds: 15 });
    const idle = fx.sink({ prefix: "l2/", leaseSeconds: 15 }, { leaseRenewIntervalMs: 600_000 });
    const held: StateKey = { query: "Held", scope: "live" };
    const crashed: StateKey = { query: "Crashed", scope: "live" };
    const lock = await renewing.locks.acquire(held);
    const stale = await idle.locks.acquire(crashed); // never renewed: as if its process had died
    await new Promise((r) => setTimeout(r, 16_500));
    const other = fx.sink({ prefix: "l2/", leaseSeconds: 15 });
    await assert.rejects(other.locks.acquire(held), (err: unknown) => err instanceof MonitorliftError && err.code === "LOCK_HELD");
    assert.equal(lock.signal.aborted, false);
    const recovered = await other.locks.acquire(crashed);
    await recovered.release();
    await lock.release();
    await stale.release();
  });

  test("losing the lease (broken from outside) aborts the lock's signal and is logged", async () => {
    const { logger, lines } = capture();
    const a = fx.sink({ prefix: "l3/", leaseSeconds: 15 }, { leaseRenewIntervalMs: 200, logger });
    const key: StateKey = { query: "Requests", scope: "live" };
    const lock = await a.locks.acquire(key);
    await fx.container().getBlockBlobClient("l3/_locks/Requests/live.lock").getBlobLeaseClient().breakLease(0);
    const reason = await waitForAbort(lock.signal, 5_000);
    assert.ok(reason instanceof MonitorliftError);
    assert.equal(reason.code, "LOCK_LOST");
    assert.match(reason.message, /l3\/_locks\/Requests\/live\.lock/);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; code?: string });
    assert.ok(logged.some((l) => l.level >= 50 && l.code === "LOCK_LOST"), "an error is logged");
    await lock.release(); // safe after loss
    // The key can be taken again (the lease was broken).
    const b = fx.sink({ prefix: "l3/", leaseSeconds: 15 });
    const again = await b.locks.acquire(key);
    await again.release();
  });

  test("shutdown releases the leases a sink still holds", async () => {
    const a = fx.sink({ prefix: "l4/", leaseSeconds: 15 });
    const key: StateKey = { query: "Requests", scope: "live" };
    await a.locks.acquire(key);
    await a.shutdown();
    const b = fx.sink({ prefix: "l4/", leaseSeconds: 15 });
    const lock = await b.locks.acquire(key);
    await lock.release();
  });
});
