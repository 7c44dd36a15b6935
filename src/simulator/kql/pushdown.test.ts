import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanBounds } from "../catalog.ts";
import { executeKql } from "./index.ts";
import type { KqlResult } from "./index.ts";
import { MINUTE, NOW, sampleCatalog, T0 } from "../../../test/support/kql-catalog.ts";

const EXPORTER_QUERY = `AppRequests
| where ingestion_time() >= datetime(2026-11-22T03:00:00.0000000Z) and ingestion_time() < datetime(2026-11-22T03:05:00.0000000Z)
| where TimeGenerated >= datetime(2026-11-20T03:00:00.0000000Z) and TimeGenerated < datetime(2026-11-23T03:05:00.0000000Z)
| where Success == false | project TimeGenerated, _ItemId, Name`;

/** Runs a query and returns its result and the bounds of the AppRequests scans. */
function scanOf(query: string, ignoreHints = false): { result: KqlResult; scans: ScanBounds[] } {
  const { catalog, requests } = sampleCatalog();
  requests.ignoreHints = ignoreHints;
  const result = executeKql(query, { catalog, now: NOW });
  return { result, scans: requests.scans };
}

describe("ingestion_time() pushdown", () => {
  it("passes the exporter's window to the scan and filters exactly", () => {
    const { result, scans } = scanOf(EXPORTER_QUERY);
    assert.deepEqual(scans, [{ now: NOW, ingestionFrom: T0, ingestionTo: T0 + 5n * MINUTE }]);
    assert.deepEqual(result.columns.map((c) => c.name), ["TimeGenerated", "_ItemId", "Name"]);
    assert.deepEqual(result.rows, [[T0, "r2", "POST /api/orders"]]);
  });

  it("gives the same result when the table ignores the hints or the bounds are not pushable", () => {
    const pushed = scanOf(EXPORTER_QUERY).result;
    const superset = scanOf(EXPORTER_QUERY, true).result;
    const unpushable = scanOf(EXPORTER_QUERY.replaceAll("ingestion_time()", "iff(true, ingestion_time(), ingestion_time())"));
    assert.deepEqual(unpushable.scans, [{ now: NOW }]);
    assert.deepEqual(superset, pushed);
    assert.deepEqual(unpushable.result, pushed);
  });

  it("derives bounds from >, <=, ==, reversed operands and between", () => {
    const X = "datetime(2026-11-22T03:02:00Z)";
    const x = T0 + 2n * MINUTE;
    const cases: [string, ScanBounds][] = [
      [`ingestion_time() > ${X}`, { now: NOW, ingestionFrom: x + 1n }],
      [`ingestion_time() <= ${X}`, { now: NOW, ingestionTo: x + 1n }],
      [`ingestion_time() == ${X}`, { now: NOW, ingestionFrom: x, ingestionTo: x + 1n }],
      [`${X} <= ingestion_time()`, { now: NOW, ingestionFrom: x }],
      [`${X} > ingestion_time()`, { now: NOW, ingestionTo: x }],
      [`ingestion_time() between (${X} .. datetime(2026-11-22T03:05:00Z))`, { now: NOW, ingestionFrom: x, ingestionTo: T0 + 5n * MINUTE + 1n }],
      [`ingestion_time() between (${X} .. 3m)`, { now: NOW, ingestionFrom: x, ingestionTo: x + 3n * MINUTE + 1n }],
      [`Success and ingestion_time() >= ${X} and ingestion_time() >= datetime(2026-11-22T03:01:00Z)`, { now: NOW, ingestionFrom: x }],
      [`ingestion_time() >= ago(8m)`, { now: NOW, ingestionFrom: NOW - 8n * MINUTE }],
    ];
    for (const [predicate, bounds] of cases) {
      const query = `AppRequests | where ${predicate} | project _ItemId`;
      const pushed = scanOf(query);
      assert.deepEqual(pushed.scans, [bounds], predicate);
      assert.deepEqual(pushed.result, scanOf(query, true).result, predicate);
    }
  });

  it("intersects the bounds of consecutive where operators and passes through extend, project and order", () => {
    const { scans, result } = scanOf(
      "AppRequests | where ingestion_time() >= datetime(2026-11-22T03:01:00Z) | extend a = 1 | order by _ItemId asc | where ingestion_time() < datetime(2026-11-22T03:04:00Z) | project _ItemId",
    );
    assert.deepEqual(scans, [{ now: NOW, ingestionFrom: T0 + MINUTE, ingestionTo: T0 + 4n * MINUTE }]);
    assert.deepEqual(result.rows, [["r1"], ["r2"], ["r3"]]);
  });

  it("does not push through or, negation, take or summarize", () => {
    for (const query of [
      "AppRequests | where ingestion_time() > datetime(2026-11-22T03:04:00Z) or Success",
      "AppRequests | where not(ingestion_time() < datetime(2026-11-22T03:04:00Z))",
      "AppRequests | where ingestion_time() !between (datetime(2026-11-22T03:00:00Z) .. datetime(2026-11-22T03:04:00Z))",
      "AppRequests | take 3 | where ingestion_time() > datetime(2026-11-22T03:02:00Z)",
      "AppRequests | where ingestion_time() > TimeGenerated",
    ]) {
      const { scans, result } = scanOf(query);
      assert.deepEqual(scans, [{ now: NOW }], query);
      assert.deepEqual(result, scanOf(query, true).result, query);
    }
    assert.deepEqual(scanOf("AppRequests | take 3 | where ingestion_time() > datetime(2026-11-22T03:02:00Z)").result.rows.map((r) => r[1]), ["r3"]);
  });

  it("pushes into every table of a union", () => {
    const { catalog, requests, traces } = sampleCatalog();
    const r = executeKql("union AppRequests, AppTraces | where ingestion_time() < datetime(2026-11-22T03:02:00Z) | project _ItemId", { catalog, now: NOW });
    assert.deepEqual(r.rows, [["r1"], ["t1"]]);
    assert.deepEqual(requests.scans, [{ now: NOW, ingestionTo: T0 + 2n * MINUTE }]);
    assert.deepEqual(traces.scans, [{ now: NOW, ingestionTo: T0 + 2n * MINUTE }]);
  });

  it("matches the unpushed result over many windows, to the tick", () => {
    const edges = [T0 - 1n, T0, T0 + MINUTE - 1n, T0 + MINUTE, T0 + MINUTE + 1n, T0 + 3n * MINUTE, T0 + 5n * MINUTE, T0 + 6n * MINUTE + 1n, NOW + MINUTE];
    const iso = (t: bigint): string => {
      const ms = t / 10_000n;
      const frac = (t % 10_000_000n).toString().padStart(7, "0");
      return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac}Z`;
    };
    for (const a of edges) {
      for (const b of edges) {
        const query = `AppRequests | where ingestion_time() >= datetime(${iso(a)}) and ingestion_time() < datetime(${iso(b)}) | project _ItemId`;
        const expected = sampleCatalog()
          .requests.rows.filter((row) => row.ingestion <= NOW && row.ingestion >= a && row.ingestion < b)
          .map((row) => [row.values[1]]);
        assert.deepEqual(scanOf(query).result.rows, expected, query);
        assert.deepEqual(scanOf(query, true).result.rows, expected, query);
      }
    }
  });
});
