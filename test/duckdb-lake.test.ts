/**
 * The README's DuckDB queries, run as written there (extracted from README.md, so the README cannot
 * drift from what is tested) against a filesystem export in ndjson (gzip) and in parquet whose range holds
 * empty windows — the query's filter matches nothing in a stretch of them. Empty windows write no file
 * (checked), and DuckDB returns exactly the simulator's ground truth: every `_ItemId` once, with the
 * `date`/`hour` partition columns of the folder each row's window starts in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parseChunkName } from "../src/sinks/layout.ts";
import { gridFloor } from "../src/window/plan.ts";
import { startHarness } from "./support/harness.ts";
import { compareItemIds, listDataFiles } from "./support/read-export.ts";

const README = join(import.meta.dirname, "..", "README.md");
const SIZE = 5 * 60_000;

/** The SELECT statements of the ```sql block right after "DuckDB reads it directly" in the README. */
async function readmeQueries(): Promise<string[]> {
  const text = await readFile(README, "utf8");
  const at = text.indexOf("DuckDB reads it directly");
  assert.ok(at >= 0, "the README has the DuckDB paragraph");
  const block = /```sql\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(block, "a ```sql block follows it");
  return block[1]!
    .split("\n")
    .filter((l) => l.trim().length > 0 && !l.trim().startsWith("--"))
    .join("\n")
    .split(";")
    .map((q) => q.trim())
    .filter(Boolean);
}

async function duckdb(cwd: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    // The README's paths are relative to the folder holding `export/`.
    await conn.run(`SET file_search_path = '${cwd.replaceAll("'", "''")}'`);
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

test("the README's DuckDB queries read an ndjson (gzip) and a parquet export with empty windows: exactly the ground truth", { timeout: 120_000 }, async (t) => {
  const queries = await readmeQueries();
  const formats = [
    { format: "ndjson", compression: "gzip", extension: ".ndjson.gz", sql: queries.find((q) => q.includes("read_json_auto")) },
    { format: "parquet", extension: ".parquet", sql: queries.find((q) => q.includes("read_parquet")) },
  ];
  for (const f of formats) assert.ok(f.sql?.includes(`export/requests/*/*/*${f.extension}`), `the README has a ${f.format} query: ${queries.join(" | ")}`);

  const h = await startHarness({ sim: { seed: 141, backfill: "PT3H", rowsPerSecond: 0.5, tables: ["AppRequests"] } });
  try {
    const now = h.sim.clock();
    const origin = gridFloor(now - 2 * 3_600_000, SIZE);
    // Nothing ingested in [gapFrom, gapTo) passes the filter: those six windows are empty.
    const gapFrom = origin + 6 * SIZE;
    const gapTo = gapFrom + 6 * SIZE;
    const iso = (ms: number) => new Date(ms).toISOString();
    const transform = `where ingestion_time() < datetime(${iso(gapFrom)}) or ingestion_time() >= datetime(${iso(gapTo)})`;
    for (const f of formats) {
      const root = join(h.dir, f.format);
      await h.writeConfig({
        queries: [{ name: "requests", table: "AppRequests", transform }],
        window: { size: "PT5M", lag: "PT1M", start: iso(origin), reverify: "PT0S" },
        sink: { type: "filesystem", path: join(root, "export"), format: f.format, ...(f.compression ? { compression: f.compression } : {}) },
      });
      const report = await h.exportOnce();
      assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
      const wm = (await h.watermark("requests"))!;
      assert.equal(wm.origin, origin);
      const truth = [
        ...h.sim.truth("AppRequests", { ingestedFrom: origin, ingestedBefore: gapFrom }),
        ...h.sim.truth("AppRequests", { ingestedFrom: gapTo, ingestedBefore: wm.watermark }),
      ];
      assert.ok(truth.length > 1000, `${f.format}: ${truth.length} rows`);

      // Empty windows wrote no file: every file is a window with rows, none in the gap.
      const files = await listDataFiles(join(root, "export", "requests"));
      const windows = files.map((file) => parseChunkName(basename(file))!.window);
      assert.ok(files.every((file) => file.endsWith(f.extension)), `${f.format}: only ${f.extension} files`);
      assert.deepEqual(windows.filter((w) => w.start >= gapFrom && w.end <= gapTo), [], `${f.format}: no file for an empty window`);
      assert.equal(files.length, (wm.watermark - wm.origin) / SIZE - 6, `${f.format}: one file per window with rows`);

      const rows = await duckdb(root, f.sql!);
      assert.deepEqual(compareItemIds(rows.map((r) => String(r._ItemId)), truth), { missing: [], duplicated: [], unexpected: [] }, `${f.format}: DuckDB reads every row once`);
      for (const r of rows.slice(0, 50)) {
        assert.ok(r.date !== undefined && r.hour !== undefined, `${f.format}: the partition columns are there`);
      }
      t.diagnostic(`${f.format}: ${files.length} files for ${(wm.watermark - wm.origin) / SIZE} windows; DuckDB read ${rows.length} rows`);
    }
  } finally {
    await h.close();
  }
});
