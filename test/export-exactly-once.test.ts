/**
 * The core promise, end to end against the simulator: the multiset of exported _ItemIds equals
 * the simulator's ground truth for the exported range — zero missing, zero duplicated —
 * over several tables, and across repeated scheduled runs while late rows keep arriving.
 *
 * With the simulator's default visibility tail (rows visible up to an hour after their ingestion time)
 * and the default window settings (lag PT15M, reverify PT1H): after every run the export holds every row
 * of its range the service shows at that moment; rows that become visible later are added by the runs
 * that follow (export's re-verification), so after the tail has passed the export equals all of the truth.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness, type Harness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const TABLES = { requests: "AppRequests", traces: "AppTraces", dependencies: "AppDependencies", exceptions: "AppExceptions" };

let h: Harness;
before(async () => {
  const clock = createManualClock(T0);
  h = await startHarness({
    sim: { clock, seed: 11, backfill: "PT8H", rowsPerSecond: 0.5, tables: Object.values(TABLES), visibility: {} },
    // The defaults: lag PT15M, reverify PT1H.
    config: { queries: Object.entries(TABLES).map(([name, table]) => ({ name, table })), window: { mode: "ingestion", size: "PT5M", start: "PT3H", reverify: "PT1H" } },
  });
});
after(() => h?.close());

/** Exactly the rows of [origin, watermark) the service shows now (`all`: every row ingested there, visible or not). */
async function assertExactlyOnce(label: string, all = false): Promise<number> {
  let total = 0;
  for (const [query, table] of Object.entries(TABLES)) {
    const wm = await h.watermark(query);
    assert.ok(wm, `${label}: ${query} has a watermark`);
    const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark, ...(all ? {} : { visibleAt: h.sim.clock() }) });
    const exported = (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
    const diff = compareItemIds(exported, truth);
    assert.deepEqual(diff, { missing: [], duplicated: [], unexpected: [] }, `${label}: ${query}`);
    assert.ok(truth.length > 0, `${label}: ${query} has rows to compare`);
    total += exported.length;
  }
  return total;
}

test("a first run exports every row of every table exactly once", async () => {
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  for (const q of Object.keys(TABLES)) {
    assert.equal(report.summary.queries[q]!.outcome, "ok");
    assert.ok(report.summary.queries[q]!.windows >= 30, `${q} committed its windows`);
  }
  const total = await assertExactlyOnce("first run");
  assert.ok(total > 4 * 3 * 3600 * 0.5 * 0.9, `about 3 h of rows per table (${total})`);
});

test("repeated scheduled runs pick up late rows, still exactly once", async () => {
  const clock = h.sim.clock as ReturnType<typeof createManualClock>;
  let before = await h.watermark("requests");
  for (let run = 0; run < 6; run++) {
    clock.advance(7 * 60_000 + 13_000);
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0);
    await assertExactlyOnce(`run ${run}`);
    const now = await h.watermark("requests");
    assert.ok(now!.watermark >= before!.watermark, "the watermark never moves back");
    before = now;
  }
  // rows ingested long after their TimeGenerated were exported too (late data)
  const rows = await readQueryRows(h.exportDir, "requests");
  assert.ok(rows.length > 0);
});

test("after a pause longer than the visibility tail, one run leaves nothing behind: every row ingested before it started is exported once", async () => {
  const clock = h.sim.clock as ReturnType<typeof createManualClock>;
  const started = new Map<string, number>();
  for (const query of Object.keys(TABLES)) started.set(query, (await h.watermark(query))!.watermark);
  clock.advance(75 * 60_000);
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0);
  await assertExactlyOnce("after the pause");
  for (const [query, table] of Object.entries(TABLES)) {
    const wm = (await h.watermark(query))!;
    const all = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: started.get(query)! });
    const exported = new Set((await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId)));
    assert.deepEqual(all.filter((id) => !exported.has(id)), [], `${query}: every row ingested before the run started, visible late or not`);
  }
});

test("a run with nothing new commits nothing and changes nothing", async () => {
  const wm = await h.watermark("requests");
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0);
  assert.equal(report.summary.queries.requests!.windows, 0);
  assert.deepEqual(await h.watermark("requests"), wm);
});
