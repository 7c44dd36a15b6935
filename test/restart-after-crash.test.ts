/**
 * Restart after a crash just works, on every sink: the real CLI is SIGKILLed mid-window (after its
 * first committed window, so the kill lands in the middle of work) and left a ZOMBIE — its parent
 * does not reap it, as under a container init that does not reap — and the next run is started at
 * once. It must exit 0 and leave the export exact (every `_ItemId` of the simulator's truth once).
 * Filesystem and SQLite see the holder's pid is gone (a zombie counts as gone) and take over at
 * once; PostgreSQL and MariaDB locks died with the killed process's connection; the blob lease
 * outlives its holder, so the next run waits for it to lapse (logging what it waits for) and then
 * takes over — no operator breaking leases by hand.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startAzurite } from "./support/azurite.ts";
import { assertBlobExactlyOnce, blobSink, containerOf, envOf } from "./support/blob-e2e.ts";
import { DIALECTS, assertExactlyOnce, describeSql, storedState } from "./support/sql-target.ts";
import { procState, startUnreaped, untilZombie } from "./support/zombie.ts";

const QUERIES = { requests: "AppRequests", dependencies: "AppDependencies" } as const;

function harnessOptions(sink: Record<string, unknown> | undefined, seed: number, env?: Record<string, string>) {
  return {
    sim: { seed, backfill: "PT3H", rowsPerSecond: 1, tables: Object.values(QUERIES), settleJitterMs: 1000 },
    config: {
      queries: Object.entries(QUERIES).map(([name, table]) => ({ name, table })),
      window: { size: "PT2M", lag: "PT10S", start: "PT2H" },
      ...(sink ? { sink } : {}),
      log: { level: "warn" },
    },
    ...(env ? { env } : {}),
  };
}

/**
 * Starts `export --once` under a parent that never reaps it, SIGKILLs it once `progressed()` says
 * it committed a window (plus a random instant), and returns once it is a zombie.
 */
async function killMidWindow(h: Harness, env: Record<string, string>, progressed: () => Promise<boolean>): Promise<() => void> {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-crash-"));
  const z = await startUnreaped([process.execPath, CLI, "export", "--once", "--config", h.configPath], { env, outFile: join(dir, "out"), errFile: join(dir, "err") });
  const until = Date.now() + 60_000;
  while (!(await progressed())) {
    if (procState(z.pid) === "Z" || Date.now() > until) assert.fail(`the export ended before it could be killed mid-way: ${z.output().stderr}`);
    await sleep(25);
  }
  await sleep(Math.random() * 150);
  assert.notEqual(procState(z.pid), "Z", `the export finished before the kill: ${z.output().stderr}`);
  process.kill(z.pid, "SIGKILL");
  await untilZombie(z.pid);
  return () => {
    z.close();
    void rm(dir, { recursive: true, force: true });
  };
}

test("filesystem: a run started right after a SIGKILLed (zombie) one exits 0 and the export is exact", { timeout: 120_000 }, async () => {
  const h = await startHarness(harnessOptions(undefined, 71));
  try {
    const close = await killMidWindow(h, {}, async () => (await h.watermark("requests")) !== undefined);
    try {
      const next = await runCli(["export", "--once", "--config", h.configPath]);
      assert.equal(next.code, 0, next.stderr);
      assert.doesNotMatch(next.stdout, /skipped/);
    } finally {
      close();
    }
    for (const [query, table] of Object.entries(QUERIES)) {
      const wm = (await h.watermark(query))!;
      const exported = (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
      const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
      assert.ok(truth.length > 3_000, `${query}: ${truth.length} rows`);
      assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] }, query);
    }
  } finally {
    await h.close();
  }
});

test("blob: a run started right after a SIGKILLed (zombie) one waits for the dead holder's lease, takes over, exits 0; the export is exact", { timeout: 120_000 }, async () => {
  const azurite = await startAzurite();
  const env = envOf(azurite);
  const h = await startHarness(harnessOptions(blobSink("restart", { leaseSeconds: 15 }), 72, env));
  const container = containerOf(azurite, "restart");
  try {
    const close = await killMidWindow(h, env, () => container.getBlobClient("telemetry/_state/requests/live.json").exists());
    try {
      const t0 = Date.now();
      const next = await runCli(["export", "--once", "--config", h.configPath], { env });
      assert.equal(next.code, 0, next.stderr);
      assert.doesNotMatch(next.stdout, /skipped/);
      // It waited for the lease (no LOCK_HELD, no operator), and said what it waited for — never the connection string.
      assert.match(next.stderr, /lock held: waiting for it/);
      assert.match(next.stderr, /its holder is gone; waiting for its lock to lapse/);
      assert.ok(!next.stderr.includes(azurite.connectionString) && !next.stderr.includes("AccountKey"), "no secret in the logs");
      assert.ok(Date.now() - t0 < 15_000 + 20_000, "bounded by the lease");
    } finally {
      close();
    }
    await assertBlobExactlyOnce(h, container, QUERIES, "after the restart");
  } finally {
    await h.close();
    await azurite.stop();
  }
});

const SEEDS = { postgres: 73, mysql: 74, sqlite: 75 } as const;

await describeSql("restart right after a crash", DIALECTS, ({ dialect, db, sinkConfig, env }) => {
  test(`${dialect}: a run started right after a SIGKILLed (zombie) one exits 0 and the export is exact`, { timeout: 120_000 }, async () => {
    const h = await startHarness(harnessOptions(sinkConfig, SEEDS[dialect], env));
    try {
      const close = await killMidWindow(h, env, async () => (await storedState(db, "requests")) !== undefined);
      try {
        const next = await runCli(["export", "--once", "--config", h.configPath], { env });
        assert.equal(next.code, 0, next.stderr);
        assert.doesNotMatch(next.stdout, /skipped/);
      } finally {
        close();
      }
      for (const [query, table] of Object.entries(QUERIES)) await assertExactlyOnce(h, db, query, table, "after the restart");
    } finally {
      await h.close();
    }
  });
});
