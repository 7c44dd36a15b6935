/**
 * The single-writer lock of a query and scope: a lease on `_locks/<query>/<scope>.lock`.
 * The lease is renewed at a third of its duration while held (the shared Watchdog of
 * src/state/locks.ts); a lease that cannot be renewed (broken, taken, expired) aborts the
 * lock's signal. Each renewal also rewrites the lock blob's metadata (holder, renewedat), so its
 * ETag changes with every beat: a contender that finds the lease taken sees whether the holder
 * still renews. A crashed holder's lease simply expires after `leaseSeconds` (a lease cannot be
 * taken over earlier without breaking it, and a break could hit a holder that just took it), so a
 * contender waits for it (src/state/locks.ts acquireOrWait) and then takes the lock.
 *
 * The lease guards against two exporters working on one query; the state blobs are still
 * written with ETag conditions, which is what keeps a watermark from going backwards.
 */
import { hostname } from "node:os";
import type { ContainerClient } from "@azure/storage-blob";
import type { Logger } from "../../telemetry/logger.ts";
import type { StateKey } from "../../state/cursor.ts";
import { LockHeldError, Watchdog, type HeldLock, type LockHolder, type Locks } from "../../state/locks.ts";
import { processGone } from "../../state/process-liveness.ts";
import { lockPath } from "../layout.ts";
import { SinkError } from "../../errors.ts";
import { isNotFound, statusOf, storageCodeOf, toSinkError, type Redactor } from "./blob-errors.ts";

export interface LeaseLockContext {
  container: ContainerClient;
  containerUrl: string;
  prefix: string;
  redact: Redactor;
  logger: Logger;
  leaseSeconds: number;
  /** How often to renew; default a third of the lease. */
  renewIntervalMs?: number;
}

/** Renewal failures that mean the lease is gone, as opposed to storage being briefly unreachable. */
function leaseIsGone(err: unknown): boolean {
  const status = statusOf(err);
  return status === 409 || status === 412 || status === 404 || status === 400;
}

