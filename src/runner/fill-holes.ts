/**
 * A query's coverage from its stored cursors (the live one and every backfill range), and the ranges
 * `backfill --fill-holes` runs for it: each hole as a new backfill range of exactly the hole's bounds,
 * and each unfinished backfill range resumed with its exact bounds (so a killed --fill-holes resumes
 * the range it started instead of meeting it as an overlap). The rules are in src/window/coverage.ts.
 */
import { LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import type { CursorState, CursorStore, StateKey } from "../sinks/sink.ts";
import { computeCoverage, planFillRanges, type Coverage, type CoverageInput, type FillRange } from "../window/coverage.ts";
import { checkRangeAgainst } from "./backfill-query.ts";
import type { QueryJob } from "./query-job.ts";

type CursorEntry = { key: StateKey; state: CursorState };

/** The coverage input of `query` from every stored cursor (cursors.list()). */
export function coverageInputOf(query: string, entries: readonly CursorEntry[]): CoverageInput {
  const input: { live?: CoverageInput["live"]; backfills: Array<CoverageInput["backfills"][number]> } = { backfills: [] };
  for (const { key, state } of entries) {
    if (key.query !== query) continue;
    if (key.scope === LIVE_SCOPE) {
      input.live = { origin: state.origin, watermark: state.watermark };
      continue;
    }
    const range = parseScopeRange(key.scope);
    if (range) input.backfills.push({ from: range.from, to: range.to, watermark: state.watermark, completed: state.completed ?? [] });
  }
  return input;
}

/** The covered, pending and hole intervals of `query`. */
export function queryCoverage(query: string, entries: readonly CursorEntry[]): Coverage {
  return computeCoverage(coverageInputOf(query, entries));
}

/**
 * Each job's fill ranges, oldest first (a job with none is left out), checked before anything runs like
 * any backfill range (a usage error or an overlap here exits 2 and records no run).
 */
export async function resolveFillRanges(jobs: readonly QueryJob[], cursors: CursorStore, now: number): Promise<Map<string, FillRange[]>> {
  const entries = await cursors.list();
  const out = new Map<string, FillRange[]>();
  for (const job of jobs) {
    const ranges = planFillRanges(coverageInputOf(job.name, entries));
    for (const range of ranges) checkRangeAgainst(entries, job.name, range, now, job.lagMs);
    if (ranges.length > 0) out.set(job.name, ranges);
  }
  return out;
}
