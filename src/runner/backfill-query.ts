/**
 * A backfill of one query over an explicit [from, to): its own cursor (scope
 * "backfill-<from>-<to>"), never the live watermark; windows run in parallel and commit as
 * they finish, one at a time through the live path's commit step (ordered-commit.ts; the cursor
 * keeps the contiguous watermark plus the windows done beyond it), so an interrupted backfill
 * resumes where it stopped.
 */
import { MonitorliftError, UsageError, messageOf } from "../errors.ts";
import { backfillScope, LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import type { CursorState, CursorStore, QueryRunOutcome, StateKey } from "../sinks/sink.ts";
import { advanceCursor, planBackfill, resolveBackfillRange, SplitMemory } from "../window/index.ts";
import type { TimeWindow } from "../window/window.ts";
import { countDropped, delivery, failed, lockLost, onCommit, onDiscard, takeLock, type QueryResult, type RunDeps } from "./export-query.ts";
import { commitAsDelivered } from "./ordered-commit.ts";
import { queryLogFields, type QueryJob } from "./query-job.ts";

export interface BackfillRange {
  from: number;
  to: number;
}

export async function backfillQuery(job: QueryJob, range: BackfillRange, deps: RunDeps): Promise<QueryResult> {
  const key: StateKey = { query: job.name, scope: backfillScope(range.from, range.to) };
  const outcome: QueryRunOutcome = { outcome: "ok", scope: key.scope, rows: 0, windows: 0 };
  const plan = { windows: 0 };
  try {
    await runBackfill(job, range, key, deps, outcome, plan);
    return { outcome };
  } catch (error) {
    countDropped(job, deps, error, plan.windows - outcome.windows);
    return { outcome: failed(outcome, error), error };
  }
}

/** What `backfill --from/--to` said: instants, and which of them were durations before now. */
export interface BackfillArgs {
  from: number;
  to: number;
  relative: { from: boolean; to: boolean };
}

/**
 * Each job's range for `backfill`, checked before anything runs (a usage error or an overlap here
 * exits 2 and records no run): relative ends aligned to the query's window grid, and a re-run within
 * a window of an earlier range of the query resuming that range (resolveBackfillRange).
 */
export async function resolveBackfillRanges(
  jobs: readonly QueryJob[],
  args: BackfillArgs,
  cursors: CursorStore,
  now: number,
): Promise<Map<string, BackfillRange & { resumed: boolean }>> {
  const entries = await cursors.list();
  const out = new Map<string, BackfillRange & { resumed: boolean }>();
  for (const job of jobs) {
    const known = entries.filter((e) => e.key.query === job.name).flatMap((e) => parseScopeRange(e.key.scope) ?? []);
    const range = resolveBackfillRange(args, job.sizeMs, known);
    checkRangeAgainst(entries, job.name, range, now, job.lagMs);
    out.set(job.name, range);
  }
  return out;
}

/** Refuses a range another cursor of the same query owns: the live export from its origin on, or another backfill. */
export async function checkBackfillRange(cursors: CursorStore, query: string, range: BackfillRange, now: number, lagMs: number): Promise<void> {
  checkRangeAgainst(await cursors.list(), query, range, now, lagMs);
}

export function checkRangeAgainst(entries: ReadonlyArray<{ key: StateKey; state: CursorState }>, query: string, range: BackfillRange, now: number, lagMs: number): void {
  if (!(range.from < range.to)) {
    throw new UsageError(`backfill: --from (${iso(range.from)}) must be before --to (${iso(range.to)}).`);
  }
  if (range.to > now - lagMs) {
    throw new UsageError(`backfill of '${query}': --to ${iso(range.to)} is later than now − window.lag (${iso(now - lagMs)}); data there has not settled yet.`, {
      hint: "End the backfill earlier, and let the live export (monitorlift export) cover recent data.",
    });
  }
  const scope = backfillScope(range.from, range.to);
  for (const { key, state } of entries) {
    if (key.query !== query || key.scope === scope) continue;
    if (key.scope === LIVE_SCOPE) {
      if (range.to > state.origin) {
        throw new MonitorliftError(
          "BACKFILL_OVERLAP",
          `backfill of '${query}': the range ${iso(range.from)}–${iso(range.to)} overlaps the live export, which owns everything from ${iso(state.origin)} on.`,
          { hint: `End the backfill at or before ${iso(state.origin)} (--to ${iso(state.origin)}); rows would otherwise be exported twice.` },
        );
      }
      continue;
    }
    const other = parseScopeRange(key.scope);
    if (other && other.from < range.to && range.from < other.to) {
      throw new MonitorliftError(
        "BACKFILL_OVERLAP",
        `backfill of '${query}': the range ${iso(range.from)}–${iso(range.to)} overlaps an earlier backfill ${iso(other.from)}–${iso(other.to)}.`,
        { hint: "Resume that backfill with exactly its --from/--to, or choose a range that does not overlap it." },
      );
    }
  }
}

async function runBackfill(job: QueryJob, range: BackfillRange, key: StateKey, deps: RunDeps, outcome: QueryRunOutcome, plan: { windows: number }): Promise<void> {
  const log = deps.logger.child({ ...queryLogFields(job), scope: key.scope });
  const { sink, cursors } = deps.destination;
  await checkBackfillRange(cursors, job.name, range, deps.clock(), job.lagMs);
  const lock = await takeLock(key, deps, outcome);
  if (!lock) return;
  const signal = AbortSignal.any([deps.signal, lock.signal]);
  try {
    const stored = await cursors.read(key);
    const cursor = { watermark: stored?.watermark ?? range.from, completed: stored?.completed ?? [] };
    const covered = (w: TimeWindow) => w.end <= cursor.watermark || cursor.completed.some((c) => c.start <= w.start && w.end <= c.end);
    const removed = await sink.recover(key, range.from, range.to, covered);
    if (removed > 0) log.warn({ removed }, "removed uncommitted leftovers of an interrupted backfill");
    const windows = planBackfill({
      from: range.from,
      to: range.to,
      size: job.sizeMs,
      completed: [{ start: range.from, end: cursor.watermark }, ...cursor.completed],
    });
    plan.windows = windows.length;
    // The live path's commit step, in arrival order: backfill windows need no order (the cursor keeps
    // the contiguous watermark plus the windows done beyond it).
    const splitMemory = new SplitMemory({}, stored?.split);
    const result = await commitAsDelivered({
      key,
      windows,
      lookAhead: deps.lookAhead,
      state: stored,
      signal,
      deliver: delivery(job, deps, key, log, splitMemory),
      nextState: (state, part) => {
        const moved = advanceCursor({ watermark: state?.watermark ?? range.from, completed: state?.completed ?? [] }, part.window);
        return {
          watermark: moved.watermark,
          completed: moved.completed,
          origin: range.from,
          columns: part.columns,
          rows: (state?.rows ?? 0) + part.rows,
          windows: (state?.windows ?? 0) + 1,
          updatedAt: new Date(deps.clock()).toISOString(),
          split: splitMemory.state,
        };
      },
      onCommitted: onCommit(job, deps, outcome, log),
      onDiscarded: onDiscard(job, deps),
    });
    if (result.error !== undefined) throw lock.signal.aborted ? lockLost(job.name, result.error) : result.error;
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err: messageOf(err) }, "could not release the lock"));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
