/**
 * The throughput bench (`npm run bench`, scripts/bench-export.ts) in a tiny mode, so it cannot rot:
 * replay server, two pipelines as child processes, their round-trip checks and the JSON record. And
 * the round-trip judge itself fails on a wrong count, a missing row and a changed cell.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { judge, ndjsonRule } from "../scripts/bench/roundtrip.ts";
import type { Manifest } from "../scripts/bench/dataset.ts";

const root = join(import.meta.dirname, "..");

test("the bench runs end to end in a tiny mode: floor and ndjson+gzip, both round trips ok, results written", { timeout: 60_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), "monitorlift-bench-test-"));
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, "scripts", "bench-export.ts"), "--rows", "2000", "--window-rows", "1000", "--variants", "floor,monitorlift ndjson+gzip", "--out", out], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let o = "";
      let e = "";
      child.stdout.on("data", (d: Buffer) => (o += d.toString()));
      child.stderr.on("data", (d: Buffer) => (e += d.toString()));
      child.on("exit", (c) => resolve({ code: c, stdout: o, stderr: e }));
    });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /\| monitorlift ndjson\+gzip \| [\d,]+ \|/);
    const [file] = await readdir(out);
    const record = JSON.parse(await readFile(join(out, file!), "utf8")) as { data: { rows: number; windows: number }; results: { name: string; rowsPerS: number; cpuS: number; peakRssMB: number; xFloor?: number; roundTrip: { ok: boolean; rows: number; sampled: number } }[] };
    assert.equal(record.data.windows, 2);
    assert.ok(record.data.rows > 1500, `${record.data.rows} rows rendered`);
    assert.deepEqual(record.results.map((r) => r.name), ["floor", "monitorlift ndjson+gzip"]);
    for (const r of record.results) {
      assert.ok(r.roundTrip.ok && r.roundTrip.rows === record.data.rows, `${r.name}: ${JSON.stringify(r.roundTrip)}`);
      assert.ok(r.rowsPerS > 0 && r.cpuS > 0 && r.peakRssMB > 10, `${r.name}: measured from the child`);
    }
    assert.ok(record.results[1]!.roundTrip.sampled > 0, "sampled rows were compared cell by cell");
    assert.ok(record.results[1]!.xFloor! > 0);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test("the round-trip judge fails on a wrong count, a missing sampled row and a changed cell", () => {
  const m = {
    columns: [
      { name: "_ItemId", type: "string" },
      { name: "Properties", type: "dynamic" },
      { name: "DurationMs", type: "real" },
    ],
    sample: [
      ['"a"', '"{\\"k\\":1}"', "1.5"],
      ['"b"', '"plain"', "2"],
    ],
    rows: 10,
  } as unknown as Manifest;
  const good = new Map<string, Record<string, unknown>>([
    ["a", { _ItemId: "a", Properties: { k: 1 }, DurationMs: 1.5 }],
    ["b", { _ItemId: "b", Properties: "plain", DurationMs: 2 }],
  ]);
  assert.deepEqual(judge(m, 10, good, ndjsonRule).problems, []);
  assert.match(judge(m, 9, good, ndjsonRule).problems[0]!, /9 rows read back, 10 served/);
  assert.match(judge(m, 10, new Map([...good].slice(0, 1)), ndjsonRule).problems[0]!, /b missing/);
  const changed = new Map(good);
  changed.set("a", { _ItemId: "a", Properties: '{"k":1}', DurationMs: 1.5 });
  assert.match(judge(m, 10, changed, ndjsonRule).problems[0]!, /column Properties/);
});
