/** acquireOrWait(): skip a live peer, wait for a gone or silent holder's lock to lapse, bounded by waitMs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SinkError } from "../errors.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { acquireOrWait, LockHeldError, type HeldLock, type LockHolder, type Locks } from "./locks.ts";

const key = { query: "requests", scope: "live" };
const held: HeldLock = { signal: new AbortController().signal, release: async () => undefined };

/** Locks whose holder is described by `holderAt(elapsed ms)`: undefined means the lock is free. */
function fakeLocks(holderAt: (elapsedMs: number) => LockHolder | undefined): Locks & { attempts: number } {
  const started = Date.now();
  const locks = {
    attempts: 0,
    async acquire() {
      locks.attempts++;
      const h = holderAt(Date.now() - started);
      if (!h) return held;
      throw new LockHeldError(h, `locked by ${h.description}.`);
    },
  };
  return locks;
}

const opts = (waitMs: number) => ({ waitMs, pollMs: 20, logger: silentLogger() });

test("a free lock is taken at once", async () => {
  assert.deepEqual(await acquireOrWait(fakeLocks(() => undefined), key, opts(1000)), { lock: held });
});

test("a live holder is reported at once (the query is skipped), without waiting", async () => {
  const locks = fakeLocks(() => ({ description: "process 7@host", state: "live" }));
  const t0 = Date.now();
  const got = await acquireOrWait(locks, key, opts(5_000));
  assert.ok("heldBy" in got && got.heldBy.holder.description === "process 7@host");
  assert.equal(locks.attempts, 1);
  assert.ok(Date.now() - t0 < 1000);
});

test("a gone holder's lock is waited for and taken once it lapses", async () => {
  const locks = fakeLocks((ms) => (ms < 200 ? { description: "process 9@host", state: "gone", renewal: "e1", renewEveryMs: 50 } : undefined));
  const got = await acquireOrWait(locks, key, opts(2_000));
  assert.deepEqual(got, { lock: held });
  assert.ok(locks.attempts > 2, `${locks.attempts} attempts`);
});

test("a holder of unknown liveness that renews while we wait is a live peer", async () => {
  const locks = fakeLocks((ms) => ({ description: "process 3@elsewhere", state: "unknown", renewal: String(Math.floor(ms / 100)), renewEveryMs: 100 }));
  const got = await acquireOrWait(locks, key, opts(5_000));
  assert.ok("heldBy" in got);
});

test("a holder that neither renews nor lets its lock lapse within waitMs fails with LOCK_HELD", async () => {
  const locks = fakeLocks(() => ({ description: "process 3@elsewhere", state: "unknown", renewal: "same", renewEveryMs: 50 }));
  await assert.rejects(acquireOrWait(locks, key, opts(150)), (err: unknown) => {
    assert.ok(err instanceof SinkError && !(err instanceof LockHeldError));
    assert.equal(err.code, "LOCK_HELD");
    assert.match(err.message, /process 3@elsewhere.*did not renew it.*--lock-wait/s);
    return true;
  });
});

test("waiting stops when the run is stopped", async () => {
  const stop = new AbortController();
  const locks = fakeLocks(() => ({ description: "p", state: "gone", renewal: "x" }));
  setTimeout(() => stop.abort(), 50);
  await assert.rejects(acquireOrWait(locks, key, { ...opts(10_000), signal: stop.signal }), (err: unknown) => (err as { code?: string }).code === "ABORTED");
});
