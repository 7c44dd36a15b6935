/**
 * A custom timeColumn. The service applies the request's `timespan` to each table's TimeGenerated,
 * not to the column the window filter uses. MonitorliftEvents_CL has both: EventTime (the source's
 * time, the window column here) and TimeGenerated (the receipt time, later by the ingestion delay).
 * The exporter's timespan must cover the TimeGenerated of every row its filter selects, or the
 * service silently drops rows the filter wanted.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { kqlDatetime } from "../src/window/query-text.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness, type Harness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

let h: Harness;
before(async () => {
  h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 17, backfill: "PT6H", live: false, rowsPerSecond: 0.3, tables: ["MonitorliftEvents_CL"] },
    config: {
      queries: [
        { name: "by_event_time", table: "MonitorliftEvents_CL", window: { mode: "time", timeColumn: "EventTime", lag: "PT15M" } },
        { name: "by_arrival", table: "MonitorliftEvents_CL", window: { mode: "ingestion", timeColumn: "EventTime" } },
      ],
      window: { size: "PT10M", start: "PT5H" },
    },
  });
});
after(() => h?.close());

/** The _ItemIds the service holds (now) for a filter, asked without a timespan. */
async function direct(filter: string): Promise<string[]> {
  const res = await fetch(`${h.sim.endpoint}/workspaces/${h.sim.workspaceId}/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `MonitorliftEvents_CL | where ${filter} | project _ItemId` }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { tables: { rows: string[][] }[] }).tables[0]!.rows.map((r) => r[0]!).sort();
}

test("mode time with timeColumn EventTime exports every row whose EventTime is in a committed window, exactly once", async () => {
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  const wm = (await h.watermark("by_event_time"))!;
  const expected = await direct(`EventTime >= ${kqlDatetime(wm.origin)} and EventTime < ${kqlDatetime(wm.watermark)}`);
  const late = await direct(`EventTime >= ${kqlDatetime(wm.origin)} and EventTime < ${kqlDatetime(wm.watermark)} and TimeGenerated - EventTime > 2m`);
  assert.ok(late.length > 20, `rows received minutes after their EventTime (${late.length}) are in range`);
  const exported = (await readQueryRows(h.exportDir, "by_event_time")).map((r) => String(r._ItemId));
  assert.deepEqual(compareItemIds(exported, expected), { missing: [], duplicated: [], unexpected: [] });
});

test("mode ingestion with timeColumn EventTime stays exactly once", async () => {
  const wm = (await h.watermark("by_arrival"))!;
  const truth = h.sim.truth("MonitorliftEvents_CL", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
  const exported = (await readQueryRows(h.exportDir, "by_arrival")).map((r) => String(r._ItemId));
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
  assert.ok(truth.length > 1000);
});
