/**
 * The live export of one query: take its lock, read its watermark, clear what a killed run
 * left beyond it, plan the complete windows up to now − lag, deliver and commit them in order.
 */
import { MonitorliftError, messageOf } from "../errors.ts";
import { LIVE_SCOPE, liveKey, parseScopeRange } from "../sinks/layout.ts";
import type { CursorState, CursorStore, Destination, HeldLock, QueryRunOutcome, StateKey } from "../sinks/sink.ts";
import { acquireOrWait } from "../state/locks.ts";
import type { Logger } from "../telemetry/logger.ts";
import { gridFloor, initialWatermark, planWindows } from "../window/index.ts";
import { formatWindow } from "../window/window.ts";
import type { LogsSource } from "../source/logs-source.ts";
import { commitInOrder, type CommitProgress } from "./ordered-commit.ts";
import type { QueryJob } from "./query-job.ts";
import type { RequestGate } from "./request-gate.ts";
import { deliverWindow, type RetrySettings } from "./window-delivery.ts";

export interface RunDeps {
  source: Pick<LogsSource, "query">;
  /** Data (destination.sink), cursors, locks and run history. */
  destination: Destination;
  gate: RequestGate;
  logger: Logger;
  clock: () => number;
  random: () => number;
  retry: RetrySettings;
  /** Windows fetched ahead of the one being committed, per query. */
  lookAhead: number;
  signal: AbortSignal;
  onCommitted?(query: string, progress: CommitProgress, state: CursorState): void;
  /**
   * --lock-wait: how long to wait for a lock whose holder is gone or silent before failing (default:
   * the destination's lapse time plus LOCK_WAIT_MARGIN_MS); --require-lock: a lock held by a live peer
   * fails the query instead of skipping it.
   */
  locking?: { waitMs?: number; require?: boolean };
}

/** Added to the destination's lapse time for the default --lock-wait (a renewal in flight, clock steps). */
export const LOCK_WAIT_MARGIN_MS = 5_000;

/** The query's lock, or undefined when a live peer holds it and the query is skipped (outcome set). */
export async function takeLock(key: StateKey, deps: RunDeps, outcome: QueryRunOutcome): Promise<HeldLock | undefined> {
  const { locks } = deps.destination;
  const waitMs = deps.locking?.waitMs ?? (locks.lapseMs ?? 0) + LOCK_WAIT_MARGIN_MS;
  const got = await acquireOrWait(locks, key, { waitMs, signal: deps.signal, logger: deps.logger });
  if ("lock" in got) return got.lock;
  if (deps.locking?.require) throw got.heldBy;
  outcome.outcome = "skipped";
  outcome.heldBy = got.heldBy.holder.description;
  deps.logger.info({ query: key.query, scope: key.scope, heldBy: outcome.heldBy }, "skipped: a live peer holds the lock");
  return undefined;
}

/** The outcome of one query in one run; `error` is the typed error when it failed. */
export interface QueryResult {
  outcome: QueryRunOutcome;
  error?: unknown;
}

export async function exportQuery(job: QueryJob, deps: RunDeps): Promise<QueryResult> {
  const outcome: QueryRunOutcome = { outcome: "ok", scope: LIVE_SCOPE, rows: 0, windows: 0 };
  try {
    await exportLive(job, deps, outcome);
    return { outcome };
  } catch (error) {
    return { outcome: failed(outcome, error), error };
  }
}

export function failed(outcome: QueryRunOutcome, err: unknown): QueryRunOutcome {
  return { ...outcome, outcome: "failed", error: { code: err instanceof MonitorliftError ? err.code : "INTERNAL", message: messageOf(err) } };
}

async function exportLive(job: QueryJob, deps: RunDeps, outcome: QueryRunOutcome): Promise<void> {
  const key = liveKey(job.name);
  const log = deps.logger.child({ query: job.name });
  const { sink, cursors } = deps.destination;
  const lock = await takeLock(key, deps, outcome);
  if (!lock) return;
  const signal = AbortSignal.any([deps.signal, lock.signal]);
  try {
    const stored = await cursors.read(key);
    const now = deps.clock();
    const watermark = stored?.watermark ?? (await firstWatermark(job, cursors, now));
    const origin = stored?.origin ?? watermark;
    outcome.watermark = watermark;
    // Without a cursor, the start moves with the clock: a first run killed between its first chunk
    // and its first cursor left that chunk starting up to one window before this run's start, where
    // it would overlap this run's first window. Remove chunks overlapping [watermark, ∞) only.
    const removed = stored
      ? await sink.recover(key, watermark, Number.POSITIVE_INFINITY, () => false)
      : await sink.recover(key, watermark - job.sizeMs, Number.POSITIVE_INFINITY, (w) => w.end <= watermark);
    if (removed > 0) log.warn({ removed }, "removed uncommitted leftovers of an earlier run");
    const windows = planWindows({ watermark, now, size: job.sizeMs, lag: job.lagMs, maxWindows: job.maxWindowsPerRun });
    if (windows.length === 0) {
      log.debug({ watermark: new Date(watermark).toISOString() }, "nothing to export yet");
      return;
    }
    const result = await commitInOrder({
      key,
      windows,
      lookAhead: deps.lookAhead,
      state: stored,
      signal,
      deliver: (w, s, onPart) =>
        deliverWindow(
          { key, source: deps.source, sink, gate: deps.gate, logger: log, buildQuery: job.buildQuery, minWindowMs: job.minSizeMs, retry: deps.retry, random: deps.random, clock: deps.clock, signal: s },
          w,
          onPart,
        ),
      nextState: (state, part) => ({
        watermark: part.window.end,
        origin,
        columns: part.columns,
        rows: (state?.rows ?? 0) + part.rows,
        windows: (state?.windows ?? 0) + 1,
        updatedAt: new Date(deps.clock()).toISOString(),
      }),
      onCommitted: (progress, state) => {
        outcome.rows += progress.rows;
        outcome.windows += 1;
        outcome.watermark = state.watermark;
        log.info({ window: formatWindow(progress.window), rows: progress.rows, bytes: progress.bytes, location: progress.location }, "window committed");
        deps.onCommitted?.(job.name, progress, state);
      },
    });
    if (result.error !== undefined) throw lock.signal.aborted ? lockLost(job.name, result.error) : result.error;
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err: messageOf(err) }, "could not release the lock"));
  }
}

/**
 * Where a query without a watermark starts: `window.start` (a relative start is aligned down to the
 * window grid, so a first run re-planned a little later starts at the same instant), but never inside
 * a range a backfill already owns.
 */
async function firstWatermark(job: QueryJob, cursors: CursorStore, now: number): Promise<number> {
  let start = "ago" in job.start ? gridFloor(initialWatermark(job.start, now), job.sizeMs) : initialWatermark(job.start, now);
  for (const { key } of await cursors.list()) {
    if (key.query !== job.name) continue;
    const range = parseScopeRange(key.scope);
    if (range && range.to > start) start = range.to;
  }
  return start;
}

export function lockLost(query: string, cause: unknown): MonitorliftError {
  return new MonitorliftError("LOCK_LOST", `Query '${query}': the single-writer lock was lost while exporting; stopped writing at once.`, {
    cause,
    retryable: true,
    hint: "Another exporter may have taken over after this one stalled; the watermark is consistent and the next run continues from it.",
  });
}
