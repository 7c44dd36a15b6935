import { test } from "node:test";
import assert from "node:assert/strict";
import { buildCountQuery, isCountableSize } from "./count-query.ts";
import { buildWindowQuery } from "./query-text.ts";

const T = Date.parse("2026-11-22T00:00:00Z");
const range = { start: T, end: T + 86_400_000 };
const settings = { mode: "ingestion" as const, lookbackMs: 2 * 86_400_000, futureMs: 86_400_000, timeColumn: "TimeGenerated", sizeMs: 300_000 };

test("a count query is the export's own query for the range, binned on the window grid; same timespan", () => {
  const q = { name: "slow", table: "AppRequests", transform: "where DurationMs > 1000" };
  const built = buildCountQuery(q, range, settings);
  const exported = buildWindowQuery(q, range, settings);
  assert.equal(built.timespan, exported.timespan);
  assert.equal(built.query, `${exported.query}\n| summarize MonitorliftRows = count() by MonitorliftWindowStart = bin(ingestion_time(), 300000ms)`);
});

test("time mode bins on the time column; .kql files keep their stages", () => {
  const q = { name: "f", kql: "AppTraces\n| $window\n| where SeverityLevel >= 3" };
  const built = buildCountQuery(q, range, { ...settings, mode: "time", timeColumn: "TimeGenerated" });
  assert.match(built.query, /^AppTraces\n\| where TimeGenerated >= .*\n\| where SeverityLevel >= 3\n\| summarize MonitorliftRows = count\(\) by MonitorliftWindowStart = bin\(TimeGenerated, 300000ms\)$/);
});

test("only window sizes that divide a day can be counted with bin()", () => {
  for (const ms of [60_000, 300_000, 900_000, 3_600_000, 86_400_000]) assert.ok(isCountableSize(ms), String(ms));
  for (const ms of [7 * 60_000, 2 * 86_400_000, 0]) assert.ok(!isCountableSize(ms), String(ms));
  assert.throws(() => buildCountQuery({ name: "x", table: "AppRequests" }, range, { ...settings, sizeMs: 7 * 60_000 }), (e: Error & { code?: string }) => e.code === "USAGE" || /divides a day/.test(e.message));
});
