/**
 * The request's `timespan` restricts each table reference by its TimeGenerated, whatever other
 * time column the query filters on (REST API: "the timespan over which to query data", applied by
 * the service to TimeGenerated). Shown with MonitorliftEvents_CL, whose TimeGenerated is the
 * receipt time and EventTime the source's time: a timespan around the EventTime of a late row cuts
 * it, one around its TimeGenerated keeps it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createManualClock } from "./clock.ts";
import { type Simulator, startSimulator } from "./simulator.ts";
import { rawQuery } from "../../test/support/simulator-http.ts";

const START = Date.UTC(2026, 0, 10, 12, 0, 0);
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ clock: createManualClock(START), seed: 7, backfill: "PT6H", live: false, rowsPerSecond: 0.2, tables: ["MonitorliftEvents_CL"] });
});
after(() => sim.close());

async function rows(query: string, timespan?: string): Promise<unknown[][]> {
  const res = await rawQuery(sim, timespan === undefined ? { query } : { query, timespan });
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { tables: { rows: unknown[][] }[] }).tables[0]!.rows;
}

test("MonitorliftEvents_CL: TimeGenerated is the receipt time, EventTime the source's; _ItemId hidden", async () => {
  const res = await rawQuery(sim, { query: "MonitorliftEvents_CL | take 1" });
  const names = (JSON.parse(res.text) as { tables: { columns: { name: string }[] }[] }).tables[0]!.columns.map((c) => c.name);
  assert.deepEqual(names, ["TenantId", "TimeGenerated", "EventTime", "Computer", "Level", "Message", "Type", "_ResourceId"]);
  const late = await rows("MonitorliftEvents_CL | where TimeGenerated - EventTime > 10m | project EventTime, TimeGenerated, _ItemId");
  assert.ok(late.length > 5, `some rows received minutes to hours after their event (${late.length})`);
});

test("timespan applies to TimeGenerated, not to EventTime", async () => {
  const [eventTime, timeGenerated, id] = (await rows("MonitorliftEvents_CL | where TimeGenerated - EventTime > 10m | take 1 | project EventTime, TimeGenerated, _ItemId"))[0] as [string, string, string];
  const around = (iso: string) => `${new Date(Date.parse(iso) - 60_000).toISOString()}/${new Date(Date.parse(iso) + 60_000).toISOString()}`;
  const query = `MonitorliftEvents_CL | where _ItemId == "${id}" | project _ItemId`;
  assert.deepEqual(await rows(query, around(eventTime)), [], "a timespan around EventTime cuts the row");
  assert.deepEqual(await rows(query, around(timeGenerated)), [[id]], "a timespan around TimeGenerated keeps it");
});
