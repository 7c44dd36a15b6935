import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { SinkError } from "../../errors.ts";
import type { Column } from "../../table.ts";
import type { StateKey, WindowTarget } from "../sink.ts";
import { cursor, listFiles, makeSink, tempRoot } from "../../../test/support/filesystem-sink.ts";
import { RowBatch } from "../../row-batch.ts";

const T0 = Date.UTC(2026, 10, 22, 3, 0);
const MIN5 = 5 * 60_000;
const key: StateKey = { query: "AppRequests", scope: "live" };
const columns: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "Count", type: "long" },
];
const rowsA = [
  ['"2026-11-22T03:00:00.1234567Z"', "9007199254740993"],
  ['"2026-11-22T03:01:00Z"', "2"],
];

function target(start: number, signal = new AbortController().signal): WindowTarget {
  return { key, window: { start, end: start + MIN5 }, columns, signal };
}

const CHUNK = "AppRequests/date=2026-11-22/hour=03/20261122T030000.000Z_20261122T030500.000Z";
/** The chunk's recorded row count (for verify), beside the cursor. */
const COUNT = `_rows/${CHUNK}`;

test("commit makes the chunk and the state appear; the state carries a version", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir, { compression: "gzip" });
    await sink.sink.start();
    assert.equal(sink.sink.description, `filesystem ${dir}`);
    const writer = await sink.sink.openWindow(target(T0));
    await writer.write(RowBatch.of(rowsA.slice(0, 1)));
    await writer.write(RowBatch.of(rowsA.slice(1)));
    // nothing visible before commit but the temporary file
    assert.deepEqual((await listFiles(dir)).map((f) => path.basename(f).startsWith("_tmp.")), [true]);
    const next = cursor(T0 + MIN5, { rows: 2, windows: 1 });
    const result = await writer.commit(next, undefined);
    assert.equal(result.rows, 2);
    assert.equal(result.location, path.join(dir, `${CHUNK}.ndjson.gz`));
    assert.deepEqual(await listFiles(dir), [`${CHUNK}.ndjson.gz`, COUNT, "_state/AppRequests/live.json"]);
    assert.equal(await readFile(path.join(dir, COUNT), "utf8"), "2\n", "the row count recorded with the chunk");
    const bytes = await readFile(result.location);
    assert.equal(result.bytes, bytes.length);
    assert.equal(
      zlib.gunzipSync(bytes).toString(),
      '{"TimeGenerated":"2026-11-22T03:00:00.1234567Z","Count":9007199254740993}\n{"TimeGenerated":"2026-11-22T03:01:00Z","Count":2}\n',
    );
    assert.equal(result.version, "1");
    assert.equal(next.version, undefined, "the caller's object is not modified");
    assert.deepEqual(await sink.cursors.read(key), { ...next, version: "1" });
    assert.deepEqual(await sink.cursors.list(), [{ key, state: { ...next, version: "1" } }]);
    await sink.shutdown();
    await sink.shutdown();
  } finally {
    await cleanup();
  }
});

test("abort leaves nothing behind and is idempotent", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    const writer = await sink.sink.openWindow(target(T0));
    await writer.write(RowBatch.of(rowsA));
    await writer.abort();
    await writer.abort();
    assert.deepEqual(await listFiles(dir), []);
    assert.equal(await sink.cursors.read(key), undefined);
    await assert.rejects(writer.write(RowBatch.of(rowsA)), (err: unknown) => err instanceof SinkError && err.code === "INTERNAL");
  } finally {
    await cleanup();
  }
});

test("re-committing the same window replaces its chunk (also across formats): never a duplicate", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    const w1 = await sink.sink.openWindow(target(T0));
    await w1.write(RowBatch.of(rowsA));
    const s1 = cursor(T0 + MIN5);
    s1.version = (await w1.commit(s1, undefined)).version;
    const w2 = await sink.sink.openWindow(target(T0));
    await w2.write(RowBatch.of(rowsA.slice(1)));
    const s2 = cursor(T0 + MIN5, { rows: 1 });
    s2.version = (await w2.commit(s2, s1)).version;
    assert.deepEqual(await listFiles(dir), [`${CHUNK}.ndjson`, COUNT, "_state/AppRequests/live.json"]);
    assert.equal(await readFile(path.join(dir, `${CHUNK}.ndjson`), "utf8"), '{"TimeGenerated":"2026-11-22T03:01:00Z","Count":2}\n');
    assert.equal(s2.version, "2");
    // the format changed between runs: the parquet chunk replaces the ndjson one
    const parquetSink = makeSink(dir, { format: "parquet" });
    const w3 = await parquetSink.sink.openWindow(target(T0));
    await w3.write(RowBatch.of(rowsA));
    await w3.commit(cursor(T0 + MIN5), s2);
    assert.deepEqual(await listFiles(dir), [`${CHUNK}.parquet`, COUNT, "_state/AppRequests/live.json"]);
  } finally {
    await cleanup();
  }
});

