/**
 * `monitorlift rewind`, the pure part: where a query's live watermark may move back to, and the cursor
 * it gets there. No I/O, no clock (the caller passes `now`).
 *
 * Rules
 *  - The target T lies in [origin, watermark]: before the origin the live export owns nothing (that is
 *    backfill territory), after the watermark nothing is exported yet. T = watermark changes nothing.
 *  - T is a line of the query's window grid (multiples of window.size since 1970-01-01T00:00Z), the
 *    origin itself (a first window clipped to an unaligned window.start), or where a committed window (or
 *    part) begins or ends (the export's own watermark was there once): the next export then plans exactly
 *    the windows an export from T always would.
 *  - T never lies strictly inside a committed window (start < T < end): a window written under an earlier,
 *    larger window.size can straddle a line of today's grid, and neither the counts nor the removal (every
 *    window starting at or after T) would touch it, so the next export would write [T, end) a second time.
 *    Refused, naming the window(s) and their bounds, the nearest places to rewind to.
 *  - Every window (or split part) committed in [T, watermark) is removed; the rewound cursor keeps its
 *    origin and columns and counts true: rows minus the rows each removed commit recorded, windows minus
 *    exactly what the export added for them (src/window/window-tally.ts: each part with data, and each grid
 *    window without data once it was complete — an empty part of a window with data added nothing). A removed window
 *    whose recorded count is unknown (a run died between a chunk and its count) is refused: the rows
 *    would no longer add up. `verify --repair` re-exports such a window and records its count.
 */
import { UsageError } from "../errors.ts";
import type { CursorState } from "../state/cursor.ts";
import { gridFloor } from "./plan.ts";
import { formatWindow, type TimeWindow } from "./window.ts";

/** What a commit recorded for one window or part (Sink.windowCounts). */
export interface RecordedCount {
  window: TimeWindow;
  rows: number | undefined;
}

export interface RewindPlan {
  query: string;
  /** The watermark before, and T. */
  from: number;
  to: number;
  /** The committed windows (or parts) in [to, from) that go, oldest first; an empty window as 0 rows. */
  removed: Array<{ window: TimeWindow; rows: number }>;
  rows: number;
  /** The rows the cursor recorded before the rewind (after it: next.rows). */
  rowsBefore: number;
  /** The cursor after the rewind (no version: the store sets it). */
  next: CursorState;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The committed windows (or parts) with data that `to` lies strictly inside (start < to < end), oldest first. */
export function straddling(to: number, committed: readonly RecordedCount[]): TimeWindow[] {
  return committed
    .filter((c) => c.window.start < to && to < c.window.end)
    .map((c) => c.window)
    .sort((a, b) => a.start - b.start);
}

/** Throws a UsageError naming the query when `to` is not in [origin, watermark] (the part of checkRewindTarget that needs no counts). */
export function checkRewindRange(query: string, to: number, stored: Pick<CursorState, "watermark" | "origin">): void {
  if (!Number.isSafeInteger(to)) throw new UsageError(`rewind --to: not a time (${to}).`);
  if (to > stored.watermark) {
    throw new UsageError(
      `rewind --to ${iso(to)} is after the live watermark of query "${query}" (${iso(stored.watermark)}): rewind only moves a watermark back; export moves it forward.`,
    );
  }
  if (to < stored.origin) {
    throw new UsageError(
      `rewind --to ${iso(to)} is before the origin of query "${query}" (${iso(stored.origin)}, where its live export began): the live export owns nothing earlier. ` +
        "Use --to at or after the origin, or export earlier data with backfill.",
    );
  }
}

/**
 * Throws a UsageError naming the query when `to` is not a place its live watermark may move back to.
 * `committed`: what the sink recorded around `to` (at least the latest window starting before it and every
 * window from it on); without it only the range and the grid are checked.
 */
export function checkRewindTarget(
  query: string,
  to: number,
  stored: Pick<CursorState, "watermark" | "origin">,
  sizeMs: number,
  committed?: readonly RecordedCount[],
): void {
  checkRewindRange(query, to, stored);
  const boundary = (committed ?? []).some((c) => c.window.start === to || c.window.end === to);
  if (to !== stored.origin && gridFloor(to, sizeMs) !== to && !boundary) {
    const before = gridFloor(to, sizeMs);
    throw new UsageError(
      `rewind --to ${iso(to)} is not on the window grid of query "${query}" (window.size ${sizeMs / 1000} s): use ${iso(Math.max(before, stored.origin))} or ${iso(before + sizeMs)}.`,
    );
  }
  const inside = straddling(to, committed ?? []);
  if (inside.length > 0) {
    const first = inside[0]!;
    const last = inside[inside.length - 1]!;
    throw new UsageError(
      `rewind --to ${iso(to)} lies inside the committed ${inside.length === 1 ? "window" : "windows"} ${inside.map(formatWindow).join(", ")} of query "${query}" ` +
        `(written under an earlier, larger window.size): its rows from ${iso(to)} on would be exported a second time. Use ${iso(first.start)} or ${iso(last.end)}.`,
    );
  }
}

/**
 * The rewind of `stored` (a live cursor) to `to`, given what the sink recorded for the windows in
 * [to, stored.watermark) and for the latest one before `to` (checkRewindTarget: none may straddle it).
 * Checks the target and refuses unknown counts.
 */
export function planRewind(query: string, stored: CursorState, to: number, sizeMs: number, counts: readonly RecordedCount[], now: number): RewindPlan {
  checkRewindTarget(query, to, stored, sizeMs, counts);
  const parts = counts.filter((c) => c.window.start >= to && c.window.end <= stored.watermark).sort((a, b) => a.window.start - b.window.start);
  const unknown = parts.filter((p) => p.rows === undefined);
  if (unknown.length > 0) {
    throw new UsageError(
      `rewind of query "${query}": the row count of ${unknown.length === 1 ? "window" : "windows"} ${unknown.map((p) => formatWindow(p.window)).join(", ")} is unknown ` +
        "(a run died between writing a window and its count), so the rows recorded for the query could not be kept true. Nothing was changed.",
      { hint: `Run \`monitorlift verify --query ${query} --repair --since …\` covering ${unknown.length === 1 ? "that window" : "those windows"} first (it records the count), then rewind again.` },
    );
  }
  const withData = new Set(parts.map((p) => gridFloor(p.window.start, sizeMs)));
  const removed: RewindPlan["removed"] = parts.map((p) => ({ window: p.window, rows: p.rows! }));
  // What the export's tally added for these: each part with data, each complete grid window without data.
  let counted = parts.length;
  for (let g = gridFloor(to, sizeMs); g < stored.watermark; g += sizeMs) {
    const w = { start: Math.max(g, to), end: Math.min(g + sizeMs, stored.watermark) };
    if (withData.has(g) || !(w.end > w.start)) continue;
    removed.push({ window: w, rows: 0 });
    if (g + sizeMs <= stored.watermark) counted++; // a grid window the watermark is still inside was not counted yet
  }
  removed.sort((a, b) => a.window.start - b.window.start);
  const rows = removed.reduce((n, r) => n + r.rows, 0);
  const next: CursorState = {
    watermark: to,
    origin: stored.origin,
    rows: Math.max(0, stored.rows - rows),
    windows: Math.max(0, stored.windows - counted),
    updatedAt: new Date(now).toISOString(),
  };
  if (stored.columns !== undefined) next.columns = stored.columns;
  if (stored.split !== undefined) next.split = stored.split; // about the data's density, not the position
  return { query, from: stored.watermark, to, removed, rows, rowsBefore: stored.rows, next };
}
