/**
 * Schema changes between runs, end to end on each dialect: a query whose transform gains a
 * column widens its table (ALTER TABLE … ADD COLUMN; earlier rows get NULL there) and both runs'
 * rows are present exactly once; the same column coming back with another type is refused
 * (SINK_SCHEMA) for that query alone, its watermark and rows untouched, and the export resumes
 * once the transform is fixed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock, type ManualClock } from "../src/simulator/index.ts";
import { startHarness } from "./support/harness.ts";
import { DIALECTS, assertExactlyOnce, describeSql, errorsOf, storedRows, storedState } from "./support/sql-target.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const BASE = "project TimeGenerated, _ItemId, Name";
const WITH_TEXT = `${BASE} | extend NewCol = strcat(Name, "x")`;
const WITH_LONG = `${BASE} | extend NewCol = 5`;

await describeSql("sql export schema changes", DIALECTS, ({ db, sinkConfig, env }) => {
  test("a new column widens the table; the same column with another type fails that query alone", async () => {
    const clock = createManualClock(T0);
    const h = await startHarness({
      sim: { clock, seed: 71, backfill: "PT3H", rowsPerSecond: 0.2, tables: ["AppRequests", "AppTraces"] },
      config: {
        queries: [
          { name: "evolve", table: "AppRequests", transform: BASE },
          { name: "steady", table: "AppTraces" },
        ],
        window: { size: "PT10M", lag: "PT1M", start: "PT1H" },
        sink: sinkConfig,
      },
      env,
    });
    const setTransform = (transform: string) =>
      h.writeConfig({ queries: [{ name: "evolve", table: "AppRequests", transform }, { name: "steady", table: "AppTraces" }] });
    const advance = () => (h.sim.clock as ManualClock).advance(30 * 60_000);
    try {
      const first = await h.exportOnce();
      assert.equal(first.errors.size, 0, errorsOf(first));
      const before = await db.columnsOf("evolve");
      assert.deepEqual(before, ["TimeGenerated", "TimeGenerated__text", "_ItemId", "Name", "_window_start", "_window_end"].filter((c) => db.dialect !== "sqlite" || c !== "TimeGenerated__text"));
      const firstState = (await storedState(db, "evolve"))!;

      // Run 2: the transform adds NewCol.
      advance();
      await setTransform(WITH_TEXT);
      const second = await h.exportOnce();
      assert.equal(second.errors.size, 0, errorsOf(second));
      assert.ok(second.summary.queries.evolve!.windows >= 3);
      assert.deepEqual(await db.columnsOf("evolve"), [...before, "NewCol"], "the table was altered, not recreated");
      const recorded = await db.select(`SELECT la_type FROM ${db.table(`${db.prefix}_monitorlift_columns`, true)} WHERE table_name = ? AND column_name = ?`, [
        `${db.prefix}evolve`,
        "NewCol",
      ]);
      assert.deepEqual(recorded.map((r) => r.la_type), ["string"]);
      const secondState = (await assertExactlyOnce(h, db, "evolve", "AppRequests", "after the new column")).state;
      const rows = await db.select(`SELECT ${db.quote("Name")} AS name, ${db.quote("NewCol")} AS nc, ${db.quote("_window_end")} AS we FROM ${db.table("evolve")}`);
      const old = rows.filter((r) => toMs(r.we) <= firstState.watermark);
      const fresh = rows.filter((r) => toMs(r.we) > firstState.watermark);
      assert.ok(old.length > 0 && fresh.length > 0, `rows of both runs (${old.length} + ${fresh.length})`);
      for (const r of old) assert.equal(r.nc, null, "rows written before the column existed hold NULL");
      for (const r of fresh) assert.equal(r.nc, `${String(r.name)}x`, "rows of the second run hold the new column");

      // Run 3: NewCol comes back as a long. That query fails, the other one exports.
      advance();
      await setTransform(WITH_LONG);
      const steadyBefore = (await storedState(db, "steady"))!;
      const countBefore = (await storedRows(db, "evolve")).length;
      const third = await h.exportOnce();
      const err = third.errors.get("evolve") as { code?: string; message?: string } | undefined;
      assert.equal(err?.code, "SINK_SCHEMA", errorsOf(third));
      assert.match(err.message!, /"NewCol" as long.*stores it as string/);
      assert.equal(third.summary.queries.evolve!.outcome, "failed");
      assert.equal(third.summary.queries.evolve!.windows, 0);
      assert.deepEqual(await storedState(db, "evolve"), secondState, "the watermark did not move");
      assert.equal((await storedRows(db, "evolve")).length, countBefore, "no row was added");
      assert.deepEqual(await db.columnsOf("evolve"), [...before, "NewCol"], "the column kept its type and place");
      assert.equal(third.summary.queries.steady!.outcome, "ok");
      assert.ok((await storedState(db, "steady"))!.watermark > steadyBefore.watermark, "the other query went on");

      // Run 4: the transform is fixed; the export picks up where it stopped, still exactly once.
      await setTransform(WITH_TEXT);
      const fourth = await h.exportOnce();
      assert.equal(fourth.errors.size, 0, errorsOf(fourth));
      const { state } = await assertExactlyOnce(h, db, "evolve", "AppRequests", "after the fix");
      assert.ok(state.watermark > secondState.watermark);
      await assertExactlyOnce(h, db, "steady", "AppTraces", "the other query");
    } finally {
      await h.close();
    }
  });
});

function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const s = String(value);
  return Date.parse(s.includes("T") ? s : `${s.replace(" ", "T")}Z`);
}
