/**
 * The rows of one simulated table, kept in runs sorted by visibility time so a
 * scan binary-searches what is visible (and, with ingestion-time hints, only
 * the slice that can match). New rows arrive in batches; each batch becomes a
 * sorted run and runs are merged log-structured-style (at most ~log2(n) runs).
 *
 * Visibility (integer epoch ms) = ceil(ingestion ms) + settle jitter, with the
 * jitter in [0, maxJitterMs), so ingestion ∈ (visibility - maxJitterMs - 1 ms, visibility].
 * Rows visible later than that (the visibility tail, visibility.ts) are kept in a second store
 * whose bound is maxJitterMs + lateMaxMs, so ordinary scans stay as narrow as before.
 */
import type { Column } from "../../table.ts";
import { type ScanBounds, type SimRow, type SimTable, TICKS_PER_MS } from "../catalog.ts";

interface Run {
  rows: SimRow[];
  vis: Float64Array;
}

export interface TruthFilter {
  /** Only rows ingested before this instant (epoch ms, exclusive). */
  ingestedBefore?: number;
  /** Only rows ingested at or after this instant (epoch ms). */
  ingestedFrom?: number;
  /** Only rows a query at this instant (epoch ms) can see (visibility.ts: some rows appear minutes after their ingestion time). */
  visibleAt?: number;
}

export class TableStore implements SimTable {
  readonly name: string;
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string> | undefined;
  private readonly runs: Run[] = [];
  private readonly maxJitterMs: number;
  private readonly itemIdColumn: number;
  private readonly beforeRead: (nowMs: number) => void;
  private total = 0;
  /** Rows visible more than maxJitterMs after their ingestion (at most lateMaxMs more). */
  private readonly late: TableStore | undefined;

  constructor(name: string, columns: readonly Column[], maxJitterMs: number, beforeRead: (nowMs: number) => void, hidden?: ReadonlySet<string>, lateMaxMs = 0) {
    this.name = name;
    this.columns = columns;
    this.hidden = hidden;
    this.maxJitterMs = maxJitterMs;
    this.itemIdColumn = columns.findIndex((c) => c.name === "_ItemId");
    this.beforeRead = beforeRead;
    this.late = lateMaxMs > 0 ? new TableStore(name, columns, maxJitterMs + lateMaxMs, () => {}, hidden) : undefined;
  }

  /** Rows stored so far (visible or not). */
  get size(): number {
    return this.total;
  }

  /** Adds a batch of rows with their visibility times (integer epoch ms), in any order. */
  add(rows: SimRow[], vis: ArrayLike<number>): void {
    if (rows.length === 0) return;
    if (this.late !== undefined) {
      const keep: SimRow[] = [];
      const keepVis: number[] = [];
      const late: SimRow[] = [];
      const lateVis: number[] = [];
      rows.forEach((row, i) => {
        const v = vis[i] as number;
        const onTime = v - ceilMs(row.ingestion) <= this.maxJitterMs;
        (onTime ? keep : late).push(row);
        (onTime ? keepVis : lateVis).push(v);
      });
      if (late.length > 0) {
        this.late.add(late, lateVis);
        this.total += late.length;
        if (keep.length === 0) return;
        rows = keep;
        vis = keepVis;
      }
    }
    const order = sortOrder(vis, rows.length);
    const run: Run = { rows: new Array(rows.length), vis: new Float64Array(rows.length) };
    for (let i = 0; i < order.length; i++) {
      const j = order[i] as number;
      run.rows[i] = rows[j] as SimRow;
      run.vis[i] = vis[j] as number;
    }
    this.runs.push(run);
    this.total += rows.length;
    while (this.runs.length >= 2) {
      const last = this.runs[this.runs.length - 1] as Run;
      const prev = this.runs[this.runs.length - 2] as Run;
      if (prev.rows.length > 2 * last.rows.length) break;
      this.runs.splice(this.runs.length - 2, 2, mergeRuns(prev, last));
    }
  }

  scan(bounds: ScanBounds): Iterable<SimRow> {
    const nowMs = floorMs(bounds.now);
    this.beforeRead(nowMs);
    let lowVis = -Infinity;
    let highVis = nowMs;
    if (bounds.ingestionFrom !== undefined) lowVis = floorMs(bounds.ingestionFrom);
    if (bounds.ingestionTo !== undefined) highVis = Math.min(highVis, ceilMs(bounds.ingestionTo) + this.maxJitterMs);
    const slices: { rows: SimRow[]; lo: number; hi: number }[] = [];
    if (highVis >= lowVis) {
      for (const run of this.runs) {
        const lo = lowVis === -Infinity ? 0 : lowerBound(run.vis, lowVis);
        const hi = upperBound(run.vis, highVis);
        if (hi > lo) slices.push({ rows: run.rows, lo, hi });
      }
    }
    const late = this.late;
    if (late === undefined || late.size === 0) return iterateSlices(slices);
    return concat(iterateSlices(slices), late.scan(bounds));
  }

