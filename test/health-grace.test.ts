/**
 * The shutdown grace of a scheduled export, end to end: a run stuck in the sink (a PostgreSQL table
 * another session holds ACCESS EXCLUSIVE, so the sink's statements wait and ignore the shutdown signal)
 * is abandoned when the grace runs out, the process exits 0, and the next run's result is exact.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { runCli } from "./support/cli.ts";
import { startHarness } from "./support/harness.ts";
import { assertExactlyOnce, describeSql } from "./support/sql-target.ts";
import { freePort } from "./support/telemetry-receivers.ts";

await describeSql("shutdown grace", ["postgres"], ({ db, sinkConfig, env }) => {
  test("SIGTERM while the sink hangs: the window is abandoned after --shutdown-grace, exit 143, the next run exact", { timeout: 90_000 }, async () => {
    const h = await startHarness({
      sim: { seed: 53, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"], settleJitterMs: 500 },
      config: { window: { size: "PT5M", lag: "PT5S", start: "PT40M" }, sink: sinkConfig, log: { level: "warn" } },
    });
    const blocker = new pg.Client({ connectionString: String((db.config() as unknown as { url: string }).url) });
    try {
      const first = await runCli(["export", "--once", "--config", h.configPath], { env }); // creates the tables
      assert.equal(first.code, 0, first.stderr);
      await blocker.connect();
      await blocker.query("BEGIN");
      await blocker.query(`LOCK TABLE ${db.table(`${db.prefix}_monitorlift_state`, true)} IN ACCESS EXCLUSIVE MODE`);

      const port = await freePort();
      const file = join(h.dir, "scheduled.json");
      await writeFile(file, JSON.stringify({ ...h.config, schedule: "*/2 * * * * *", health: { port } }));
      let child: ChildProcess | undefined;
      const done = runCli(["export", "--config", file, "--shutdown-grace", "PT2S"], { env, timeoutMs: 60_000, onSpawn: (c) => (child = c) });
      // the listener is up and the process is stuck in the sink (start-up or the first run)
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
        if (ok) break;
        assert.ok(Date.now() < deadline, "the health listener came up");
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1500));
      const t0 = Date.now();
      child!.kill("SIGTERM");
      const r = await done;
      const ms = Date.now() - t0;
      assert.equal(r.signal, null, `it exited by itself: ${r.stderr}`);
      assert.equal(r.code, 143, r.stderr);
      assert.match(r.stderr, /shutdown grace over: abandoning the current window/);
      assert.ok(ms >= 1900 && ms < 2000 + 3000, `exited ${ms} ms after SIGTERM, at the grace of 2 s`);
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end().catch(() => {});
    }
    try {
      const next = await runCli(["export", "--once", "--config", h.configPath], { env });
      assert.equal(next.code, 0, next.stderr);
      await assertExactlyOnce(h, db, "requests", "AppRequests", "after the abandoned run");
    } finally {
      await h.close();
    }
  });
});
