/**
 * Coverage of one query over ingestion time, from its cursors (pure, no I/O): which instants are
 * exported (covered), which an unfinished backfill still owns (pending), and which belong to no
 * cursor at all (holes: rows ingested there were never exported, and no run will export them).
 *
 * Rules (intervals are half-open [start, end) in epoch ms):
 *  - The live cursor covers [origin, watermark): it commits in order from its origin. It also OWNS
 *    everything from its origin on; what lies beyond its watermark is simply not due yet, never a hole.
 *  - A backfill range [from, to) covers [from, watermark) plus its completed windows (clipped to the
 *    range). The rest of the range is PENDING: owned (re-running the range exports it), not covered.
 *  - The span is [earliest instant any cursor owns, end), end = the live watermark, or without a live
 *    cursor the latest backfill end. A HOLE is a part of the span that no cursor owns.
 *  - Every output list is sorted with overlapping and touching intervals merged. A range with
 *    to ≤ from owns nothing; a live watermark below its origin (never written so) covers nothing.
 */
import { mergeWindows } from "./backfill.ts";
import type { TimeWindow } from "./window.ts";

export interface LiveCursorRange {
  /** Where the live export began (its first window's start). */
  origin: number;
  /** Everything in [origin, watermark) is exported. */
  watermark: number;
}

export interface BackfillCursorRange {
  /** The range [from, to) the backfill owns (its cursor scope). */
  from: number;
  to: number;
  /** Everything in [from, watermark) is exported; no cursor yet: from. */
  watermark: number;
  /** Windows committed beyond the contiguous watermark. */
  completed?: readonly TimeWindow[];
}

export interface CoverageInput {
  live?: LiveCursorRange;
  backfills: readonly BackfillCursorRange[];
}

export interface Coverage {
  /** Exported, merged. */
  covered: TimeWindow[];
  /** Owned by an unfinished backfill and not exported yet, merged (never overlaps `covered`). */
  pending: TimeWindow[];
  /** Owned by no cursor between the earliest owned instant and the live watermark (or the last backfill end). */
  holes: TimeWindow[];
}

/** A range for `backfill --fill-holes`: a hole to export as a new backfill range, or an unfinished backfill to resume. */
export interface FillRange {
  from: number;
  to: number;
  reason: "hole" | "unfinished";
}

/** The covered, pending and hole intervals of one query's cursors (see the rules above). */
export function computeCoverage(input: CoverageInput): Coverage {
  const covered: TimeWindow[] = [];
  const backfillRanges: TimeWindow[] = [];
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const b of input.backfills) {
    if (!(b.to > b.from)) continue;
    covered.push(...backfillCovered(b));
    backfillRanges.push({ start: b.from, end: b.to });
    start = Math.min(start, b.from);
    end = Math.max(end, b.to);
  }
  const owned = [...backfillRanges];
  const live = input.live;
  if (live) {
    covered.push({ start: live.origin, end: Math.max(live.origin, live.watermark) });
    owned.push({ start: live.origin, end: Number.POSITIVE_INFINITY });
    start = Math.min(start, live.origin);
    end = Math.max(live.origin, live.watermark);
  }
  const mergedCovered = mergeWindows(covered);
  return {
    covered: mergedCovered,
    pending: subtract(mergeWindows(backfillRanges), mergedCovered),
    holes: start < end ? subtract([{ start, end }], mergeWindows(owned)) : [],
  };
}

/**
 * What `backfill --fill-holes` runs for one query, oldest first: every hole as a backfill range of
 * exactly the hole's bounds, and every unfinished backfill range (its exact bounds, so the same
 * cursor resumes: an interrupted --fill-holes leaves its range unfinished, and the next one resumes it).
 */
export function planFillRanges(input: CoverageInput): FillRange[] {
  const holes = computeCoverage(input).holes.map((h): FillRange => ({ from: h.start, to: h.end, reason: "hole" }));
  const unfinished = input.backfills
    .filter((b) => b.to > b.from && !isWhole(backfillCovered(b), b))
    .map((b): FillRange => ({ from: b.from, to: b.to, reason: "unfinished" }));
  return [...holes, ...unfinished].sort((a, b) => a.from - b.from || a.to - b.to);
}

/** The exported parts of a backfill range: [from, watermark) and its completed windows, clipped to [from, to). */
function backfillCovered(b: BackfillCursorRange): TimeWindow[] {
  const parts = [{ start: b.from, end: b.watermark }, ...(b.completed ?? [])];
  return mergeWindows(parts.map((w) => ({ start: Math.max(w.start, b.from), end: Math.min(w.end, b.to) })));
}

function isWhole(covered: readonly TimeWindow[], b: BackfillCursorRange): boolean {
  return covered.length === 1 && covered[0]!.start <= b.from && covered[0]!.end >= b.to;
}

/** `from` minus `minus`; both sorted and merged. */
function subtract(from: readonly TimeWindow[], minus: readonly TimeWindow[]): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (const w of from) {
    let cursor = w.start;
    for (const m of minus) {
      if (m.end <= cursor || m.start >= w.end) continue;
      if (m.start > cursor) out.push({ start: cursor, end: m.start });
      cursor = Math.max(cursor, m.end);
      if (cursor >= w.end) break;
    }
    if (cursor < w.end) out.push({ start: cursor, end: w.end });
  }
  return out;
}
