/**
 * Hidden standard columns, as on the service: `_ItemId`, `_BilledSize`, `_IsBillable` and
 * `_SubscriptionId` are not in a table query's result, yet they can be filtered on, sorted by,
 * projected, extended and summarized, and `extend _ItemId = _ItemId` shows the column
 * (azure-monitor-docs logs/log-standard-columns.md; the recorded AppRequests response ends at
 * `_ResourceId`). Checked through the HTTP API of a real simulated workspace, twice per query so
 * the row JSON cache (remembered per result shape) serves the second answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createManualClock } from "./clock.ts";
import { type Simulator, startSimulator } from "./simulator.ts";
import { rawQuery } from "../../test/support/simulator-http.ts";

const START = Date.UTC(2026, 0, 10, 12, 0, 0);
const HIDDEN = ["_BilledSize", "_IsBillable", "_SubscriptionId", "_ItemId"];

interface Table {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

describe("hidden standard columns", () => {
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ clock: createManualClock(START), seed: 5, backfill: "PT30M", rowsPerSecond: 0.5, tables: ["AppRequests", "AppTraces", "MonitorliftTypes"] });
    await sim.warmed();
  });
  after(() => sim.close());

  /** The query's result table; every query runs twice and must give the same exact text. */
  async function query(kql: string): Promise<Table> {
    const first = await rawQuery(sim, { query: kql });
    assert.equal(first.status, 200, first.text);
    const second = await rawQuery(sim, { query: kql });
    assert.equal(second.text, first.text, `the cached answer differs for ${kql}`);
    const body = JSON.parse(first.text) as { tables: Table[] };
    return body.tables[0]!;
  }
  const names = (t: Table) => t.columns.map((c) => c.name);
  const col = (t: Table, name: string) => t.rows.map((r) => r[names(t).indexOf(name)]);

  test("a plain table query and where/take/sort return none of them; _ResourceId stays visible", async () => {
    for (const kql of ["AppRequests", "AppRequests | where Success == true | sort by TimeGenerated asc | take 5", "AppTraces | take 3"]) {
      const t = await query(kql);
      assert.ok(t.rows.length > 0, kql);
      for (const h of HIDDEN) assert.ok(!names(t).includes(h), `${kql} shows ${h}`);
      assert.equal(names(t).at(-1), "_ResourceId", kql);
      for (const row of t.rows) assert.equal(row.length, t.columns.length, "rows carry no hidden values");
    }
  });

  test("they can be filtered on, projected and extended; extend X = X shows X", async () => {
    const all = await query("AppRequests | project _ItemId, _BilledSize, _IsBillable, _SubscriptionId");
    assert.deepEqual(all.columns, [
      { name: "_ItemId", type: "string" },
      { name: "_BilledSize", type: "real" },
      { name: "_IsBillable", type: "string" },
      { name: "_SubscriptionId", type: "string" },
    ]);
    assert.ok(all.rows.length > 10);
    assert.equal(new Set(col(all, "_ItemId")).size, all.rows.length, "_ItemId is unique");
    for (const r of all.rows) {
      assert.ok(typeof r[1] === "number" && r[1] > 500 && r[1] < 5000, `plausible billed size ${String(r[1])}`);
      assert.equal(r[2], "True");
      assert.equal(r[3], "00000000-0000-0000-0000-000000000000", "the subscription of the resource ID");
    }
    const one = all.rows[3]![0] as string;
    const filtered = await query(`AppRequests | where _ItemId == "${one}" and _BilledSize > 0`);
    assert.equal(filtered.rows.length, 1);
    assert.ok(!names(filtered).includes("_ItemId"), "filtering on it does not show it");

    const aliased = await query("AppRequests | extend id = _ItemId | take 4");
    assert.equal(names(aliased).at(-1), "id");
    assert.ok(!names(aliased).includes("_ItemId"));

    const shown = await query("AppRequests | where Success == true | extend _ItemId = _ItemId");
    assert.deepEqual(names(shown).slice(-2), ["_ResourceId", "_ItemId"], "the only hidden column made visible, last");
    for (const h of HIDDEN.slice(0, 3)) assert.ok(!names(shown).includes(h));
    assert.equal(new Set(col(shown, "_ItemId")).size, shown.rows.length);

    const later = await query("AppRequests | extend _ItemId = _ItemId | project-away Properties | take 2");
    assert.ok(names(later).includes("_ItemId") && !names(later).includes("_BilledSize"), "stays shown after later operators");
  });

  test("they survive row-preserving operators for later references and need naming after project/summarize", async () => {
    const t = await query("AppRequests | where DurationMs >= 0 | sort by DurationMs desc | take 3 | project Name, _ItemId");
    assert.deepEqual(names(t), ["Name", "_ItemId"]);
    assert.equal(t.rows.length, 3);
    const sum = await query("AppRequests | summarize Bytes = max(_BilledSize), n = count() by _IsBillable");
    assert.deepEqual(names(sum), ["_IsBillable", "Bytes", "n"]);
    const projected = await rawQuery(sim, { query: "AppRequests | project Name | where isnotempty(_ItemId)" });
    assert.equal(projected.status, 400, "a column dropped by project cannot be referenced later");
    const unioned = await query("union AppRequests, AppTraces | take 5");
    for (const h of HIDDEN) assert.ok(!names(unioned).includes(h), `union shows ${h}`);
    const types = await query("MonitorliftTypes | take 1");
    assert.ok(!names(types).includes("_ItemId"), "the simulator-only MonitorliftTypes hides _ItemId too");
    assert.equal(names(await query("MonitorliftTypes | extend _ItemId = _ItemId | take 1")).at(-1), "_ItemId");
  });
});