test("a commit building on another state version is rejected and changes nothing", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    const first = await sink.sink.openWindow(target(T0));
    await first.write(RowBatch.of(rowsA)); // (an empty window would leave no chunk to compare with)
    const s1 = cursor(T0 + MIN5);
    s1.version = (await first.commit(s1, undefined)).version;
    const stateBefore = await readFile(path.join(dir, "_state/AppRequests/live.json"), "utf8");

    const stale = await sink.sink.openWindow(target(T0 + MIN5));
    await stale.write(RowBatch.of(rowsA));
    await assert.rejects(stale.commit(cursor(T0 + 2 * MIN5), undefined), (err: unknown) => err instanceof SinkError && err.code === "STATE_CONFLICT" && /version 1/.test(err.message));
    const other = await sink.sink.openWindow(target(T0 + MIN5));
    await assert.rejects(other.commit(cursor(T0 + 2 * MIN5), { ...s1, version: "7" }), (err: unknown) => err instanceof SinkError && err.code === "STATE_CONFLICT");
    assert.equal(await readFile(path.join(dir, "_state/AppRequests/live.json"), "utf8"), stateBefore);
    await stale.abort();
    await other.abort();
    // the refused window's data never became visible
    assert.deepEqual(await listFiles(dir), [`${CHUNK}.ndjson`, COUNT, "_state/AppRequests/live.json"]);
  } finally {
    await cleanup();
  }
});

test("an aborted signal stops writing and committing", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    const controller = new AbortController();
    const writer = await sink.sink.openWindow(target(T0, controller.signal));
    await writer.write(RowBatch.of(rowsA));
    controller.abort(new SinkError("LOCK_LOST", "lost"));
    await assert.rejects(writer.commit(cursor(T0 + MIN5), undefined), (err: unknown) => err instanceof SinkError && err.code === "LOCK_LOST");
    await writer.abort();
    assert.deepEqual(await listFiles(dir), []);
  } finally {
    await cleanup();
  }
});

test("a corrupt state file is a loud error naming the file, never 'no state'", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    const file = path.join(dir, "_state/AppRequests/live.json");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{"watermark": 17');
    const isCorrupt = (err: unknown) => err instanceof SinkError && err.code === "STATE_CORRUPT" && err.message.includes(file) && /not valid JSON/.test(err.message);
    await assert.rejects(sink.cursors.read(key), isCorrupt);
    await assert.rejects(sink.cursors.list(), isCorrupt);
    await writeFile(file, JSON.stringify({ watermark: "soon", origin: 0, rows: 0, windows: 0, updatedAt: "x" }));
    await assert.rejects(sink.cursors.read(key), (err: unknown) => err instanceof SinkError && /watermark/.test(err.message) && err.message.includes(file));
    // and a commit on top of it refuses as well
    const writer = await sink.sink.openWindow(target(T0));
    await assert.rejects(writer.commit(cursor(T0 + MIN5), undefined), (err: unknown) => err instanceof SinkError && err.code === "STATE_CORRUPT");
    await writer.abort();
  } finally {
    await cleanup();
  }
});

test("an unwritable root gives a SinkError naming the path (parent is a regular file → ENOTDIR)", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const blocker = path.join(dir, "not-a-folder");
    await writeFile(blocker, "x");
    const root = path.join(blocker, "export");
    const sink = makeSink(root);
    const named = (err: unknown) => err instanceof SinkError && err.code === "SINK_WRITE" && err.message.includes(root) && /ENOTDIR/.test(err.message) && /not a folder/.test(err.message) && !err.retryable;
    await assert.rejects(sink.sink.probe(), named);
    await assert.rejects(sink.sink.start(), named);
    await assert.rejects(sink.sink.openWindow(target(T0)), (err: unknown) => err instanceof SinkError && err.code === "SINK_WRITE" && err.message.includes(root));
  } finally {
    await cleanup();
  }
});

test("a folder without write permission gives EACCES naming the path", { skip: process.getuid?.() === 0 ? "runs as root, where permissions do not stop writes (the ENOTDIR test covers the error path)" : false }, async () => {
  const { dir, cleanup } = await tempRoot();
  const { chmod } = await import("node:fs/promises");
  try {
    await chmod(dir, 0o555);
    const sink = makeSink(dir);
    await assert.rejects(sink.sink.probe(), (err: unknown) => err instanceof SinkError && /EACCES/.test(err.message) && err.message.includes(dir));
  } finally {
    await chmod(dir, 0o755);
    await cleanup();
  }
});

