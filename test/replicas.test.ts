/**
 * Replicas cooperate, on every sink: three `export --once` processes with the same config (four
 * queries) start at the same instant, in rounds. Each query's lock goes to one of them; the
 * others report it `skipped (held by …)` and every process exits 0. Read from the processes' own
 * logs, every window was committed by exactly one process in exactly one round, and the committed
 * windows of each query tile [origin, watermark) with no gap; the export itself is exact against
 * the simulator's truth (every `_ItemId` once).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { runCli, type CliResult } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { makeSink } from "./support/filesystem-sink.ts";
import { startAzurite } from "./support/azurite.ts";
import { assertBlobExactlyOnce, blobSink, containerOf, envOf } from "./support/blob-e2e.ts";
import { DIALECTS, assertExactlyOnce, describeSql } from "./support/sql-target.ts";

const QUERIES = { requests: "AppRequests", dependencies: "AppDependencies", exceptions: "AppExceptions", pageviews: "AppPageViews" } as const;
const REPLICAS = 3;
const MAX_ROUNDS = 3;
/** No new round starts after this long (the rounds are bounded in time, not only in number). */
const ROUNDS_BUDGET_MS = 60_000;

function harnessOptions(sink: Record<string, unknown> | undefined, seed: number, env?: Record<string, string>) {
  return {
    sim: { seed, backfill: "PT1H", rowsPerSecond: 1, tables: Object.values(QUERIES), settleJitterMs: 500 },
    config: {
      queries: Object.entries(QUERIES).map(([name, table]) => ({ name, table })),
      window: { size: "PT10S", lag: "PT5S", start: "PT4M" },
      ...(sink ? { sink } : {}),
      log: { level: "info" },
    },
    ...(env ? { env } : {}),
  };
}

interface Commit {
  query: string;
  window: string;
  replica: number;
  round: number;
}

/** The `window committed` log lines of one process (JSON lines on stderr). */
function commitsOf(r: CliResult, replica: number, round: number): Commit[] {
  const out: Commit[] = [];
  for (const line of r.stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string; query?: string; window?: string };
    if (entry.msg === "window committed" && entry.query && entry.window) out.push({ query: entry.query, window: entry.window, replica, round });
  }
  return out;
}

/** Runs the rounds and checks what the processes say: exit 0, each window committed once, no gap. */
async function runReplicas(h: Harness, env: Record<string, string>, diagnostic: (m: string) => void): Promise<void> {
  const commits: Commit[] = [];
  const skipped: string[] = [];
  const started = Date.now();
  let rounds = 0;
  for (let round = 1; round <= MAX_ROUNDS && (round === 1 || Date.now() - started < ROUNDS_BUDGET_MS); round++) {
    rounds = round;
    const results = await Promise.all(Array.from({ length: REPLICAS }, () => runCli(["export", "--once", "--config", h.configPath], { env })));
    results.forEach((r, replica) => {
      assert.equal(r.code, 0, `round ${round}, replica ${replica}: exit ${r.code} ${r.signal ?? ""}\n${r.stdout}\n${r.stderr.slice(-4000)}`);
      commits.push(...commitsOf(r, replica, round));
      for (const line of r.stdout.split("\n")) if (line.startsWith("skipped ")) skipped.push(`r${round}/p${replica}: ${line}`);
      for (const line of r.stdout.split("\n")) {
        const m = /^(ok|skipped|FAILED)\s+(\w+)/.exec(line.trim());
        if (m) assert.notEqual(m[1], "FAILED", line);
      }
    });
    await sleep(4_000); // new windows become due (10 s windows, 5 s lag)
  }
  const seen = new Map<string, Commit>();
  for (const c of commits) {
    const id = `${c.query} ${c.window}`;
    const first = seen.get(id);
    assert.ok(!first, `${id} was committed twice: by replica ${first?.replica} in round ${first?.round} and by replica ${c.replica} in round ${c.round}`);
    seen.set(id, c);
  }
  for (const query of Object.keys(QUERIES)) {
    const wm = (await h.watermark(query))!;
    assert.ok(wm, `${query} has a watermark`);
    const windows = commits
      .filter((c) => c.query === query)
      .map((c) => c.window.split("/").map((t) => Date.parse(t)) as [number, number])
      .sort((a, b) => a[0] - b[0]);
    assert.equal(windows[0]?.[0], wm.origin, `${query}: the first committed window starts at the origin`);
    assert.equal(windows.at(-1)?.[1], wm.watermark, `${query}: the last committed window ends at the watermark`);
    for (let i = 1; i < windows.length; i++) assert.equal(windows[i]![0], windows[i - 1]![1], `${query}: no gap and no overlap at window ${i}`);
  }
  assert.ok(rounds >= 2, `the rounds were repeated (${rounds})`);
  assert.ok(new Set(commits.map((c) => c.round)).size >= 2, "later rounds had new windows to commit");
  const byReplica = Array.from({ length: REPLICAS }, (_, p) => new Set(commits.filter((c) => c.replica === p).map((c) => c.query)).size);
  assert.ok(skipped.length > 0, "the replicas met on the locks (some query was skipped)");
  diagnostic(`${rounds} rounds, ${commits.length} windows committed; queries exported per replica: ${byReplica.join(", ")}; ${skipped.length} skips, e.g. ${skipped[0]}`);
}

