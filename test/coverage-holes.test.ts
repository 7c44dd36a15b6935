/**
 * Coverage, not just watermarks (issue 13): the live export started at T, one backfill [A, B) and
 * another [C, T) with B < C (off the window grid) leave rows ingested in [B, C) in no range while every
 * command says "ok". `status` names the hole (text, --json, --check exits 1); `backfill --fill-holes`,
 * killed part-way and re-run, exports exactly the hole; then the export holds every row ingested in
 * [A, watermark) exactly once and `status` shows one covered range and no hole. Real CLI, simulator.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { backfillScope, compactInstant } from "../src/sinks/layout.ts";
import { runCli, type CliResult } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, listDataFiles, readQueryRows } from "./support/read-export.ts";

let h: Harness;
before(async () => {
  // real clock: the CLI runs in its own process on its own clock
  h = await startHarness({
    sim: { seed: 1313, backfill: "PT6H", rowsPerSecond: 2, tables: ["AppRequests"], settleJitterMs: 500 },
    config: { window: { size: "PT5M", lag: "PT10S", start: "PT1H" }, log: { level: "warn" }, concurrency: 1 },
  });
});
after(() => h?.close());

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface StatusJson {
  query: string;
  coverage: { covered: Array<{ from: string; to: string }>; pending: Array<{ from: string; to: string }>; holes: Array<{ from: string; to: string; seconds: number }> } | null;
}

async function status(...extra: string[]): Promise<{ run: CliResult; rows: StatusJson[] }> {
  const run = await runCli(["status", "--json", ...extra, "--config", h.configPath]);
  return { run, rows: JSON.parse(run.stdout) as StatusJson[] };
}

/** Resolves once the export holds `n` data files; stops looking when `done` is set (the CLI exited on its own). */
async function dataFiles(n: number, done: { exited: boolean }): Promise<void> {
  while (!done.exited) {
    const files = await listDataFiles(h.exportDir).catch(() => []);
    if (files.length >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a hole between two backfills is reported by status, and backfill --fill-holes (killed, re-run) exports exactly it", { timeout: 300_000 }, async () => {
  const live = await runCli(["export", "--once", "--catch-up", "--config", h.configPath]);
  assert.equal(live.code, 0, live.stderr + live.stdout);
  const wm = await h.watermark("requests");
  assert.ok(wm, "the live export has a cursor");
  const T = wm.origin;
  const A = T - 240 * MIN;
  const B = T - 200 * MIN + 7 * MIN + 3_123; // off the 5-minute grid, to the millisecond
  const C = T - 60 * MIN - 26 * MIN - 51_000; // off the grid too: the hole holds 22 windows, the first and last clipped
  for (const [from, to] of [
    [A, B],
    [C, T],
  ] as const) {
    const r = await runCli(["backfill", "--from", iso(from), "--to", iso(to), "--config", h.configPath]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^ok +requests:/m);
  }

  // every command said ok, yet [B, C) belongs to no range: status says so
  const before = await status();
  assert.equal(before.run.code, 0, "without --check a hole does not change the exit code");
  assert.deepEqual(before.rows[0]!.coverage, {
    covered: [
      { from: iso(A), to: iso(B), seconds: (B - A) / 1000 },
      { from: iso(C), to: iso(wm.watermark), seconds: (wm.watermark - C) / 1000 },
    ],
    pending: [],
    holes: [{ from: iso(B), to: iso(C), seconds: (C - B) / 1000 }],
  });
  assert.match(before.run.stderr, new RegExp(`warning: requests: HOLE in coverage ${iso(B)}–${iso(C)}`));
  const text = await runCli(["status", "--config", h.configPath]);
  assert.match(text.stdout, new RegExp(`^  requests HOLE ${iso(B)}–${iso(C)} \\(1h46m\\): .*never exported \\(monitorlift backfill --fill-holes --query requests\\)$`, "m"));
  const check = await runCli(["status", "--check", "--config", h.configPath]);
  assert.equal(check.code, 1, check.stderr);

  // A corrupt cursor of another query (its live one, and one of its backfill ranges) leaves that query's
  // coverage unknown, and only its: this query's hole is still shown and warned about.
  const otherConfig = join(h.dir, "with-other.json");
  await writeFile(otherConfig, JSON.stringify({ ...h.config, queries: [{ name: "requests", table: "AppRequests" }, { name: "other", table: "AppRequests" }] }));
  const otherState = join(h.exportDir, "_state", "other");
  await mkdir(otherState, { recursive: true });
  await writeFile(join(otherState, "live.json"), '{"watermark":"soon"}');
  await writeFile(join(otherState, `${backfillScope(A, B)}.json`), "not json");
  try {
    const mixed = await runCli(["status", "--json", "--config", otherConfig]);
    assert.equal(mixed.code, 1, "a corrupt cursor exits 1");
    const rows = JSON.parse(mixed.stdout) as Array<StatusJson & { stateError?: string }>;
    assert.deepEqual(rows.find((r) => r.query === "requests")!.coverage?.holes, [{ from: iso(B), to: iso(C), seconds: (C - B) / 1000 }]);
    const other = rows.find((r) => r.query === "other")!;
    assert.equal(other.coverage, null);
    assert.match(other.stateError ?? "", /live\.json/, "both corrupt cursors named");
    assert.match(other.stateError ?? "", new RegExp(`${backfillScope(A, B)}\\.json`));
    assert.match(mixed.stderr, new RegExp(`warning: requests: HOLE in coverage ${iso(B)}–${iso(C)}`));
    assert.match(mixed.stderr, /error \[STATE_CORRUPT\]: other: /);
  } finally {
    await rm(otherState, { recursive: true, force: true });
  }
  assert.match(check.stderr, new RegExp(`check failed: requests: HOLE in coverage ${iso(B)}–${iso(C)}`));

  const usage = await runCli(["backfill", "--fill-holes", "--from", "PT1H", "--config", h.configPath]);
  assert.equal(usage.code, 2, usage.stderr);

  // --fill-holes killed part-way: its range is then an unfinished backfill (pending, not a hole), and the re-run resumes it
  const filesBefore = (await listDataFiles(h.exportDir)).length;
  const fillArgs = ["backfill", "--fill-holes", "--query", "requests", "--config", h.configPath];
  const exited = { exited: false };
  const killed = await runCli(fillArgs, { killWhen: dataFiles(filesBefore + 3, exited) }).finally(() => (exited.exited = true));
  assert.equal(killed.signal, "SIGKILL", `killed part-way: ${killed.stdout}${killed.stderr}`);
  const mid = await status();
  assert.deepEqual(mid.rows[0]!.coverage!.holes, [], "the hole is now a backfill range's");
  assert.equal(mid.rows[0]!.coverage!.pending.at(-1)!.to, iso(C), "its unexported rest is pending");

  const resumed = await runCli(fillArgs);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, new RegExp(`^fill requests: resuming unfinished backfill range ${iso(B)}/${iso(C)}$`, "m"));
  assert.match(resumed.stdout, /^ok +requests:/m);
  assert.doesNotMatch(resumed.stderr, /BACKFILL_OVERLAP/);

  const list = await runCli(["backfill", "--list", "--config", h.configPath]);
  const ranges = list.stdout.trim().split("\n").slice(1).map((l) => l.split("\t"));
  assert.deepEqual(
    ranges.map(([, from, to, watermark, , , done]) => [from, to, watermark === to, done]),
    [
      [iso(A), iso(B), true, "yes"],
      [iso(B), iso(C), true, "yes"],
      [iso(C), iso(T), true, "yes"],
    ],
    "three ranges: the hole's range has exactly the hole's bounds",
  );
  const chunks = await listDataFiles(h.exportDir);
  assert.ok(chunks.some((f) => f.includes(`${compactInstant(B)}_`)), "the first window of the fill starts exactly at B");
  assert.ok(chunks.some((f) => f.includes(`_${compactInstant(C)}`)), "its last window ends exactly at C");

  const afterFill = await status("--check");
  assert.equal(afterFill.run.code, 0, afterFill.run.stderr);
  assert.deepEqual(afterFill.rows[0]!.coverage, { covered: [{ from: iso(A), to: iso(wm.watermark), seconds: (wm.watermark - A) / 1000 }], pending: [], holes: [] });
  const again = await runCli(fillArgs);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to fill/);

  // the union of everything exported is the simulator's ground truth over [A, watermark), each row once
  assert.deepEqual(await h.watermark("requests"), wm, "the live cursor was not touched");
  const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
  const truth = h.sim.truth("AppRequests", { ingestedFrom: A, ingestedBefore: wm.watermark });
  const hole = h.sim.truth("AppRequests", { ingestedFrom: B, ingestedBefore: C });
  assert.ok(hole.length > 1_000, `${hole.length} rows were ingested in the hole`);
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
});
