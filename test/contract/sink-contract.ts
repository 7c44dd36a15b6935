/**
 * The sink contract: what every destination (filesystem, blob, PostgreSQL, MariaDB/MySQL, SQLite) must
 * do, written once and run against each by sink-contract.test.ts through a per-kind fixture
 * (test/support/sink-fixtures.ts). Not a test file itself.
 *
 * What a reader sees is read back independently of the sink (files, blobs, tables) and compared as exact
 * rows with their windows ("0-5:a1" = the row named a1, committed with the window [T0, T0+5 min)), and
 * cursors are compared as whole records.
 *
 * Crashes are simulated at each step of a file-like commit (check version → publish → write cursor →
 * take back) through the destination's `wrapCursors` seam: a cursor call that never settles is a process
 * killed at that point (its writer is abandoned, never aborted), and the "next run" is a NEW Destination
 * over the same storage that recovers the way the runner does (src/runner/export-query.ts: from the
 * stored watermark, nothing after it counts as committed). SQL commits rows and cursor in one
 * transaction, so its only crash point is before COMMIT (the process's connections close; the server
 * rolls the window back).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SinkError, type MonitorliftError } from "../../src/errors.ts";
import { backfillScope } from "../../src/sinks/layout.ts";
import { encodeCursor } from "../../src/state/cursor.ts";
import type { CursorState, CursorStore, Destination, RunSummary, StateKey, WindowWriter } from "../../src/sinks/sink.ts";
import type { TimeWindow } from "../../src/window/window.ts";
import type { FixtureOpening, SinkFixture } from "../support/sink-fixtures.ts";
import { rowLabel } from "../support/sink-readers.ts";
import { COLS, T0, commitWindow, nextState, open, rejectsWith, rowsFor, win } from "../support/sink-windows.ts";
import { RowBatch } from "../../src/row-batch.ts";

const key = (query: string, scope = "live"): StateKey => ({ query, scope });

/** The labels a reader must see for `count` rows tagged `tag` committed with window `w`. */
function expected(w: TimeWindow, count: number, tag: string): string[] {
  return rowsFor(w, count, tag).map((r) => rowLabel(w.start, w.end, JSON.parse(r[1]!)));
}

const sorted = (...groups: string[][]): string[] => groups.flat().sort();

/**
 * A cursor store that passes everything through until armed; once armed, `onRead` / `onWrite` decide
 * what the commit's next cursor calls do. `calls` records the order of the commit's cursor calls.
 */
class Interceptor {
  armed = false;
  calls: string[] = [];
  onRead?: (inner: () => Promise<CursorState | undefined>) => Promise<CursorState | undefined>;
  onWrite?: (inner: () => Promise<string>) => Promise<string>;
  readonly #reached = Promise.withResolvers<void>();

  /** A promise that never settles: the process "dies" at this point. */
  freeze = <T>(): Promise<T> => {
    this.#reached.resolve();
    return new Promise<T>(() => undefined);
  };

