/**
 * The SQL-specific behaviour every SQL dialect must show, run by postgres.test.ts, mysql.test.ts and
 * sqlite.test.ts against a real database (not a test file itself). What every destination must do
 * (commit/abort, re-commit replaces, STATE_CONFLICT, recovery, shutdown, locks, run history, probe of a
 * usable and of an unreachable database) is in the sink contract suite (sink-contract.ts), which runs
 * against these databases too.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { MonitorliftError } from "../../src/errors.ts";
import type { Column, RawRow } from "../../src/table.ts";
import type { TimeWindow } from "../../src/window/window.ts";
import type { Destination, StateKey } from "../../src/sinks/sink.ts";
import { captureLog, type Harness } from "../support/sql-test-harness.ts";
import { COLS, MIN, T0, commitWindow, nextState, open, rejectsWith, rowsFor, toMs, win } from "../support/sink-windows.ts";
import { RowBatch } from "../../src/row-batch.ts";

export { COLS, T0, commitWindow, never, nextState, open, rejectsWith, rowsFor, toMs, win } from "../support/sink-windows.ts";

export async function windowCounts(h: Harness, query: string): Promise<string[]> {
  const ws = h.quote("_window_start");
  const we = h.quote("_window_end");
  const rows = await h.select(`SELECT ${ws} AS ws, ${we} AS we, count(*) AS n FROM ${h.table(query)} GROUP BY ${ws}, ${we} ORDER BY ${ws}, ${we}`);
  return rows.map((r) => `${(toMs(r.ws) - T0) / MIN}-${(toMs(r.we) - T0) / MIN}:${Number(r.n)}`);
}

export function defineBehaviour(h: Harness): void {
  const key = (query: string, scope = "live"): StateKey => ({ query, scope });
  const sinks: Destination[] = [];
  const sink = (...args: Parameters<Harness["sink"]>) => {
    const s = h.sink(...args);
    sinks.push(s);
    return s;
  };
  const closeAll = async () => {
    await Promise.all(sinks.splice(0).map((s) => s.shutdown()));
  };

  it("the cursor version counts commits and the commit's location names the table", async () => {
    try {
      const a = sink();
      const k = key("Versions");
      const writer = await open(a.sink, k, win(0, 5));
      await writer.write(RowBatch.of(rowsFor(win(0, 5), 2)));
      const done = await writer.commit(nextState(undefined, win(0, 5), 2), undefined);
      assert.equal(done.version, "1");
      assert.ok(done.location.endsWith(`${h.prefix}Versions`), done.location);
      const s1 = { ...nextState(undefined, win(0, 5), 2), version: done.version };
      const s2 = await commitWindow(a.sink, k, win(5, 10), rowsFor(win(5, 10), 1), s1);
      assert.equal(s2.version, "2");
      assert.deepEqual(await windowCounts(h, "Versions"), ["0-5:2", "5-10:1"]);
    } finally {
      await closeAll();
    }
  });
  it("aborting more windows than the pool has connections gives every connection back", async () => {
    try {
      const a = sink();
      const k = key("Abort");
      for (let i = 0; i < 12; i++) {
        const writer = await open(a.sink, k, win(i, i + 1));
        await writer.write(RowBatch.of(rowsFor(win(i, i + 1), 3)));
        await writer.abort();
        await writer.abort(); // twice is fine
      }
      assert.equal(await h.count("Abort"), 0);
      assert.equal(await a.cursors.read(k), undefined);
      // More windows than pool connections were opened and aborted: a commit still gets a connection.
      const state = await commitWindow(a.sink, k, win(0, 1), rowsFor(win(0, 1), 2), undefined);
      assert.equal(state.version, "1");
      assert.equal(await h.count("Abort"), 2);
    } finally {
      await closeAll();
    }
  });

  it("split windows written side by side replace an earlier overlapping window and leave neighbours alone", async () => {
    try {
      const a = sink();
      const k = key("Split");
      let s = await commitWindow(a.sink, k, win(0, 10), rowsFor(win(0, 10), 4), undefined);
      s = await commitWindow(a.sink, k, win(10, 20), rowsFor(win(10, 20), 3), s);
      // Both parts are open and written before either commits (look-ahead), then commit in order.
      const first = await open(a.sink, k, win(0, 5));
      const second = await open(a.sink, k, win(5, 10));
      await second.write(RowBatch.of(rowsFor(win(5, 10), 2)));
      await first.write(RowBatch.of(rowsFor(win(0, 5), 1)));
      const n1 = nextState(s, win(0, 5), 1);
      const d1 = await first.commit(n1, s);
      const d2 = await second.commit(nextState(n1, win(5, 10), 2), { ...n1, version: d1.version! });
      assert.equal(d2.version, "4");
      assert.deepEqual(await windowCounts(h, "Split"), ["0-5:1", "5-10:2", "10-20:3"]);
    } finally {
      await closeAll();
    }
  });

  it("a new column widens the table; the same column with another type is refused", async () => {
    try {
      const a = sink();
      const k = key("Widen");
      const s1 = await commitWindow(a.sink, k, win(0, 5), rowsFor(win(0, 5), 2), undefined);
      const wider: Column[] = [...COLS, { name: "Extra", type: "string" }, { name: "When", type: "datetime" }];
      const row = (i: number) => [...rowsFor(win(5, 10), 1)[0]!, JSON.stringify(`e${i}`), '"2026-11-22T03:07:00.0000001Z"'];
      await commitWindow(a.sink, k, win(5, 10), [row(0)], s1, wider);
      const cols = await h.columnsOf("Widen");
      for (const c of ["Extra", "When", ...(h.dialect === "sqlite" ? [] : ["When__text"])]) assert.ok(cols.includes(c), `${c} in ${cols.join(",")}`);
      const extra = await h.select(`SELECT ${h.quote("Extra")} AS e FROM ${h.table("Widen")} ORDER BY ${h.quote("_window_start")}`);
      assert.deepEqual(
        extra.map((r) => r.e),
        [null, null, "e0"],
      );
      // Fewer columns than the table has is fine (the others stay NULL).
      const s3 = await a.cursors.read(k);
      await commitWindow(a.sink, k, win(10, 15), rowsFor(win(10, 15), 1), s3);
      // Another process (a fresh sink, no cache) sees the recorded types and refuses the change.
      const b = sink();
      const changed: Column[] = [...COLS, { name: "Extra", type: "long" }];
      await rejectsWith(open(b.sink, k, win(15, 20), changed), "SINK_SCHEMA", '"Extra"', "long", "string");
      await rejectsWith(open(a.sink, k, win(15, 20), changed), "SINK_SCHEMA", '"Extra"', "long", "string");
      const meta = await h.select(`SELECT column_name, la_type FROM ${h.table(`${h.prefix}_monitorlift_columns`, true)} WHERE table_name = ? ORDER BY column_name`, [
        `${h.prefix}Widen`,
      ]);
      assert.deepEqual(
        meta.map((r) => `${r.column_name}:${r.la_type}`),
        ["Extra:string", "Name:string", "TimeGenerated:datetime", "When:datetime", "n:long"],
      );
    } finally {
      await closeAll();
    }
  });

  it("column names are quoted, not trusted; names the database cannot hold are refused", async () => {
    try {
      const a = sink();
      const k = key("Names");
      const odd: Column[] = [
        { name: 'we"ird col', type: "string" },
        { name: "back`tick", type: "long" },
        { name: "semi;colon -- x?", type: "string" },
        { name: "Ünïcødé", type: "bool" },
      ];
      await commitWindow(a.sink, k, win(0, 5), [['"v1"', "42", '"v3"', "true"]], undefined, odd);
      const got = await h.select(`SELECT ${odd.map((c) => h.quote(c.name)).join(", ")} FROM ${h.table("Names")}`);
      assert.equal(got.length, 1);
      assert.equal(got[0]![odd[0]!.name], "v1");
      assert.equal(String(got[0]![odd[1]!.name]), "42");
      assert.equal(got[0]![odd[2]!.name], "v3");
      const longName = "c".repeat(h.dialect === "sqlite" ? 300 : 70);
      await rejectsWith(open(a.sink, key("Names2"), win(0, 5), [{ name: longName, type: "string" }]), "SINK_SCHEMA", "long");
      await rejectsWith(open(a.sink, key("Names2"), win(0, 5), [{ name: "line\nbreak", type: "string" }]), "SINK_SCHEMA", "control character");
      await rejectsWith(open(a.sink, key("Names2"), win(0, 5), [{ name: "_window_start", type: "string" }]), "SINK_SCHEMA", "_window_start");
      await rejectsWith(
        open(a.sink, key("Names2"), win(0, 5), [
          { name: "t", type: "timespan" },
          { name: "t__ticks", type: "string" },
        ]),
        "SINK_SCHEMA",
        "t__ticks",
      );
    } finally {
      await closeAll();
    }
  });

  it("a held lock names its holder; the holder's commit passes the in-transaction fence", async () => {
    try {
      const a = sink();
      const b = sink();
      const k = key("Locked");
      const lock = await a.locks.acquire(k);
      const holder = h.dialect === "postgres" ? "backend pid" : h.dialect === "mysql" ? "MySQL connection" : `pid ${process.pid}`;
      await rejectsWith(b.locks.acquire(k), "LOCK_HELD", "Locked/live", holder);
      await rejectsWith(a.locks.acquire(k), "LOCK_HELD");
      const other = await b.locks.acquire(key("Locked", "backfill-x"));
      await other.release();
      // The holder commits (the in-transaction fence finds its lock still held).
      await commitWindow(a.sink, k, win(0, 5), rowsFor(win(0, 5), 2), undefined);
      assert.equal(await h.count("Locked"), 2);
      assert.equal(lock.signal.aborted, false);
      await lock.release();
      await lock.release();
      const again = await b.locks.acquire(k);
      await again.release();
    } finally {
      await closeAll();
    }
  });

  it("a commit after the lock was lost is refused", async () => {
    try {
      const a = sink();
      const k = key("LockLost");
      const s1 = await commitWindow(a.sink, k, win(0, 5), rowsFor(win(0, 5), 1), undefined);
      const lock = await a.locks.acquire(k);
      const writer = await open(a.sink, k, win(5, 10));
      await writer.write(RowBatch.of(rowsFor(win(5, 10), 2)));
      if (h.killLockHolder) {
        await h.killLockHolder(k);
        if (!lock.signal.aborted) {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error("lock signal did not abort within 12 s")), 12_000);
            lock.signal.addEventListener("abort", () => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        assert.equal((lock.signal.reason as MonitorliftError).code, "LOCK_LOST");
      } else {
        // SQLite: another process takes the lock over after the holder's heartbeat went stale.
        await h.select(`UPDATE ${h.table(`${h.prefix}_monitorlift_locks`, true)} SET heartbeat_ms = ?, host = ? WHERE query = ?`, [0, "elsewhere", "LockLost"]);
        const b = sink();
        const taken = await b.locks.acquire(k);
        await taken.release();
      }
      await rejectsWith(writer.commit(nextState(s1, win(5, 10), 2), s1), "LOCK_LOST", "LockLost/live");
      assert.equal(await h.count("LockLost"), 1);
      assert.deepEqual(await a.cursors.read(k), s1);
      await lock.release();
    } finally {
      await closeAll();
    }
  });

  it("a window keeps working through many rows and batches (multi-statement staging)", async () => {
    try {
      const a = sink(undefined, { batchRows: 7 });
      const k = key("Many");
      const w = win(0, 60);
      const writer = await open(a.sink, k, w);
      const all = rowsFor(w, 2500);
      for (let i = 0; i < all.length; i += 333) await writer.write(RowBatch.of(all.slice(i, i + 333)));
      const done = await writer.commit(nextState(undefined, w, all.length), undefined);
      assert.equal(done.rows, 2500);
      assert.equal(await h.count("Many"), 2500);
      const sum = await h.select(`SELECT sum(${h.quote("n")}) AS s FROM ${h.table("Many")}`);
      assert.equal(Number(sum[0]!.s), (2499 * 2500) / 2);
    } finally {
      await closeAll();
    }
  });

  if (h.killConnection) {
    const kill = h.killConnection.bind(h);
    it("the database connection dying mid-window leaves nothing; a re-run commits the window once", async () => {
      try {
        const log = captureLog();
        const a = sink(log.logger);
        const k = key("Killed");
        const s1 = await commitWindow(a.sink, k, win(0, 5), rowsFor(win(0, 5), 2), undefined);
        const w = win(5, 10);
        const writer = await open(a.sink, k, w);
        await writer.write(RowBatch.of(rowsFor(w, 3)));
        const opened = log.lines.filter((l) => l.msg === "sql window opened").at(-1);
        assert.ok(opened && typeof opened.connection === "string", "the window's connection is logged");
        await kill(opened.connection as string);
        await new Promise((r) => setTimeout(r, 200));
        let failure: MonitorliftError | undefined;
        try {
          await writer.write(RowBatch.of(rowsFor(w, 3, "more")));
          await writer.commit(nextState(s1, w, 6), s1);
        } catch (err) {
          failure = err as MonitorliftError;
        }
        assert.ok(failure, "writing or committing on a killed connection fails");
        assert.equal(failure.code, "SINK_UNAVAILABLE", failure.message);
        assert.equal(failure.retryable, true);
        await writer.abort();
        assert.deepEqual(await windowCounts(h, "Killed"), ["0-5:2"]);
        assert.deepEqual(await a.cursors.read(k), s1);
        // The re-run of the same window (same sink, pool recovers) commits it exactly once.
        const s2 = await commitWindow(a.sink, k, w, rowsFor(w, 6), s1);
        assert.equal(s2.version, "2");
        assert.deepEqual(await windowCounts(h, "Killed"), ["0-5:2", "5-10:6"]);
      } finally {
        await closeAll();
      }
    });
  }
}

/** Every Log Analytics type, with the hard cases; `k` orders the rows. */
export const ROUND_COLUMNS: Column[] = [
  { name: "k", type: "int" },
  { name: "b", type: "bool" },
  { name: "i", type: "int" },
  { name: "l", type: "long" },
  { name: "r", type: "real" },
  { name: "d", type: "decimal" },
  { name: "s", type: "string" },
  { name: "g", type: "guid" },
  { name: "t", type: "datetime" },
  { name: "ts", type: "timespan" },
  { name: "dyn", type: "dynamic" },
];

