/**
 * The database going away part-way through an export: while an in-process export is running,
 * a second connection terminates every server connection of the exporter (PostgreSQL:
 * pg_terminate_backend; MariaDB/MySQL: KILL) — its lock sessions, the connections staging
 * windows and the ones committing. Nothing may be half-committed: each window in the tables is
 * whole, the watermark is the end of the last window whose rows are there, and a re-run
 * completes the export exactly once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createManualClock } from "../src/simulator/index.ts";
import type { Harness as Db } from "./support/sql-test-harness.ts";
import { startHarness } from "./support/harness.ts";
import { assertExactlyOnce, describeSql, errorsOf, storedState } from "./support/sql-target.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const TABLES = { requests: "AppRequests", traces: "AppTraces" } as const;
const SERVER_PORT = { postgres: 5432, mysql: 3306 } as const;

/** Local ports of this process's TCP connections to `serverPort` (from /proc: our socket inodes). */
function ownClientPorts(serverPort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the descriptor closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const file of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      const local = parseInt(f[1]!.split(":")[1]!, 16);
      const remote = parseInt(f[2]!.split(":")[1]!, 16);
      if (remote === serverPort) ports.push(local);
    }
  }
  return ports;
}

/** Ends every server session of this process except the test's own; returns the session ids ended. */
async function terminateOwnSessions(db: Db): Promise<string[]> {
  const ports = ownClientPorts(SERVER_PORT[db.dialect as "postgres" | "mysql"]);
  if (db.dialect === "postgres") {
    const rows = await db.select(
      "SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND client_port = ANY(CAST(? AS int[]))",
      [`{${ports.join(",")}}`],
    );
    return rows.filter((r) => r.ended === true).map((r) => String(r.pid));
  }
  const rows = await db.select(
    `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND SUBSTRING_INDEX(HOST, ':', -1) IN (${ports.map(() => "?").join(", ") || "NULL"})`,
    ports.map(String),
  );
  const ended: string[] = [];
  for (const r of rows) {
    try {
      await db.select(`KILL ${Number(r.id)}`);
      ended.push(String(r.id));
    } catch {
      // it ended by itself meanwhile
    }
  }
  return ended;
}

/** Waits until the ended sessions are gone on the server (their locks with them). */
async function waitGone(db: Db, ids: string[]): Promise<void> {
  const sql =
    db.dialect === "postgres"
      ? `SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY(CAST(? AS int[]))`
      : `SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE FIND_IN_SET(ID, ?)`;
  const param = db.dialect === "postgres" ? `{${ids.join(",")}}` : ids.join(",");
  for (let i = 0; i < 200 && Number((await db.select(sql, [param]))[0]!.n) > 0; i++) await sleep(25);
}

await describeSql("sql export when the database goes away", ["postgres", "mysql"], ({ db, sinkConfig, env }) => {
  test("connections terminated mid-export leave only whole windows, and a re-run completes exactly once", { timeout: 60_000 }, async (t) => {
    const clock = createManualClock(T0);
    const h = await startHarness({
      sim: { clock, seed: 81, backfill: "PT4H", rowsPerSecond: 0.5, tables: Object.values(TABLES) },
      config: {
        queries: Object.entries(TABLES).map(([name, table]) => ({ name, table })),
        window: { size: "PT5M", lag: "PT1M", start: "PT3H" },
        sink: sinkConfig,
        concurrency: 4,
      },
      env,
    });
    try {
      const reported = new Map<string, number>();
      let commits = 0;
      let terminating: Promise<string[]> | undefined;
      const began = Date.now();
      const report = await h.exportOnce({
        onCommitted: (query, _progress, state) => {
          reported.set(query, state.watermark);
          if (++commits === 3) terminating = terminateOwnSessions(db);
        },
      });
      const ended = await terminating!;
      t.diagnostic(`export took ${Date.now() - began} ms`);
      t.diagnostic(`${ended.length} sessions terminated; ${commits} windows committed; errors: ${errorsOf(report)}`);
      assert.ok(ended.length >= 2, `the exporter's sessions were terminated (${ended.length})`);
      assert.ok(report.errors.size >= 1, "the outage stopped at least one query");
      for (const [query, err] of report.errors) {
        assert.ok(["SINK_UNAVAILABLE", "LOCK_LOST"].includes((err as { code?: string }).code ?? ""), `${query}: ${errorsOf(report)}`);
      }

      const planEnd = T0 - 5 * 60_000; // the last complete window ends at 11:55 (lag 1 min)
      let stopped = 0;
      for (const [query, table] of Object.entries(TABLES)) {
        const stateNow = await storedState(db, query);
        if (!stateNow) {
          assert.equal(reported.get(query), undefined, `${query}: no state, so no commit was reported`);
          continue;
        }
        const { state, rows } = await assertExactlyOnce(h, db, query, table, `after the outage`);
        // State and rows moved together: the watermark is where the rows stop (every window has rows).
        assert.equal(state.watermark, Math.max(...rows.map((r) => r.end)), `${query}: the watermark is the end of the last window in the table`);
        assert.ok(state.watermark >= (reported.get(query) ?? 0), `${query}: every reported commit is durable`);
        if (state.watermark < planEnd) stopped++;
      }
      assert.ok(stopped >= 1, "the outage hit the export part-way");

      await waitGone(db, ended);
      const rerun = await h.exportOnce();
      assert.equal(rerun.errors.size, 0, errorsOf(rerun));
      for (const [query, table] of Object.entries(TABLES)) {
        const { state } = await assertExactlyOnce(h, db, query, table, "after the re-run");
        assert.equal(state.watermark, planEnd, `${query}: the re-run finished the export`);
        assert.equal(state.origin, T0 - 3 * 3600_000);
      }
    } finally {
      await h.close();
    }
  });
});