test("filesystem: 3 replicas × 4 queries at once, in rounds: every process exits 0, each window written by exactly one, the export exact", { timeout: 240_000 }, async (t) => {
  const h = await startHarness(harnessOptions(undefined, 81));
  try {
    await runReplicas(h, {}, (m) => t.diagnostic(m));
    for (const [query, table] of Object.entries(QUERIES)) {
      const wm = (await h.watermark(query))!;
      const exported = (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
      const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
      assert.ok(truth.length > 100, `${query}: ${truth.length} rows`);
      assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] }, query);
    }
  } finally {
    await h.close();
  }
});

test("blob: 3 replicas × 4 queries at once, in rounds: every process exits 0, each window written by exactly one, the export exact", { timeout: 240_000 }, async (t) => {
  const azurite = await startAzurite();
  const env = envOf(azurite);
  const h = await startHarness(harnessOptions(blobSink("replicas"), 82, env));
  try {
    await runReplicas(h, env, (m) => t.diagnostic(m));
    await assertBlobExactlyOnce(h, containerOf(azurite, "replicas"), QUERIES, "after the replicas");
  } finally {
    await h.close();
    await azurite.stop();
  }
});

const SEEDS = { postgres: 83, mysql: 84, sqlite: 85 } as const;

await describeSql("replicas", DIALECTS, ({ dialect, db, sinkConfig, env }) => {
  test(`${dialect}: 3 replicas × 4 queries at once, in rounds: every process exits 0, each window written by exactly one, the export exact`, { timeout: 240_000 }, async (t) => {
    const h = await startHarness(harnessOptions(sinkConfig, SEEDS[dialect], env));
    try {
      await runReplicas(h, env, (m) => t.diagnostic(m));
      for (const [query, table] of Object.entries(QUERIES)) await assertExactlyOnce(h, db, query, table, "after the replicas");
    } finally {
      await h.close();
    }
  });
});

test("a query whose lock a live peer holds is `skipped (held by …)` with exit 0, recorded as such for status; --require-lock makes it exit 1", { timeout: 60_000 }, async () => {
  const h = await startHarness(harnessOptions(undefined, 86));
  // The peer: a live holder of the `requests` lock (this test process) on the same folder.
  const peer = makeSink(h.exportDir);
  const lock = await peer.locks.acquire({ query: "requests", scope: "live" });
  try {
    const args = ["export", "--once", "--config", h.configPath, "--query", "requests", "dependencies"];
    const skipped = await runCli(args);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, new RegExp(`^skipped requests \\(held by process ${process.pid}@`, "m"));
    assert.match(skipped.stdout, /^ok +dependencies: /m);
    const status = await runCli(["status", "--json", "--config", h.configPath]);
    assert.equal(status.code, 0, status.stderr);
    const rows = JSON.parse(status.stdout) as { query: string; lastRun: { outcome: string; heldBy?: string } | null }[];
    const requests = rows.find((r) => r.query === "requests");
    assert.equal(requests?.lastRun?.outcome, "skipped");
    assert.match(requests?.lastRun?.heldBy ?? "", new RegExp(`^process ${process.pid}@`));

    const required = await runCli([...args, "--require-lock"]);
    assert.equal(required.code, 1, required.stderr);
    assert.match(required.stdout, /^FAILED requests/m);
    assert.match(required.stdout + required.stderr, /LOCK_HELD/);
    assert.equal((await h.watermark("requests")), undefined, "the peer's query was never written by the others");
  } finally {
    await lock.release();
    await h.close();
  }
});
