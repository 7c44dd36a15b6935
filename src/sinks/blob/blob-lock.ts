/**
 * The single-writer lock of a query and scope: a lease on `_locks/<query>/<scope>.lock`.
 * The lease is renewed at a third of its duration while held (the shared Watchdog of
 * src/state/locks.ts); a lease that cannot be renewed (broken, taken, expired) aborts the
 * lock's signal. A crashed holder's lease
 * simply expires after `leaseSeconds`, which is how stale locks recover.
 *
 * The lease guards against two exporters working on one query; the state blobs are still
 * written with ETag conditions, which is what keeps a watermark from going backwards.
 */
import { hostname } from "node:os";
import type { ContainerClient } from "@azure/storage-blob";
import type { Logger } from "../../telemetry/logger.ts";
import type { StateKey } from "../../state/cursor.ts";
import { Watchdog, type HeldLock, type Locks } from "../../state/locks.ts";
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
      const holder = await describeHolder(ctx, name, signal);
      throw new SinkError(
        "LOCK_HELD",
        `Query ${key.query} (${key.scope}) is being exported by another process: the lock blob ${ctx.containerUrl}/${name} has an active lease${holder}.`,
        {
          hint: `Run one monitorlift process per query. If the other process was killed, its lease expires within ${ctx.leaseSeconds} s; then run again (or break the lease on ${name} to take over at once).`,
        },
      );
    }
    throw toSinkError(err, errorContext(`Taking the lease on the lock blob ${name}`));
  }

  const leaseId = lease.leaseId;
  const leaseMs = ctx.leaseSeconds * 1000;
  const intervalMs = ctx.renewIntervalMs ?? Math.floor(leaseMs / 3);
  const log = ctx.logger.child({ lock: name });

  // Who holds it, for the LOCK_HELD message of a second process (best effort).
  try {
    await blob.setMetadata(
      { holder: `${hostname()}:${process.pid}`, acquiredat: new Date().toISOString() },
      { conditions: { leaseId }, abortSignal: signal },
    );
  } catch (err) {
    log.debug({ err: ctx.redact(String(err)) }, "could not record the lock holder");
  }

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

  acquire(key: StateKey, signal?: AbortSignal): Promise<HeldLock & { readonly blobName: string }> {
    return acquireLeaseLock(this.#ctx, key, signal);
  }
}

async function describeHolder(ctx: LeaseLockContext, name: string, signal?: AbortSignal): Promise<string> {
  try {
    const props = await ctx.container.getBlobClient(name).getProperties({ abortSignal: signal });
    const holder = props.metadata?.["holder"];
    const since = props.metadata?.["acquiredat"];
    return holder ? ` (held by ${holder}${since ? ` since ${since}` : ""})` : "";
  } catch {
    return "";
  }
}
