import assert from "node:assert/strict";
import { it } from "node:test";
import type { Catalog, ScanBounds, SimRow, SimTable } from "../catalog.ts";
import { executeKql } from "./index.ts";
import { ticks } from "../../../test/support/kql-catalog.ts";

// One million in-memory rows, one per second from BASE; each ingested 5 s after its TimeGenerated.
const N = 1_000_000;
const BASE = ticks("2026-11-22T00:00:00Z");
const SECOND = 10_000_000n;
const NAMES = ["GET /a", "POST /b", "GET /c"];

function millionRowCatalog(): { catalog: Catalog; scans: ScanBounds[] } {
  const rows: SimRow[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const t = BASE + BigInt(i) * SECOND;
    rows[i] = { values: [t, `id${i}`, NAMES[i % 3]!, i % 4 !== 0], ingestion: t + 5n * SECOND };
  }
  const scans: ScanBounds[] = [];
  const table: SimTable = {
    name: "AppRequests",
    columns: [
      { name: "TimeGenerated", type: "datetime" },
      { name: "_ItemId", type: "string" },
      { name: "Name", type: "string" },
      { name: "Success", type: "bool" },
    ],
    // Ignores the ingestion hints on purpose: the evaluator must still filter every row exactly.
    scan: (bounds) => {
      scans.push(bounds);
      return rows;
    },
  };
  return { catalog: { table: (name) => (name === "AppRequests" ? table : undefined), tableNames: () => ["AppRequests"] }, scans };
}

it("filters 1,000,000 rows on ingestion_time() and TimeGenerated windows", () => {
  const { catalog, scans } = millionRowCatalog();
  const now = BASE + BigInt(N + 100) * SECOND;
  // Ingestion window [BASE+100000 s, BASE+700000 s) holds rows i = 99995 .. 699994;
  // the TimeGenerated window [BASE+200000 s, BASE+900000 s) keeps i = 200000 .. 699994.
  const query = `AppRequests
| where ingestion_time() >= datetime(2026-11-23T03:46:40.0000000Z) and ingestion_time() < datetime(2026-11-30T02:26:40.0000000Z)
| where TimeGenerated >= datetime(2026-11-24T07:33:20.0000000Z) and TimeGenerated < datetime(2026-12-02T10:00:00.0000000Z)`;
  const started = performance.now();
  const result = executeKql(query, { catalog, now });
  const elapsed = performance.now() - started;
  console.log(`KQL filter over ${N} rows: ${result.rows.length} rows in ${elapsed.toFixed(1)} ms`);
  assert.equal(result.rows.length, 699994 - 200000 + 1);
  assert.equal(result.rows[0]![1], "id200000");
  assert.equal(result.rows.at(-1)![1], "id699994");
  assert.deepEqual(scans, [{ now, ingestionFrom: BASE + 100000n * SECOND, ingestionTo: BASE + 700000n * SECOND }]);

  const projected = `${query}\n| where Success == false | project TimeGenerated, _ItemId, Name`;
  const started2 = performance.now();
  const result2 = executeKql(projected, { catalog, now });
  const elapsed2 = performance.now() - started2;
  console.log(`KQL filter + project over ${N} rows: ${result2.rows.length} rows in ${elapsed2.toFixed(1)} ms`);
  // i % 4 === 0 fails; 200000 .. 699994 holds 124999 multiples of 4.
  assert.equal(result2.rows.length, 124999);
  assert.deepEqual(result2.rows[0], [BASE + 200000n * SECOND, "id200000", NAMES[200000 % 3]]);
});
