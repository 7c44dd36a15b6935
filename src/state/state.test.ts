import { test } from "node:test";
import assert from "node:assert/strict";
import { SinkError } from "../errors.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { decodeCursor, encodeCursor, type CursorState } from "./cursor.ts";
import { isSameVersion } from "./cursor-store.ts";
import { Watchdog } from "./locks.ts";
import { decodeRunSummary, latestRunPerQuery, newRunId, type RunSummary } from "./run-history.ts";

const cursor: CursorState = { watermark: 10, origin: 0, rows: 3, windows: 1, updatedAt: "2026-11-22T03:00:00.000Z", columns: [{ name: "n", type: "long" }], completed: [{ start: 20, end: 30 }] };

test("the cursor codec round-trips, keeps the version out of the body unless asked, and drops unknown fields", () => {
  const body = encodeCursor({ ...cursor, version: "7" });
  assert.equal(JSON.parse(body).version, undefined);
  assert.deepEqual(decodeCursor(body, "x"), cursor);
  assert.deepEqual(decodeCursor(JSON.parse(body), "x"), cursor, "an already parsed value (jsonb) decodes the same");
  assert.deepEqual(decodeCursor(encodeCursor(cursor, { version: "3", pretty: true }), "x"), { ...cursor, version: "3" });
  assert.deepEqual(decodeCursor({ ...cursor, extra: true }, "x"), cursor);
  const split = { partMs: 150_000, clean: 2, wait: 8, probing: false, longest: 600_000, wholeRows: 75, wholeBytes: 64_000 };
  assert.deepEqual(decodeCursor(encodeCursor({ ...cursor, split }), "x"), { ...cursor, split }, "with the split memory");
  const { partMs: _whole, ...wholeWindows } = split;
  assert.deepEqual(decodeCursor(encodeCursor({ ...cursor, split: wholeWindows }), "x"), { ...cursor, split: wholeWindows });
});

test("a cursor that does not decode is STATE_CORRUPT naming where it was found (never 'no state')", () => {
  const corrupt = (raw: unknown, pattern: RegExp) =>
    assert.throws(() => decodeCursor(raw, "the state file /x/live.json"), (err: unknown) => err instanceof SinkError && err.code === "STATE_CORRUPT" && err.message.includes("/x/live.json") && pattern.test(err.message) && !err.retryable);
  corrupt('{"watermark": 1', /not valid JSON/);
  corrupt({ ...cursor, watermark: "soon" }, /watermark/);
  corrupt({ watermark: 1, origin: 0, updatedAt: "t" }, /rows/);
  corrupt(null, /root|object/i);
  corrupt({ ...cursor, split: { partMs: 0, clean: 0, wait: 8, probing: false, longest: 0, wholeRows: 0, wholeBytes: 0 } }, /split\.partMs/);
});

test("versions: both absent, or equal", () => {
  assert.equal(isSameVersion(undefined, undefined), true);
  assert.equal(isSameVersion({ ...cursor, version: "1" }, undefined), false);
  assert.equal(isSameVersion(undefined, { ...cursor, version: "1" }), false);
  assert.equal(isSameVersion({ ...cursor, version: "1" }, { ...cursor, version: "1" }), true);
  assert.equal(isSameVersion({ ...cursor, version: "2" }, { ...cursor, version: "1" }), false);
});

test("the last run of a query is the latest finishedAt that mentions it; ties go to the larger runId", () => {
  const run = (runId: string, startedAt: string, finishedAt: string, queries: string[]): RunSummary => ({
    runId,
    command: "export",
    startedAt,
    finishedAt,
    queries: Object.fromEntries(queries.map((q) => [q, { outcome: "ok", scope: "live", rows: 0, windows: 0 }])),
  });
  // r1 started first but finished last: it is A's last run (not r2, the later start).
  const last = latestRunPerQuery([
    run("r1", "2026-11-22T01:00:00Z", "2026-11-22T05:00:00Z", ["A", "B"]),
    run("r2", "2026-11-22T02:00:00Z", "2026-11-22T02:30:00Z", ["A", "C"]),
    run("r3", "2026-11-22T03:00:00Z", "2026-11-22T02:30:00Z", ["C"]),
  ]).runs;
  assert.equal(last.get("A")?.runId, "r1");
  assert.equal(last.get("B")?.runId, "r1");
  assert.equal(last.get("C")?.runId, "r3", "same finishedAt: the larger runId");
});

