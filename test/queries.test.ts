/** Every example in queries/ is valid, runs against the local workspace and exports what it projects. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createManualClock } from "../src/simulator/index.ts";
import { readQueryRows } from "./support/read-export.ts";
import { startHarness } from "./support/harness.ts";

const dir = join(import.meta.dirname, "..", "queries");

test("each queries/*.kql exports its projected columns from the simulator", async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".kql")).sort();
  assert.ok(files.length >= 8, "an example for each standard App Insights table");
  const queries = files.map((f) => ({ name: f.replace(/\.kql$/, ""), file: join(dir, f) }));
  const h = await startHarness({
    sim: { clock: createManualClock(Date.parse("2026-11-22T12:00:00Z")), seed: 61, backfill: "PT3H", rowsPerSecond: 1 },
    config: { queries, window: { size: "PT30M", lag: "PT1M", start: "PT2H" } },
  });
  try {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.entries()].map(([q, e]) => `${q}: ${String(e)}`).join("\n"));
    for (const { name, file } of queries) {
      const text = await readFile(file, "utf8");
      const projected = /\| project (.+)$/m.exec(text)?.[1]?.split(",").map((c) => c.trim());
      const rows = await readQueryRows(h.exportDir, name);
      assert.ok(rows.length > 0, `${name} exported rows`);
      if (projected) assert.deepEqual(Object.keys(rows[0]!), projected, `${name} columns`);
    }
  } finally {
    await h.close();
  }
});
