/**
 * Executable plans: push-based row pipelines. `run(push)` feeds rows to `push`
 * until the input ends or `push` returns false (so take/limit stop scanning early).
 * Row-preserving plans (scan, filter, take, sort, identity union) forward the very
 * row objects they receive, so a table's `values` arrays reach the result unchanged.
 *
 * Hidden columns (SimTable.hidden) stay in `columns`, so later operators can refer to them;
 * `hidden` names those not shown in a result. Row-preserving plans keep their input's;
 * project and summarize produce none (a named hidden column becomes visible); extend makes
 * visible the names it assigns; the final result leaves out whatever is still hidden.
 */
import type { Column } from "../../table.ts";
import type { SimTable, SimValue } from "../catalog.ts";
import type { RowFn } from "./compiled.ts";
import type { EvalRow } from "./values.ts";

export type Push = (row: EvalRow) => boolean;

export interface IngestionBounds {
  /** Rows with ingestion time >= from. */
  readonly from?: bigint;
  /** Rows with ingestion time < to. */
  readonly to?: bigint;
}

export const NO_HIDDEN: ReadonlySet<string> = new Set();

export interface Plan {
  /** Every column a later operator can refer to, hidden ones included. */
  readonly columns: readonly Column[];
  /** Names of `columns` a result leaves out unless an operator makes them visible. */
  readonly hidden: ReadonlySet<string>;
  run(push: Push): void;
  /**
   * The same plan with its table scans narrowed to these ingestion-time bounds.
   * Only offered where a filter on ingestion_time() commutes with this plan; the
   * exact filter is always kept above, so this only saves work.
   */
  withIngestionBounds?(bounds: IngestionBounds): Plan;
}

function maxBig(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function minBig(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** A table reference: the visible rows at `now`, within the request timespan on TimeGenerated. */
export class ScanPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly table: SimTable;
  private readonly now: bigint;
  private readonly timespan: { start: bigint; end: bigint } | undefined;
  private readonly bounds: IngestionBounds;
  private readonly timeGeneratedIndex: number;

  constructor(table: SimTable, now: bigint, timespan: { start: bigint; end: bigint } | undefined, bounds: IngestionBounds = {}) {
    this.table = table;
    this.columns = table.columns;
    this.hidden = table.hidden ?? NO_HIDDEN;
    this.now = now;
    this.timespan = timespan;
    this.bounds = bounds;
    this.timeGeneratedIndex = table.columns.findIndex((c) => c.name === "TimeGenerated" && c.type === "datetime");
  }

  /** The ScanBounds passed to the table (for tests and diagnostics). */
  scanBounds(): { now: bigint; ingestionFrom?: bigint; ingestionTo?: bigint } {
    const b: { now: bigint; ingestionFrom?: bigint; ingestionTo?: bigint } = { now: this.now };
    if (this.bounds.from !== undefined) b.ingestionFrom = this.bounds.from;
    if (this.bounds.to !== undefined) b.ingestionTo = this.bounds.to;
    return b;
  }

  run(push: Push): void {
    const rows = this.table.scan(this.scanBounds());
    const ts = this.timespan;
    const tg = this.timeGeneratedIndex;
    if (ts !== undefined && tg >= 0) {
      const start = ts.start;
      const end = ts.end;
      for (const row of rows) {
        const t = row.values[tg] as bigint | null | undefined;
        if (t === null || t === undefined || t < start || t >= end) continue;
        if (!push(row)) return;
      }
      return;
    }
    for (const row of rows) {
      if (!push(row)) return;
    }
  }

  withIngestionBounds(bounds: IngestionBounds): Plan {
    const from = maxBig(this.bounds.from, bounds.from);
    const to = minBig(this.bounds.to, bounds.to);
    const merged: { from?: bigint; to?: bigint } = {};
    if (from !== undefined) merged.from = from;
    if (to !== undefined) merged.to = to;
    return new ScanPlan(this.table, this.now, this.timespan, merged);
  }
}

export class FilterPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly input: Plan;
  private readonly predicate: RowFn;

  constructor(input: Plan, predicate: RowFn) {
    this.input = input;
    this.columns = input.columns;
    this.hidden = input.hidden;
    this.predicate = predicate;
  }

  run(push: Push): void {
    const p = this.predicate;
    this.input.run((row) => (p(row) === true ? push(row) : true));
  }

  withIngestionBounds(bounds: IngestionBounds): Plan {
    const inner = this.input.withIngestionBounds;
    return inner === undefined ? this : new FilterPlan(inner.call(this.input, bounds), this.predicate);
  }
}

