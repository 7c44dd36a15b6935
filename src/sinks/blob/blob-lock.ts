/**
 * The single-writer lock of a query and scope: a lease on `_locks/<query>/<scope>.lock`.
 * The lease is renewed at a third of its duration while held; a lease that cannot be
 * renewed (broken, taken, expired) aborts the lock's signal. A crashed holder's lease
 * simply expires after `leaseSeconds`, which is how stale locks recover.
 *
 * The lease guards against two exporters working on one query; the state blobs are still
 * written with ETag conditions, which is what keeps a watermark from going backwards.
 */
import { hostname } from "node:os";
import type { ContainerClient } from "@azure/storage-blob";
import type { Logger } from "../../telemetry/logger.ts";
import type { SinkLock, StateKey } from "../sink.ts";
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

export async function acquireLeaseLock(ctx: LeaseLockContext, key: StateKey, signal?: AbortSignal): Promise<SinkLock & { readonly blobName: string }> {
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
  const controller = new AbortController();
  const log = ctx.logger.child({ lock: name });
  let lastRenewed = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let released = false;

  // Who holds it, for the LOCK_HELD message of a second process (best effort).
  try {
    await blob.setMetadata(
      { holder: `${hostname()}:${process.pid}`, acquiredat: new Date().toISOString() },
      { conditions: { leaseId }, abortSignal: signal },
    );
  } catch (err) {
    log.debug({ err: ctx.redact(String(err)) }, "could not record the lock holder");
  }

  const lose = (reason: string, err: unknown) => {
    if (controller.signal.aborted || released) return;
    const lost = new SinkError("LOCK_LOST", `The lease on the lock blob ${ctx.containerUrl}/${name} was lost (${reason}): stopping the export of query ${key.query} (${key.scope}).`, {
      cause: toSinkError(err, errorContext(`Renewing the lease on ${name}`)),
      hint: "Another process may have broken the lease, or storage was unreachable for longer than the lease; the next run continues from the stored watermark.",
    });
    log.error({ code: lost.code, reason }, lost.message);
    controller.abort(lost);
  };

  const renew = async () => {
    timer = undefined;
    if (released || controller.signal.aborted) return;
    try {
      const remaining = Math.max(1000, leaseMs - (Date.now() - lastRenewed));
      await lease.renewLease({ abortSignal: AbortSignal.timeout(remaining) });
      lastRenewed = Date.now();
      log.trace("lease renewed");
    } catch (err) {
      if (released) return;
      const status = statusOf(err);
      if (leaseIsGone(err)) {
        lose(`HTTP ${status}${storageCodeOf(err) ? ` ${storageCodeOf(err)}` : ""}`, err);
        return;
      }
      if (Date.now() + intervalMs - lastRenewed >= leaseMs) {
        lose("it could not be renewed before it expires", err);
        return;
      }
      log.warn({ err: ctx.redact(String((err as Error)?.message ?? err)) }, "lease renewal failed; trying again");
    }
    schedule();
  };
  const schedule = () => {
    if (released || controller.signal.aborted) return;
    timer = setTimeout(() => void renew(), intervalMs);
    timer.unref();
  };
  schedule();

  return {
    blobName: name,
    signal: controller.signal,
    async release() {
      if (released) return;
      released = true;
      if (timer) clearTimeout(timer);
      if (controller.signal.aborted) return;
      try {
        await lease.releaseLease();
      } catch (err) {
        // Lost in the meantime, or storage unreachable: the lease expires on its own.
        log.warn({ err: ctx.redact(String((err as Error)?.message ?? err)) }, "could not release the lease; it will expire by itself");
      }
    },
  };
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
