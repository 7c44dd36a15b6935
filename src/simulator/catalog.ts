/**
 * The contract between the simulator's data store (src/simulator/data/) and its
 * KQL evaluator (src/simulator/kql/).
 *
 * Value representation, by column type (the evaluator and the wire encoder rely on it):
 *   bool → boolean; int, real → number; long → bigint;
 *   datetime → bigint ticks of 100 ns since 1970-01-01T00:00:00Z;
 *   timespan → bigint ticks of 100 ns; string, guid → string;
 *   decimal → string (decimal text); dynamic → a parsed JSON value (object, array, string, number, boolean, null);
 *   any type → null when empty.
 */
import type { Column } from "../table.ts";

export type SimValue = null | boolean | number | bigint | string | object;

export interface SimRow {
  /** Values in the table's column order. The same array object is returned on every scan. */
  readonly values: readonly SimValue[];
  /** The ingestion time that only ingestion_time() sees, in ticks. */
  readonly ingestion: bigint;
}

export interface ScanBounds {
  /** Only rows visible at this instant (ticks): ingested and settled. */
  readonly now: bigint;
  /** Optional hint: rows whose ingestion time is >= this (ticks). A superset may be returned. */
  readonly ingestionFrom?: bigint;
  /** Optional hint: rows whose ingestion time is < this (ticks). A superset may be returned. */
  readonly ingestionTo?: bigint;
}

export interface SimTable {
  readonly name: string;
  readonly columns: readonly Column[];
  /**
   * Hidden columns (the service's `_ItemId`, `_BilledSize`, `_IsBillable`, `_SubscriptionId`): a query
   * can filter on and project them, but a result shows them only when the query names them in
   * project/summarize or assigns them in extend. Absent = none.
   */
  readonly hidden?: ReadonlySet<string>;
  /** Visible rows, possibly restricted by the ingestion-time hints (a superset is fine; the evaluator filters exactly). */
  scan(bounds: ScanBounds): Iterable<SimRow>;
}

export interface Catalog {
  /** Case-sensitive, like Log Analytics. */
  table(name: string): SimTable | undefined;
  tableNames(): string[];
}

export const TICKS_PER_MS = 10_000n;

export function msToTicks(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * TICKS_PER_MS;
}
