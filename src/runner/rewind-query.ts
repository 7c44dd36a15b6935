/**
 * The rewind of one query's live watermark (`monitorlift rewind`): under the query's single-writer lock
 * (the one every export takes; a live holder refuses the rewind), read the cursor, read what each commit
 * in [T, watermark) recorded, plan the rewound cursor (src/window/rewind.ts, pure), then Sink.rewind:
 * the cursor moves back and the data of the windows after T goes through the sink's recovery step
 * (SQL: one transaction). The next `export` re-exports [T, …) exactly once. A done rewind is recorded in the
 * run history (command "rewind", src/state/run-history.ts) so `status` shows it; a dry run reads only and,
 * like a refused rewind or one with nothing to do, records nothing.
 */
import { isMonitorliftError, messageOf, SinkError, UsageError } from "../errors.ts";
import { LIVE_SCOPE, liveKey } from "../sinks/layout.ts";
import type { CursorState, Destination, StateKey, WindowCount } from "../sinks/sink.ts";
import { acquireOrWait } from "../state/locks.ts";
import { newRunId, REWIND_COMMAND, type RunSummary } from "../state/run-history.ts";
import type { Logger } from "../telemetry/logger.ts";
import { checkRewindRange, planRewind, type RewindPlan } from "../window/rewind.ts";
import { queryLogFields, type QueryJob } from "./query-job.ts";

export interface RewindOptions {
  to: number;
  /** Plan and report only: no lock, nothing changed. */
  dryRun: boolean;
  /** How long to wait for a lock whose holder is gone or silent (as export's --lock-wait). */
  waitMs: number;
  logger: Logger;
  clock: () => number;
  signal?: AbortSignal;
}

export interface RewindResult {
  /** undefined: T is the watermark already, nothing to do. */
  plan: RewindPlan | undefined;
  /** What the sink removed (rows for SQL, chunks and temporary files for file-like sinks); 0 on a dry run. */
  removed: number;
}

export async function rewindQuery(job: QueryJob, destination: Destination, options: RewindOptions): Promise<RewindResult> {
  const key = liveKey(job.name);
  if (options.dryRun) return { plan: await planFor(job, destination, key, options), removed: 0 };
  const got = await acquireOrWait(destination.locks, key, { waitMs: options.waitMs, logger: options.logger, ...(options.signal ? { signal: options.signal } : {}) });
  if ("heldBy" in got) {
    throw new SinkError(
      "LOCK_HELD",
      `query "${job.name}": its lock is held by ${got.heldBy.holder.description}, a run that is exporting it; rewind never moves a watermark under a running export. Nothing was changed.`,
      { cause: got.heldBy, hint: "Wait until that run ends (or stop the scheduled exporter), then rewind again." },
    );
  }
  // Everything under the lock stops when it is lost (Sink.rewind removes nothing more once it fires).
  const signal = options.signal ? AbortSignal.any([options.signal, got.lock.signal]) : got.lock.signal;
  try {
    const startedAt = options.clock();
    const plan = await planFor(job, destination, key, { ...options, signal });
    if (!plan) return { plan, removed: 0 };
    let removed: number;
    try {
      if (got.lock.signal.aborted) throw got.lock.signal.reason;
      removed = await destination.sink.rewind(key, plan.next, plan.previous, signal);
    } catch (err) {
      throw got.lock.signal.aborted || (isMonitorliftError(err) && err.code === "LOCK_LOST") ? rewindLockLost(job.name, err) : err;
    }
    options.logger.info(
      { ...queryLogFields(job), from: new Date(plan.from).toISOString(), to: new Date(plan.to).toISOString(), windows: plan.removed.length, rows: plan.rows, removed },
      "rewound the live watermark",
    );
    // The rewind is done: a history that cannot be written is said, as after a run, and does not undo it.
    await destination.runs.record(rewindSummary(plan, startedAt, options.clock())).catch((err: unknown) => {
      options.logger.warn({ ...queryLogFields(job), err: messageOf(err) }, "could not record the rewind in the run history");
    });
    return { plan, removed };
  } finally {
    await got.lock.release().catch(() => undefined);
  }
}

/** LOCK_LOST for a rewind: it stopped at once, and where the query stands now is for status to say. */
function rewindLockLost(query: string, cause: unknown): SinkError {
  return new SinkError(
    "LOCK_LOST",
    `query "${query}": the lock was lost during the rewind, which stopped at once (nothing more was removed). The watermark may already have moved back; data after it that no cursor counts is removed by the next export's recovery.`,
    { cause, retryable: true, hint: "Check `monitorlift status` and `ls` for where the query stands, then rewind again if it must go further back." },
  );
}

async function planFor(job: QueryJob, destination: Destination, key: StateKey, options: RewindOptions): Promise<(RewindPlan & { previous: CursorState }) | undefined> {
  const stored = await destination.cursors.read(key);
  if (!stored) throw new UsageError(`query "${job.name}" has no live watermark yet (nothing was exported): there is nothing to rewind.`);
  checkRewindRange(job.name, options.to, stored);
  if (options.to === stored.watermark) return undefined;
  const counts = await countsAround(destination, job, stored, options.to, options.signal);
  return { ...planRewind(job.name, stored, options.to, job.sizeMs, counts, options.clock()), previous: stored };
}

/** The longest window.size the config allows: no committed window is longer. */
const LONGEST_WINDOW_MS = 366 * 86_400_000;

/**
 * What the sink recorded for every window (or part) from `to` to the watermark, and for the latest window
 * with data starting before `to` — the only one that can straddle it (committed windows never overlap). It
 * is looked for in spans doubling back from `to` (one window.size first), no further than the origin or the
 * longest window there can be.
 */
async function countsAround(destination: Destination, job: QueryJob, stored: CursorState, to: number, signal: AbortSignal | undefined): Promise<WindowCount[]> {
  for (let span = job.sizeMs; ; span *= 2) {
    const from = Math.max(stored.origin, to - span);
    const counts = await destination.sink.windowCounts(job.name, from, stored.watermark, signal);
    if (from <= stored.origin || span >= LONGEST_WINDOW_MS || counts.some((c) => c.window.start < to)) return counts;
  }
}

/**
 * The run summary of a done rewind (pure): command "rewind", the query's outcome "ok" with nothing exported
 * (rows and windows 0, the watermark now T) and `rewound` saying what went. Never a query's last run.
 */
export function rewindSummary(plan: RewindPlan, startedAt: number, finishedAt: number): RunSummary {
  return {
    runId: newRunId(startedAt),
    command: REWIND_COMMAND,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    queries: {
      [plan.query]: {
        outcome: "ok",
        scope: LIVE_SCOPE,
        rows: 0,
        windows: 0,
        watermark: plan.to,
        rewound: { from: plan.from, to: plan.to, windows: plan.removed.length, rows: plan.rows },
      },
    },
  };
}
