/**
 * Operator edges of `backfill` (issue 13): a relative range (durations before now) killed and re-run
 * with the same command resumes the same grid-aligned range and ends exact; `--list` shows each
 * range's progress; a usage error (--to in the future) exits 2 and records no run.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, listDataFiles, readQueryRows } from "./support/read-export.ts";

let h: Harness;
before(async () => {
  // real clock: the CLI runs in its own process on its own clock
  h = await startHarness({
    sim: { seed: 77, backfill: "PT6H", rowsPerSecond: 2, tables: ["AppRequests"], settleJitterMs: 500 },
    config: { window: { size: "PT5M", lag: "PT10S", start: "PT1H" }, log: { level: "warn" }, concurrency: 1 },
  });
});
after(() => h?.close());

const MIN5 = 300_000;

async function dataFiles(root: string, n: number): Promise<void> {
  for (;;) {
    const files = await listDataFiles(root).catch(() => []);
    if (files.length >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a relative backfill killed and re-run with the same command resumes its grid-aligned range and ends exact", { timeout: 240_000 }, async () => {
  const args = ["backfill", "--from", "PT5H", "--to", "PT2H", "--config", h.configPath];
  let killed = 0;
  for (let i = 0; i < 3 && killed === 0; i++) {
    const r = await runCli(args, { killWhen: dataFiles(h.exportDir, 5 + 3 * i) });
    if (r.signal === "SIGKILL") killed++;
  }
  assert.ok(killed >= 1, "a run was killed part-way");
  const partial = await runCli(["backfill", "--list", "--config", h.configPath]);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stdout, /^QUERY\tFROM\tTO\tWATERMARK\tROWS\tWINDOWS\tDONE$/m);
  const rangesBefore = partial.stdout.trim().split("\n").slice(1);
  assert.equal(rangesBefore.length, 1, partial.stdout);
  assert.match(rangesBefore[0]!, /\tno \(\d+%\)$/);

  const resumed = await runCli(args);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /^ok +requests:/m);

  const list = await runCli(["backfill", "--list", "--config", h.configPath]);
  const rows = list.stdout.trim().split("\n").slice(1);
  assert.equal(rows.length, 1, `one range, resumed, not a second one: ${list.stdout}`);
  const [query, from, to, watermark, , , done] = rows[0]!.split("\t");
  assert.equal(query, "requests");
  assert.equal(done, "yes");
  assert.equal(watermark, to);
  const range = { from: Date.parse(from!), to: Date.parse(to!) };
  assert.equal(range.from % MIN5, 0, `the first window is on the grid: ${from}`);
  assert.equal(range.to % MIN5, 0, `the end is on the grid: ${to}`);
  const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
  const truth = h.sim.truth("AppRequests", { ingestedFrom: range.from, ingestedBefore: range.to });
  assert.ok(truth.length > 10_000, `${truth.length} rows`);
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
  for (const file of await listDataFiles(h.exportDir)) {
    for (const [, d, hh, mm, ss, ms] of file.matchAll(/(\d{8})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z/g)) {
      const at = Date.parse(`${d!.slice(0, 4)}-${d!.slice(4, 6)}-${d!.slice(6)}T${hh}:${mm}:${ss}.${ms}Z`);
      assert.equal(at % MIN5, 0, `no off-grid window: ${file}`);
    }
  }
});

test("backfill --to in the future is a usage error: exit 2, nothing run, no run recorded", async () => {
  const lastRun = async () => {
    const status = await runCli(["status", "--json", "--config", h.configPath]);
    const rows = JSON.parse(status.stdout) as Array<{ query: string; lastRun: { runId: string } | null }>;
    return rows.find((q) => q.query === "requests")?.lastRun?.runId ?? null;
  };
  const before = await lastRun();
  const r = await runCli(["backfill", "--from", "PT30M", "--to", "2099-01-01T00:00:00Z", "--config", h.configPath]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[USAGE\].*later than now − window\.lag/);
  assert.doesNotMatch(r.stdout, /FAILED/);
  assert.equal(await lastRun(), before, "no run was recorded");
});
