/**
 * The core promise on the SQL sink, end to end for each dialect: the multiset of _ItemIds in
 * the query tables (read back with plain SELECTs) equals the simulator's truth for the exported
 * range — zero missing, zero duplicated, every window complete — over two tables, across
 * repeated scheduled runs while late rows keep arriving.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock, type ManualClock } from "../src/simulator/index.ts";
import { startHarness } from "./support/harness.ts";
import { DIALECTS, assertExactlyOnce, describeSql, errorsOf, storedState } from "./support/sql-target.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const TABLES = { requests: "AppRequests", traces: "AppTraces" } as const;

await describeSql("sql export exactly once", DIALECTS, ({ db, sinkConfig, env }) => {
  test("a first run and repeated scheduled runs with late rows hold every row exactly once", async () => {
    const clock = createManualClock(T0);
    const h = await startHarness({
      sim: { clock, seed: 51, backfill: "PT3H", rowsPerSecond: 0.3, tables: Object.values(TABLES) },
      config: {
        queries: Object.entries(TABLES).map(([name, table]) => ({ name, table })),
        window: { mode: "ingestion", size: "PT5M", lag: "PT1M", start: "PT2H" },
        sink: sinkConfig,
      },
      env,
    });
    try {
      const first = await h.exportOnce();
      assert.equal(first.errors.size, 0, errorsOf(first));
      for (const q of Object.keys(TABLES)) assert.ok(first.summary.queries[q]!.windows >= 23, `${q}: ${first.summary.queries[q]!.windows} windows`);
      let total = 0;
      for (const [q, table] of Object.entries(TABLES)) total += (await assertExactlyOnce(h, db, q, table, "first run")).rows.length;
      assert.ok(total > 2 * 2 * 3600 * 0.3 * 0.8, `about 2 h of rows per table (${total})`);

      // Later runs: the clock moves by amounts that are not window multiples; rows ingested
      // long after their TimeGenerated (late data) land in the window of their ingestion.
      let late = 0;
      let before = (await storedState(db, "requests"))!;
      for (let run = 0; run < 4; run++) {
        (h.sim.clock as ManualClock).advance(7 * 60_000 + 13_000);
        const report = await h.exportOnce();
        assert.equal(report.errors.size, 0, errorsOf(report));
        for (const [q, table] of Object.entries(TABLES)) await assertExactlyOnce(h, db, q, table, `run ${run + 1}`);
        const now = (await storedState(db, "requests"))!;
        assert.ok(now.watermark > before.watermark, "the watermark moved forward");
        assert.equal(now.origin, before.origin, "the origin stays");
        before = now;
      }
      // Late data really was part of it: some exported rows were generated well before the
      // window that carried them.
      const rows = await db.select(
        `SELECT ${db.quote("TimeGenerated")} AS tg, ${db.quote("_window_start")} AS ws FROM ${db.table("requests")}`,
      );
      for (const r of rows) if (Date.parse(toIso(r.tg)) < Date.parse(toIso(r.ws)) - 5 * 60_000) late++;
      assert.ok(late > 0, "some rows arrived more than 5 minutes late");

      // A run with nothing new commits nothing and changes nothing.
      const quiet = await h.exportOnce();
      assert.equal(quiet.errors.size, 0, errorsOf(quiet));
      assert.equal(quiet.summary.queries.requests!.windows, 0);
      assert.deepEqual(await storedState(db, "requests"), before);
    } finally {
      await h.close();
    }
  });
});

/** A timestamp as the drivers return it (Date, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, or ISO text). */
function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const s = String(value);
  return s.includes("T") ? s : `${s.replace(" ", "T")}Z`;
}
