/**
 * SIGKILL at random moments, on the SQL sink: the real CLI (`monitorlift export --once`) is
 * killed over and over part-way through, then allowed to finish; every query table still holds
 * every row exactly once and every window whole — a window's rows and its watermark move in
 * one transaction, and the next run clears what a killed one left.
 */
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { runCli, seededRandom } from "./support/cli.ts";
import { startHarness } from "./support/harness.ts";
import { DIALECTS, assertExactlyOnce, describeSql, storedState } from "./support/sql-target.ts";

const QUERIES = [
  ["requests", "AppRequests"],
  ["dependencies", "AppDependencies"],
] as const;
const SEEDS = { postgres: 101, mysql: 202, sqlite: 303 } as const;

await describeSql("sql export killed with SIGKILL", DIALECTS, ({ dialect, db, sinkConfig, env }) => {
  test("an exporter killed at random moments, then re-run, exports every row exactly once", { timeout: 120_000 }, async (t) => {
    // The CLI runs on the real clock; so does this simulator.
    const h = await startHarness({
      sim: { seed: 61, backfill: "PT3H", rowsPerSecond: 1, tables: QUERIES.map(([, t]) => t), settleJitterMs: 1000 },
      config: {
        queries: QUERIES.map(([name, table]) => ({ name, table })),
        window: { size: "PT2M", lag: "PT10S", start: "PT2H" },
        sink: sinkConfig,
        log: { level: "warn" },
      },
    });
    try {
      const random = seededRandom(SEEDS[dialect]);
      const progress = async () => {
        let sum = 0;
        for (const [query] of QUERIES) sum += (await storedState(db, query))?.watermark ?? 0;
        return sum;
      };
      let killed = 0;
      for (let i = 0; i < 6; i++) {
        // The first run is killed at a random instant (start-up, lock, first windows); the others
        // a random moment after they committed their first window (staging, commit, next windows),
        // so each kill lands in the middle of work whatever the speed of the machine.
        const before = await progress();
        let exited = false;
        const killWhen =
          i === 0
            ? sleep(300 + random() * 900)
            : (async () => {
                while (!exited && (await progress()) === before) await sleep(25);
                await sleep(random() * 150);
              })();
        const r = await runCli(["export", "--once", "--config", h.configPath], { env, killWhen });
        exited = true;
        if (r.signal === "SIGKILL") killed++;
        else assert.equal(r.code, 0, r.stderr);
        // Right after a kill, before any clean-up by a later run: whole windows only, none beyond the watermark.
        for (const [query, table] of QUERIES) if (await storedState(db, query)) await assertExactlyOnce(h, db, query, table, `after run ${i + 1} (${r.signal ?? r.code})`);
      }
      t.diagnostic(`${dialect}: ${killed} of 6 runs killed part-way`);
      assert.ok(killed >= 3, `most runs were killed part-way (${killed} of 6)`);
      const final = await runCli(["export", "--once", "--config", h.configPath], { env });
      assert.equal(final.code, 0, final.stderr);
      for (const [query, table] of QUERIES) {
        const { rows } = await assertExactlyOnce(h, db, query, table, `after the kills (${killed} of 6 runs killed)`);
        assert.ok(rows.length > 5_000, `${query}: ${rows.length} rows`);
      }
    } finally {
      await h.close();
    }
  });
});
