import assert from "node:assert/strict";
import { test } from "node:test";
import type { SimRow } from "../catalog.ts";
import { resolveDelays } from "./delays.ts";
import { ALL_TABLES, columnsOf } from "./schemas.ts";
import { WorkspaceData, type WorkspaceDataOptions } from "./workspace.ts";

const START = Date.UTC(2026, 0, 10, 12, 0, 0);
const T = 10_000n;

function workspace(over: Partial<WorkspaceDataOptions> & { now?: { t: number } } = {}): { data: WorkspaceData; now: { t: number } } {
  const now = over.now ?? { t: START };
  const data = new WorkspaceData({
    seed: 3,
    workspaceId: "ws-1",
    resourceId: "/subscriptions/S/resourceGroups/G/providers/Microsoft.Insights/components/C",
    clock: () => now.t,
    intervals: [{ from: START - 3_600_000, to: Infinity }],
    rowsPerSecond: 2,
    delays: resolveDelays(undefined),
    settleJitterMs: 20_000,
    startMs: START,
    ...over,
  });
  data.materializeTo(now.t);
  return { data, now };
}

function rows(data: WorkspaceData, table: string, nowMs: number): SimRow[] {
  return [...(data.table(table)?.scan({ now: BigInt(nowMs) * T }) ?? [])];
}

const col = (table: string, name: string) => columnsOf(table).findIndex((c) => c.name === name);

test("same seed and clock → same rows; another seed → other rows", () => {
  const a = workspace().data;
  const b = workspace().data;
  const c = workspace({ seed: 4 }).data;
  for (const t of ALL_TABLES) assert.deepEqual(a.truth(t), b.truth(t), t);
  assert.notDeepEqual(a.truth("AppRequests"), c.truth("AppRequests"));
  const ra = rows(a, "AppTraces", START).map((r) => r.values);
  const rb = rows(b, "AppTraces", START).map((r) => r.values);
  assert.deepEqual(ra, rb);
});

test("generation depends only on how far the clock went, not on the steps", () => {
  const one = workspace();
  one.now.t = START + 120_000;
  const many = workspace();
  for (let i = 1; i <= 120; i++) {
    many.now.t = START + i * 1000;
    if (i % 7 === 0) rows(many.data, "AppRequests", many.now.t); // scans in between generate lazily
  }
  assert.deepEqual(one.data.truth("AppRequests"), many.data.truth("AppRequests"));
  const live = one.data.truth("AppRequests").length - workspace().data.truth("AppRequests").length;
  assert.ok(live >= 230 && live <= 242, `about 2 rows/s for 120 s were generated, got ${live}`);
});

test("every _ItemId is unique across tables, and every table has the documented columns", () => {
  const { data } = workspace({ rowsPerSecond: 1, intervals: [{ from: START - 3_600_000, to: START }] });
  const ids = ALL_TABLES.flatMap((t) => data.truth(t));
  assert.equal(new Set(ids).size, ids.length);
  for (const t of ALL_TABLES) {
    const names = columnsOf(t).map((c) => c.name);
    for (const required of ["TimeGenerated", "_ItemId", "Type"]) assert.ok(names.includes(required), `${t}.${required}`);
    if (t !== "MonitorliftTypes") for (const required of ["OperationId", "Properties", "_ResourceId"]) assert.ok(names.includes(required), `${t}.${required}`);
    for (const r of rows(data, t, START + 3 * 86_400_000).slice(0, 50)) assert.equal(r.values.length, names.length);
  }
  const r = rows(data, "AppRequests", START)[0] as SimRow;
  assert.equal(r.values[col("AppRequests", "Type")], "AppRequests");
  assert.equal(r.values[col("AppRequests", "TenantId")], "ws-1");
  assert.equal(r.values[col("AppRequests", "_ResourceId")], "/subscriptions/s/resourcegroups/g/providers/microsoft.insights/components/c");
  assert.equal(typeof r.values[col("AppRequests", "TimeGenerated")], "bigint");
  assert.equal(typeof r.values[col("AppRequests", "Properties")], "object");
});

