/**
 * A backfill of one query over an explicit [from, to): its own cursor (scope
 * "backfill-<from>-<to>"), never the live watermark; windows run in parallel and commit as
 * they finish (the cursor keeps the contiguous watermark plus the windows done beyond it),
 * so an interrupted backfill resumes where it stopped.
 */
import pLimit from "p-limit";
import { MonitorliftError, messageOf } from "../errors.ts";
import { backfillScope, LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import type { CursorState, QueryRunOutcome, Sink, StateKey } from "../sinks/sink.ts";
import { advanceCursor, planBackfill } from "../window/index.ts";
import { formatWindow, type TimeWindow } from "../window/window.ts";
import { failed, type QueryResult, type RunDeps } from "./export-query.ts";
import type { QueryJob } from "./query-job.ts";
import { abortParts, deliverWindow, type WrittenPart } from "./window-delivery.ts";

export interface BackfillRange {
  from: number;
  to: number;
}

export async function backfillQuery(job: QueryJob, range: BackfillRange, deps: RunDeps): Promise<QueryResult> {
  const key: StateKey = { query: job.name, scope: backfillScope(range.from, range.to) };
  const outcome: QueryRunOutcome = { outcome: "ok", scope: key.scope, rows: 0, windows: 0 };
  try {
    await runBackfill(job, range, key, deps, outcome);
    return { outcome };
  } catch (error) {
    return { outcome: failed(outcome, error), error };
  }
}

/** Refuses a range another cursor of the same query owns: the live export from its origin on, or another backfill. */
export async function checkBackfillRange(sink: Sink, query: string, range: BackfillRange, now: number, lagMs: number): Promise<void> {
  if (!(range.from < range.to)) {
    throw new MonitorliftError("USAGE", `backfill: --from (${iso(range.from)}) must be before --to (${iso(range.to)}).`);
  }
  if (range.to > now - lagMs) {
    throw new MonitorliftError("USAGE", `backfill of '${query}': --to ${iso(range.to)} is later than now − window.lag (${iso(now - lagMs)}); data there has not settled yet.`, {
      hint: "End the backfill earlier, and let the live export (monitorlift export) cover recent data.",
    });
  }
  const scope = backfillScope(range.from, range.to);
  for (const { key, state } of await sink.listStates()) {
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

async function runBackfill(job: QueryJob, range: BackfillRange, key: StateKey, deps: RunDeps, outcome: QueryRunOutcome): Promise<void> {
  const log = deps.logger.child({ query: job.name, scope: key.scope });
  await checkBackfillRange(deps.sink, job.name, range, deps.clock(), job.lagMs);
  const lock = await deps.sink.acquireLock(key, deps.signal);
  const stop = new AbortController();
  const signal = AbortSignal.any([deps.signal, lock.signal, stop.signal]);
  try {
    let state: CursorState | undefined = await deps.sink.readState(key);
    const cursor = { watermark: state?.watermark ?? range.from, completed: state?.completed ?? [] };
    const covered = (w: TimeWindow) => w.end <= cursor.watermark || cursor.completed.some((c) => c.start <= w.start && w.end <= c.end);
    const removed = await deps.sink.recover(key, range.from, range.to, covered);
    if (removed > 0) log.warn({ removed }, "removed uncommitted leftovers of an interrupted backfill");
    const windows = planBackfill({
      from: range.from,
      to: range.to,
      size: job.sizeMs,
      completed: [{ start: range.from, end: cursor.watermark }, ...cursor.completed],
    });
    deps.onPlanned?.(job.name, windows.length);
    let firstError: unknown;
    let commits: Promise<void> = Promise.resolve();
    const commitPart = (part: WrittenPart) =>
      (commits = commits.then(async () => {
        if (firstError !== undefined) return void (await part.writer.abort());
        const moved = advanceCursor({ watermark: state?.watermark ?? range.from, completed: state?.completed ?? [] }, part.window);
        const next: CursorState = {
          watermark: moved.watermark,
          completed: moved.completed,
          origin: range.from,
          columns: part.columns,
          rows: (state?.rows ?? 0) + part.rows,
          windows: (state?.windows ?? 0) + 1,
          updatedAt: new Date(deps.clock()).toISOString(),
        };
        const done = await part.writer.commit(next, state);
        state = done.version !== undefined ? { ...next, version: done.version } : await deps.sink.readState(key);
        outcome.rows += done.rows;
        outcome.windows += 1;
        outcome.watermark = state?.watermark;
        log.info({ window: formatWindow(part.window), rows: done.rows, bytes: done.bytes, location: done.location }, "window committed");
        deps.onCommitted?.(job.name, { window: part.window, rows: done.rows, bytes: done.bytes, location: done.location }, state!);
      }));
    const limit = pLimit(Math.max(1, deps.lookAhead));
    await Promise.all(
      windows.map((w) =>
        limit(async () => {
          if (firstError !== undefined) return;
          try {
            // Each part commits as soon as it is written (backfill windows need no order).
            await deliverWindow(
              { key, source: deps.source, sink: deps.sink, gate: deps.gate, logger: log, buildQuery: job.buildQuery, minWindowMs: job.minSizeMs, retry: deps.retry, random: deps.random, clock: deps.clock, signal },
              w,
              (part) =>
                commitPart(part).catch(async (err: unknown) => {
                  firstError ??= err;
                  stop.abort(err);
                  await abortParts([part]);
                  throw err;
                }),
            );
          } catch (err) {
            firstError ??= err;
            stop.abort(err);
          }
        }),
      ),
    );
    await commits.catch(() => undefined);
    if (firstError !== undefined) throw lock.signal.aborted ? new MonitorliftError("LOCK_LOST", `backfill of '${job.name}': the lock was lost.`, { cause: firstError }) : firstError;
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err: messageOf(err) }, "could not release the lock"));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
