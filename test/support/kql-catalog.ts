/**
 * Test-only in-memory Catalog for the evaluator's tests: tables over plain arrays.
 * Each scan records the bounds it received, and can ignore the ingestion hints
 * (returning a superset, as the contract allows) to check the evaluator filters exactly.
 */
import type { Column } from "../../src/table.ts";
import type { Catalog, ScanBounds, SimRow, SimTable, SimValue } from "../../src/simulator/catalog.ts";

export class ArrayTable implements SimTable {
  readonly name: string;
  readonly columns: readonly Column[];
  readonly rows: SimRow[];
  /** Bounds of every scan, in order. */
  readonly scans: ScanBounds[] = [];
  /** When true, ingestionFrom/ingestionTo hints are ignored (a superset is returned). */
  ignoreHints = false;

  constructor(name: string, columns: readonly Column[], rows: readonly (readonly [readonly SimValue[], bigint])[]) {
    this.name = name;
    this.columns = columns;
    this.rows = rows.map(([values, ingestion]) => ({ values, ingestion }));
  }

  *scan(bounds: ScanBounds): Iterable<SimRow> {
    this.scans.push(bounds);
    for (const row of this.rows) {
      if (row.ingestion > bounds.now) continue;
      if (!this.ignoreHints) {
        if (bounds.ingestionFrom !== undefined && row.ingestion < bounds.ingestionFrom) continue;
        if (bounds.ingestionTo !== undefined && row.ingestion >= bounds.ingestionTo) continue;
      }
      yield row;
    }
  }
}

export class ArrayCatalog implements Catalog {
  private readonly tables = new Map<string, SimTable>();

  constructor(tables: readonly SimTable[]) {
    for (const t of tables) this.tables.set(t.name, t);
  }

  table(name: string): SimTable | undefined {
    return this.tables.get(name);
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }
}

// ---- the sample data used by the evaluator tests ---------------------------------------

/** Ticks of an ISO-8601 UTC instant with up to 7 fractional digits, computed independently of the evaluator. */
export function ticks(iso: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z$/.exec(iso);
  if (m === null) throw new Error(`bad test instant ${iso}`);
  const ms = Date.parse(`${m[1]}Z`);
  return BigInt(ms) * 10_000n + BigInt((m[2] ?? "").padEnd(7, "0"));
}

export const T0 = ticks("2026-11-22T03:00:00Z");
export const MINUTE = 600_000_000n;
/** The "now" of the sample catalog: r6 and t3 are ingested after it and so invisible. */
export const NOW = T0 + 10n * MINUTE;

export const GUID2 = "0f8fad5b-d9cb-469f-a165-70867728950e";
export const GUID4 = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

export function sampleCatalog(): {
  catalog: ArrayCatalog;
  requests: ArrayTable;
  traces: ArrayTable;
  heartbeat: ArrayTable;
} {
  const requests = new ArrayTable(
    "AppRequests",
    [
      { name: "TimeGenerated", type: "datetime" },
      { name: "_ItemId", type: "string" },
      { name: "Name", type: "string" },
      { name: "Success", type: "bool" },
      { name: "DurationMs", type: "real" },
      { name: "ItemCount", type: "int" },
      { name: "ResultCode", type: "string" },
      { name: "Properties", type: "dynamic" },
      { name: "OperationId", type: "guid" },
      { name: "Size", type: "long" },
    ],
    [
      [[ticks("2026-11-22T02:59:59.9999999Z"), "r1", "GET /Home/Index", true, 12.5, 1, "200", { user: "alice", n: 5, tags: ["a", "b"] }, null, 100n], T0 + 1n * MINUTE],
      [[T0, "r2", "POST /api/orders", false, 250, 2, "500", { user: "bob", n: 7 }, GUID2, 2048n], T0 + 2n * MINUTE],
      [[T0 + 1n, "r3", "GET /api/orders/42", true, null, null, null, null, null, null], T0 + 3n * MINUTE],
      [[ticks("2026-11-22T03:04:59.9999999Z"), "r4", "get /HOME", false, 0.5, 3, "", { user: "Carol" }, GUID4, -5n], T0 + 5n * MINUTE],
      [[null, "r5", "Health-Check_probe", true, 1000, 1, "200", { n: "x" }, null, 9007199254740993n], T0 + 6n * MINUTE],
      [[T0, "r6", "GET /late", true, 1, 1, "200", null, null, 1n], T0 + 20n * MINUTE],
    ],
  );
  const traces = new ArrayTable(
    "AppTraces",
    [
      { name: "TimeGenerated", type: "datetime" },
      { name: "_ItemId", type: "string" },
      { name: "Message", type: "string" },
      { name: "SeverityLevel", type: "int" },
      { name: "Size", type: "string" },
    ],
    [
      [[T0 + 300_000_000n, "t1", "Started host", 1, "big"], T0 + 1n * MINUTE],
      [[T0 + 900_000_000n, "t2", "Stopped host", 3, "small"], T0 + 4n * MINUTE],
      [[T0, "t3", "Late", 0, "x"], T0 + 30n * MINUTE],
    ],
  );
  const heartbeat = new ArrayTable(
    "Heartbeat",
    [
      { name: "Computer", type: "string" },
      { name: "Seen", type: "datetime" },
    ],
    [
      [["vm1", T0], T0],
      [["vm2", null], T0],
    ],
  );
  return { catalog: new ArrayCatalog([requests, traces, heartbeat]), requests, traces, heartbeat };
}
