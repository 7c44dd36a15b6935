/** The SQL sink on SQLite (a temp file; always runs). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { CursorState } from "../sink.ts";
import { STALE_MS } from "./sqlite/sqlite-lock.ts";
import { acquireOrWait } from "../../state/locks.ts";
import { NESTED_JSON, NUL_STRING, TRICKY_STRING, commitRoundTrip, commitWindow, defineBehaviour, rejectsWith, rowsFor, win, windowCounts } from "../../../test/contract/sql-sink-behaviour.ts";
import { captureLog, openHarness, type Harness } from "../../../test/support/sql-test-harness.ts";

const opened = await openHarness("sqlite");
assert.ok(!("unavailable" in opened), "SQLite needs no server");
const h: Harness = opened;
const here = dirname(fileURLToPath(import.meta.url));

describe("sql sink: sqlite", () => {
  after(() => h.cleanup());

  it("round-trips every column type exactly (STRICT tables, canonical 100 ns datetimes, 64-bit integers)", async () => {
    const log = await commitRoundTrip(h);
    const rows = await h.select(`SELECT b, i, l, r, d, s, g, t, ts, ts__ticks, dyn FROM ${h.table("RoundTrip")} ORDER BY k`);
    const dyn = rows.map((r) => (r.dyn === null ? null : JSON.parse(String(r.dyn))));
    assert.deepEqual(dyn, [NESTED_JSON, [], null, "hello"]);
    assert.deepEqual(
      rows.map(({ dyn: _dyn, ...rest }) => ({ ...rest })),
      [
        {
          b: 1n,
          i: 2147483647n,
          l: 9007199254740993n,
          r: 0.1,
          d: "12345678901234567890.123456789012345678",
          s: TRICKY_STRING,
          g: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
          t: "2026-11-22T03:00:00.1234567Z",
          ts: "1.02:03:04.5000001",
          ts__ticks: 937845000001n,
        },
        {
          b: 0n,
          i: -2147483648n,
          l: -9223372036854775808n,
          r: -1.5e-300,
          d: "-0.000000000000000000000000000001",
          s: "",
          g: "00000000-0000-0000-0000-000000000000",
          t: "2026-01-01T00:00:00.0000000Z",
          ts: "-00:00:00.0000001",
          ts__ticks: -1n,
        },
        { b: null, i: null, l: null, r: null, d: null, s: null, g: null, t: null, ts: null, ts__ticks: null },
        {
          b: 1n,
          i: 0n,
          l: 9223372036854775807n,
          r: null,
          d: "79228162514264337593543950335",
          s: NUL_STRING,
          g: "ffffffff-ffff-ffff-ffff-ffffffffffff",
          t: "0001-01-01T00:00:00.0000001Z",
          ts: "10675199.02:48:05.4775807",
          ts__ticks: 9223372036854775807n,
        },
      ],
    );
    assert.ok(log.some((l) => l.column === "r" && l.cells === 1 && String(l.msg).includes("NaN")), "NaN → NULL is warned");
    // Canonical datetimes sort as text in time order, and SQLite's date functions read them.
    const julian = await h.select(`SELECT strftime('%Y-%m-%d %H:%M:%f', t) AS f FROM ${h.table("RoundTrip")} WHERE k = 1`);
    assert.equal(julian[0]!.f, "2026-11-22 03:00:00.123");
    const strict = await h.select("SELECT sql FROM sqlite_schema WHERE name = ?", [`${h.prefix}RoundTrip`]);
    assert.match(String(strict[0]!.sql), /STRICT$/);
  });

  defineBehaviour(h);

  it("a stale lock is taken over (dead pid on this host, or no heartbeat for a minute); a live one is not", async () => {
    const a = h.sink();
    const log = captureLog();
    const b = h.sink(log.logger);
    try {
      const key = { query: "Stale", scope: "live" };
      const locks = h.table(`${h.prefix}_monitorlift_locks`, true);
      const lock = await a.locks.acquire(key);
      // A live holder elsewhere with a recent heartbeat keeps it.
      await h.select(`UPDATE ${locks} SET host = ?, pid = ? WHERE query = ?`, ["otherhost", 999_999, "Stale"]);
      await rejectsWith(b.locks.acquire(key), "LOCK_HELD", "otherhost", "pid 999999");
      // Its heartbeat goes stale → taken over, with a warning.
      await h.select(`UPDATE ${locks} SET heartbeat_ms = ? WHERE query = ?`, [Date.now() - STALE_MS - 5_000, "Stale"]);
      const taken = await b.locks.acquire(key);
      assert.ok(log.lines.some((l) => l.msg === "taking over a stale sql lock" && l.previousHost === "otherhost"));
      await taken.release();
      await lock.release(); // the old owner's release does not remove the new owner's row
      // A holder on this host whose pid is gone is stale at once.
      const third = await a.locks.acquire(key);
      await h.select(`UPDATE ${locks} SET pid = ? WHERE query = ?`, [2 ** 22 + 12_345, "Stale"]);
      const fourth = await b.locks.acquire(key);
      await fourth.release();
      await third.release();
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it("a holder on another host that stopped renewing is waited for (acquireOrWait), then taken over once its heartbeat is stale", async () => {
    const a = h.sink();
    const log = captureLog();
    const b = h.sink(log.logger);
    try {
      const key = { query: "Silent", scope: "live" };
      const locks = h.table(`${h.prefix}_monitorlift_locks`, true);
      const lock = await a.locks.acquire(key);
      // As a crashed holder on another host: its last heartbeat 1.5 s short of the stale limit.
      await h.select(`UPDATE ${locks} SET host = ?, pid = ?, heartbeat_ms = ? WHERE query = ?`, ["otherhost", 4242, Date.now() - STALE_MS + 1_500, "Silent"]);
      await rejectsWith(b.locks.acquire(key), "LOCK_HELD", "otherhost", "pid 4242");
      const t0 = Date.now();
      const got = await acquireOrWait(b.locks, key, { waitMs: 10_000, pollMs: 200, logger: log.logger });
      assert.ok("lock" in got, "taken over after waiting");
      assert.ok(Date.now() - t0 >= 1_000, `waited ${Date.now() - t0} ms`);
      assert.ok(log.lines.some((l) => l.msg === "lock held: waiting for it" && String(l.holder).includes("otherhost")));
      await got.lock.release();
      await lock.release();
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it("a process killed mid-window leaves that window out entirely; its lock is recovered", async () => {
    const config = h.config();
    // The child lives beside the database in the run's temp folder and imports by absolute path.
    const child = join(dirname(config.path!), "crash-child.ts");
    writeFileSync(
      child,
      `import { createSqlSink } from ${JSON.stringify(join(here, "index.ts"))};
import { silentLogger } from ${JSON.stringify(join(here, "..", "..", "telemetry", "logger.ts"))};
import { commitWindow, rowsFor, win, open } from ${JSON.stringify(join(here, "..", "..", "..", "test", "contract", "sql-sink-behaviour.ts"))};
import { RowBatch } from ${JSON.stringify(join(here, "..", "..", "row-batch.ts"))};
const sink = createSqlSink(${JSON.stringify(config)}, { logger: silentLogger(), env: {}, baseDir: "/" });
const key = { query: "Crash", scope: "live" };
await sink.locks.acquire(key);
const s1 = await commitWindow(sink.sink, key, win(0, 5), rowsFor(win(0, 5), 2), undefined);
const w = await open(sink.sink, key, win(5, 10));
await w.write(RowBatch.of(rowsFor(win(5, 10), 50)));
process.kill(process.pid, "SIGKILL");
`,
    );
    try {
      const r = spawnSync(process.execPath, [child], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.signal, "SIGKILL", `child ended with ${r.status} ${r.stderr}`);
    } finally {
      rmSync(child, { force: true });
    }
    const sink = h.sink();
    try {
      const key = { query: "Crash", scope: "live" };
      assert.deepEqual(await windowCounts(h, "Crash"), ["0-5:2"]);
      const state = (await sink.cursors.read(key)) as CursorState;
      assert.equal(state.version, "1");
      const lock = await sink.locks.acquire(key); // the dead child's lock is stale at once
      await commitWindow(sink.sink, key, win(5, 10), rowsFor(win(5, 10), 50), state);
      assert.deepEqual(await windowCounts(h, "Crash"), ["0-5:2", "5-10:50"]);
      await lock.release();
    } finally {
      await sink.shutdown();
    }
  });
});
