/**
 * Split memory: what one query learnt about how large a window part the service returns whole, so
 * the next windows of that query are fetched in parts of that size at once instead of each being
 * streamed whole, then in halves, then in quarters (~2.3 rows streamed per row kept on over-limit
 * data). Pure: no I/O, no clock; the runner calls it in the order things happen.
 *
 * Rules:
 *   - `partMs` is the longest part known to fit (undefined: whole windows are tried). `halve()` halves
 *     a part longer than that (the same midpoints as splitWindow, so parts land where a truncation split
 *     puts them), repeatedly, until every part is at most `partMs` long or cannot be halved above `minSize`.
 *   - A truncated part of length L lowers `partMs` to ⌈L/2⌉ (both its halves fit the new size); the next
 *     parts planned, in this window and the next ones, use it. Only a truncation at the service's limit
 *     teaches: one that carried at least as many rows, or as many bytes, as the largest result that came
 *     back whole (a result cut at the limit carries the limit; one cut short by a fault or an engine hiccup
 *     carries less, and learning from those would shrink the parts at every fault, down to `minSize`).
 *   - Relaxing back (the data may thin out): after `relaxAfter` consecutive windows delivered with no
 *     truncation, `partMs` doubles (one level coarser). If that probe truncates, it costs one streamed
 *     result (at most the service's limit) and the wait before the next probe doubles, up to
 *     `maxRelaxAfter`; a probe that holds resets the wait to `relaxAfter`. Once `partMs` reaches the
 *     longest window seen, whole windows are tried again (`partMs` undefined).
 * Over k over-limit windows the waste is the first descent (≤ depth × limit rows) plus one limit's worth
 * of rows per failed probe, which the doubling wait makes rare: rows streamed per row kept tends to 1.
 *
 * What it knows (`state`) is stored with each committed window's cursor and given back to the next run
 * (`new SplitMemory(options, stored)`), so a run started by cron or after a restart does not stream its
 * first over-limit window whole again to learn what the last run knew.
 */
import type { TimeWindow } from "./window.ts";
import { splitWindow } from "./plan.ts";

export interface SplitMemoryOptions {
  /** Clean windows (no truncation) before trying one level coarser (≥ 1). Default 8. */
  relaxAfter?: number;
  /** The longest wait between probes, after failed ones (≥ relaxAfter). Default 128. */
  maxRelaxAfter?: number;
}

/** What a SplitMemory knows: stored in the cursor (src/state/cursor.ts), given back to the next run. */
export interface SplitMemoryState {
  /** The longest part known to fit (ms); absent: whole windows are tried. */
  partMs?: number;
  /** Clean windows since the last truncation or probe. */
  clean: number;
  /** Clean windows needed before the next probe. */
  wait: number;
  /** The last coarsening is being tried. */
  probing: boolean;
  /** The longest window seen (ms). */
  longest: number;
  /** The most rows, and bytes, of a result that came back whole. */
  wholeRows: number;
  wholeBytes: number;
}

export const DEFAULT_RELAX_AFTER = 8;
export const DEFAULT_MAX_RELAX_AFTER = 128;

export class SplitMemory {
  private part: number | undefined;
  private clean = 0;
  private wait: number;
  private probing = false;
  private longest = 0;
  private wholeRows = 0;
  private wholeBytes = 0;
  private readonly base: number;
  private readonly maxWait: number;

  /** `from`: what an earlier run knew (its waits are kept within this memory's relaxAfter..maxRelaxAfter). */
  constructor(options: SplitMemoryOptions = {}, from?: SplitMemoryState) {
    this.base = options.relaxAfter ?? DEFAULT_RELAX_AFTER;
    this.maxWait = options.maxRelaxAfter ?? DEFAULT_MAX_RELAX_AFTER;
    if (!Number.isSafeInteger(this.base) || this.base < 1) throw new RangeError(`relaxAfter must be an integer ≥ 1, got ${this.base}`);
    if (!Number.isSafeInteger(this.maxWait) || this.maxWait < this.base) throw new RangeError(`maxRelaxAfter must be an integer ≥ relaxAfter, got ${this.maxWait}`);
    this.wait = this.base;
    if (from) {
      this.part = from.partMs;
      this.wait = Math.min(this.maxWait, Math.max(this.base, from.wait));
      this.clean = Math.min(this.wait, Math.max(0, from.clean));
      this.probing = from.probing;
      this.longest = from.longest;
      this.wholeRows = from.wholeRows;
      this.wholeBytes = from.wholeBytes;
    }
  }

  /** What this memory knows, for the next run. */
  get state(): SplitMemoryState {
    const state: SplitMemoryState = { clean: this.clean, wait: this.wait, probing: this.probing, longest: this.longest, wholeRows: this.wholeRows, wholeBytes: this.wholeBytes };
    if (this.part !== undefined) state.partMs = this.part;
    return state;
  }

  /** The longest part known to fit (ms), or undefined when whole windows are tried. */
  get partMs(): number | undefined {
    return this.part;
  }

  /** The halves of `w` when it is longer than partMs and can be halved above `minSize`; undefined: fetch it whole. */
  halve(w: TimeWindow, minSize: number): [TimeWindow, TimeWindow] | undefined {
    if (this.part === undefined || w.end - w.start <= this.part) return undefined;
    return splitWindow(w, minSize);
  }

  /** A fetch came back whole with `rows` rows in a `bytes`-byte body. */
  fitted(rows: number, bytes: number): void {
    this.wholeRows = Math.max(this.wholeRows, rows);
    this.wholeBytes = Math.max(this.wholeBytes, bytes);
  }

  /**
   * A fetch of `w` was truncated after `rows` rows in a `bytes`-byte body. At the limit (see the rules),
   * parts of half its length are planned from now on and true is returned; a shorter cut teaches nothing.
   */
  truncated(w: TimeWindow, rows: number, bytes: number): boolean {
    if (rows < this.wholeRows && bytes < this.wholeBytes) return false;
    const half = Math.ceil((w.end - w.start) / 2);
    this.part = this.part === undefined ? half : Math.min(this.part, half);
    return true;
  }

  /** A whole window (all of its parts) was delivered; `truncations` of its fetches were truncations that taught (truncated() returned true). */
  windowDelivered(w: TimeWindow, truncations: number): void {
    this.longest = Math.max(this.longest, w.end - w.start);
    if (truncations > 0) {
      this.clean = 0;
      if (this.probing) this.wait = Math.min(this.wait * 2, this.maxWait);
      this.probing = false;
      return;
    }
    if (this.probing) {
      this.probing = false;
      this.wait = this.base;
    }
    if (this.part === undefined) return;
    if (++this.clean < this.wait) return;
    this.clean = 0;
    this.probing = true;
    const coarser = this.part * 2;
    this.part = coarser >= this.longest ? undefined : coarser;
  }
}
