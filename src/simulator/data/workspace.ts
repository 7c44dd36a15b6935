/**
 * The simulated workspace's data: every table's rows, generated deterministically
 * from a seed, lazily as the clock advances, and served to the KQL evaluator
 * through the Catalog contract.
 *
 * Model: an endless stream of events at `rowsPerSecond` per table, over the
 * configured event-time intervals (the backfill range, then live from the start
 * instant on). Event time is cut into 1-second slots; slot s of table t is
 * generated from its own PRNG stream (seed, t, s), so the data is a pure
 * function of the seed, the options and how far the clock has gone. A slot is
 * generated once the clock passes its end: every delay is >= 1 s, so no row of a
 * slot can be visible earlier. Rows then wait for their ingestion time (event +
 * delay, see delays.ts) plus a settle jitter before queries see them.
 */
import type { Catalog, SimRow, SimTable, SimValue } from "../catalog.ts";
import type { Clock } from "../clock.ts";
import { setRowKey } from "../row-key.ts";
import { type AppEnv, appRowBuilder, eventRowBuilder, newRowContext, type RowContext, subscriptionOf } from "./app-rows.ts";
import { type DelayModel, sampleDelayMs, sampleSkewMs } from "./delays.ts";
import { TYPES_TABLE_ROWS, typesTableRows } from "./edge-rows.ts";
import { uniqueItemId } from "./ids.ts";
import { buildPools } from "./pools.ts";
import { Rng, hash32 } from "./prng.ts";
import { ALL_TABLES, columnsOf, EVENTS_TABLE, hiddenColumnsOf, isAppTable, KNOWN_TABLES, TYPES_TABLE } from "./schemas.ts";
import { TableStore, type TruthFilter } from "./table-store.ts";
import { maxVisibilityDelayMs, NO_VISIBILITY_TAIL, slotVisibilityDelays, type VisibilityTail } from "./visibility.ts";

export interface EventInterval {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive; Infinity for "live forever". */
  to: number;
}

export interface WorkspaceDataOptions {
  seed: number;
  workspaceId: string;
  /** `_ResourceId` written in the App tables (lower-cased like the service does). */
  resourceId: string;
  clock: Clock;
  /** Event-time intervals that produce rows (backfill, live). */
  intervals: readonly EventInterval[];
  /** Events per second per table (fractional allowed). */
  rowsPerSecond: number;
  /** Per-table override of rowsPerSecond. */
  tableRates?: Readonly<Record<string, number>>;
  /** Tables to create; default all App tables plus MonitorliftTypes. */
  tables?: readonly string[];
  delays: DelayModel;
  /** Maximum settle jitter between ingestion and visibility (ms). */
  settleJitterMs: number;
  /** Rows visible minutes after their ingestion time (visibility.ts); default none. */
  visibility?: VisibilityTail;
  /** The instant the workspace was created (epoch ms): MonitorliftTypes rows are placed before it. */
  startMs: number;
  /** Called with every batch of newly generated rows (e.g. to pre-encode them). */
  onRows?: (table: SimTable, rows: readonly SimRow[]) => void;
}

const TICKS_PER_MS_N = 10_000n;
/** Row index in a slot is encoded in 6 hex digits of _ItemId. */
const MAX_ROWS_PER_SLOT = 16 ** 6;
/** A guard against a clock jump that would need gigabytes of rows. */
const MAX_ROWS_PER_STEP = 20_000_000;

/** A table of generated event rows: an App table or MonitorliftEvents_CL. */
interface AppTableState {
  name: string;
  index: number;
  rate: number;
  store: TableStore;
  build: (c: RowContext) => SimValue[];
}

export class WorkspaceData implements Catalog {
  readonly workspaceId: string;
  private readonly opts: WorkspaceDataOptions;
  private readonly stores = new Map<string, TableStore>();
  private readonly appTables: AppTableState[] = [];
  private readonly env: AppEnv;
  /** The next event slot (epoch second) not generated yet. */
  private nextSlot: number;
  private generating = false;
  /** Next row key (row-key.ts). */
  private nextKey = 0;

