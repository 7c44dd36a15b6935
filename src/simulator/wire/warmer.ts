/**
 * Pre-encodes stored rows in the background (idle slices between requests), so
 * a query's first read of them copies remembered bytes instead of encoding.
 * The bytes live in the row JSON cache, outside the JS heap.
 */
import type { Column } from "../../table.ts";
import type { SimRow } from "../catalog.ts";
import { rowKeyOf } from "../row-key.ts";
import type { RowJsonCache } from "./row-cache.ts";
import { rowEncoder } from "./row-encoder.ts";

const SLICE_MS = 8;

interface Job {
  rows: readonly SimRow[];
  columns: readonly Column[];
  select: readonly number[] | undefined;
  next: number;
}

export class JsonWarmer {
  private readonly jobs: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private waiters: (() => void)[] = [];
  private stopped = false;
  private encoded = 0;
  private readonly cache: RowJsonCache;

  constructor(cache: RowJsonCache) {
    this.cache = cache;
  }

  /** Rows pre-encoded so far. */
  get count(): number {
    return this.encoded;
  }

  /** Queues rows to encode as `columns`, taking column i's value from `values[select[i]]` when given (rowEncoder). */
  add(rows: readonly SimRow[], columns: readonly Column[], select?: readonly number[]): void {
    if (this.stopped || rows.length === 0) return;
    this.jobs.push({ rows, columns, select, next: 0 });
    this.schedule();
  }

  /** Resolves when every queued row has been encoded (or the warmer stopped). */
  idle(): Promise<void> {
    if (this.jobs.length === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.jobs.length = 0;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.release();
  }

  private schedule(): void {
    if (this.scheduled === undefined && !this.stopped) this.scheduled = setImmediate(() => this.step());
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private step(): void {
    this.scheduled = undefined;
    const deadline = performance.now() + SLICE_MS;
    while (this.jobs.length > 0) {
      const job = this.jobs[0] as Job;
      const enc = rowEncoder(job.columns, job.select);
      const end = Math.min(job.rows.length, job.next + 256);
      for (let i = job.next; i < end; i++) {
        const values = (job.rows[i] as SimRow).values;
        const key = rowKeyOf(values);
        if (key === undefined || this.cache.has(key)) continue;
        this.cache.store(key, enc.sig, enc.text(values));
        this.encoded++;
      }
      job.next = end;
      if (job.next >= job.rows.length) this.jobs.shift();
      if (performance.now() >= deadline) break;
    }
    if (this.jobs.length > 0) this.schedule();
    else this.release();
  }
}
