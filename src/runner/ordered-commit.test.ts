import { test } from "node:test";
import assert from "node:assert/strict";
import type { CursorState, WindowWriter } from "../sinks/sink.ts";
import type { TimeWindow } from "../window/window.ts";
import { commitAsDelivered, commitInOrder } from "./ordered-commit.ts";
import type { WrittenPart } from "./window-delivery.ts";

/** A writer that records what happened to it. */
function recordingWriter(log: string[], name: string, failCommit = false): WindowWriter {
  return {
    write: async () => {},
    end: async () => {},
    commit: async (next) => {
      if (failCommit) throw new Error(`commit ${name} failed`);
      log.push(`commit ${name} → ${next.watermark}`);
      return { rows: 1, bytes: 1, location: name, version: String(next.watermark) };
    },
    abort: async () => void log.push(`abort ${name}`),
  };
}

const windows: TimeWindow[] = [0, 10, 20, 30, 40].map((s) => ({ start: s, end: s + 10 }));
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nextState = (state: CursorState | undefined, part: WrittenPart): CursorState => ({
  watermark: part.window.end,
  origin: 0,
  rows: (state?.rows ?? 0) + part.rows,
  windows: (state?.windows ?? 0) + 1,
  updatedAt: "t",
});

test("parts commit in time order even when later windows finish first, split parts included", async () => {
  const log: string[] = [];
  const result = await commitInOrder({
    key: { query: "q", scope: "live" },
    windows,
    lookAhead: 3,
    state: undefined,
    signal: new AbortController().signal,
    nextState,
    deliver: async (w, _signal, onPart) => {
      await delay(50 - w.start); // later windows are ready sooner
      if (w.start === 20) {
        // a split window: two halves in order
        await onPart({ window: { start: 20, end: 25 }, writer: recordingWriter(log, "20a"), columns: [], rows: 1, bytes: 1, splits: 1 });
        await onPart({ window: { start: 25, end: 30 }, writer: recordingWriter(log, "20b"), columns: [], rows: 1, bytes: 1, splits: 1 });
        return;
      }
      await onPart({ window: w, writer: recordingWriter(log, String(w.start)), columns: [], rows: 1, bytes: 1, splits: 0 });
    },
  });
  assert.equal(result.error, undefined);
  assert.deepEqual(log, ["commit 0 → 10", "commit 10 → 20", "commit 20a → 25", "commit 20b → 30", "commit 30 → 40", "commit 40 → 50"]);
  assert.equal(result.state?.watermark, 50);
  assert.equal(result.state?.version, "50");
});

test("a failing window stops the watermark before it and aborts every later part already written", async () => {
  const log: string[] = [];
  const result = await commitInOrder({
    key: { query: "q", scope: "live" },
    windows,
    lookAhead: 5,
    state: undefined,
    signal: new AbortController().signal,
    nextState,
    deliver: async (w, _signal, onPart) => {
      if (w.start === 20) {
        await delay(30);
        throw new Error("window 20 failed");
      }
      await onPart({ window: w, writer: recordingWriter(log, String(w.start)), columns: [], rows: 1, bytes: 1, splits: 0 });
    },
  });
  assert.match(String(result.error), /window 20 failed/);
  assert.equal(result.state?.watermark, 20);
  assert.deepEqual(log.filter((l) => l.startsWith("commit")), ["commit 0 → 10", "commit 10 → 20"]);
  assert.deepEqual(log.filter((l) => l.startsWith("abort")).sort(), ["abort 30", "abort 40"]);
});

test("a failing commit aborts its part and the rest, and keeps the last good state", async () => {
  const log: string[] = [];
  const result = await commitInOrder({
    key: { query: "q", scope: "live" },
    windows,
    lookAhead: 2,
    state: undefined,
    signal: new AbortController().signal,
    nextState,
    deliver: async (w, _signal, onPart) => {
      await onPart({ window: w, writer: recordingWriter(log, String(w.start), w.start === 10), columns: [], rows: 1, bytes: 1, splits: 0 });
    },
  });
  assert.match(String(result.error), /commit 10 failed/);
  assert.equal(result.state?.watermark, 10);
  assert.ok(log.includes("abort 10"));
  assert.ok(!log.some((l) => l.startsWith("commit 2") || l.startsWith("commit 3") || l.startsWith("commit 4")));
});

test("backfill: parts commit one at a time as they arrive, each on the cursor the previous commit left, with at most lookAhead uncommitted", async () => {
  const log: string[] = [];
  let uncommitted = 0;
  let most = 0;
  const seen: Array<string | undefined> = [];
  const result = await commitAsDelivered({
    key: { query: "q", scope: "backfill-x" },
    windows,
    lookAhead: 2,
    state: undefined,
    signal: new AbortController().signal,
    nextState: (state, part) => {
      seen.push(state?.version);
      return nextState(state, part);
    },
    deliver: async (w, _signal, onPart) => {
      await delay(w.start === 0 ? 30 : 5); // window 0 arrives after window 10
      uncommitted++;
      most = Math.max(most, uncommitted);
      const part = { window: w, writer: recordingWriter(log, String(w.start)), columns: [], rows: 1, bytes: 1, splits: 0 };
      await onPart(part);
      uncommitted--;
    },
  });
  assert.equal(result.error, undefined);
  assert.equal(log[0], "commit 10 → 20", "in arrival order: window 10 arrived first");
  assert.ok(log.indexOf("commit 0 → 10") > 0, "window 0 commits when it arrives, after later ones");
  assert.equal(log.length, 5);
  const versions = log.map((l) => l.split("→ ")[1]);
  assert.deepEqual(seen, [undefined, ...versions.slice(0, 4)], "each commit builds on the version the previous one returned");
  assert.ok(most <= 2, `at most lookAhead parts uncommitted (saw ${most})`);
  assert.equal(result.state?.windows, 5);
});

test("backfill: a failing commit stops the backfill, rejects the delivery's onPart, and aborts what arrives later", async () => {
  const log: string[] = [];
  const rejected: string[] = [];
  const result = await commitAsDelivered({
    key: { query: "q", scope: "backfill-x" },
    windows,
    lookAhead: 1,
    state: undefined,
    signal: new AbortController().signal,
    nextState,
    deliver: async (w, signal, onPart) => {
      if (signal.aborted) throw signal.reason;
      await onPart({ window: w, writer: recordingWriter(log, String(w.start), w.start === 10), columns: [], rows: 1, bytes: 1, splits: 0 }).catch((err: unknown) => {
        rejected.push(String(w.start));
        throw err;
      });
    },
  });
  assert.match(String(result.error), /commit 10 failed/);
  assert.equal(result.state?.watermark, 10);
  assert.deepEqual(log, ["commit 0 → 10", "abort 10"]);
  assert.deepEqual(rejected, ["10"]);
});