  /** Up to `limit` stored rows (visible or not), spread over the table; does not generate anything. */
  sample(limit: number): SimRow[] {
    const out: SimRow[] = [];
    if (this.total === 0 || limit <= 0) return out;
    const step = Math.max(1, Math.floor(this.total / limit));
    let i = 0;
    for (const run of this.runs) {
      for (let j = (step - (i % step)) % step; j < run.rows.length && out.length < limit; j += step) out.push(run.rows[j] as SimRow);
      i += run.rows.length;
    }
    return out;
  }

  /** `_ItemId` of every stored row (visible or not), optionally filtered by ingestion time; sorted. */
  truth(filter: TruthFilter = {}): string[] {
    const before = filter.ingestedBefore === undefined ? undefined : BigInt(Math.trunc(filter.ingestedBefore)) * TICKS_PER_MS;
    const from = filter.ingestedFrom === undefined ? undefined : BigInt(Math.trunc(filter.ingestedFrom)) * TICKS_PER_MS;
    const ids: string[] = [];
    const visibleAt = filter.visibleAt;
    for (const run of this.runs) {
      for (const [i, row] of run.rows.entries()) {
        if (visibleAt !== undefined && (run.vis[i] as number) > visibleAt) continue;
        if (before !== undefined && row.ingestion >= before) continue;
        if (from !== undefined && row.ingestion < from) continue;
        ids.push(String(row.values[this.itemIdColumn]));
      }
    }
    if (this.late !== undefined) ids.push(...this.late.truth(filter));
    return ids.sort();
  }
}

function* concat(a: Iterable<SimRow>, b: Iterable<SimRow>): Generator<SimRow> {
  yield* a;
  yield* b;
}

function* iterateSlices(slices: readonly { rows: SimRow[]; lo: number; hi: number }[]): Generator<SimRow> {
  for (const s of slices) {
    const rows = s.rows;
    for (let i = s.lo; i < s.hi; i++) yield rows[i] as SimRow;
  }
}

function floorMs(ticks: bigint): number {
  let q = ticks / TICKS_PER_MS;
  if (ticks % TICKS_PER_MS < 0n) q -= 1n;
  return Number(q);
}

function ceilMs(ticks: bigint): number {
  let q = ticks / TICKS_PER_MS;
  if (ticks % TICKS_PER_MS > 0n) q += 1n;
  return Number(q);
}

/** First index with vis >= x. */
function lowerBound(vis: Float64Array, x: number): number {
  let lo = 0;
  let hi = vis.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((vis[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with vis > x. */
function upperBound(vis: Float64Array, x: number): number {
  let lo = 0;
  let hi = vis.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((vis[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeRuns(a: Run, b: Run): Run {
  const n = a.rows.length + b.rows.length;
  const out: Run = { rows: new Array(n), vis: new Float64Array(n) };
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.rows.length && j < b.rows.length) {
    if ((a.vis[i] as number) <= (b.vis[j] as number)) {
      out.vis[k] = a.vis[i] as number;
      out.rows[k++] = a.rows[i++] as SimRow;
    } else {
      out.vis[k] = b.vis[j] as number;
      out.rows[k++] = b.rows[j++] as SimRow;
    }
  }
  while (i < a.rows.length) {
    out.vis[k] = a.vis[i] as number;
    out.rows[k++] = a.rows[i++] as SimRow;
  }
  while (j < b.rows.length) {
    out.vis[k] = b.vis[j] as number;
    out.rows[k++] = b.rows[j++] as SimRow;
  }
  return out;
}

/**
 * Indexes of `vis` in ascending order (stable). Packs (vis - min, index) into one
 * float64 and uses the native numeric sort when it fits in 53 bits, which is
 * much faster than a comparator sort for large batches.
 */
function sortOrder(vis: ArrayLike<number>, n: number): Uint32Array {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = vis[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const order = new Uint32Array(n);
  const indexBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const scale = 2 ** indexBits;
  if ((max - min + 1) * scale < 2 ** 53) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = ((vis[i] as number) - min) * scale + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = (keys[i] as number) % scale;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => (vis[x] as number) - (vis[y] as number) || x - y);
  return order;
}
