/**
 * The live export of one query: take its lock, read its watermark, clear what a killed run
 * left beyond it, plan the complete windows up to now − lag, deliver and commit them in order;
 * then, still under the lock, re-verify the windows committed in the last `window.reverify` and
 * re-export those that miss rows that became visible late (./verify-query.ts).
 */
import { MonitorliftError, isMonitorliftError, messageOf } from "../errors.ts";
import { LIVE_SCOPE, liveKey, parseScopeRange } from "../sinks/layout.ts";
import type { CursorState, CursorStore, Destination, HeldLock, QueryRunOutcome, Sink, StateKey } from "../sinks/sink.ts";
import { acquireOrWait } from "../state/locks.ts";
import type { Logger } from "../telemetry/logger.ts";
import { dropCodeOf } from "../telemetry/codes.ts";
import { droppedBecause, sinkLabels, type Metrics } from "../telemetry/metrics.ts";
import { gridFloor, initialWatermark, planWindows, SplitMemory, windowsBehind } from "../window/index.ts";
import { formatWindow } from "../window/window.ts";
import { WindowTally } from "../window/window-tally.ts";
import { commitInOrder, type CommitProgress, type OrderedCommitOptions } from "./ordered-commit.ts";
import { queryLogFields, type QueryJob } from "./query-job.ts";
import { connectionOf, type SourceConnection } from "./source-connection.ts";
import { deliverWindow, traceWindow, windowSpanAttributes, type DeliveryContext } from "./window-delivery.ts";
import { verifyQuery } from "./verify-query.ts";
import { noopSpan, SPAN, type TraceSpan } from "../telemetry/tracing.ts";

