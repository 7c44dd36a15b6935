/**
 * Live window planning: pure functions of the watermark and a clock reading passed in (no I/O, no
 * Date.now()). Windows are half-open [start, end) in epoch ms, aligned to the UTC grid of `size`
 * (multiples of size since 1970-01-01T00:00Z, so PT5M windows start at :00, :05, …; UTC has no DST).
 * The plan is a function of the watermark alone (and now): a killed run re-plans the same windows.
 */
import type { TimeWindow } from "./window.ts";

export interface PlanInput {
  /** Every record before this instant has been exported (epoch ms). */
  watermark: number;
  /** The current time (epoch ms). */
  now: number;
  /** Window length (ms, ≥ 1). */
  size: number;
  /** Only windows ending at or before now - lag are planned (ms, ≥ 0). */
  lag: number;
  /** At most this many windows (≥ 0). */
  maxWindows: number;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
}

/** The first grid line strictly after `t`. */
export function nextGridLine(t: number, size: number): number {
  return Math.floor(t / size) * size + size;
}

/** The grid line at or before `t`. */
export function gridFloor(t: number, size: number): number {
  return Math.floor(t / size) * size;
}

/**
 * Complete windows from the watermark up to now - lag, oldest first. From an unaligned watermark
 * the first window ends at the next grid line (and is shorter than `size`); all others are full.
 */
export function planWindows(input: PlanInput): TimeWindow[] {
  const { watermark, now, size, lag, maxWindows } = input;
  requireInteger("watermark", watermark, Number.MIN_SAFE_INTEGER);
  requireInteger("now", now, Number.MIN_SAFE_INTEGER);
  requireInteger("size", size, 1);
  requireInteger("lag", lag, 0);
  requireInteger("maxWindows", maxWindows, 0);
  const cutoff = now - lag;
  const out: TimeWindow[] = [];
  let start = watermark;
  let end = nextGridLine(watermark, size);
  while (end <= cutoff && out.length < maxWindows) {
    out.push({ start, end });
    start = end;
    end += size;
  }
  return out;
}

/**
 * How many complete windows from `watermark` up to now − lag are still to export (what planWindows
 * would plan without maxWindows): the grid lines in (watermark, now − lag]. Arithmetic, never a list.
 */
export function windowsBehind(watermark: number, now: number, size: number, lag: number): number {
  return Math.max(0, Math.floor((now - lag) / size) - Math.floor(watermark / size));
}

/** Where a cursor without state starts: the configured instant, or `ago` before now. */
export function initialWatermark(start: { at: number } | { ago: number }, now: number): number {
  const t = "at" in start ? start.at : now - start.ago;
  requireInteger("initial watermark", t, Number.MIN_SAFE_INTEGER);
  return t;
}

/**
 * Halve a window at its midpoint (integer ms; an odd length gives the first half the smaller part).
 * Undefined when a half would be shorter than minSize or than 1 ms.
 */
export function splitWindow(w: TimeWindow, minSize: number): [TimeWindow, TimeWindow] | undefined {
  const length = w.end - w.start;
  const mid = w.start + Math.floor(length / 2);
  const smaller = Math.min(mid - w.start, w.end - mid);
  if (smaller < 1 || smaller < minSize) return undefined;
  return [
    { start: w.start, end: mid },
    { start: mid, end: w.end },
  ];
}
