/**
 * Several sources in one config, end to end through the real CLI: two simulated workspaces (two
 * simulators, different data) read by one config with named sources, the same table exported from
 * both under two query names. `validate --connect`, `backfill`, `export`, `plan`, `verify`, `ls` and `status` run as
 * child processes; each query's exported `_ItemId`s (filesystem, then SQLite) equal its own
 * workspace's ground truth over what its cursors cover: none missing, none twice, none from the
 * other workspace. The state layout is the one a single-source config has (`_state/<query>/…`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openContext } from "../src/cli/context.ts";
import { startSimulator, type Simulator } from "../src/simulator/index.ts";
import { LIVE_SCOPE, parseScopeRange } from "../src/sinks/layout.ts";
import type { CursorState, StateKey } from "../src/sinks/sink.ts";
import { runCli } from "./support/cli.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { describeSql, storedRows } from "./support/sql-target.ts";

/** query → [source, simulator table] */
const QUERIES = {
  requests_east: ["east", "AppRequests"],
  requests_west: ["west", "AppRequests"],
  traces_west: ["west", "AppTraces"],
} as const;
type QueryName = keyof typeof QUERIES;

interface Fixture {
  sims: Record<"east" | "west", Simulator>;
  dir: string;
  configPath: string;
  close(): Promise<void>;
}

