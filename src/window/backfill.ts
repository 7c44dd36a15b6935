/**
 * Backfill planning and cursor bookkeeping. Backfill windows may run in parallel and commit out of
 * order; a cursor keeps a contiguous watermark plus the committed windows beyond it, and the
 * watermark moves over them as the gaps fill. Live export commits in order and uses the same step.
 */
import type { TimeWindow } from "./window.ts";
import { gridFloor } from "./plan.ts";

export interface BackfillInput {
  /** The range to export, [from, to) in epoch ms. */
  from: number;
  to: number;
  /** Window length (ms, ≥ 1); windows follow the UTC grid of this size, clipped to [from, to). */
  size: number;
  /** Windows already committed; a planned window they cover completely is skipped. */
  completed?: readonly TimeWindow[];
  /** Everything before this instant is already done (a cursor's watermark). */
  watermark?: number;
}

export interface CursorProgress {
  watermark: number;
  completed: TimeWindow[];
}

/** Sorted, with overlapping and touching intervals merged into one. */
export function mergeWindows(windows: readonly TimeWindow[]): TimeWindow[] {
  const sorted = windows.filter((w) => w.end > w.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: TimeWindow[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, w.end) };
    else out.push({ start: w.start, end: w.end });
  }
  return out;
}

/** True when `w` lies entirely before the watermark or inside the merged completed windows. */
export function isCovered(w: TimeWindow, state: { watermark: number; completed?: readonly TimeWindow[] }): boolean {
  if (w.end <= state.watermark) return true;
  const from = Math.max(w.start, state.watermark);
  return mergeWindows(state.completed ?? []).some((c) => c.start <= from && c.end >= w.end);
}

/** The grid-aligned windows of [from, to) not yet covered, oldest first. */
export function planBackfill(input: BackfillInput): TimeWindow[] {
  const { from, to, size } = input;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError(`from/to must be integers (epoch ms)`);
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`size must be an integer ≥ 1, got ${size}`);
  const state = { watermark: input.watermark ?? Number.MIN_SAFE_INTEGER, completed: mergeWindows(input.completed ?? []) };
  const out: TimeWindow[] = [];
  for (let cell = gridFloor(from, size); cell < to; cell += size) {
    const w = { start: Math.max(cell, from), end: Math.min(cell + size, to) };
    if (w.end > w.start && !isCovered(w, state)) out.push(w);
  }
  return out;
}

/**
 * The cursor after `committed` is committed: the window joins the completed set, and the watermark
 * advances over every completed window that touches it. Windows left beyond a gap stay in `completed`
 * (merged, sorted). Committing a window at or before the watermark changes nothing.
 */
export function advanceCursor(state: { watermark: number; completed?: readonly TimeWindow[] }, committed: TimeWindow): CursorProgress {
  if (!(committed.end > committed.start)) throw new RangeError(`not a window: [${committed.start}, ${committed.end})`);
  let watermark = state.watermark;
  const rest: TimeWindow[] = [];
  for (const w of mergeWindows([...(state.completed ?? []), committed])) {
    if (w.start <= watermark) watermark = Math.max(watermark, w.end);
    else rest.push(w);
  }
  return { watermark, completed: rest };
}

/** A backfill range already recorded for a query (its cursor's scope), with how far it got. */
export interface KnownRange {
  from: number;
  to: number;
}

/**
 * The range a `backfill --from/--to` means for a query whose windows are `size` long. An ISO
 * timestamp is taken as given; a relative one (a duration before now) is aligned down to the window
 * grid, so the first window is a whole grid window and the same command run again within the same
 * window resolves to the same range. A re-run that lands in the next grid slot differs by one window:
 * when the aligned range overlaps exactly one known range of the query and both its ends are within
 * one window of that range's ends, it IS that range (it resumes it, or finds it done). Absolute ranges
 * are never adjusted: they are identified by their exact [from, to).
 */
export function resolveBackfillRange(
  args: { from: number; to: number; relative: { from: boolean; to: boolean } },
  size: number,
  known: readonly KnownRange[],
): { from: number; to: number; resumed: boolean } {
  const from = args.relative.from ? gridFloor(args.from, size) : args.from;
  const to = args.relative.to ? gridFloor(args.to, size) : args.to;
  if (!args.relative.from && !args.relative.to) return { from, to, resumed: false };
  const same = known.find((k) => k.from === from && k.to === to);
  if (same) return { from, to, resumed: true };
  const overlapping = known.filter((k) => k.from < to && from < k.to);
  const only = overlapping.length === 1 ? overlapping[0]! : undefined;
  const near = (a: number, b: number, relative: boolean) => (relative ? Math.abs(a - b) <= size : a === b);
  if (only && near(only.from, from, args.relative.from) && near(only.to, to, args.relative.to)) {
    return { from: only.from, to: only.to, resumed: true };
  }
  return { from, to, resumed: false };
}