export async function acquireLeaseLock(ctx: LeaseLockContext, key: StateKey, signal?: AbortSignal): Promise<HeldLock & { readonly blobName: string }> {
  const name = ctx.prefix + lockPath(key);
  const blob = ctx.container.getBlockBlobClient(name);
  const lease = blob.getBlobLeaseClient();
  const errorContext = (action: string) => ({ action, container: ctx.containerUrl, redact: ctx.redact, signal });

  const acquire = () => lease.acquireLease(ctx.leaseSeconds, { abortSignal: signal });
  try {
    try {
      await acquire();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await blob.upload("", 0, { abortSignal: signal, conditions: { ifNoneMatch: "*" } });
      } catch (createErr) {
        // Another process created it (or already leases it) in the meantime: fine.
        const status = statusOf(createErr);
        if (status !== 409 && status !== 412) throw createErr;
      }
      await acquire();
    }
  } catch (err) {
    if (statusOf(err) === 409 && storageCodeOf(err) !== "ContainerNotFound") {
      const holder = await inspectHolder(ctx, name, intervalOf(ctx), signal);
      throw new LockHeldError(
        holder,
        `Query ${key.query} (${key.scope}) is being exported by another process: the lock blob ${ctx.containerUrl}/${name} has an active lease (held by ${holder.description}).`,
        {
          hint: `Run one monitorlift process per query. If the other process was killed, its lease expires within ${ctx.leaseSeconds} s; then run again (or break the lease on ${name} to take over at once).`,
        },
      );
    }
    throw toSinkError(err, errorContext(`Taking the lease on the lock blob ${name}`));
  }

  const leaseId = lease.leaseId;
  const leaseMs = ctx.leaseSeconds * 1000;
  const intervalMs = intervalOf(ctx);
  const log = ctx.logger.child({ lock: name });

  // Who holds it, for the LOCK_HELD message of a second process; rewritten at each renewal so that
  // the blob's ETag shows a contender that the holder is alive (best effort).
  const acquiredAt = new Date().toISOString();
  const stamp = async (abortSignal?: AbortSignal) => {
    try {
      await blob.setMetadata({ holder: `${hostname()}:${process.pid}`, acquiredat: acquiredAt, renewedat: new Date().toISOString() }, { conditions: { leaseId }, abortSignal });
    } catch (err) {
      log.debug({ err: ctx.redact(String((err as Error)?.message ?? err)) }, "could not record the lock holder");
    }
  };
  await stamp(signal);

  const renewing = (err: unknown) => toSinkError(err, errorContext(`Renewing the lease on ${name}`));
  const watchdog = new Watchdog({
    intervalMs,
    logger: log,
    // A renewal that keeps failing is given up once the lease would expire before the next try.
    missedLimitMs: leaseMs - intervalMs - 1,
    missedReason: () => "it could not be renewed before it expires",
    lostError: (reason, err) =>
      new SinkError("LOCK_LOST", `The lease on the lock blob ${ctx.containerUrl}/${name} was lost (${reason}): stopping the export of query ${key.query} (${key.scope}).`, {
        cause: err instanceof SinkError ? err : renewing(err),
        hint: "Another process may have broken the lease, or storage was unreachable for longer than the lease; the next run continues from the stored watermark.",
      }),
    async beat(wd) {
      try {
        const remaining = Math.max(1000, leaseMs - wd.sinceLastGoodMs);
        await lease.renewLease({ abortSignal: AbortSignal.timeout(remaining) });
        log.trace("lease renewed");
        await stamp(AbortSignal.timeout(remaining));
      } catch (err) {
        if (leaseIsGone(err)) return wd.lose(`HTTP ${statusOf(err)}${storageCodeOf(err) ? ` ${storageCodeOf(err)}` : ""}`, err);
        throw renewing(err); // redacted; a missed beat, tried again at the next one
      }
    },
  });

  let released = false;
  return {
    blobName: name,
    signal: watchdog.signal,
    async release() {
      if (released) return;
      released = true;
      await watchdog.stop();
      if (watchdog.signal.aborted) return;
      try {
        await lease.releaseLease();
      } catch (err) {
        // Lost in the meantime, or storage unreachable: the lease expires on its own.
        log.warn({ err: ctx.redact(String((err as Error)?.message ?? err)) }, "could not release the lease; it will expire by itself");
      }
    },
  };
}

/** The blob destination's Locks: a lease per key on `<prefix>_locks/<query>/<scope>.lock`. */
export class LeaseLocks implements Locks {
  readonly #ctx: LeaseLockContext;

  constructor(ctx: LeaseLockContext) {
    this.#ctx = ctx;
  }

  /** A gone holder's lease expires at most `leaseSeconds` after its last renewal. */
  get lapseMs(): number {
    return this.#ctx.leaseSeconds * 1000;
  }

  acquire(key: StateKey, signal?: AbortSignal): Promise<HeldLock & { readonly blobName: string }> {
    return acquireLeaseLock(this.#ctx, key, signal);
  }
}

function intervalOf(ctx: LeaseLockContext): number {
  return ctx.renewIntervalMs ?? Math.floor((ctx.leaseSeconds * 1000) / 3);
}

/**
 * The holder recorded in the lock blob's metadata ("host:pid"): live when that process runs on this
 * host, gone when it does not; otherwise (another host, no metadata yet) told by whether the ETag
 * moves, which every renewal does.
 */
async function inspectHolder(ctx: LeaseLockContext, name: string, renewEveryMs: number, signal?: AbortSignal): Promise<LockHolder> {
  try {
    const props = await ctx.container.getBlobClient(name).getProperties({ abortSignal: signal });
    const recorded = props.metadata?.["holder"];
    const since = props.metadata?.["acquiredat"];
    const match = recorded ? /^(.*):(\d+)$/.exec(recorded) : null;
    let state: LockHolder["state"] = "unknown";
    if (match && match[1] === hostname()) state = Number(match[2]) === process.pid || !processGone(Number(match[2])) ? "live" : "gone";
    return {
      description: recorded ? `${recorded}${since ? ` since ${since}` : ""}` : "a process that has not recorded itself",
      state,
      renewal: props.etag,
      renewEveryMs,
    };
  } catch {
    return { description: "an unknown process", state: "unknown", renewEveryMs };
  }
}
