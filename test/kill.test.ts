/**
 * SIGKILL at random moments: the real CLI (`monitorlift export --once`) is killed over and
 * over part-way through, then allowed to finish; the export still holds every row exactly
 * once — the commit protocol (temp file, fsync, rename, then the watermark) at work.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness } from "./support/harness.ts";
import { runCli, seededRandom } from "./support/cli.ts";

test("an exporter killed at random moments, then re-run, exports every row exactly once", { timeout: 300_000 }, async () => {
  const h = await startHarness({
    sim: { seed: 41, backfill: "PT5H", rowsPerSecond: 2, tables: ["AppRequests", "AppDependencies"], settleJitterMs: 1000 },
    config: {
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "dependencies", table: "AppDependencies" },
      ],
      window: { size: "PT2M", lag: "PT10S", start: "PT4H" },
      log: { level: "warn" },
    },
  });
  try {
    const random = seededRandom(12345);
    let killed = 0;
    for (let i = 0; i < 8; i++) {
      const r = await runCli(["export", "--once", "--config", h.configPath], { killAfterMs: 150 + Math.floor(random() * 1200) });
      if (r.signal === "SIGKILL") killed++;
      else assert.equal(r.code, 0, r.stderr);
    }
    assert.ok(killed >= 4, `most runs were killed part-way (${killed} of 8)`);
    const last = await runCli(["export", "--once", "--config", h.configPath]);
    assert.equal(last.code, 0, last.stderr);
    for (const [query, table] of [["requests", "AppRequests"], ["dependencies", "AppDependencies"]] as const) {
      const wm = (await h.watermark(query))!;
      assert.ok(wm, `${query} has a watermark`);
      const exported = (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
      const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
      assert.ok(truth.length > 10_000, `${query}: ${truth.length} rows`);
      assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] }, query);
    }
    // nothing temporary is left behind once a run completes
    const leftovers: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else if (e.name.startsWith("_tmp.")) leftovers.push(join(dir, e.name));
      }
    };
    await walk(h.exportDir);
    assert.deepEqual(leftovers, []);
  } finally {
    await h.close();
  }
});
