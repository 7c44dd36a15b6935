/**
 * The CLI as a user meets it: exit codes (0 ok, 1 a query failed, 2 usage/config), one-paragraph
 * errors naming the key or query, `validate --connect`, `status`, `export --once`, `--help`, and
 * SIGTERM stopping a scheduled export gracefully (exit 0).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";

let h: Harness;
before(async () => {
  // real clock: the CLI runs in its own process on its own clock
  h = await startHarness({
    sim: { seed: 51, backfill: "PT2H", rowsPerSecond: 0.5, tables: ["AppRequests", "AppDependencies"], settleJitterMs: 500 },
    config: {
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "failed_dependencies", file: join(import.meta.dirname, "..", "queries", "failed_dependencies.kql") },
      ],
      window: { size: "PT10M", lag: "PT5S", start: "PT1H" },
      log: { level: "warn" },
    },
  });
});
after(() => h?.close());

test("--help lists the commands with examples; an unknown command is a usage error (exit 2)", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  for (const cmd of ["export", "backfill", "status", "validate", "simulate"]) assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
  assert.match(help.stdout, /Examples:/);
  const exportHelp = await runCli(["export", "--help"]);
  assert.equal(exportHelp.code, 0);
  assert.match(exportHelp.stdout, /--once/);
  const bad = await runCli(["exprot"]);
  assert.equal(bad.code, 2);
});

test("validate: a typo'd key is exit 2 with the path and a suggestion, and no stack trace", async () => {
  const file = join(h.dir, "typo.json");
  await writeFile(file, JSON.stringify({ ...h.config, queries: [{ name: "requests", tabel: "AppRequests" }] }));
  const r = await runCli(["validate", "--config", file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /queries\[0\]\.tabel: unknown key — did you mean "table"\?/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace without --verbose");
  const missing = await runCli(["validate", "--config", join(h.dir, "nope.json")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json/);
});

test("validate --connect runs each query on an empty window and probes the sink", async () => {
  const ok = await runCli(["validate", "--connect", "--config", h.configPath]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /sink: writable/);
  assert.match(ok.stdout, /query requests: ok \(\d+ columns\)/);
  assert.match(ok.stdout, /query failed_dependencies: ok \(9 columns\)/);
  assert.doesNotMatch(ok.stdout, /_ItemId/, "both queries export _ItemId");
  // A .kql file without _ItemId runs, with a warning: the service hides the column unless the query names it.
  const noId = join(h.dir, "no-id.kql");
  await writeFile(noId, "AppRequests\n| $window\n| project TimeGenerated, Name\n");
  const noIdConfig = join(h.dir, "no-id.json");
  await writeFile(noIdConfig, JSON.stringify({ ...h.config, queries: [{ name: "no_id", file: noId }, { name: "quiet", table: "AppRequests", hiddenColumns: [] }] }));
  const warned = await runCli(["validate", "--connect", "--config", noIdConfig]);
  assert.equal(warned.code, 0, warned.stdout + warned.stderr);
  assert.match(warned.stdout, /query no_id: ok \(2 columns\)\nwarning: query no_id: the result has no _ItemId column — the service hides it unless the query names it/);
  assert.match(warned.stdout, /query quiet: ok \(\d+ columns\)/);
  assert.doesNotMatch(warned.stdout, /warning: query quiet/, "hiddenColumns: [] leaves _ItemId out on purpose");
  const file = join(h.dir, "badquery.json");
  await writeFile(file, JSON.stringify({ ...h.config, queries: [{ name: "oops", table: "AppRequests", transform: "where Nope == 1" }] }));
  const bad = await runCli(["validate", "--connect", "--config", file]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /query oops: error \[SOURCE_REQUEST_INVALID\].*Nope/);
});

test("export --once exits 0 and status shows the watermark; a failing query makes it exit 1", async () => {
  const r = await runCli(["export", "--once", "--config", h.configPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ok +requests: \d+ rows in \d+ windows watermark/);
  const status = await runCli(["status", "--json", "--config", h.configPath]);
  assert.equal(status.code, 0, status.stderr);
  const rows = JSON.parse(status.stdout) as Array<{ query: string; watermark: string; lagSeconds: number; lastRun: { outcome: string } }>;
  const requests = rows.find((x) => x.query === "requests")!;
  assert.ok(requests.watermark && requests.lagSeconds >= 5);
  assert.equal(requests.lastRun.outcome, "ok");
  const table = await runCli(["status", "--config", h.configPath]);
  assert.match(table.stdout, /QUERY +WATERMARK +LAG/);
  // the alerting probe: fine as it is, failing (exit 1, the reason on stderr) when the allowed lag is exceeded
  const check = await runCli(["status", "--check", "--max-lag", "PT1H", "--config", h.configPath]);
  assert.equal(check.code, 0, check.stderr);
  const late = await runCli(["status", "--check", "--max-lag", "PT1S", "--config", h.configPath]);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /check failed: requests: lags \d+[smh] behind now, more than the 1s allowed/);
  // plan: a dry run from the stored watermark that changes nothing
  const plan = await runCli(["plan", "--json", "--config", h.configPath]);
  assert.equal(plan.code, 0, plan.stderr);
  const planned = (JSON.parse(plan.stdout) as Array<{ query: string; watermark: string; from: string; windows: number }>).find((p) => p.query === "requests")!;
  const stored = (await h.watermark("requests"))!;
  assert.deepEqual([planned.from, planned.watermark], ["cursor", new Date(stored.watermark).toISOString()]);
  assert.ok(planned.windows >= 0);
  assert.deepEqual(await h.watermark("requests"), stored, "plan moved nothing");
  // ls: every committed window with the rows recorded at its commit, adding up to the rows in the files
  const ls = await runCli(["ls", "--json", "--since", "P1D", "--config", h.configPath]);
  assert.equal(ls.code, 0, ls.stderr);
  const listed = (JSON.parse(ls.stdout) as Array<{ query: string; windows: Array<{ window: string; rows: number | null }> }>).find((l) => l.query === "requests")!;
  assert.ok(listed.windows.length > 0);
  assert.equal(listed.windows.reduce((n, w) => n + (w.rows ?? 0), 0), (await readQueryRows(h.exportDir, "requests")).length);
  const misuse = await runCli(["status", "--max-lag", "PT1S", "--config", h.configPath]);
  assert.equal(misuse.code, 2, "--max-lag without --check is a usage error");

  const wm = (await h.watermark("requests"))!;
  const exported = (await readQueryRows(h.exportDir, "requests")).map((x) => String(x._ItemId));
  assert.deepEqual(compareItemIds(exported, h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark })), {
    missing: [],
    duplicated: [],
    unexpected: [],
  });

  const file = join(h.dir, "mixed.json");
  await writeFile(file, JSON.stringify({ ...h.config, queries: [...(h.config.queries as object[]), { name: "broken", table: "NoSuchTable" }] }));
  const mixed = await runCli(["export", "--once", "--config", file]);
  assert.equal(mixed.code, 1);
  assert.match(mixed.stdout, /FAILED broken/);
  assert.match(mixed.stdout, /ok +requests/);
});

test("a scheduled export stops gracefully on SIGTERM with exit 0, like export --once and backfill", async () => {
  const file = join(h.dir, "scheduled.json");
  await writeFile(file, JSON.stringify({ ...h.config, schedule: "*/30 * * * * *" }));
  let spawned: import("node:child_process").ChildProcess | undefined;
  const child = runCli(["export", "--config", file], { timeoutMs: 60_000, onSpawn: (c) => (spawned = c) });
  await new Promise((r) => setTimeout(r, 2500));
  spawned!.kill("SIGTERM");
  const r = await child;
  assert.equal(r.signal, null, "it exited by itself");
  assert.equal(r.code, 0, r.stderr);
});