  /** Resolves once a cursor call froze (fails after `ms`). */
  async frozen(ms = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no cursor call froze within ${ms} ms (calls: ${this.calls.join(", ")})`)), ms);
    });
    try {
      await Promise.race([this.#reached.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  wrap = (store: CursorStore): CursorStore => ({
    read: (k) => {
      if (!this.armed) return store.read(k);
      this.calls.push("read");
      return this.onRead ? this.onRead(() => store.read(k)) : store.read(k);
    },
    list: () => store.list(),
    write: (k, next, previous) => {
      if (!this.armed) return store.write(k, next, previous);
      this.calls.push("write");
      return this.onWrite ? this.onWrite(() => store.write(k, next, previous)) : store.write(k, next, previous);
    },
  });
}

/** The signal of a lock that is held (never lost). */
const held = (): AbortSignal => new AbortController().signal;

/** A lock's signal, and how to lose the lock as a lock's watchdog does (LOCK_LOST as the reason). */
function losableLock(): { signal: AbortSignal; lose(): void } {
  const c = new AbortController();
  return { signal: c.signal, lose: () => c.abort(new SinkError("LOCK_LOST", "simulated: the lock was lost", { retryable: true })) };
}

/** How a crash at each step of a commit is simulated (file-like sinks). */
interface CrashStep {
  title: string;
  /** Sets up the interceptor; the commit then freezes at this step. */
  arm(i: Interceptor): void;
  /** The commit's cursor calls up to the freeze. */
  calls: string[];
  /** Whether the window's chunk is visible to readers when the process dies. */
  published: boolean;
  /** Whether the cursor moved before the process died (then the window counts as committed). */
  cursorMoved: boolean;
}

const FILE_CRASH_STEPS: CrashStep[] = [
  {
    title: "between the version check and publishing",
    arm: (i) => (i.onRead = async (inner) => (await inner(), i.freeze())),
    calls: ["read"],
    published: false,
    cursorMoved: false,
  },
  {
    title: "between publishing and the cursor write",
    arm: (i) => (i.onWrite = () => i.freeze()),
    calls: ["read", "write"],
    published: true,
    cursorMoved: false,
  },
  {
    title: "between a failed cursor write and taking the chunk back",
    arm: (i) => {
      let checked = false;
      i.onRead = async (inner) => {
        if (!checked) return (checked = true), inner(); // the version check before publishing
        return i.freeze(); // the re-read before the take-back
      };
      i.onWrite = async () => {
        throw new SinkError("SINK_UNAVAILABLE", "simulated: the cursor write failed");
      };
    },
    calls: ["read", "write", "read"],
    published: true,
    cursorMoved: false,
  },
  {
    title: "after the cursor write, before commit returned",
    arm: (i) => (i.onWrite = async (inner) => (await inner(), i.freeze())),
    calls: ["read", "write"],
    published: true,
    cursorMoved: true,
  },
];

export function defineSinkContract(opening: FixtureOpening): void {
  if ("unavailable" in opening) {
    describe(`sink contract: ${opening.name}`, () => {
      it(`needs ${opening.name}`, { skip: opening.required ? false : opening.unavailable }, () => assert.fail(opening.unavailable));
    });
    return;
  }
  const fx: SinkFixture = opening;

  describe(`sink contract: ${fx.name}`, () => {
    const opened: Destination[] = [];
    /** A destination the test shuts down at its end (a crashed one is dropped, as its process would be). */
    const destination = (options?: Parameters<SinkFixture["destination"]>[0]): Destination => {
      const d = fx.destination(options);
      opened.push(d);
      return d;
    };
    const closeAll = async () => {
      for (const d of opened.splice(0)) await d.shutdown().catch(() => undefined);
    };
    /** The next run's recovery, as the runner does it: nothing after the stored watermark counts as committed. */
    const recoverAsNextRun = async (d: Destination, k: StateKey, size: number): Promise<CursorState | undefined> => {
      const stored = await d.cursors.read(k);
      if (stored) await d.sink.recover(k, stored.watermark, Number.POSITIVE_INFINITY, () => false);
      else await d.sink.recover(k, T0 - size, Number.POSITIVE_INFINITY, (w) => w.end <= T0);
      return stored;
    };

    it("commit makes exactly the written rows visible with their window and moves the cursor; nothing is visible before", async () => {
      try {
        const d = destination();
        await d.sink.start();
        const reader = destination();
        const k = key("Commit");
        const w = win(0, 5);
        const writer = await open(d.sink, k, w);
        await writer.write(RowBatch.of(rowsFor(w, 2, "a")));
        await writer.write(RowBatch.of(rowsFor(w, 1, "b")));
        assert.deepEqual(await fx.rows("Commit"), [], "nothing is visible before commit");
        assert.equal(await reader.cursors.read(k), undefined, "the cursor does not exist before commit");
        const next = nextState(undefined, w, 3);
        const nextCopy = structuredClone(next);
        const done = await writer.commit(next, undefined);
        assert.deepEqual(next, nextCopy, "commit does not mutate the caller's cursor");
        assert.equal(done.rows, 3);
        assert.ok(done.bytes > 0, "bytes are counted");
        assert.equal(typeof done.version, "string");
        assert.ok(done.location.includes("Commit"), `the location names the query's data: ${done.location}`);
        assert.deepEqual(await fx.rows("Commit"), sorted(expected(w, 2, "a"), expected(w, 1, "b")));
        assert.deepEqual(await fx.leftovers("Commit"), []);
        assert.deepEqual(await reader.cursors.read(k), { ...next, version: done.version });
        assert.deepEqual(
          (await reader.cursors.list()).filter((e) => e.key.query === "Commit"),
          [{ key: k, state: { ...next, version: done.version } }],
        );
        await rejectsWith(writer.write(RowBatch.of(rowsFor(w, 1, "late"))), "INTERNAL");
        await writer.abort(); // after commit: a no-op
        assert.deepEqual(await fx.rows("Commit"), sorted(expected(w, 2, "a"), expected(w, 1, "b")), "abort after commit keeps the window");
      } finally {
        await closeAll();
      }
    });

    it("abort discards the window: its rows are never visible and the cursor does not move; a later commit of it works", async () => {
      try {
        const d = destination();
        const k = key("Abort");
        const s1 = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        for (let i = 0; i < 3; i++) {
          const writer = await open(d.sink, k, win(5, 10));
          await writer.write(RowBatch.of(rowsFor(win(5, 10), 3, `x${i}-`)));
          if (i === 1) await writer.end(); // ended (the rows all written), then aborted
          await writer.abort();
          await writer.abort(); // twice is fine
          await rejectsWith(writer.commit(nextState(s1, win(5, 10), 3), s1), "INTERNAL");
        }
        assert.deepEqual(await fx.rows("Abort"), expected(win(0, 5), 2, "a"));
        assert.deepEqual(await fx.leftovers("Abort"), []);
        assert.deepEqual(await d.cursors.read(k), s1);
        await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 1, "b"), s1);
        assert.deepEqual(await fx.rows("Abort"), sorted(expected(win(0, 5), 2, "a"), expected(win(5, 10), 1, "b")));
      } finally {
        await closeAll();
      }
    });

    it("windows opened side by side (look-ahead) commit in order, each on the cursor the previous one left", async () => {
      try {
        const d = destination();
        const k = key("LookAhead");
        const ws = [win(0, 5), win(5, 10), win(10, 15)];
        const writers = await Promise.all(ws.map((w) => open(d.sink, k, w)));
        // Written and ended out of order, as parallel fetches finish; the first is committed without end().
        for (const i of [2, 0, 1]) await writers[i]!.write(RowBatch.of(rowsFor(ws[i]!, i + 1, `p${i}-`)));
        await writers[2]!.end();
        await writers[1]!.end();
        await rejectsWith(writers[2]!.write(RowBatch.of(rowsFor(ws[2]!, 1, "late"))), "INTERNAL");
        assert.deepEqual(await fx.rows("LookAhead"), []);
        let state: CursorState | undefined;
        for (const [i, writer] of writers.entries()) {
          const next = nextState(state, ws[i]!, i + 1);
          state = { ...next, version: (await writer.commit(next, state)).version };
          assert.deepEqual(await d.cursors.read(k), state);
        }
        assert.deepEqual(await fx.rows("LookAhead"), sorted(...ws.map((w, i) => expected(w, i + 1, `p${i}-`))));
        assert.equal(state?.windows, 3);
        assert.equal(state?.rows, 6);
      } finally {
        await closeAll();
      }
    });

    it("an aborted target signal stops the writer: its window is never visible and the cursor does not move", async () => {
      try {
        const d = destination();
        const k = key("Signal");
        const s1 = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 1, "a"), undefined);
        const stop = new AbortController();
        const writer = await d.sink.openWindow({ key: k, window: win(5, 10), columns: COLS, signal: stop.signal });
        await writer.write(RowBatch.of(rowsFor(win(5, 10), 2, "b")));
        stop.abort(new Error("the run was stopped"));
        await assert.rejects(
          (async () => {
            await writer.write(RowBatch.of(rowsFor(win(5, 10), 2, "c")));
            await writer.commit(nextState(s1, win(5, 10), 4), s1);
          })(),
        );
        await writer.abort();
        await rejectsWith(d.sink.openWindow({ key: k, window: win(10, 15), columns: COLS, signal: stop.signal }), "ABORTED");
        assert.deepEqual(await fx.rows("Signal"), expected(win(0, 5), 1, "a"));
        assert.deepEqual(await fx.leftovers("Signal"), []);
        assert.deepEqual(await d.cursors.read(k), s1);
      } finally {
        await closeAll();
      }
    });

    it("re-committing a window replaces its rows: never a duplicate", async () => {
      try {
        const d = destination();
        const k = key("Replace");
        const w = win(0, 5);
        const s1 = await commitWindow(d.sink, k, w, rowsFor(w, 3, "first"), undefined);
        const s2 = await commitWindow(d.sink, k, w, rowsFor(w, 2, "again"), s1);
        assert.notEqual(s2.version, s1.version);
        assert.deepEqual(await fx.rows("Replace"), expected(w, 2, "again"));
        // A fresh process re-doing the window on top of the stored cursor replaces it too.
        const other = destination();
        const stored = await other.cursors.read(k);
        assert.deepEqual(stored, s2);
        await commitWindow(other.sink, k, w, rowsFor(w, 4, "third"), stored);
        assert.deepEqual(await fx.rows("Replace"), expected(w, 4, "third"));
        assert.deepEqual(await fx.leftovers("Replace"), []);
      } finally {
        await closeAll();
      }
    });

    it("an empty window — with columns, or none at all (the service's 204) — writes no data, moves the cursor, and replaces what an earlier attempt left", async () => {
      try {
        const d = destination();
        const k = key("Empty");
        const w1 = win(0, 5);
        const w2 = win(5, 10);
        const s1 = await commitWindow(d.sink, k, w1, [], undefined);
        assert.deepEqual(await d.cursors.read(k), s1, "the cursor moved");
        const noColumns = await open(d.sink, k, w2, []);
        await noColumns.write(RowBatch.of([]));
        const next = nextState(s1, w2, 0);
        const done = await noColumns.commit(next, s1);
        assert.equal(done.rows, 0);
        assert.deepEqual(await d.cursors.read(k), { ...next, version: done.version });
        assert.deepEqual(await fx.rows("Empty"), []);
        assert.deepEqual(await fx.leftovers("Empty"), []);
        assert.deepEqual(await d.sink.windowCounts("Empty", T0, T0 + 10 * 60_000), [], "no chunk, no rows: a committed window without data counts 0");
        // An empty re-commit of a window replaces its rows (file-like: removes its chunk), never keeps them beside.
        const later = win(10, 15);
        const s3 = await commitWindow(d.sink, k, later, rowsFor(later, 2, "gone"), { ...next, version: done.version });
        assert.deepEqual(await fx.rows("Empty"), expected(later, 2, "gone"));
        await commitWindow(d.sink, k, later, [], s3);
        assert.deepEqual(await fx.rows("Empty"), []);
      } finally {
        await closeAll();
      }
    });

    it("windowCounts reports the rows each commit recorded per window (monitorlift verify), replaced with the window", async () => {
      try {
        const d = destination();
        const k = key("Counts");
        let s = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 3, "a"), undefined);
        s = await commitWindow(d.sink, k, win(5, 10), [], s);
        s = await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 2, "c"), s);
        await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 4, "again"), s); // a repair: same window, more rows
        const counts = async (from: number, to: number) =>
          (await destination().sink.windowCounts("Counts", from, to))
            .filter((c) => c.rows !== 0) // an empty window may be listed with 0 rows or not at all (SQL: no rows to tag)
            .map((c) => `${(c.window.start - T0) / 60_000}-${(c.window.end - T0) / 60_000}:${c.rows}`)
            .sort();
        assert.deepEqual(await counts(T0, T0 + 15 * 60_000), ["0-5:4", "10-15:2"]);
        assert.deepEqual(await counts(T0 + 5 * 60_000, T0 + 15 * 60_000), ["10-15:2"], "only windows wholly inside the range");
        assert.deepEqual(await counts(T0 + 20 * 60_000, T0 + 60 * 60_000), []);
        assert.deepEqual(await destination().sink.windowCounts("NeverWritten", T0, T0 + 15 * 60_000), []);
        assert.deepEqual(await fx.rows("Counts"), sorted(expected(win(0, 5), 4, "again"), expected(win(10, 15), 2, "c")));
        assert.deepEqual(await fx.leftovers("Counts"), [], "the counts are not data a lake reader would see");
      } finally {
        await closeAll();
      }
    });

    it("a commit on a stale cursor is refused with STATE_CONFLICT and changes nothing", async () => {
      try {
        const a = destination();
        const k = key("Conflict");
        const s1 = await commitWindow(a.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        const w = win(5, 10);
        for (const previous of [undefined, { ...s1, version: "7" }, { ...s1, version: "not-a-version" }]) {
          const writer = await open(a.sink, k, w);
          await writer.write(RowBatch.of(rowsFor(w, 4, "stale")));
          const previousCopy = structuredClone(previous);
          await rejectsWith(writer.commit(nextState(s1, w, 4), previous), "STATE_CONFLICT", "Conflict");
          assert.deepEqual(previous, previousCopy, "commit does not mutate the caller's previous cursor");
          await writer.abort(); // safe after a failed commit
        }
        assert.deepEqual(await fx.rows("Conflict"), expected(win(0, 5), 2, "a"));
        assert.deepEqual(await a.cursors.read(k), s1);
        // Two processes read the same cursor; the second to commit loses and leaves no trace.
        const b = destination();
        const fromB = await b.cursors.read(k);
        const s2 = await commitWindow(a.sink, k, w, rowsFor(w, 1, "b"), s1);
        const late = await open(b.sink, k, win(10, 15));
        await late.write(RowBatch.of(rowsFor(win(10, 15), 3, "late")));
        await rejectsWith(late.commit(nextState(fromB, win(10, 15), 3), fromB), "STATE_CONFLICT");
        await late.abort();
        // …also when it re-does the same window the winner just committed.
        const same = await open(b.sink, k, w);
        await same.write(RowBatch.of(rowsFor(w, 5, "dup")));
        await rejectsWith(same.commit(nextState(fromB, w, 5), fromB), "STATE_CONFLICT");
        await same.abort();
        assert.deepEqual(await a.cursors.read(k), s2);
        assert.deepEqual(await fx.rows("Conflict"), sorted(expected(win(0, 5), 2, "a"), expected(w, 1, "b")));
        assert.deepEqual(await fx.leftovers("Conflict"), []);
      } finally {
        await closeAll();
      }
    });

    it("the cursor store's conditional write: stale versions are refused with STATE_CONFLICT and change nothing", async () => {
      try {
        const d = destination();
        const k = key("Cursor");
        const first = nextState(undefined, win(0, 5), 1);
        const v1 = await d.cursors.write(k, first, undefined);
        const s1 = { ...first, version: v1 };
        assert.deepEqual(await d.cursors.read(k), s1);
        const second = nextState(s1, win(5, 10), 2);
        await rejectsWith(d.cursors.write(k, second, undefined), "STATE_CONFLICT", "Cursor");
        await rejectsWith(d.cursors.write(k, second, { ...s1, version: `${v1}x` }), "STATE_CONFLICT");
        assert.deepEqual(await d.cursors.read(k), s1, "a refused write changes nothing");
        const secondCopy = structuredClone(second);
        const v2 = await d.cursors.write(k, second, s1);
        assert.deepEqual(second, secondCopy, "write does not mutate its arguments");
        assert.notEqual(v2, v1);
        await rejectsWith(d.cursors.write(k, nextState(s1, win(5, 10), 9), s1), "STATE_CONFLICT");
        assert.deepEqual(await destination().cursors.read(k), { ...second, version: v2 });
        // Another scope of the same query is another cursor.
        const backfill = key("Cursor", backfillScope(T0 - 86_400_000, T0));
        assert.equal(await d.cursors.read(backfill), undefined);
        await d.cursors.write(backfill, first, undefined);
        assert.deepEqual(
          (await d.cursors.list())
            .filter((e) => e.key.query === "Cursor")
            .map((e) => `${e.key.scope}:${e.state.watermark}`)
            .sort(),
          [`${backfill.scope}:${first.watermark}`, `live:${second.watermark}`],
        );
      } finally {
        await closeAll();
      }
    });

    it("a stored cursor that cannot be decoded is STATE_CORRUPT naming where it is, never taken for 'no cursor'", async () => {
      try {
        const d = destination();
        const k = key("Corrupt");
        const s1 = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        // Valid JSON (a jsonb column takes it) with a watermark that is not a number and fields missing.
        await fx.overwriteCursor(k, '{"watermark":"soon","origin":0}');
        const fresh = destination();
        await rejectsWith(fresh.cursors.read(k), "STATE_CORRUPT", "Corrupt", "watermark");
        // A commit that takes the corrupt cursor for "none yet" is refused and publishes nothing.
        const writer = await open(fresh.sink, k, win(0, 5));
        await writer.write(RowBatch.of(rowsFor(win(0, 5), 3, "over")));
        const refused = await writer.commit(nextState(undefined, win(0, 5), 3), undefined).then(
          () => undefined,
          (e: unknown) => e as MonitorliftError,
        );
        assert.ok(refused && ["STATE_CORRUPT", "STATE_CONFLICT"].includes(refused.code), `refused with ${refused?.code}: ${refused?.message}`);
        await writer.abort();
        assert.deepEqual(await fx.rows("Corrupt"), expected(win(0, 5), 2, "a"));
        // Listing every cursor (status, the live start) is as loud.
        await rejectsWith(fresh.cursors.list(), "STATE_CORRUPT", "Corrupt");
        // ... unless told where to report it (status): then the list goes on without it, the key named once.
        const reported: string[] = [];
        const rest = await fresh.cursors.list({ onCorrupt: (bad, err) => reported.push(`${bad.query} ${bad.scope} ${err.code}`) });
        assert.deepEqual(reported, [`Corrupt ${k.scope} STATE_CORRUPT`]);
        assert.ok(!rest.some((e) => e.key.query === "Corrupt"));
        // Repaired by hand (the codec's body; a store that keeps its version in the body finds it there), the cursor reads again.
        await fx.overwriteCursor(k, encodeCursor(s1, { version: s1.version }));
        assert.equal((await destination().cursors.read(k))?.watermark, s1.watermark);
        assert.ok((await fresh.cursors.list()).some((e) => e.key.query === "Corrupt"));
      } finally {
        await closeAll();
      }
    });

    if (fx.fileLike) {
      for (const step of FILE_CRASH_STEPS) {
        it(`a crash ${step.title} leaves a state the next run's recovery makes exact`, async () => {
          try {
            const query = `Crash${FILE_CRASH_STEPS.indexOf(step)}`;
            const k = key(query);
            const w0 = win(0, 5);
            const w1 = win(5, 10);
            const i = new Interceptor();
            const dying = fx.destination({ wrapCursors: i.wrap }); // dropped at the crash, never shut down
            const s1 = await commitWindow(dying.sink, k, w0, rowsFor(w0, 2, "a"), undefined);
            const writer = await open(dying.sink, k, w1);
            await writer.write(RowBatch.of(rowsFor(w1, 3, "b")));
            step.arm(i);
            i.armed = true;
            let settled = false;
            void writer.commit(nextState(s1, w1, 3), s1).then(
              () => (settled = true),
              () => (settled = true),
            );
            await i.frozen();
            await new Promise((resolve) => setTimeout(resolve, 20));
            assert.equal(settled, false, `the commit is frozen (cursor calls: ${i.calls.join(", ")})`);
            assert.deepEqual(i.calls, step.calls, "the commit's cursor calls up to the crash");
            const before = sorted(expected(w0, 2, "a"), step.published ? expected(w1, 3, "b") : []);
            assert.deepEqual(await fx.rows(query), before, step.published ? "the chunk was published when the process died" : "nothing was published yet");
            // The process is gone; the next run builds a new destination over the same storage.
            const next = destination();
            const stored = await recoverAsNextRun(next, k, 5 * 60_000);
            assert.ok(stored);
            if (step.cursorMoved) {
              assert.equal(stored.watermark, w1.end);
              assert.notEqual(stored.version, s1.version);
              assert.deepEqual(await fx.rows(query), sorted(expected(w0, 2, "a"), expected(w1, 3, "b")), "the counted window stays");
            } else {
              assert.deepEqual(stored, s1, "the cursor did not move");
              assert.deepEqual(await fx.rows(query), expected(w0, 2, "a"), "no uncounted row is left visible");
              // The next run re-does the window exactly once.
              await commitWindow(next.sink, k, w1, rowsFor(w1, 3, "b"), stored);
              assert.deepEqual(await fx.rows(query), sorted(expected(w0, 2, "a"), expected(w1, 3, "b")));
            }
            assert.deepEqual(await fx.leftovers(query), [], "no staging leftovers after recovery");
          } finally {
            await closeAll();
          }
        });
      }

      it("a cursor write that fails takes the published chunk back at once; one that landed and then failed keeps it", async () => {
        try {
          const k = key("TakeBack");
          const w0 = win(0, 5);
          const w1 = win(5, 10);
          const i = new Interceptor();
          const d = destination({ wrapCursors: i.wrap });
          const s1 = await commitWindow(d.sink, k, w0, rowsFor(w0, 2, "a"), undefined);
          // A full disk / lost connection: the write does not land.
          i.onWrite = async () => {
            throw new SinkError("SINK_UNAVAILABLE", "simulated: the cursor write failed");
          };
          i.armed = true;
          const failing = await open(d.sink, k, w1);
          await failing.write(RowBatch.of(rowsFor(w1, 3, "b")));
          await rejectsWith(failing.commit(nextState(s1, w1, 3), s1), "SINK_UNAVAILABLE");
          assert.deepEqual(i.calls, ["read", "write", "read"], "version check, cursor write, re-read before the take-back");
          assert.deepEqual(await fx.rows("TakeBack"), expected(w0, 2, "a"), "the chunk was taken back without waiting for recovery");
          assert.deepEqual(await fx.leftovers("TakeBack"), []);
          assert.deepEqual(await d.cursors.read(k), s1);
          await failing.abort();
          // The write lands, but its answer is lost (a timeout after the service stored it): the cursor moved, so the chunk stays.
          i.calls = [];
          i.onWrite = async (inner) => {
            await inner();
            throw new SinkError("SINK_UNAVAILABLE", "simulated: the answer to the cursor write was lost");
          };
          const landed = await open(d.sink, k, w1);
          await landed.write(RowBatch.of(rowsFor(w1, 3, "c")));
          await rejectsWith(landed.commit(nextState(s1, w1, 3), s1), "SINK_UNAVAILABLE");
          i.armed = false;
          const stored = await d.cursors.read(k);
          assert.equal(stored?.watermark, w1.end);
          assert.deepEqual(await fx.rows("TakeBack"), sorted(expected(w0, 2, "a"), expected(w1, 3, "c")), "a counted chunk is never taken back");
          // The runner re-reads the cursor and goes on from it.
          await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 1, "d"), stored);
          assert.deepEqual(await fx.rows("TakeBack"), sorted(expected(w0, 2, "a"), expected(w1, 3, "c"), expected(win(10, 15), 1, "d")));
        } finally {
          await closeAll();
        }
      });

      it("a repair of a committed window whose cursor write fails keeps the new chunk (it replaced the counted one); the count stays known or unknown, never stale", async () => {
        try {
          const k = key("RepairFail");
          const w0 = win(0, 5);
          const i = new Interceptor();
          const d = destination({ wrapCursors: i.wrap });
          const s1 = await commitWindow(d.sink, k, w0, rowsFor(w0, 2, "a"), undefined);
          i.onWrite = async () => {
            throw new SinkError("SINK_UNAVAILABLE", "simulated: the cursor write failed");
          };
          i.armed = true;
          const repair = await open(d.sink, k, w0);
          await repair.write(RowBatch.of(rowsFor(w0, 3, "fixed")));
          await rejectsWith(repair.commit({ ...s1, rows: 3, version: undefined }, s1), "SINK_UNAVAILABLE");
          i.armed = false;
          assert.deepEqual(await fx.rows("RepairFail"), expected(w0, 3, "fixed"), "the replaced chunk is not taken back: the window stays whole");
          const counts = await destination().sink.windowCounts("RepairFail", w0.start, w0.end);
          assert.ok(counts.length === 1 && (counts[0]!.rows === 3 || counts[0]!.rows === undefined), JSON.stringify(counts));
          assert.deepEqual(await d.cursors.read(k), s1);
        } finally {
          await closeAll();
        }
      });
    }

    it("a process that dies with a window written but not committed leaves nothing the next run's recovery does not clear", async () => {
      try {
        const k = key("CrashOpen");
        const w0 = win(0, 5);
        const w1 = win(5, 10);
        const dying = fx.destination();
        const s1 = await commitWindow(dying.sink, k, w0, rowsFor(w0, 2, "a"), undefined);
        const writer: WindowWriter = await open(dying.sink, k, w1);
        await writer.write(RowBatch.of(rowsFor(w1, 4, "b")));
        // SQL: the dead process's connections close and the server rolls the window back; file-like:
        // the staged bytes stay where they are (the process state is simply dropped).
        if (!fx.fileLike) await dying.shutdown();
        else opened.push(dying);
        assert.deepEqual(await fx.rows("CrashOpen"), expected(w0, 2, "a"), "nothing of the open window is visible");
        const next = destination();
        const stored = await recoverAsNextRun(next, k, 5 * 60_000);
        assert.deepEqual(stored, s1);
        assert.deepEqual(await fx.leftovers("CrashOpen"), []);
        await commitWindow(next.sink, k, w1, rowsFor(w1, 4, "b"), stored);
        assert.deepEqual(await fx.rows("CrashOpen"), sorted(expected(w0, 2, "a"), expected(w1, 4, "b")));
      } finally {
        await closeAll();
      }
    });

    it("recover removes the data of windows that are not committed inside [from, to), and only those", async () => {
      try {
        const d = destination();
        const k = key("Recover");
        assert.equal(await d.sink.recover(k, T0, T0 + 3_600_000, () => false), 0, "nothing to recover yet");
        let s = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        s = await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), s);
        s = await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 4, "c"), s);
        s = await commitWindow(d.sink, k, win(20, 25), rowsFor(win(20, 25), 1, "d"), s);
        await commitWindow(d.sink, key("RecoverOther"), win(5, 10), rowsFor(win(5, 10), 1, "o"), undefined);
        // File-like: a killed attempt at re-writing a committed window leaves staged bytes: a leftover all the same.
        const killed = fx.fileLike ? await open(fx.destination().sink, k, win(0, 5)) : undefined;
        await killed?.write(RowBatch.of(rowsFor(win(0, 5), 5, "killed")));
        const committed = (w: TimeWindow) => w.start === win(0, 5).start;
        // [5,10) (3 rows) and [10,15) (4 rows) are in range and not committed; a staging file (filesystem) is one more chunk.
        const staged = (await fx.leftovers("Recover")).length;
        const removed = await d.sink.recover(k, win(0, 5).start, win(10, 15).end, committed);
        assert.equal(removed, fx.recoverCounts === "rows" ? 7 : 2 + staged, `recover counts removed ${fx.recoverCounts}`);
        assert.deepEqual(await fx.leftovers("Recover"), [], "staged leftovers are removed, even of a committed window");
        await killed?.abort();
        assert.deepEqual(await fx.rows("Recover"), sorted(expected(win(0, 5), 2, "a"), expected(win(20, 25), 1, "d")), "only [5,15) was in range and uncommitted");
        assert.equal(await d.sink.recover(k, win(0, 5).start, win(10, 15).end, committed), 0, "idempotent");
        // An open end (live recovery) reaches everything after `from`.
        assert.equal(await d.sink.recover(k, win(15, 20).start, Number.POSITIVE_INFINITY, () => false), 1);
        assert.deepEqual(await fx.rows("Recover"), expected(win(0, 5), 2, "a"));
        // What isCommitted() does not count goes, whatever the cursor says (a backfill range being redone).
        assert.equal(await d.sink.recover(k, win(0, 5).start, win(10, 15).end, () => false), fx.recoverCounts === "rows" ? 2 : 1);
        assert.deepEqual(await fx.rows("Recover"), []);
        assert.deepEqual(await fx.rows("RecoverOther"), expected(win(5, 10), 1, "o"), "another query is left alone");
      } finally {
        await closeAll();
      }
    });

    it("rewind moves the cursor back and removes the data of every window from there on, conditional on the stored version; the rewound windows commit again exactly once", async () => {
      try {
        const d = destination();
        const k = key("Rewind");
        const s1 = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        let s = await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), s1);
        s = await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 4, "c"), s);
        await commitWindow(d.sink, key("RewindOther"), win(5, 10), rowsFor(win(5, 10), 1, "o"), undefined);
        const all = sorted(expected(win(0, 5), 2, "a"), expected(win(5, 10), 3, "b"), expected(win(10, 15), 4, "c"));
        const next: CursorState = { watermark: win(5, 5).start, origin: s.origin, rows: 2, windows: 1, updatedAt: new Date().toISOString() };
        const nextCopy = structuredClone(next);
        // On a stale cursor: STATE_CONFLICT, and neither the cursor nor the data changes.
        await rejectsWith(d.sink.rewind(k, next, { ...s, version: s1.version }, held()), "STATE_CONFLICT");
        assert.deepEqual(await d.cursors.read(k), s);
        assert.deepEqual(await fx.rows("Rewind"), all);
        // Forward, or past the origin, is not a rewind.
        await rejectsWith(d.sink.rewind(k, { ...next, watermark: win(20, 20).start }, s, held()), "INTERNAL");
        await rejectsWith(d.sink.rewind(k, { ...next, watermark: win(-5, -5).start }, s, held()), "INTERNAL");
        assert.deepEqual(await d.cursors.read(k), s);

        const removed = await d.sink.rewind(k, next, s, held());
        assert.deepEqual(next, nextCopy, "rewind does not mutate the caller's cursor");
        assert.equal(removed, fx.recoverCounts === "rows" ? 7 : 2, `rewind counts removed ${fx.recoverCounts}`);
        const rewound = await destination().cursors.read(k);
        assert.ok(rewound?.version !== undefined && rewound.version !== s.version, "a new version");
        assert.deepEqual(rewound, { ...next, version: rewound.version });
        assert.deepEqual(await fx.rows("Rewind"), expected(win(0, 5), 2, "a"), "the windows after the new watermark are gone");
        assert.deepEqual(await d.sink.windowCounts("Rewind", T0, win(60, 60).start), [{ window: win(0, 5), rows: 2 }], "their recorded counts too");
        assert.deepEqual(await fx.leftovers("Rewind"), []);
        assert.deepEqual(await fx.rows("RewindOther"), expected(win(5, 10), 1, "o"), "another query is left alone");
        // The next run redoes the rewound range: every row once.
        let again = await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), rewound);
        again = await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 4, "c"), again);
        assert.deepEqual(await fx.rows("Rewind"), all);
        assert.equal(again.rows, 9);
      } finally {
        await closeAll();
      }
    });

    if (fx.fileLike) {
      it("a rewind killed after its cursor write leaves only chunks no cursor counts, which the next run's recovery removes", async () => {
        try {
          const k = key("RewindCrash");
          const i = new Interceptor();
          const dying = fx.destination({ wrapCursors: i.wrap }); // dropped at the crash, never shut down
          let s = await commitWindow(dying.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
          s = await commitWindow(dying.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), s);
          i.onWrite = async (inner) => (await inner(), i.freeze());
          i.armed = true;
          void dying.sink.rewind(k, { watermark: win(5, 5).start, origin: s.origin, rows: 2, windows: 1, updatedAt: new Date().toISOString() }, s, held()).catch(() => undefined);
          await i.frozen();
          assert.deepEqual(i.calls, ["write"], "the cursor moves first");
          const next = destination();
          const stored = await recoverAsNextRun(next, k, 5 * 60_000);
          assert.equal(stored?.watermark, win(5, 5).start);
          assert.deepEqual(await fx.rows("RewindCrash"), expected(win(0, 5), 2, "a"), "no row the cursor does not count is left");
          await commitWindow(next.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), stored);
          assert.deepEqual(await fx.rows("RewindCrash"), sorted(expected(win(0, 5), 2, "a"), expected(win(5, 10), 3, "b")));
        } finally {
          await closeAll();
        }
      });
    }

    it("rewind under a lock already lost (its signal aborted) fails with LOCK_LOST and changes nothing", async () => {
      try {
        const d = destination();
        const k = key("RewindLost");
        let s = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        s = await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), s);
        const lock = losableLock();
        lock.lose();
        await rejectsWith(d.sink.rewind(k, { watermark: win(5, 5).start, origin: s.origin, rows: 2, windows: 1, updatedAt: new Date().toISOString() }, s, lock.signal), "LOCK_LOST");
        assert.deepEqual(await destination().cursors.read(k), s, "the cursor did not move");
        assert.deepEqual(await fx.rows("RewindLost"), sorted(expected(win(0, 5), 2, "a"), expected(win(5, 10), 3, "b")), "no data went");
      } finally {
        await closeAll();
      }
    });

    if (fx.fileLike) {
      it("a lock lost after the rewind moved the cursor: not one chunk more is removed, LOCK_LOST; the next run's recovery removes them", async () => {
        try {
          const k = key("RewindLostMid");
          const i = new Interceptor();
          const d = destination({ wrapCursors: i.wrap });
          let s = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
          s = await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), s);
          s = await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 4, "c"), s);
          const all = sorted(expected(win(0, 5), 2, "a"), expected(win(5, 10), 3, "b"), expected(win(10, 15), 4, "c"));
          const lock = losableLock();
          i.onWrite = async (inner) => {
            const version = await inner();
            lock.lose(); // the lease / lock file is lost right after the cursor moved back
            return version;
          };
          i.armed = true;
          const next: CursorState = { watermark: win(5, 5).start, origin: s.origin, rows: 2, windows: 1, updatedAt: new Date().toISOString() };
          await rejectsWith(d.sink.rewind(k, next, s, lock.signal), "LOCK_LOST");
          assert.equal((await destination().cursors.read(k))?.watermark, win(5, 5).start, "the cursor had moved back");
          assert.deepEqual(await fx.rows("RewindLostMid"), all, "no chunk was removed after the lock was lost");
          const after = destination();
          await recoverAsNextRun(after, k, 5 * 60_000);
          assert.deepEqual(await fx.rows("RewindLostMid"), expected(win(0, 5), 2, "a"), "the next run's recovery removes what no cursor counts");
        } finally {
          await closeAll();
        }
      });

      it("a run that took the query over during a rewind's removal keeps what it committed: the rewind stops (LOCK_LOST) before removing it", async () => {
        try {
          const k = key("RewindTakeover");
          const i = new Interceptor();
          const d = destination({ wrapCursors: i.wrap });
          let s = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
          s = await commitWindow(d.sink, k, win(5, 10), rowsFor(win(5, 10), 3, "b"), s);
          s = await commitWindow(d.sink, k, win(10, 15), rowsFor(win(10, 15), 4, "c"), s);
          const other = destination();
          let taken: CursorState | undefined;
          // The rewind's lock lapsed unnoticed (its signal has not fired yet) and another exporter took the
          // query over: before the rewind removes its first chunk, the new owner re-commits [5, 10).
          i.onRead = async (inner) => {
            if (!taken) {
              const rewound = await other.cursors.read(k);
              await other.sink.recover(k, rewound!.watermark, Number.POSITIVE_INFINITY, () => false).catch(() => 0);
              taken = await commitWindow(other.sink, k, win(5, 10), rowsFor(win(5, 10), 5, "n"), rewound);
            }
            return inner();
          };
          i.armed = true;
          const next: CursorState = { watermark: win(5, 5).start, origin: s.origin, rows: 2, windows: 1, updatedAt: new Date().toISOString() };
          await rejectsWith(d.sink.rewind(k, next, s, held()), "LOCK_LOST");
          assert.deepEqual(await destination().cursors.read(k), taken, "the new owner's cursor stands");
          assert.deepEqual(await fx.rows("RewindTakeover"), sorted(expected(win(0, 5), 2, "a"), expected(win(5, 10), 5, "n")), "the new owner's window is intact, and only it");
          assert.deepEqual((await d.sink.windowCounts("RewindTakeover", T0, win(60, 60).start)).sort((a, b) => a.window.start - b.window.start), [{ window: win(0, 5), rows: 2 }, { window: win(5, 10), rows: 5 }]);
        } finally {
          await closeAll();
        }
      });
    }

    it("shutdown is safe without start and twice; the destination's sink likewise", async () => {
      const d = fx.destination();
      await d.shutdown();
      await d.shutdown();
      const e = fx.destination();
      await e.sink.shutdown();
      await e.sink.shutdown();
      await e.shutdown();
      const f = fx.destination();
      await f.sink.start();
      await f.shutdown();
      await f.shutdown();
    });

    it("shutdown aborts open writers (nothing visible, cursor unmoved) and releases held locks", async () => {
      try {
        const d = fx.destination();
        await d.sink.start();
        const k = key("Shutdown");
        const lock = await d.locks.acquire(k);
        const s1 = await commitWindow(d.sink, k, win(0, 5), rowsFor(win(0, 5), 1, "a"), undefined);
        const writer = await open(d.sink, k, win(5, 10));
        await writer.write(RowBatch.of(rowsFor(win(5, 10), 3, "b")));
        await d.shutdown();
        await d.shutdown();
        await writer.abort(); // and an abort afterwards is fine
        await assert.rejects(writer.commit(nextState(s1, win(5, 10), 3), s1), "a writer aborted by shutdown cannot commit");
        assert.deepEqual(await fx.rows("Shutdown"), expected(win(0, 5), 1, "a"));
        assert.deepEqual(await fx.leftovers("Shutdown"), []);
        const other = destination();
        assert.deepEqual(await other.cursors.read(k), s1);
        const again = await other.locks.acquire(k); // the lock was released by shutdown
        await again.release();
        await lock.release(); // releasing after shutdown is safe
      } finally {
        await closeAll();
      }
    });

    it("the lock is exclusive per query and scope across destinations, and released twice safely", async () => {
      try {
        const a = destination();
        const b = destination();
        const k = key("Locked");
        const lock = await a.locks.acquire(k);
        await rejectsWith(b.locks.acquire(k), "LOCK_HELD", "Locked");
        await rejectsWith(a.locks.acquire(k), "LOCK_HELD");
        const otherScope = await b.locks.acquire(key("Locked", backfillScope(T0 - 86_400_000, T0)));
        await otherScope.release();
        const otherQuery = await b.locks.acquire(key("Locked2"));
        await otherQuery.release();
        // The holder commits under its lock.
        await commitWindow(a.sink, k, win(0, 5), rowsFor(win(0, 5), 2, "a"), undefined);
        assert.equal(lock.signal.aborted, false);
        await lock.release();
        await lock.release();
        const taken = await b.locks.acquire(k);
        await rejectsWith(a.locks.acquire(k), "LOCK_HELD");
        await taken.release();
      } finally {
        await closeAll();
      }
    });

    it("run history: the last run of each query is the one with the latest finishedAt (ties: the larger runId); rewinds are picked apart", async () => {
      try {
        const d = destination();
        const run = (runId: string, finishedAt: number, queries: string[]): RunSummary => ({
          runId,
          command: "export",
          startedAt: new Date(finishedAt - 1000).toISOString(),
          finishedAt: new Date(finishedAt).toISOString(),
          queries: Object.fromEntries(queries.map((q) => [q, { outcome: "ok" as const, scope: "live", rows: 1, windows: 1, watermark: T0 }])),
        });
        assert.deepEqual(await d.runs.lastRuns(), { runs: new Map(), rewinds: new Map() }, "no runs yet");
        await d.runs.record(run("r1", T0, ["RunA", "RunB"]));
        await d.runs.record(run("r2", T0 + 1000, ["RunA"]));
        await d.runs.record(run("r0", T0 - 5000, ["RunA", "RunC"])); // recorded last, finished first
        await d.runs.record(run("r3", T0 + 1000, ["RunD"]));
        await d.runs.record(run("r4", T0 + 1000, ["RunD"]));
        const failed: RunSummary = {
          ...run("r5", T0 + 2000, []),
          queries: { RunE: { outcome: "failed", scope: "live", rows: 0, windows: 0, error: { code: "SOURCE_THROTTLED", message: "too many requests" } } },
        };
        await d.runs.record(failed);
        // Rewinds, the latest finishing after every run: kept and picked on their own, never a last run.
        const rewind = (runId: string, finishedAt: number, query: string): RunSummary => ({
          runId,
          command: "rewind",
          startedAt: new Date(finishedAt - 1000).toISOString(),
          finishedAt: new Date(finishedAt).toISOString(),
          queries: { [query]: { outcome: "ok", scope: "live", rows: 0, windows: 0, watermark: T0 - 600_000, rewound: { from: T0, to: T0 - 600_000, windows: 2, rows: 17 } } },
        });
        await d.runs.record(rewind("w2", T0 + 9000, "RunE"));
        await d.runs.record(rewind("w1", T0 + 8000, "RunE"));
        await d.runs.record(rewind("w3", T0 + 500, "RunA"));
        const { runs: last, rewinds } = await destination().runs.lastRuns();
        assert.deepEqual(
          Object.fromEntries([...last].filter(([q]) => q.startsWith("Run")).map(([q, s]) => [q, s.runId])),
          { RunA: "r2", RunB: "r1", RunC: "r0", RunD: "r4", RunE: "r5" },
          "a rewind is never a query's last run, even when it finished last",
        );
        assert.deepEqual(last.get("RunB"), run("r1", T0, ["RunA", "RunB"]));
        assert.deepEqual(last.get("RunE"), failed, "the failed export stays the last run after a later rewind");
        assert.deepEqual(
          Object.fromEntries([...rewinds].filter(([q]) => q.startsWith("Run")).map(([q, s]) => [q, s.runId])),
          { RunA: "w3", RunE: "w2" },
          "the latest rewind of each query, by the same definition",
        );
        assert.deepEqual(rewinds.get("RunE"), rewind("w2", T0 + 9000, "RunE"), "a rewind's summary round-trips, with what it removed");
      } finally {
        await closeAll();
      }
    });

    it("probe of an unusable destination fails with a typed error that names no secret", async () => {
      const { destination: bad, code, retryable, secret } = fx.unusable();
      try {
        const err = await rejectsWith(bad.sink.probe(), code);
        assert.equal(err.retryable, retryable, `retryable: ${err.message}`);
        if (secret !== undefined) assert.ok(!err.message.includes(secret) && !String(err.hint ?? "").includes(secret), `no secret in: ${err.message}`);
      } finally {
        await bad.shutdown();
      }
    });

    it("probe succeeds on a usable destination and leaves no data behind", async () => {
      try {
        const d = destination();
        await d.sink.probe();
        await d.sink.probe(); // twice is fine
        assert.equal(typeof d.sink.description, "string");
        assert.ok(d.sink.description.length > 0);
      } finally {
        await closeAll();
      }
    });
  });
}