  constructor(opts: WorkspaceDataOptions) {
    this.opts = opts;
    this.workspaceId = opts.workspaceId;
    const names = opts.tables ?? ALL_TABLES;
    for (const name of names) {
      if (!KNOWN_TABLES.includes(name)) {
        throw new RangeError(`unknown simulator table '${name}'; known tables: ${KNOWN_TABLES.join(", ")}`);
      }
    }
    for (const [name, rate] of Object.entries({ _default: opts.rowsPerSecond, ...opts.tableRates })) {
      if (!Number.isFinite(rate) || rate < 0 || rate > MAX_ROWS_PER_SLOT - 1) {
        throw new RangeError(`rows per second for ${name} must be in [0, ${MAX_ROWS_PER_SLOT - 1}], got ${rate}`);
      }
    }
    this.env = {
      workspaceId: opts.workspaceId,
      resourceId: opts.resourceId.toLowerCase(),
      subscriptionId: subscriptionOf(opts.resourceId),
      pools: buildPools(opts.seed),
    };
    const readHook = (nowMs: number) => this.materializeTo(nowMs);
    names.forEach((name) => {
      const store = new TableStore(name, columnsOf(name), opts.settleJitterMs, readHook, hiddenColumnsOf(name), maxVisibilityDelayMs(opts.visibility ?? NO_VISIBILITY_TAIL));
      this.stores.set(name, store);
      if (isAppTable(name) || name === EVENTS_TABLE) {
        this.appTables.push({
          name,
          index: KNOWN_TABLES.indexOf(name),
          rate: opts.tableRates?.[name] ?? opts.rowsPerSecond,
          store,
          build: isAppTable(name) ? appRowBuilder(name, this.env) : eventRowBuilder(this.env),
        });
      }
    });
    const types = this.stores.get(TYPES_TABLE);
    if (types !== undefined) this.fillTypesTable(types);
    this.nextSlot = Math.min(...opts.intervals.map((i) => Math.floor(i.from / 1000)), Number.MAX_SAFE_INTEGER);
  }

  table(name: string): SimTable | undefined {
    return this.stores.get(name);
  }

  tableNames(): string[] {
    return [...this.stores.keys()];
  }

  /** The store behind a table (without generating anything). */
  store(name: string): TableStore {
    const store = this.stores.get(name);
    if (store === undefined) throw new RangeError(`unknown simulator table '${name}'`);
    return store;
  }

  /** Generates every event second that ended at or before `nowMs`. Idempotent. */
  materializeTo(nowMs: number): void {
    const lastSlot = Math.floor(nowMs / 1000) - 1;
    if (lastSlot < this.nextSlot || this.generating) return;
    const expected = this.expectedRows(this.nextSlot, lastSlot);
    if (expected > MAX_ROWS_PER_STEP) {
      throw new RangeError(
        `moving the simulator clock to ${new Date(nowMs).toISOString()} would generate about ${Math.round(expected).toLocaleString("en")} rows at once ` +
          `(more than ${MAX_ROWS_PER_STEP.toLocaleString("en")}); advance the clock in smaller steps, lower rowsPerSecond, or start the simulator with live: false`,
      );
    }
    this.generating = true;
    try {
      for (const t of this.appTables) {
        const rows: SimRow[] = [];
        const vis: number[] = [];
        for (const interval of this.opts.intervals) {
          const first = Math.max(this.nextSlot, Math.floor(interval.from / 1000));
          const last = Math.min(lastSlot, interval.to === Infinity ? lastSlot : Math.ceil(interval.to / 1000) - 1);
          for (let s = first; s <= last; s++) this.generateSlot(t, s, interval, rows, vis);
        }
        t.store.add(rows, vis);
        if (rows.length > 0) this.opts.onRows?.(t.store, rows);
      }
      this.nextSlot = lastSlot + 1;
    } finally {
      this.generating = false;
    }
  }

  /** Every `_ItemId` of `table` generated up to the clock's now (visible or not), optionally filtered; sorted. */
  truth(table: string, filter?: TruthFilter): string[] {
    const store = this.stores.get(table);
    if (store === undefined) throw new RangeError(`unknown simulator table '${table}'`);
    this.materializeTo(this.opts.clock());
    return store.truth(filter);
  }

  /** Rows stored per table (after generating up to the clock's now). */
  rowCounts(): Record<string, number> {
    this.materializeTo(this.opts.clock());
    const out: Record<string, number> = {};
    for (const [name, store] of this.stores) out[name] = store.size;
    return out;
  }