test("ingestion delays: most under a minute, a tail of minutes, rare hours late, a very few 48–60 h late, a few with TimeGenerated ahead", () => {
  const { data } = workspace({ rowsPerSecond: 20, intervals: [{ from: START - 3_600_000, to: START }] });
  const all = rows(data, "AppRequests", START + 3 * 86_400_000);
  assert.equal(all.length, 72_000);
  const tg = col("AppRequests", "TimeGenerated");
  const delays = all.map((r) => Number((r.ingestion - (r.values[tg] as bigint)) / T));
  const share = (f: (d: number) => boolean) => delays.filter(f).length / delays.length;
  assert.ok(share((d) => d >= 1000 && d < 60_000) > 0.9, "most within a minute");
  assert.ok(share((d) => d >= 60_000 && d <= 30 * 60_000) > 0.02, "a tail of minutes");
  const late = share((d) => d > 3_600_000);
  assert.ok(late > 0.0005 && late < 0.005, `rare hours-late rows: ${late}`);
  const edge = delays.filter((d) => d > 48 * 3_600_000);
  assert.ok(edge.length >= 15 && edge.length <= 60, `a very few ingested past the two-day bound (0.05 %): ${edge.length}`);
  assert.ok(edge.every((d) => d <= 60 * 3_600_000), "never more than 60 h late (48 h accepted + 12 h of ingestion retries)");
  const ahead = delays.filter((d) => d < 0);
  assert.ok(ahead.length > 50 && ahead.length < 1000, `some rows ahead of ingestion: ${ahead.length}`);
  assert.ok(ahead.every((d) => d >= -3_600_000), "skew up to 1 h");
  // TimeGenerated precision varies: whole seconds, milliseconds and 100 ns.
  const frac = all.map((r) => (r.values[tg] as bigint) % 10_000_000n);
  assert.ok(frac.some((f) => f === 0n) && frac.some((f) => f % 10_000n === 0n && f !== 0n) && frac.some((f) => f % 10_000n !== 0n));
});

test("a row is invisible before its ingestion, visible after ingestion + settle jitter; near-simultaneous rows settle in any order", () => {
  const { data } = workspace({ settleJitterMs: 20_000, intervals: [{ from: START - 3_600_000, to: START }] });
  const stored = rows(data, "AppRequests", START + 3 * 86_400_000);
  const future = stored.filter((r) => r.ingestion > BigInt(START) * T);
  assert.ok(future.length > 0, "some backfilled rows are not ingested yet");
  const r = future[0] as SimRow;
  const ingestMs = Number(r.ingestion / T);
  const visibleAt = (ms: number) => rows(data, "AppRequests", ms).includes(r);
  assert.equal(visibleAt(START), false);
  assert.equal(visibleAt(ingestMs - 1), false);
  assert.equal(visibleAt(ingestMs + 20_001), true);
  // Settle jitter: at some instant a later-ingested row is visible while an earlier-ingested one is not.
  let inversions = 0;
  const byIngestion = [...stored].sort((x, y) => (x.ingestion < y.ingestion ? -1 : x.ingestion > y.ingestion ? 1 : 0));
  for (let t = START - 600_000; t < START; t += 20_000) {
    const visible = new Set(rows(data, "AppRequests", t));
    let seenVisible = false;
    for (let i = byIngestion.length - 1; i >= 0; i--) {
      const x = byIngestion[i] as SimRow;
      if (visible.has(x)) seenVisible = true;
      else if (seenVisible) inversions++;
    }
  }
  assert.ok(inversions > 0, "rows with about equal ingestion times become visible out of order");
});

test("backfill rows have TimeGenerated in the backfill range (unless skewed ahead)", () => {
  const from = START - 600_000;
  const { data } = workspace({ intervals: [{ from, to: START }] });
  const tg = col("AppEvents", "TimeGenerated");
  const all = rows(data, "AppEvents", START + 3 * 86_400_000);
  assert.ok(all.length >= 1190 && all.length <= 1200, String(all.length));
  for (const r of all) {
    const t = r.values[tg] as bigint;
    if (t <= r.ingestion) assert.ok(t >= BigInt(from) * T && t < BigInt(START) * T);
  }
});

test("MonitorliftTypes holds the edge rows, all visible at the start", () => {
  const { data } = workspace({ rowsPerSecond: 0 });
  assert.equal(rows(data, "MonitorliftTypes", START).length, 20, "10 edge rows, an all-null row, 9 dynamic scalars");
  assert.equal(data.truth("MonitorliftTypes").length, 20);
});

test("unknown tables and bad rates are rejected", () => {
  assert.throws(() => workspace({ tables: ["AppNope"] }), /unknown simulator table 'AppNope'/);
  assert.throws(() => workspace({ rowsPerSecond: -1 }), /rows per second/);
  assert.throws(() => resolveDelays({ minMs: 10 }), /minMs must be at least 1000/);
});

test("a clock jump that would need too many rows is refused with advice; stored rows compare like plain arrays", () => {
  const { data } = workspace({ rowsPerSecond: 100 });
  assert.throws(() => data.materializeTo(START + 30 * 86_400_000), /advance the clock in smaller steps/);
  const r = rows(data, "AppEvents", START)[0] as SimRow;
  assert.deepStrictEqual(r.values, [...r.values]);
});