export interface RunDeps {
  /**
   * Each configured source's client and request gate, by source name (QueryJob.source picks one);
   * sources sharing an identity share one gate.
   */
  sources: ReadonlyMap<string, SourceConnection>;
  /** Data (destination.sink), cursors, locks and run history. */
  destination: Destination;
  logger: Logger;
  clock: () => number;
  random: () => number;
  /** Windows fetched ahead of the one being committed, per query. */
  lookAhead: number;
  signal: AbortSignal;
  /** Where the run counts rows, requests, retries and drops (noopMetrics when nothing is configured). */
  metrics: Metrics;
  /** The sink's type and its format or SQL dialect: the metrics' sink attributes. */
  sinkKind: SinkKind;
  onCommitted?(query: string, progress: CommitProgress, state: CursorState): void;
  /** The query's span (set by runOnce): its windows' spans are its children. */
  span?: TraceSpan;
  /**
   * --lock-wait: how long to wait for a lock whose holder is gone or silent before failing (default:
   * the destination's lapse time plus LOCK_WAIT_MARGIN_MS); --require-lock: a lock held by a live peer
   * fails the query instead of skipping it.
   */
  locking?: { waitMs?: number; require?: boolean };
  /** The level of each committed window's log line (default info; debug while a progress bar shows them). */
  windowLogLevel?: "info" | "debug";
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

/** What the metrics need to know of the sink: `{ type, format }` or `{ type, dialect }` of the config's `sink`. */
export type SinkKind = Parameters<typeof sinkLabels>[1];

/** The outcome of one query in one run; `error` is the typed error when it failed. */
export interface QueryResult {
  outcome: QueryRunOutcome;
  error?: unknown;
  /** Live export stopped at window.maxWindowsPerRun: complete windows still to export, and from which watermark. */
  behind?: Behind;
}

export interface Behind {
  windows: number;
  watermark: number;
  /** now − lag − watermark (ms). */
  ms: number;
  maxWindowsPerRun: number;
}

export async function exportQuery(job: QueryJob, deps: RunDeps): Promise<QueryResult> {
  const outcome: QueryRunOutcome = { outcome: "ok", scope: LIVE_SCOPE, rows: 0, windows: 0 };
  const plan: { windows: number; behind?: Behind } = { windows: 0 };
  try {
    await exportLive(job, deps, outcome, plan);
    return plan.behind ? { outcome, behind: plan.behind } : { outcome };
  } catch (error) {
    countDropped(job, deps, error, plan.windows - outcome.windows);
    return { outcome: failed(outcome, error), error };
  }
}

/**
 * A query that failed in this run: its planned windows not exported, counted by drop code (at least one,
 * so a query that failed before planning — a held lock, an unreachable sink — is counted too).
 */
export function countDropped(job: QueryJob, deps: RunDeps, error: unknown, windows: number): void {
  const code = dropCodeOf(error, { shuttingDown: deps.signal.aborted, retriesExhausted: isMonitorliftError(error) && error.retryable });
  deps.metrics.windowDropped(sinkLabels(job.name, deps.sinkKind), code, Math.max(1, windows));
}

/** Rows written but discarded when a query's sequence stopped: counted as dropped rows, by the error's drop code. */
export function onDiscard(job: QueryJob, deps: RunDeps): OrderedCommitOptions["onDiscarded"] {
  const labels = sinkLabels(job.name, deps.sinkKind);
  return (parts, error) => {
    const rows = parts.reduce((n, p) => n + p.rows, 0);
    if (rows === 0) return;
    const result = droppedBecause(error, { shuttingDown: deps.signal.aborted, retriesExhausted: isMonitorliftError(error) && error.retryable });
    deps.metrics.rows(labels, result, rows);
    deps.metrics.bytes(labels, result, parts.reduce((n, p) => n + p.bytes, 0));
  };
}

/** What the commit step does after each committed part, live and backfill: the outcome, the log line, the metrics. */
export function onCommit(job: QueryJob, deps: RunDeps, outcome: QueryRunOutcome, log: Logger): OrderedCommitOptions["onCommitted"] {
  const labels = sinkLabels(job.name, deps.sinkKind);
  return (progress, state) => {
    outcome.rows += progress.rows;
    outcome.windows += 1;
    outcome.watermark = state.watermark;
    log[deps.windowLogLevel ?? "info"]({ window: formatWindow(progress.window), rows: progress.rows, bytes: progress.bytes, location: progress.location }, "window committed");
    deps.metrics.rows(labels, { outcome: "success" }, progress.rows);
    deps.metrics.bytes(labels, { outcome: "success" }, progress.bytes);
    deps.metrics.windowCommitted(labels, progress.rows);
    if (outcome.scope === LIVE_SCOPE) deps.metrics.watermark(job.name, new Date(state.watermark));
    deps.onCommitted?.(job.name, progress, state);
  };
}

export function failed(outcome: QueryRunOutcome, err: unknown): QueryRunOutcome {
  return { ...outcome, outcome: "failed", error: { code: err instanceof MonitorliftError ? err.code : "INTERNAL", message: messageOf(err) } };
}

async function exportLive(job: QueryJob, deps: RunDeps, outcome: QueryRunOutcome, plan: { windows: number; behind?: Behind }): Promise<void> {
  const key = liveKey(job.name);
  const log = deps.logger.child(queryLogFields(job));
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
    plan.windows = windows.length;
    const tally = windows.length > 0 ? await windowTally(job, sink, stored, signal) : undefined;
    if (windows.length === 0) {
      log.debug({ watermark: new Date(watermark).toISOString() }, "nothing to export yet");
      if (stored) await reverify(job, { ...deps, logger: log, signal }, watermark, lock, outcome);
      return;
    }
    // What the last run learnt about part sizes the service returns whole (stored with each commit).
    const splitMemory = new SplitMemory({}, stored?.split);
    const result = await commitInOrder({
      key,
      windows,
      lookAhead: deps.lookAhead,
      state: stored,
      signal,
      deliver: delivery(job, deps, key, log, splitMemory),
      nextState: (state, part) => ({
        watermark: part.window.end,
        origin,
        columns: part.columns,
        rows: (state?.rows ?? 0) + part.rows,
        windows: (state?.windows ?? 0) + tally!.add(part),
        updatedAt: new Date(deps.clock()).toISOString(),
        split: splitMemory.state,
      }),
      onCommitted: onCommit(job, deps, outcome, log),
      onDiscarded: onDiscard(job, deps),
    });
    if (result.error !== undefined) throw lock.signal.aborted ? lockLost(job.name, result.error) : result.error;
    if (windows.length >= job.maxWindowsPerRun) {
      const at = outcome.watermark ?? watermark;
      const left = windowsBehind(at, now, job.sizeMs, job.lagMs);
      if (left > 0) {
        plan.behind = { windows: left, watermark: at, ms: now - job.lagMs - at, maxWindowsPerRun: job.maxWindowsPerRun };
        log.warn(
          { behindWindows: left, behind: formatSpan(plan.behind.ms), watermark: new Date(at).toISOString(), maxWindowsPerRun: job.maxWindowsPerRun },
          `stopped at window.maxWindowsPerRun (${job.maxWindowsPerRun}); still ${left} window${left === 1 ? "" : "s"} (${formatSpan(plan.behind.ms)}) behind — the next run continues (export --once --catch-up runs until caught up)`,
        );
      }
    }
    // From the watermark this run STARTED at: after a gap (the exporter was down) the windows just below
    // it are still re-counted, however far this run moved the watermark.
    await reverify(job, { ...deps, logger: log, signal }, watermark, lock, outcome);
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err: messageOf(err) }, "could not release the lock"));
  }
}