export const TRICKY_STRING = 'quote " backslash \\ newline \n tab \t cr \r emoji 😀 ünï 中文 \\N \\. \\\\t end';
export const NESTED_JSON = { a: [1, { b: "x\ty\\z", big: 12.5 }], 'q"k': null, nested: { deep: [true, false, "é"] } };
export const NUL_STRING = "nul:\u0000:end";

/** Raw cells exactly as the Log Analytics query API sends them. */
export const ROUND_ROWS: RawRow[] = [
  [
    "1",
    "true",
    "2147483647",
    "9007199254740993",
    "0.1",
    '"12345678901234567890.123456789012345678"',
    JSON.stringify(TRICKY_STRING),
    '"3f2504e0-4f89-11d3-9a0c-0305e82c3301"',
    '"2026-11-22T03:00:00.1234567Z"',
    '"1.02:03:04.5000001"',
    JSON.stringify(JSON.stringify(NESTED_JSON)),
  ],
  [
    "2",
    "false",
    "-2147483648",
    "-9223372036854775808",
    "-1.5e-300",
    '"-0.000000000000000000000000000001"',
    '""',
    '"00000000-0000-0000-0000-000000000000"',
    '"2026-01-01T00:00:00Z"',
    '"-00:00:00.0000001"',
    '"[]"',
  ],
  ["3", "null", "null", "null", "null", "null", "null", "null", "null", "null", "null"],
  [
    "4",
    "true",
    "0",
    "9223372036854775807",
    '"NaN"',
    '"79228162514264337593543950335"',
    JSON.stringify(NUL_STRING),
    '"ffffffff-ffff-ffff-ffff-ffffffffffff"',
    '"0001-01-01T00:00:00.0000001Z"',
    '"10675199.02:48:05.4775807"',
    '"hello"',
  ],
];

/** Commits ROUND_ROWS into query "RoundTrip" and returns the log of that sink. */
export async function commitRoundTrip(h: Harness): Promise<Array<Record<string, unknown>>> {
  const log = captureLog();
  const sink = h.sink(log.logger);
  try {
    await commitWindow(sink.sink, { query: "RoundTrip", scope: "live" }, win(0, 5), ROUND_ROWS, undefined, ROUND_COLUMNS);
  } finally {
    await sink.shutdown();
  }
  return log.lines;
}