/** project, extend and project-away: new values per row, same ingestion time. */
export class MapPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly input: Plan;
  private readonly build: (row: EvalRow) => SimValue[];

  constructor(input: Plan, columns: readonly Column[], build: (row: EvalRow) => SimValue[], hidden: ReadonlySet<string> = NO_HIDDEN) {
    this.input = input;
    this.columns = columns;
    this.build = build;
    this.hidden = hidden;
  }

  run(push: Push): void {
    const build = this.build;
    this.input.run((row) => push({ values: build(row), ingestion: row.ingestion }));
  }

  /** Like run, but hands out only the built values (no row wrapper): for the final result. */
  runValues(push: (values: readonly SimValue[]) => boolean): void {
    const build = this.build;
    this.input.run((row) => push(build(row)));
  }

  withIngestionBounds(bounds: IngestionBounds): Plan {
    const inner = this.input.withIngestionBounds;
    return inner === undefined ? this : new MapPlan(inner.call(this.input, bounds), this.columns, this.build, this.hidden);
  }
}

export class TakePlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly input: Plan;
  private readonly count: number;

  constructor(input: Plan, count: number) {
    this.input = input;
    this.columns = input.columns;
    this.hidden = input.hidden;
    this.count = count;
  }

  run(push: Push): void {
    const limit = this.count;
    if (limit <= 0) return;
    let n = 0;
    this.input.run((row) => {
      n++;
      if (!push(row)) return false;
      return n < limit;
    });
  }
  // No withIngestionBounds: filtering below a take would change which rows are taken.
}

export interface SortKeyPlan {
  readonly fn: RowFn;
  /** Ascending/descending comparison with nulls placed as requested. */
  readonly compare: (a: SimValue, b: SimValue) => number;
}

export class SortPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly input: Plan;
  private readonly keys: readonly SortKeyPlan[];

  constructor(input: Plan, keys: readonly SortKeyPlan[]) {
    this.input = input;
    this.columns = input.columns;
    this.hidden = input.hidden;
    this.keys = keys;
  }

  run(push: Push): void {
    const rows: EvalRow[] = [];
    this.input.run((row) => {
      rows.push(row);
      return true;
    });
    const keys = this.keys;
    const k = keys.length;
    const keyValues: SimValue[][] = keys.map((key) => rows.map((row) => key.fn(row)));
    const order = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) order[i] = i;
    order.sort((a, b) => {
      for (let j = 0; j < k; j++) {
        const values = keyValues[j]!;
        const c = keys[j]!.compare(values[a]!, values[b]!);
        if (c !== 0) return c;
      }
      return a - b;
    });
    for (const i of order) if (!push(rows[i]!)) return;
  }

  withIngestionBounds(bounds: IngestionBounds): Plan {
    const inner = this.input.withIngestionBounds;
    return inner === undefined ? this : new SortPlan(inner.call(this.input, bounds), this.keys);
  }
}

/** The `count` operator: one row, one long column "Count". */
export class CountPlan implements Plan {
  readonly columns: readonly Column[] = [{ name: "Count", type: "long" }];
  readonly hidden = NO_HIDDEN;
  private readonly input: Plan;

  constructor(input: Plan) {
    this.input = input;
  }

  run(push: Push): void {
    let n = 0n;
    this.input.run(() => {
      n++;
      return true;
    });
    push({ values: [n], ingestion: null });
  }
}

/** `print`: a single row of constants. */
export class PrintPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden = NO_HIDDEN;
  private readonly values: readonly SimValue[];

  constructor(columns: readonly Column[], values: readonly SimValue[]) {
    this.columns = columns;
    this.values = values;
  }

  run(push: Push): void {
    push({ values: this.values, ingestion: null });
  }
}

/**
 * `extend X = X` of hidden columns that are already the last columns, in order: the service
 * shows them from here on. Only visibility changes, so the row objects pass through unchanged
 * (the general extend would copy every row to append the same values at the same place).
 */
export class RevealPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly input: Plan;
  private readonly reveal: readonly string[];

  constructor(input: Plan, reveal: readonly string[]) {
    this.input = input;
    this.reveal = reveal;
    this.columns = input.columns;
    const hidden = new Set(input.hidden);
    for (const name of reveal) hidden.delete(name);
    this.hidden = hidden;
  }

  run(push: Push): void {
    this.input.run(push);
  }

  withIngestionBounds(bounds: IngestionBounds): Plan {
    const inner = this.input.withIngestionBounds;
    return inner === undefined ? this : new RevealPlan(inner.call(this.input, bounds), this.reveal);
  }
}