test("probe creates a missing root and leaves no file behind", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const root = path.join(dir, "a", "b");
    await makeSink(root).sink.probe();
    assert.deepEqual(await listFiles(dir), []);
    const { stat } = await import("node:fs/promises");
    assert.ok((await stat(root)).isDirectory());
  } finally {
    await cleanup();
  }
});

test("relative paths resolve against the config's folder", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const { createFilesystemSink } = await import("./filesystem-sink.ts");
    const { silentLogger } = await import("../../telemetry/logger.ts");
    const sink = createFilesystemSink((await import("./config.ts")).filesystemSinkConfig.normalise({ type: "filesystem", path: "out", format: "json", compression: "zstd", fsync: false }, { baseDir: dir }), { logger: silentLogger(), env: {}, baseDir: dir });
    assert.equal(sink.sink.description, `filesystem ${path.join(dir, "out")}`);
    const writer = await sink.sink.openWindow(target(T0));
    await writer.write(RowBatch.of(rowsA));
    const result = await writer.commit(cursor(T0 + MIN5), undefined);
    assert.equal(result.location, path.join(dir, "out", `${CHUNK}.json.zst`));
    const doc = JSON.parse(zlib.zstdDecompressSync(await readFile(result.location)).toString()) as { rows: unknown[] };
    assert.equal(doc.rows.length, 2);
  } finally {
    await cleanup();
  }
});

test("compressionLevel: the sink compresses its chunks at the configured level", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const { createFilesystemSink } = await import("./filesystem-sink.ts");
    const { silentLogger } = await import("../../telemetry/logger.ts");
    const { filesystemSinkConfig } = await import("./config.ts");
    const chunkOf = async (sub: string, compression: "gzip" | "zstd", compressionLevel: number) => {
      const config = filesystemSinkConfig.normalise({ type: "filesystem", path: sub, format: "ndjson", compression, compressionLevel, fsync: false }, { baseDir: dir });
      const sink = createFilesystemSink(config, { logger: silentLogger(), env: {}, baseDir: dir });
      const writer = await sink.sink.openWindow(target(T0));
      await writer.write(RowBatch.of(rowsA));
      return readFile((await writer.commit(cursor(T0 + MIN5), undefined)).location);
    };
    const gz = await chunkOf("gz9", "gzip", 9);
    assert.equal(gz[8], 2, "gzip's XFL byte says level 9");
    assert.equal(zlib.gunzipSync(gz).toString().trim().split("\n").length, rowsA.length);
    const zst = await chunkOf("zst1", "zstd", 1);
    assert.equal(10 + (zst[5]! >> 3), 19, "a zstd level 1 window (level 3, the default, streams with 21)");
    assert.equal(zlib.zstdDecompressSync(zst).toString().trim().split("\n").length, rowsA.length);
  } finally {
    await cleanup();
  }
});

test("run summaries: recorded atomically, the latest per query comes back", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    const ok = { outcome: "ok" as const, scope: "live", rows: 5, windows: 1, watermark: T0 };
    await sink.runs.record({ runId: "run-1", command: "export", startedAt: "2026-11-20T10:00:00.000Z", finishedAt: "2026-11-20T10:05:00.000Z", queries: { A: ok, B: ok } });
    await sink.runs.record({ runId: "run-2", command: "export", startedAt: "2026-11-22T10:00:00.000Z", finishedAt: "2026-11-22T10:05:00.000Z", queries: { A: { ...ok, outcome: "failed", error: { code: "SOURCE_THROTTLED", message: "429" } } } });
    assert.deepEqual(await listFiles(path.join(dir, "_runs")), ["2026-11-20/run-1.json", "2026-11-22/run-2.json"]);
    await writeFile(path.join(dir, "_runs/2026-11-22/broken.json"), "{");
    const last = (await sink.runs.lastRuns()).runs;
    assert.equal(last.get("A")!.runId, "run-2");
    assert.equal(last.get("A")!.queries.A!.error!.code, "SOURCE_THROTTLED");
    assert.equal(last.get("B")!.runId, "run-1");
    await assert.rejects(sink.runs.record({ runId: "../x", command: "export", startedAt: "2026-11-22T10:00:00.000Z", finishedAt: "", queries: {} }), SinkError);
  } finally {
    await cleanup();
  }
});

test("keys that would leave their folder are refused", async () => {
  const { dir, cleanup } = await tempRoot();
  try {
    const sink = makeSink(dir);
    await assert.rejects(sink.cursors.read({ query: "AppRequests", scope: "../../etc" }), (err: unknown) => err instanceof SinkError && err.code === "INTERNAL");
    await assert.rejects(sink.locks.acquire({ query: "../x", scope: "live" }), SinkError);
  } finally {
    await cleanup();
  }
});
