/** `--lock-wait` and `--require-lock`, shared by `export` and `backfill`. */
import type { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import { UsageError } from "../errors.ts";
import type { RunDeps } from "../runner/export-query.ts";

export interface LockFlags {
  lockWait?: string;
  requireLock?: boolean;
}

export function addLockOptions(cmd: Command): Command {
  return cmd
    .option(
      "--lock-wait <duration>",
      "how long to wait for a lock whose holder is gone or stopped renewing before taking it over (ISO 8601, PT2M; default: the sink's lease or stale period + 5 s; 0 = do not wait)",
    )
    .option("--require-lock", "fail (exit 1) when a live peer holds a query's lock, instead of reporting it `skipped (held by …)` and exiting 0");
}

export function lockingFrom(flags: LockFlags): NonNullable<RunDeps["locking"]> {
  const locking: NonNullable<RunDeps["locking"]> = { require: Boolean(flags.requireLock) };
  if (flags.lockWait !== undefined) {
    const ms = flags.lockWait.trim() === "0" ? 0 : parseDuration(flags.lockWait);
    if (ms === undefined || ms < 0) throw new UsageError(`--lock-wait '${flags.lockWait}' is not an ISO 8601 duration (PT90S, PT2M) or 0.`);
    locking.waitMs = ms;
  }
  return locking;
}
