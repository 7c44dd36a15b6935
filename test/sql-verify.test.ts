/**
 * `verify --repair` on the SQL sink, for each dialect, with the simulator's visibility tail on: a plain
 * export with lag PT2M misses rows, verify lists the windows, the repair replaces each window's rows in
 * the commit's transaction (never a duplicate), the watermark stays, and every window then matches the
 * ground truth exactly (read back with plain SELECTs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { isOpenMismatch } from "../src/runner/verify-query.ts";
import { startHarness } from "./support/harness.ts";
import { compareItemIds } from "./support/read-export.ts";
import { DIALECTS, assertExactlyOnce, describeSql, errorsOf, storedRows, storedState } from "./support/sql-target.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const MIN = 60_000;

await describeSql("sql verify --repair", DIALECTS, ({ db, sinkConfig, env }) => {
  test("rows visible late are found per window and repaired in place: exactly once, watermark untouched", async () => {
    const clock = createManualClock(T0);
    const h = await startHarness({
      sim: { clock, seed: 61, backfill: "PT5H", rowsPerSecond: 1, tables: ["AppRequests"], visibility: {} },
      config: { queries: [{ name: "requests", table: "AppRequests" }], window: { mode: "ingestion", size: "PT5M", lag: "PT2M", start: "PT2H" }, sink: sinkConfig },
      env,
    });
    try {
      for (let run = 0; run < 13; run++) {
        const report = await h.exportOnce();
        assert.equal(report.errors.size, 0, errorsOf(report));
        clock.advance(5 * MIN);
      }
      clock.advance(70 * MIN);
      const before = (await storedState(db, "requests"))!;
      const truth = h.sim.truth("AppRequests", { ingestedFrom: before.origin, ingestedBefore: before.watermark });
      const missing = compareItemIds((await storedRows(db, "requests")).map((r) => r.id), truth).missing;
      assert.ok(missing.length > 0, "the plain export missed rows that became visible late");

      const [found] = await h.verify({});
      assert.equal(found!.error, undefined, String(found!.error));
      assert.ok(found!.mismatches.length > 0 && found!.mismatches.every((m) => m.committed! < m.service));
      assert.equal(found!.mismatches.reduce((n, m) => n + m.service - m.committed!, 0), missing.length, "the differences add up to the missing rows");

      const [repaired] = await h.verify({ repair: true });
      assert.equal(repaired!.error, undefined, String(repaired!.error));
      assert.deepEqual(repaired!.mismatches.filter(isOpenMismatch), []);
      const after = (await storedState(db, "requests"))!;
      assert.equal(after.watermark, before.watermark, "the watermark did not move");
      await assertExactlyOnce(h, db, "requests", "AppRequests", "after verify --repair");
      const [again] = await h.verify({});
      assert.deepEqual(again!.mismatches, []);
    } finally {
      await h.close();
    }
  });
});
