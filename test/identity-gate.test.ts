/**
 * The service's limits count per identity, so sources sharing one identity share one request gate
 * and sources with different identities get their own. Shown on real runs against the simulator
 * (every response held back 80 ms so requests overlap): with maxConcurrentRequests 2, two sources of
 * one identity never have more than 2 requests in flight together; two identities reach 4.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openContext } from "../src/cli/context.ts";
import type { RunDeps } from "../src/runner/export-query.ts";
import { runOnce } from "../src/runner/run.ts";
import { startSimulator, type Simulator } from "../src/simulator/index.ts";
import { LIVE_SCOPE } from "../src/sinks/layout.ts";
import { errorsOf } from "./support/sql-target.ts";

const SLOW = { visibility: false as const, backfill: "PT2H", rowsPerSecond: 0.05, tables: ["AppRequests"], faults: { probabilities: { slow: 1 }, slowMs: 80 } };

async function withConfig<T>(sources: Record<string, unknown>, env: NodeJS.ProcessEnv, work: (configPath: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-gate-"));
  try {
    const configPath = join(dir, "monitorlift.json");
    const config = {
      sources,
      queries: Object.keys(sources).map((name) => ({ name: `requests_${name.replace(/-/g, "_")}`, table: "AppRequests", source: name })),
      window: { size: "PT5M", lag: "PT1M", start: "PT1H", reverify: "PT0S" },
      sink: { type: "filesystem", path: join(dir, "export") },
      concurrency: 4,
      log: { level: "silent" },
    };
    await writeFile(configPath, JSON.stringify(config));
    return await work(configPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Counts requests in flight past the gates (one counter over every source), keeping the peak. */
function watchInFlight(deps: RunDeps): { peak: number } {
  const seen = { now: 0, peak: 0 };
  for (const c of deps.sources.values()) {
    const inner = c.gate;
    c.gate = {
      run: (work) =>
        inner.run(async () => {
          seen.peak = Math.max(seen.peak, ++seen.now);
          try {
            return await work();
          } finally {
            seen.now--;
          }
        }),
    };
  }
  return seen;
}

/** An export of every query with the in-flight peak; asserts each source's gate identity first. */
async function exportWatched(configPath: string, expectShared: boolean): Promise<number> {
  const ctx = await openContext({ config: configPath }, {});
  await ctx.destination.sink.start();
  try {
    const deps = ctx.runDeps(new AbortController().signal);
    const [a, b] = [...deps.sources.values()];
    assert.equal(a!.gate === b!.gate, expectShared, expectShared ? "one gate for one identity" : "one gate per identity");
    const watched = watchInFlight(deps);
    const report = await runOnce("export", ctx.jobs, deps);
    assert.equal(report.errors.size, 0, errorsOf(report));
    // [start, now − lag) holds 11 or 12 five-minute grid windows depending on the minute the test runs;
    // each query exported every window of its own [origin, watermark), none skipped
    for (const [query, q] of Object.entries(report.summary.queries)) {
      const cursor = await ctx.destination.cursors.read({ query, scope: LIVE_SCOPE });
      assert.ok(cursor, `${query} has a cursor`);
      assert.equal(q.windows, (cursor.watermark - cursor.origin) / 300_000, `${query}: every window of [origin, watermark)`);
      assert.ok(q.windows >= 11 && q.windows <= 12, `${query}: ${q.windows} windows of an hour`);
    }
    return watched.peak;
  } finally {
    await ctx.destination.shutdown();
  }
}

const simSource = (s: Simulator, over: Record<string, unknown>) => ({ endpoint: s.endpoint, auth: { method: "none" }, maxConcurrentRequests: 2, ...over });

test("two sources of one identity (a workspace and a resource on one service) share one gate: at most 2 requests in flight together", async () => {
  const sim = await startSimulator({ ...SLOW, seed: 7 });
  try {
    const peak = await withConfig(
      { ws: simSource(sim, { workspaceId: sim.workspaceId }), app: simSource(sim, { resourceId: sim.resourceId }) },
      {},
      (path) => exportWatched(path, true),
    );
    assert.equal(peak, 2, "the shared limit was reached and never passed");
  } finally {
    await sim.close();
  }
});

test("two sources of different identities get a gate each: up to 2 in flight for each, 4 together", async () => {
  const [east, west] = [await startSimulator({ ...SLOW, seed: 8 }), await startSimulator({ ...SLOW, seed: 9 })];
  try {
    const peak = await withConfig(
      { east: simSource(east, { workspaceId: east.workspaceId }), west: simSource(west, { workspaceId: west.workspaceId }) },
      {},
      (path) => exportWatched(path, false),
    );
    assert.ok(peak > 2 && peak <= 4, `each identity used its own limit (peak ${peak})`);
  } finally {
    await Promise.all([east.close(), west.close()]);
  }
});

test("Azure identities: one service principal over two workspaces shares a gate; a managed identity has its own", async () => {
  const sp = { method: "clientSecret", tenantId: "contoso.onmicrosoft.com", clientId: "11111111-2222-3333-4444-555555555555" };
  await withConfig(
    {
      east: { workspaceId: "aaaaaaaa-0000-0000-0000-000000000001", auth: sp },
      west: { workspaceId: "aaaaaaaa-0000-0000-0000-000000000002", auth: { ...sp, secretEnv: "WEST_SECRET" }, endpoint: "https://api.loganalytics.io/v1" },
      mi: { workspaceId: "aaaaaaaa-0000-0000-0000-000000000003", auth: { method: "managedIdentity" } },
    },
    { AZURE_CLIENT_SECRET: "not-used", WEST_SECRET: "not-used" },
    async (path) => {
      const ctx = await openContext({ config: path }, { AZURE_CLIENT_SECRET: "not-used", WEST_SECRET: "not-used" });
      try {
        const s = ctx.runDeps(new AbortController().signal).sources; // builds the clients; nothing is sent
        assert.equal(s.get("east")!.gate, s.get("west")!.gate);
        assert.notEqual(s.get("east")!.gate, s.get("mi")!.gate);
        assert.notEqual(s.get("east")!.source, s.get("west")!.source, "each source keeps its own client (workspace, endpoint)");
      } finally {
        await ctx.destination.shutdown();
      }
    },
  );
});
