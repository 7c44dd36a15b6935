import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TimeWindow } from "../../window/window.ts";
import { chunkPath, rowCountPath, tempChunkPath } from "../layout.ts";
import type { StateKey } from "../sink.ts";
import { cursor, listFiles, makeSink, tempRoot } from "../../../test/support/filesystem-sink.ts";
import { RowBatch } from "../../row-batch.ts";

const T0 = Date.UTC(2026, 10, 22, 3, 0);
const MIN5 = 5 * 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const key: StateKey = { query: "AppRequests", scope: "live" };
const w = (start: number): TimeWindow => ({ start, end: start + MIN5 });

async function put(root: string, relative: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
  await writeFile(path.join(root, relative), "x");
}

async function commitWindow(root: string, window: TimeWindow, previous: ReturnType<typeof cursor> | undefined): Promise<ReturnType<typeof cursor>> {
  const writer = await makeSink(root).sink.openWindow({ key, window, columns: [{ name: "n", type: "long" }], signal: new AbortController().signal });
  await writer.write(RowBatch.of([["1"]]));
  const next = cursor(window.end);
  next.version = (await writer.commit(next, previous)).version;
  return next;
}

test("recover removes temporary files and uncommitted chunks inside the range, never committed ones", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const s0 = await commitWindow(dir, w(T0), undefined);
    await commitWindow(dir, w(T0 - MIN5), s0); // before the range: committed and outside
    const committed = await listFiles(dir);
    const keep = [
      chunkPath("AppRequests", w(T0 - 2 * MIN5), ".ndjson"), // uncommitted but before `from`
      chunkPath("AppRequests", w(T0 + 3 * HOUR), ".ndjson"), // uncommitted but after `to`
      "AppRequests/date=2026-11-22/hour=03/notes.txt", // not a chunk name
      chunkPath("AppTraces", w(T0 + MIN5), ".ndjson"), // another query
    ];
    const remove = [
      chunkPath("AppRequests", w(T0 + MIN5), ".ndjson"),
      chunkPath("AppRequests", w(T0 + MIN5), ".parquet"),
      tempChunkPath("AppRequests", w(T0 + 2 * MIN5), "abc123"),
      tempChunkPath("AppRequests", w(T0), "killed"), // a temp of a committed window is still a leftover
      chunkPath("AppRequests", w(T0 + HOUR + MIN5), ".ndjson.gz"),
    ];
    for (const f of [...keep, ...remove]) await put(dir, f);
    const isCommitted = (x: TimeWindow) => x.end <= T0 + MIN5;
    const removed = await makeSink(dir).sink.recover(key, T0, T0 + 2 * HOUR, isCommitted);
    assert.equal(removed, remove.length);
    assert.deepEqual(await listFiles(dir), [...committed, ...keep].sort());
    assert.equal(await makeSink(dir).sink.recover(key, T0, T0 + 2 * HOUR, isCommitted), 0, "idempotent");
  } finally {
    await cleanup();
  }
});

test("recover and rewind remove a chunk's recorded row count with it: no count file outlives its chunk", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const s0 = await commitWindow(dir, w(T0), undefined);
    const s1 = await commitWindow(dir, w(T0 + MIN5), s0);
    await commitWindow(dir, w(T0 + 2 * MIN5), s1);
    for (const x of [w(T0), w(T0 + MIN5), w(T0 + 2 * MIN5)]) assert.ok((await listFiles(dir)).includes(rowCountPath("AppRequests", x)), "each commit recorded its count");
    // A crash between the chunk and the cursor: recovery removes both.
    assert.equal(await makeSink(dir).sink.recover(key, T0 + 2 * MIN5, Infinity, () => false), 1);
    // A rewind to T0 + 5 min removes the chunk after it and its count.
    const sink = makeSink(dir);
    const stored = (await sink.cursors.read(key))!;
    assert.equal(await sink.sink.rewind(key, cursor(T0 + MIN5), stored, new AbortController().signal), 1);
    const files = await listFiles(dir);
    assert.ok(files.includes(rowCountPath("AppRequests", w(T0))), "the kept window keeps its count");
    for (const x of [w(T0 + MIN5), w(T0 + 2 * MIN5)]) {
      assert.ok(!files.includes(rowCountPath("AppRequests", x)), `no count left for ${x.start}`);
      assert.ok(!files.includes(chunkPath("AppRequests", x, ".ndjson")), `no chunk left for ${x.start}`);
    }
  } finally {
    await cleanup();
  }
});

test("recover with to = Infinity (live) finds leftovers in every later partition that exists", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const s0 = await commitWindow(dir, w(T0), undefined);
    const remove = [
      chunkPath("AppRequests", w(T0 + MIN5), ".ndjson"),
      chunkPath("AppRequests", w(T0 + 3 * DAY + 5 * HOUR), ".ndjson"),
      tempChunkPath("AppRequests", w(T0 + 400 * DAY), "x"),
      chunkPath("AppRequests", w(Date.UTC(2027, 0, 1, 0, 0)), ".json.gz"),
    ];
    const keep = [chunkPath("AppRequests", w(T0 - DAY), ".ndjson"), "AppRequests/date=2026-11-25/other.txt", "AppRequests/not-a-partition/20261122T030500.000Z_20261122T031000.000Z.ndjson"];
    for (const f of [...remove, ...keep]) await put(dir, f);
    const before = await listFiles(dir);
    const removed = await makeSink(dir).sink.recover(key, s0.watermark - MIN5, Infinity, (x) => x.end <= s0.watermark);
    assert.equal(removed, remove.length);
    assert.deepEqual(await listFiles(dir), before.filter((f) => !remove.includes(f)));
    assert.ok((await listFiles(dir)).includes(chunkPath("AppRequests", w(T0), ".ndjson")), "the committed chunk stays");
  } finally {
    await cleanup();
  }
});

test("recover over a long finite range lists partitions instead of visiting every hour", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const far = chunkPath("AppRequests", w(T0 + 200 * DAY), ".ndjson");
    await put(dir, far);
    const started = Date.now();
    const removed = await makeSink(dir).sink.recover(key, T0 - 3650 * DAY, T0 + 3650 * DAY, () => false);
    assert.equal(removed, 1);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await makeSink(dir).sink.recover(key, T0, T0, () => false), 0, "an empty range removes nothing");
  } finally {
    await cleanup();
  }
});