async function startFixture(sink: (dir: string) => Record<string, unknown>): Promise<Fixture> {
  const common = { visibility: false as const, backfill: "PT3H", rowsPerSecond: 0.2, tables: ["AppRequests", "AppTraces"] };
  const sims = { east: await startSimulator({ ...common, seed: 101 }), west: await startSimulator({ ...common, seed: 202 }) };
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-multi-"));
  const configPath = join(dir, "monitorlift.json");
  const source = (s: Simulator) => ({ workspaceId: s.workspaceId, endpoint: s.endpoint, auth: { method: "none" }, retryDelay: "PT0.01S", maxRetryDelay: "PT0.2S" });
  const config = {
    sources: { east: source(sims.east), west: source(sims.west) },
    queries: Object.entries(QUERIES).map(([name, [src, table]]) => ({ name, table, source: src })),
    window: { mode: "ingestion", size: "PT5M", lag: "PT1M", start: "PT2H", reverify: "PT0S" },
    sink: sink(dir),
    concurrency: 4,
    log: { level: "warn" },
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return {
    sims,
    dir,
    configPath,
    async close() {
      await Promise.all([sims.east.close(), sims.west.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function cli(f: Fixture, args: string[], env: Record<string, string> = {}) {
  const r = await runCli([...args, "-c", f.configPath], { env, timeoutMs: 180_000 });
  return { ...r, all: `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}` };
}

/** Every cursor of the configured destination, read through the exporter's own state store. */
async function cursors(f: Fixture, env: Record<string, string> = {}): Promise<Array<{ key: StateKey; state: CursorState }>> {
  const ctx = await openContext({ config: f.configPath }, env);
  try {
    await ctx.destination.sink.start();
    return await ctx.destination.cursors.list();
  } finally {
    await ctx.destination.shutdown();
  }
}

/** What a query's cursors cover in its own workspace: the backfill ranges' committed parts and the live [origin, watermark). */
function truthOf(f: Fixture, all: Array<{ key: StateKey; state: CursorState }>, query: QueryName): string[] {
  const [src, table] = QUERIES[query];
  const sim = f.sims[src];
  const ids: string[] = [];
  let live = false;
  for (const { key, state } of all.filter((c) => c.key.query === query)) {
    if (key.scope === LIVE_SCOPE) {
      live = true;
      ids.push(...sim.truth(table, { ingestedFrom: state.origin, ingestedBefore: state.watermark }));
      continue;
    }
    const range = parseScopeRange(key.scope)!;
    assert.equal(state.watermark, range.to, `${query}: backfill ${key.scope} is complete`);
    ids.push(...sim.truth(table, { ingestedFrom: range.from, ingestedBefore: range.to }));
  }
  assert.ok(live, `${query} has a live cursor`);
  return ids;
}

/** The sets of two workspaces' rows share nothing: a query reading the wrong one could not pass. */
function assertDistinctWorkspaces(f: Fixture): void {
  const east = new Set(f.sims.east.truth("AppRequests"));
  const west = f.sims.west.truth("AppRequests");
  assert.ok(east.size > 0 && west.length > 0);
  assert.equal(west.filter((id) => east.has(id)).length, 0, "the two workspaces hold different rows");
}

test("two workspaces, one config, filesystem: validate, backfill, export, plan, verify and status; each query exactly its own workspace's rows", async () => {
  const f = await startFixture((dir) => ({ type: "filesystem", path: join(dir, "export"), format: "ndjson", compression: "gzip" }));
  try {
    assertDistinctWorkspaces(f);
    const validate = await cli(f, ["validate", "--connect"]);
    assert.equal(validate.code, 0, validate.all);
    for (const [q, [src]] of Object.entries(QUERIES)) assert.match(validate.stdout, new RegExp(`^query ${q} \\(source ${src}\\): ok \\(\\d+ columns\\)$`, "m"), validate.all);

    const backfill = await cli(f, ["backfill", "--from", "PT3H", "--to", "PT2H"]);
    assert.equal(backfill.code, 0, backfill.all);
    for (const [q, [src]] of Object.entries(QUERIES)) assert.match(backfill.stdout, new RegExp(`^ok +${q} \\(source ${src}\\): \\d+ rows in 12 windows`, "m"), backfill.all);

    const plan = JSON.parse((await cli(f, ["plan", "--json"])).stdout) as Array<{ query: string; source?: string; windows: number }>;
    assert.deepEqual(plan.map((p) => [p.query, p.source]), Object.entries(QUERIES).map(([q, [src]]) => [q, src]));
    assert.ok(plan.every((p) => p.windows >= 22), JSON.stringify(plan));

    const exported = await cli(f, ["export", "--once", "--log-level", "info", "--log-format", "json"]);
    assert.equal(exported.code, 0, exported.all);
    for (const [q, [src]] of Object.entries(QUERIES)) assert.match(exported.stdout, new RegExp(`^ok +${q} \\(source ${src}\\): \\d+ rows`, "m"), exported.all);
    // Logs and the run-complete event name each query's source.
    const logs = exported.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [q, [src]] of Object.entries(QUERIES)) {
      assert.ok(logs.some((l) => l.msg === "window committed" && l.query === q && l.source === src), `${q}: committed windows are logged with source ${src}`);
    }
    const event = logs.find((l) => l.msg === "run complete")?.runComplete as { queries: Array<{ name: string; source?: string }> } | undefined;
    assert.deepEqual(event?.queries.map((q) => [q.name, q.source]), Object.entries(QUERIES).map(([q, [src]]) => [q, src]));

    const all = await cursors(f);
    const root = join(f.dir, "export");
    for (const q of Object.keys(QUERIES) as QueryName[]) {
      const truth = truthOf(f, all, q);
      const ids = (await readQueryRows(root, q)).map((r) => String(r._ItemId));
      assert.deepEqual(compareItemIds(ids, truth), { missing: [], duplicated: [], unexpected: [] }, q);
      assert.ok(truth.length > 1000, `${q}: ${truth.length} rows`);
      // The layout of a single-source config: no source name in state keys or paths.
      await stat(join(root, "_state", q, `${LIVE_SCOPE}.json`));
    }

    // verify asks each query's own workspace: every committed window matches.
    const verify = await cli(f, ["verify", "--since", "PT4H"]);
    assert.equal(verify.code, 0, verify.all);
    // verify and ls name each query's source, in lines and JSON, as status and plan do.
    for (const [q, [src]] of Object.entries(QUERIES)) assert.match(verify.stdout, new RegExp(`^${q} \\(source ${src}\\): \\S+ \\d+ windows checked, 0 differ`, "m"), verify.all);
    const ls = await cli(f, ["ls", "--since", "PT1H"]);
    assert.equal(ls.code, 0, ls.all);
    for (const [q, [src]] of Object.entries(QUERIES)) assert.match(ls.stdout, new RegExp(`^${q} \\(source ${src}\\) \\(watermark \\S+\\): \\d+ windows$`, "m"), ls.all);
    const lsJson = JSON.parse((await cli(f, ["ls", "--json", "--since", "PT1H"])).stdout) as Array<{ query: string; source?: string }>;
    assert.deepEqual(lsJson.map((l) => [l.query, l.source]), Object.entries(QUERIES).map(([q, [src]]) => [q, src]));

    const status = await cli(f, ["status", "--json"]);
    assert.equal(status.code, 0, status.all);
    const rows = JSON.parse(status.stdout) as Array<{ query: string; source?: string; rows: number; lastRun: { outcome: string } | null; backfills: unknown[] }>;
    assert.deepEqual(rows.map((r) => [r.query, r.source, r.lastRun?.outcome, r.backfills.length]), Object.entries(QUERIES).map(([q, [src]]) => [q, src, "ok", 1]));
    const table = await cli(f, ["status"]);
    assert.match(table.stdout, /^QUERY +SOURCE +WATERMARK/m, table.all);
  } finally {
    await f.close();
  }
});

await describeSql("two workspaces into one SQL database", ["sqlite"], ({ db, sinkConfig, env }) => {
  test("each query's table holds exactly its own workspace's rows", async () => {
    const f = await startFixture(() => sinkConfig);
    try {
      assertDistinctWorkspaces(f);
      const exported = await cli(f, ["export", "--once"], env);
      assert.equal(exported.code, 0, exported.all);
      const all = await cursors(f, env);
      for (const q of Object.keys(QUERIES) as QueryName[]) {
        const truth = truthOf(f, all, q);
        const ids = (await storedRows(db, q)).map((r) => r.id);
        assert.deepEqual(compareItemIds(ids, truth), { missing: [], duplicated: [], unexpected: [] }, q);
        assert.ok(truth.length > 1000, `${q}: ${truth.length} rows`);
      }
    } finally {
      await f.close();
    }
  });
});