  /** About how many rows generating slots [first, last] would add. */
  private expectedRows(first: number, last: number): number {
    let total = 0;
    for (const interval of this.opts.intervals) {
      const a = Math.max(first, Math.floor(interval.from / 1000));
      const b = Math.min(last, interval.to === Infinity ? last : Math.ceil(interval.to / 1000) - 1);
      if (b >= a) for (const t of this.appTables) total += (b - a + 1) * t.rate;
    }
    return total;
  }

  private generateSlot(t: AppTableState, s: number, interval: EventInterval, rows: SimRow[], vis: number[]): void {
    const count = Math.floor((s + 1) * t.rate) - Math.floor(s * t.rate);
    if (count <= 0) return;
    const o = this.opts;
    const rng = new Rng(hash32(o.seed, t.index, s));
    const ctx = newRowContext(rng, this.env.pools);
    const jitterMax = o.settleJitterMs;
    const lateBy = slotVisibilityDelays(o.visibility ?? NO_VISIBILITY_TAIL, o.seed, t.index, s);
    for (let k = 0; k < count; k++) {
      let eventMs = s * 1000 + rng.int(1000);
      let eventSub = rng.int(10000);
      const precision = rng.float();
      if (precision < 0.7) eventSub = 0; // millisecond precision (most SDKs)
      else if (precision >= 0.95) {
        eventMs = s * 1000; // whole second
        eventSub = 0;
      }
      const delayTicks = Math.round(sampleDelayMs(o.delays, rng) * 10000);
      const skewMs = sampleSkewMs(o.delays, rng);
      const jitter = jitterMax > 0 ? rng.int(jitterMax) : 0;
      const itemId = uniqueItemId(rng, s, t.index, k);
      const visibleLate = lateBy?.(k) ?? 0;
      if (eventMs < interval.from || eventMs >= interval.to) continue;
      const subTotal = eventSub + delayTicks;
      const ingestMs = eventMs + Math.floor(subTotal / 10000);
      const ingestSub = subTotal % 10000;
      const ingestion = BigInt(ingestMs) * TICKS_PER_MS_N + BigInt(ingestSub);
      ctx.timeGenerated =
        skewMs === 0
          ? BigInt(eventMs) * TICKS_PER_MS_N + BigInt(eventSub)
          : ingestion + BigInt(Math.round(skewMs)) * TICKS_PER_MS_N;
      ctx.itemId = itemId;
      ctx.ingestion = ingestion;
      const values = t.build(ctx);
      setRowKey(values, this.nextKey++);
      rows.push({ values, ingestion });
      vis.push(ingestMs + (ingestSub > 0 ? 1 : 0) + jitter + visibleLate);
    }
  }

  /** MonitorliftTypes: a fixed set of edge-value rows, ingested 5-15 minutes before the start instant. */
  private fillTypesTable(store: TableStore): void {
    const o = this.opts;
    const rng = new Rng(hash32(o.seed, 0xed9e));
    const index = ALL_TABLES.indexOf(TYPES_TABLE);
    const base = Math.floor((o.startMs - 15 * 60_000) / 1000) * 1000;
    const times: bigint[] = [];
    const ingestions: bigint[] = [];
    const visibility: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < TYPES_TABLE_ROWS; i++) {
      const eventMs = base + i * Math.floor(600_000 / TYPES_TABLE_ROWS) + (i % 3 === 0 ? 0 : rng.int(1000));
      const sub = i % 2 === 0 ? rng.int(10000) : 0;
      times.push(BigInt(eventMs) * TICKS_PER_MS_N + BigInt(sub));
      const delayTicks = Math.round(rng.between(1000, 5000) * 10000);
      const subTotal = sub + delayTicks;
      const ingestMs = eventMs + Math.floor(subTotal / 10000);
      const ingestSub = subTotal % 10000;
      ingestions.push(BigInt(ingestMs) * TICKS_PER_MS_N + BigInt(ingestSub));
      visibility.push(ingestMs + (ingestSub > 0 ? 1 : 0) + (o.settleJitterMs > 0 ? rng.int(o.settleJitterMs) : 0));
      ids.push(uniqueItemId(rng, Math.floor(eventMs / 1000), index, i));
    }
    const rows = typesTableRows(rng, times, ids).map((v, i) => {
      setRowKey(v, this.nextKey++);
      return { values: v, ingestion: ingestions[i] as bigint };
    });
    store.add(rows, visibility);
    o.onRows?.(store, rows);
  }
}