test("a rewind is never a query's last run: a failed export stays the last run after it; the latest rewind is picked on its own", () => {
  const failed: RunSummary = {
    runId: "r1",
    command: "export",
    startedAt: "2026-11-22T01:00:00Z",
    finishedAt: "2026-11-22T01:05:00Z",
    queries: { A: { outcome: "failed", scope: "live", rows: 0, windows: 0, error: { code: "SOURCE_AUTH", message: "m" } }, B: { outcome: "ok", scope: "live", rows: 9, windows: 1 } },
  };
  const rewind = (runId: string, finishedAt: string): RunSummary => ({
    runId,
    command: "rewind",
    startedAt: finishedAt,
    finishedAt,
    queries: { A: { outcome: "ok", scope: "live", rows: 0, windows: 0, watermark: 5, rewound: { from: 10, to: 5, windows: 1, rows: 3 } } },
  });
  const last = latestRunPerQuery([failed, rewind("w2", "2026-11-22T03:00:00Z"), rewind("w1", "2026-11-22T02:00:00Z")]);
  assert.equal(last.runs.get("A")?.runId, "r1", "the failed export, not the later rewind");
  assert.equal(last.runs.get("B")?.runId, "r1");
  assert.equal(last.rewinds.get("A")?.runId, "w2", "the latest rewind");
  assert.equal(last.rewinds.has("B"), false);
  assert.deepEqual(decodeRunSummary(JSON.stringify(rewind("w2", "2026-11-22T03:00:00Z"))), rewind("w2", "2026-11-22T03:00:00Z"), "what a rewind removed survives the codec");
  assert.match(newRunId(Date.parse("2026-11-22T03:04:05.678Z")), /^20261122T030405678Z-[0-9a-f]{8}$/);
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lost = (reason: string) => new SinkError("LOCK_LOST", `lost: ${reason}`, { retryable: true });

test("watchdog: beats on its interval, never two at once, and stop() waits for the beat in flight", async () => {
  let running = 0;
  let overlapped = false;
  let beats = 0;
  const wd = new Watchdog({
    intervalMs: 5,
    logger: silentLogger(),
    lostError: lost,
    async beat() {
      running++;
      if (running > 1) overlapped = true;
      await wait(15);
      beats++;
      running--;
    },
  });
  await wait(80);
  await wd.stop();
  const after = beats;
  assert.ok(after >= 2, `beats: ${after}`);
  assert.equal(running, 0, "no beat is in flight after stop()");
  assert.equal(overlapped, false);
  await wait(40);
  assert.equal(beats, after, "no beat after stop()");
  assert.equal(wd.signal.aborted, false, "stopping is not losing");
});

test("watchdog: a hanging beat loses the lock once, with the typed error, and calls onLost", async () => {
  let onLost = 0;
  const wd = new Watchdog({ intervalMs: 5, beatTimeoutMs: 20, timeoutReason: "no answer", logger: silentLogger(), lostError: lost, onLost: () => onLost++, beat: () => new Promise(() => {}) });
  await wait(60);
  assert.equal(wd.signal.aborted, true);
  assert.equal((wd.signal.reason as SinkError).code, "LOCK_LOST");
  assert.match((wd.signal.reason as SinkError).message, /no answer/);
  wd.lose("again");
  assert.equal(onLost, 1);
  await wd.stop();
});

test("watchdog: missed beats are tolerated until missedLimitMs, then the lock is lost", async () => {
  let tries = 0;
  const wd = new Watchdog({
    intervalMs: 5,
    missedLimitMs: 40,
    missedReason: (since) => `unrefreshed for ${since} ms`,
    logger: silentLogger(),
    lostError: lost,
    async beat() {
      tries++;
      throw new Error("storage unreachable");
    },
  });
  await wait(20);
  assert.equal(wd.signal.aborted, false, "a few missed beats are tolerated");
  await wait(80);
  assert.equal(wd.signal.aborted, true);
  assert.match((wd.signal.reason as SinkError).message, /unrefreshed for/);
  assert.ok(tries >= 2);
  await wd.stop();
});
