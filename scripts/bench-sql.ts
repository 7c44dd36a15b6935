/**
 * Throughput of the SQL sink per dialect: one window of AppRequests-like rows (default 100 000),
 * written in pages of 5 000 raw rows and committed, timed from openWindow to the end of commit.
 *
 *   node scripts/bench-sql.ts [rows]
 *
 * Servers as in the SQL sink tests: MONITORLIFT_PG_URL, MONITORLIFT_MYSQL_URL (defaults: local
 * postgres/test and mysql root@127.0.0.1/test); an unreachable server is reported and skipped.
 * Tables get a unique prefix and are dropped afterwards.
 */
import type { Column, RawRow } from "../src/table.ts";
import { openHarness, type DialectName } from "../test/support/sql-test-harness.ts";
import { RowBatch } from "../src/row-batch.ts";

const ROWS = Number(process.argv[2] ?? 100_000);
const PAGE = 5_000;

const COLUMNS: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "Id", type: "string" },
  { name: "Name", type: "string" },
  { name: "Url", type: "string" },
  { name: "Success", type: "bool" },
  { name: "ResultCode", type: "string" },
  { name: "DurationMs", type: "real" },
  { name: "PerformanceBucket", type: "string" },
  { name: "ItemCount", type: "int" },
  { name: "Properties", type: "dynamic" },
  { name: "OperationId", type: "string" },
  { name: "AppRoleName", type: "string" },
  { name: "ClientIP", type: "string" },
  { name: "_ItemId", type: "guid" },
];

const START = Date.UTC(2026, 10, 22, 3, 0, 0);
const HEX = "0123456789abcdef";

function hex(seed: number, length: number): string {
  let out = "";
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += HEX[(x >>> 0) & 15];
  }
  return out;
}

function row(i: number): RawRow {
  const ms = START + Math.floor((i * 3_600_000) / ROWS);
  const iso = new Date(ms).toISOString().slice(0, 23) + String(i % 10_000).padStart(4, "0") + "Z";
  const ok = i % 17 !== 0;
  const name = ["GET /api/orders", "POST /api/orders", "GET /health", "GET /api/customers/{id}"][i % 4]!;
  const guid = `${hex(i, 8)}-${hex(i + 1, 4)}-${hex(i + 2, 4)}-${hex(i + 3, 4)}-${hex(i + 4, 12)}`;
  const props = { "AspNetCoreEnvironment": "Production", "_MS.ProcessedByMetricExtractors": "(Name:'Requests', Ver:'1.1')", "attempt": i % 3 };
  return [
    JSON.stringify(iso),
    JSON.stringify(hex(i * 7, 16)),
    JSON.stringify(name),
    JSON.stringify(`https://shop.example.com${name.slice(name.indexOf(" ") + 1)}?page=${i % 50}`),
    ok ? "true" : "false",
    JSON.stringify(ok ? "200" : "500"),
    String(((i * 7919) % 100_000) / 100),
    JSON.stringify(["<250ms", "250ms-500ms", "500ms-1sec", "1sec-3sec"][i % 4]),
    "1",
    JSON.stringify(JSON.stringify(props)),
    JSON.stringify(hex(i * 13, 32)),
    JSON.stringify("shop-api"),
    JSON.stringify(`10.${i % 256}.${(i >> 8) % 256}.1`),
    JSON.stringify(guid),
  ];
}

const pages: RawRow[][] = [];
for (let i = 0; i < ROWS; i += PAGE) pages.push(Array.from({ length: Math.min(PAGE, ROWS - i) }, (_, k) => row(i + k)));

for (const dialect of ["postgres", "mysql", "sqlite"] as DialectName[]) {
  const h = await openHarness(dialect);
  if ("unavailable" in h) {
    console.log(`${dialect.padEnd(8)} skipped: ${h.unavailable}`);
    continue;
  }
  const sink = h.sink();
  try {
    await sink.sink.start();
    const key = { query: "AppRequests", scope: "live" };
    const window = { start: START, end: START + 3_600_000 };
    const began = performance.now();
    const writer = await sink.sink.openWindow({ key, window, columns: COLUMNS, signal: new AbortController().signal });
    for (const page of pages) await writer.write(RowBatch.of(page));
    const done = await writer.commit({ watermark: window.end, origin: window.start, rows: ROWS, windows: 1, updatedAt: new Date().toISOString() }, undefined);
    const seconds = (performance.now() - began) / 1000;
    const stored = await h.count("AppRequests");
    if (stored !== ROWS) throw new Error(`${dialect}: ${stored} rows stored, expected ${ROWS}`);
    console.log(
      `${dialect.padEnd(8)} ${ROWS} rows × ${COLUMNS.length} columns in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds).toLocaleString("en-US")} rows/s (${(done.bytes / 1e6 / seconds).toFixed(1)} MB/s of raw cells)`,
    );
  } finally {
    await sink.shutdown();
    await h.cleanup();
  }
}
