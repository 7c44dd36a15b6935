/**
 * Honest exits (issue 13, point 5): `export --once` that stops at window.maxWindowsPerRun says how far
 * behind the query still is, `--catch-up` keeps going until caught up; `validate` refuses what the
 * client would refuse and `validate --connect` fails fast; `status` survives one corrupt state file.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { windowsBehind } from "../src/window/plan.ts";

let h: Harness;
before(async () => {
  // real clock: the CLI runs in its own process on its own clock
  h = await startHarness({
    sim: { seed: 91, backfill: "PT3H", rowsPerSecond: 0.5, tables: ["AppRequests", "AppDependencies"], settleJitterMs: 500 },
    config: {
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "dependencies", table: "AppDependencies" },
      ],
      window: { size: "PT5M", lag: "PT10S", start: "PT2H", maxWindowsPerRun: 5 },
      log: { level: "warn" },
    },
  });
});
after(() => h?.close());

const M5 = 300_000;

test("export --once stopped at maxWindowsPerRun says how far behind; --catch-up runs until caught up", { timeout: 120_000 }, async () => {
  const once = await runCli(["export", "--once", "--config", h.configPath]);
  assert.equal(once.code, 0, once.stderr);
  assert.match(once.stdout, /^ok +requests: \d+ rows in 5 windows watermark \S+ — still \d+ windows \(\dh\d+m\) behind: stopped at window\.maxWindowsPerRun \(5\); run again or use --catch-up$/m);
  assert.match(once.stderr, /stopped at window\.maxWindowsPerRun \(5\); still \d+ windows/);
  assert.match(once.stderr, /"behindWindows":\d+/);

  const caught = await runCli(["export", "--once", "--catch-up", "--config", h.configPath]);
  assert.equal(caught.code, 0, caught.stderr);
  const last = caught.stdout.trim().split("\n").slice(-2).join("\n");
  assert.doesNotMatch(last, /behind/, caught.stdout);
  for (const [query, table] of [["requests", "AppRequests"], ["dependencies", "AppDependencies"]] as const) {
    const wm = (await h.watermark(query))!;
    assert.ok(windowsBehind(wm.watermark, Date.now(), M5, 10_000) <= 1, `${query} caught up (${new Date(wm.watermark).toISOString()})`);
    const exported = (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
    const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
    assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] }, query);
  }
});

/** A config like the harness's with `source` changed, in its own file. */
async function configWith(name: string, source: Record<string, unknown>): Promise<string> {
  const path = join(h.dir, `${name}.json`);
  await writeFile(path, JSON.stringify({ ...h.config, source: { ...(h.config.source as object), ...source } }, null, 2));
  return path;
}

test("validate --connect against an endpoint that never answers fails in seconds with a validate-specific message", { timeout: 60_000 }, async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s)); // accepts, never answers
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const port = (silent.address() as { port: number }).port;
  try {
    const config = await configWith("silent", { endpoint: `http://127.0.0.1:${port}/v1`, requestTimeout: "PT5M", serverTimeout: "PT4M" });
    const started = Date.now();
    const r = await runCli(["validate", "--connect", "--timeout", "PT2S", "--config", config]);
    const took = Date.now() - started;
    assert.equal(r.code, 1, r.stderr);
    assert.ok(took < 15_000, `bounded: ${took} ms`);
    assert.match(r.stdout, /query requests: error \[SOURCE_TIMEOUT\]: no answer from http:\/\/127\.0\.0\.1:\d+ within 2s/);
    assert.match(r.stdout, /query dependencies: not tried/);
    assert.doesNotMatch(r.stdout, /retried|watermark/);

    // nothing listening: refused at once, said plainly, no runner wording
    silent.close();
    for (const s of sockets) s.destroy();
    const refused = await runCli(["validate", "--connect", "--config", config]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stdout, /query requests: error \[SOURCE_CONNECTION\]: .*ECONNREFUSED.*validate does not retry/);
    assert.doesNotMatch(refused.stdout, /the window is retried|watermark has not moved/);
  } finally {
    silent.close();
    for (const s of sockets) s.destroy();
  }
});

test("status with one corrupt state file reports it for that query and still shows the others (exit 1)", { timeout: 60_000 }, async () => {
  const file = join(h.exportDir, "_state", "requests", "live.json");
  const good = await readFile(file, "utf8");
  await writeFile(file, '{"watermark":"soon"}');
  try {
    const table = await runCli(["status", "--config", h.configPath]);
    assert.equal(table.code, 1, table.stderr);
    assert.match(table.stdout, /^requests +STATE CORRUPT/m);
    assert.match(table.stdout, /^dependencies +20\d\d-\d\d-\d\dT\S+Z/m);
    assert.match(table.stderr, /error \[STATE_CORRUPT\]: requests: .*_state[\\/]requests[\\/]live\.json/);
    const json = await runCli(["status", "--json", "--config", h.configPath]);
    assert.equal(json.code, 1);
    const rows = JSON.parse(json.stdout) as Array<{ query: string; watermark: string | null; stateError?: string }>;
    assert.match(rows.find((r) => r.query === "requests")!.stateError ?? "", /live\.json/);
    assert.ok(rows.find((r) => r.query === "dependencies")!.watermark, "the other query is still shown");
    const check = await runCli(["status", "--check", "--config", h.configPath]);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /check failed: requests: its stored state is corrupt/);
  } finally {
    await writeFile(file, good);
  }
  const repaired = await runCli(["status", "--config", h.configPath]);
  assert.equal(repaired.code, 0, repaired.stderr);
});