/**
 * How the cursor's `windows` grows (src/window/window-tally.ts: what `ls` lists, which a rewind takes off
 * exactly). A watermark inside a grid window (a run stopped between the parts of a split window) asks the
 * sink whether the parts committed before it held data: one listing, only then.
 */
async function windowTally(job: QueryJob, sink: Sink, stored: CursorState | undefined, signal: AbortSignal): Promise<WindowTally> {
  if (!stored) return new WindowTally(job.sizeMs);
  const cell = gridFloor(stored.watermark, job.sizeMs);
  if (cell === stored.watermark) return new WindowTally(job.sizeMs);
  const from = Math.max(cell, stored.origin);
  const data = from < stored.watermark && (await sink.windowCounts(job.name, from, stored.watermark, signal)).length > 0;
  return new WindowTally(job.sizeMs, { cell, data });
}

/**
 * Re-count the committed windows from `startWatermark` − reverify on and repair those missing rows. A
 * failure here leaves the committed windows as they are (the next run or `verify` checks them again), so
 * it is a warning, unless the lock was lost.
 */
async function reverify(job: QueryJob, deps: RunDeps, startWatermark: number, lock: HeldLock, outcome: QueryRunOutcome): Promise<void> {
  if (job.reverifyMs <= 0) return;
  const checked = await verifyQuery(job, deps, { sinceMs: 0, from: startWatermark - job.reverifyMs, repair: true, lock });
  const repaired = checked.mismatches.filter((m) => m.repairedRows !== undefined);
  for (const m of repaired) outcome.rows += m.repairedRows! - (m.committed ?? 0);
  if (checked.error !== undefined) {
    if (lock.signal.aborted) throw lockLost(job.name, checked.error);
    deps.logger.warn({ err: messageOf(checked.error), code: (checked.error as { code?: string }).code }, "re-verifying recent windows failed; the next run checks them again");
  } else if (checked.mismatches.length > 0) {
    deps.logger.info({ windows: checked.windows, differed: checked.mismatches.length, repaired: repaired.length }, "re-verified recent windows");
  }
}

/**
 * Where a query without a watermark starts: `window.start` (a relative start is aligned down to the
 * window grid, so a first run re-planned a little later starts at the same instant), but never inside
 * a range a backfill already owns.
 */
export async function firstWatermark(job: QueryJob, cursors: CursorStore, now: number): Promise<number> {
  let start = "ago" in job.start ? gridFloor(initialWatermark(job.start, now), job.sizeMs) : initialWatermark(job.start, now);
  for (const { key } of await cursors.list()) {
    if (key.query !== job.name) continue;
    const range = parseScopeRange(key.scope);
    if (range && range.to > start) start = range.to;
  }
  return start;
}

/**
 * How the commit step fetches one window of `job` under `key`: deliverWindow with the run's source, sink,
 * gate and retries, and the cursor's split memory (what part size the service returned whole).
 */
export function delivery(job: QueryJob, deps: RunDeps, key: StateKey, log: Logger, splitMemory: SplitMemory): OrderedCommitOptions["deliver"] {
  const { source, gate, retry } = connectionOf(deps.sources, job);
  return (w, signal, onPart) => {
    const span = (deps.span ?? noopSpan).child(SPAN.window, windowSpanAttributes(job.name, key, w));
    const ctx: DeliveryContext = {
      key,
      source,
      sink: deps.destination.sink,
      gate,
      logger: log,
      buildQuery: job.buildQuery,
      minWindowMs: job.minSizeMs,
      retry,
      random: deps.random,
      clock: deps.clock,
      signal,
      metrics: deps.metrics,
      labels: sinkLabels(job.name, deps.sinkKind),
      span,
      splitMemory,
    };
    return traceWindow(span, signal, onPart, (traced) => deliverWindow(ctx, w, traced));
  };
}

export function lockLost(query: string, cause: unknown): MonitorliftError {
  return new MonitorliftError("LOCK_LOST", `Query '${query}': the single-writer lock was lost while exporting; stopped writing at once.`, {
    cause,
    retryable: true,
    hint: "Another exporter may have taken over after this one stalled; the watermark is consistent and the next run continues from it.",
  });
}

/** A span of time for people: 1d2h, 3h5m, 4m10s, 12s. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}
