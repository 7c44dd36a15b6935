/**
 * The lookback edge: the service accepts a record whose TimeGenerated is up to two days before it
 * was received and can ingest it hours after receipt (ingestion retries for up to 12 h under
 * rate limiting), so a record can become queryable ~60 h after its TimeGenerated. The simulator
 * makes a few rows 48–60 h late (here more of them, for a firm count). In ingestion mode such a
 * row lands in the window of its arrival, but the filter also requires
 * TimeGenerated >= start − lookback: `lookback: P2D` drops it for good, the default keeps it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness, type Harness } from "./support/harness.ts";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-22T12:00:00Z");

let h: Harness;
before(async () => {
  h = await startHarness({
    sim: {
      clock: createManualClock(T0),
      seed: 48,
      // Events 62–46 h before now: their normal rows were ingested long ago, their 48–60 h rows arrive in the last 14 h.
      backfill: { from: T0 - 62 * HOUR, to: T0 - 46 * HOUR },
      live: false,
      rowsPerSecond: 0.1,
      tables: ["AppRequests"],
      delays: { edgeFraction: 0.01 },
    },
    config: {
      queries: [
        { name: "edge_p2d", table: "AppRequests", window: { lookback: "P2D" } },
        { name: "edge_default", table: "AppRequests" },
      ],
      window: { mode: "ingestion", size: "PT1H", lag: "PT1M", start: new Date(T0 - 14 * HOUR).toISOString() },
    },
  });
});
after(() => h?.close());

test("lookback P2D loses the rows ingested 48–60 h after their TimeGenerated; the default lookback exports them exactly once", async () => {
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  const wm = (await h.watermark("edge_default"))!;
  assert.equal((await h.watermark("edge_p2d"))!.watermark, wm.watermark, "both queries cover the same windows");
  const truth = h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });

  // Which of those rows are past the two-day edge (their delay is only visible to ingestion_time()).
  const lateRows = await (async () => {
    const res = await fetch(`${h.sim.endpoint}/workspaces/${h.sim.workspaceId}/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "AppRequests | where ingestion_time() - TimeGenerated > 48h | project _ItemId" }),
    });
    const body = (await res.json()) as { tables: { rows: string[][] }[] };
    return new Set(body.tables[0]!.rows.map((r) => r[0]!));
  })();
  const edgeInRange = truth.filter((id) => lateRows.has(id));
  assert.ok(edgeInRange.length >= 10, `rows 48–60 h late were ingested in the exported range (${edgeInRange.length})`);

  const ids = async (query: string) => (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
  const p2d = compareItemIds(await ids("edge_p2d"), truth);
  assert.deepEqual([p2d.duplicated, p2d.unexpected], [[], []]);
  assert.ok(p2d.missing.length > 0, "lookback P2D misses rows");
  assert.ok(p2d.missing.every((id) => lateRows.has(id)), "every missed row is one ingested more than 48 h after its TimeGenerated");

  assert.deepEqual(compareItemIds(await ids("edge_default"), truth), { missing: [], duplicated: [], unexpected: [] }, "the default lookback exports every row exactly once");
});
