import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { startBlobFixture, type BlobFixture } from "../../../test/support/blob-fixture.ts";
import type { CursorState, CursorStore, Destination, StateKey } from "../sink.ts";
import type { Column, RawRow } from "../../table.ts";
import type { TimeWindow } from "../../window/window.ts";
import { chunkPath } from "../layout.ts";
import { MonitorliftError, SinkError } from "../../errors.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RowBatch } from "../../row-batch.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap and buffer memory still reachable after a full collection. */
function retainedBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);
const COLUMNS: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "Name", type: "string" },
  { name: "Count", type: "long" },
];

function win(startMin: number, endMin: number): TimeWindow {
  return { start: T0 + startMin * MIN, end: T0 + endMin * MIN };
}

function row(i: number, name = `n${i}`): RawRow {
  return [JSON.stringify(new Date(T0 + i * 1000).toISOString().replace(".000Z", ".1234567Z")), JSON.stringify(name), `1234567890123456789${i % 10}`];
}

/** The ndjson text expected for rows of COLUMNS: raw cells copied as they came. */
function ndjson(rows: RawRow[]): string {
  return rows.map((r) => `{"TimeGenerated":${r[0]},"Name":${r[1]},"Count":${r[2]}}\n`).join("");
}

function nextState(w: TimeWindow, rows: number, previous?: CursorState): CursorState {
  return {
    watermark: w.end,
    origin: previous?.origin ?? w.start,
    rows: (previous?.rows ?? 0) + rows,
    windows: (previous?.windows ?? 0) + 1,
    updatedAt: new Date().toISOString(),
    columns: COLUMNS,
  };
}

async function commitWindow(sink: Destination, key: StateKey, w: TimeWindow, rows: RawRow[], previous: CursorState | undefined) {
  const writer = await sink.sink.openWindow({ key, window: w, columns: COLUMNS, signal: new AbortController().signal });
  await writer.write(RowBatch.of(rows));
  const next = nextState(w, rows.length, previous);
  const result = await writer.commit(next, previous);
  return { next: { ...next, version: result.version }, result };
}

/** Cursors whose write "crashes" after the chunk was published: the write fails and the take-back cannot read the cursor. */
function crashAfterPublish(inner: CursorStore): CursorStore {
  let crashed = false;
  return {
    read: (key) => (crashed ? Promise.reject(new SinkError("ABORTED", "killed")) : inner.read(key)),
    list: () => inner.list(),
    write: async () => {
      crashed = true;
      throw new SinkError("ABORTED", "killed between publishing the chunk and writing its cursor");
    },
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<MonitorliftError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MonitorliftError, `expected a MonitorliftError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}

describe("blob sink against Azurite", { timeout: 120_000 }, () => {
  let fx: BlobFixture;
  before(async () => {
    fx = await startBlobFixture();
  });
  after(async () => {
    await fx?.stop();
  });

  async function download(name: string): Promise<Buffer> {
    return await fx.container().getBlobClient(name).downloadToBuffer();
  }

  async function names(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const b of fx.container().listBlobsFlat({ prefix })) out.push(b.name);
    return out.sort();
  }

  test("commit makes the chunk (exact content, content type and encoding) and then the state appear", async () => {
    const sink = fx.sink({ prefix: "c1/" });
    await sink.sink.start();
    const key: StateKey = { query: "Requests", scope: "live" };
    const w = win(0, 5);
    const rows = [row(1), row(2, 'quote " and \\u00e9'), row(3)];
    const writer = await sink.sink.openWindow({ key, window: w, columns: COLUMNS, signal: new AbortController().signal });
    await writer.write(RowBatch.of(rows.slice(0, 2)));
    await writer.write(RowBatch.of(rows.slice(2)));
    const name = `c1/${chunkPath("Requests", w, ".ndjson.gz")}`;
    assert.equal(await fx.container().getBlobClient(name).exists(), false, "nothing is visible before commit");
    const next = nextState(w, 3, undefined);
    const result = await writer.commit(next, undefined);

    assert.equal(result.rows, 3);
    assert.ok(result.location.endsWith(`/export/${name}`), result.location);
    const props = await fx.container().getBlobClient(name).getProperties();
    assert.equal(props.contentType, "application/x-ndjson");
    assert.equal(props.contentEncoding, "gzip");
    assert.equal(props.contentLength, result.bytes);
    assert.equal(gunzipSync(await download(name)).toString("utf8"), ndjson(rows));

    const state = await sink.cursors.read(key);
    assert.ok(state);
    assert.equal(state.watermark, w.end);
    assert.equal(state.rows, 3);
    assert.deepEqual(state.columns, COLUMNS);
    const stateProps = await fx.container().getBlobClient("c1/_state/Requests/live.json").getProperties();
    assert.equal(state.version, stateProps.etag, "the version is the state blob's ETag");
    assert.equal(result.version, stateProps.etag, "commit returns the new version");
    assert.equal(next.version, undefined, "and leaves the caller's `next` alone");
    assert.equal(JSON.parse((await download("c1/_state/Requests/live.json")).toString()).version, undefined, "the version is not stored");
  });

  test("other formats carry their content type and no encoding when uncompressed", async () => {
    const sink = fx.sink({ type: "adls", prefix: "c2/", format: "json", compression: "none" });
    const key: StateKey = { query: "Traces", scope: "live" };
    const w = win(0, 5);
    await commitWindow(sink, key, w, [row(1)], undefined);
    const name = `c2/${chunkPath("Traces", w, ".json")}`;
    const props = await fx.container().getBlobClient(name).getProperties();
    assert.equal(props.contentType, "application/json");
    assert.equal(props.contentEncoding, undefined);
    const doc = JSON.parse((await download(name)).toString("utf8"));
    assert.deepEqual(doc.columns, COLUMNS);
    assert.equal(doc.rows.length, 1);
  });

  test("compressionLevel: the blob's bytes are compressed at the configured level", async () => {
    const key: StateKey = { query: "Requests", scope: "live" };
    const w = win(0, 5);
    await commitWindow(fx.sink({ prefix: "c2g/", compression: "gzip", compressionLevel: 9 }), key, w, [row(1), row(2)], undefined);
    const gz = await download(`c2g/${chunkPath("Requests", w, ".ndjson.gz")}`);
    assert.equal(gz[8], 2, "gzip's XFL byte says level 9");
    assert.equal(gunzipSync(gz).toString("utf8"), ndjson([row(1), row(2)]));
    await commitWindow(fx.sink({ prefix: "c2z/", compression: "zstd", compressionLevel: 1 }), key, w, [row(1), row(2)], undefined);
    const zst = await download(`c2z/${chunkPath("Requests", w, ".ndjson.zst")}`);
    assert.equal(10 + (zst[5]! >> 3), 19, "a zstd level 1 window (level 3, the default, streams with 21)");
    assert.equal(zstdDecompressSync(zst).toString("utf8"), ndjson([row(1), row(2)]));
  });

  test("abort leaves no committed blob and no state", async () => {
    const sink = fx.sink({ prefix: "c3/", compression: "none", blockSizeMiB: 1 });
    const key: StateKey = { query: "Requests", scope: "live" };
    const w = win(0, 5);
    const writer = await sink.sink.openWindow({ key, window: w, columns: COLUMNS, signal: new AbortController().signal });
    // Enough rows to stage at least one block before the abort.
    const rows = Array.from({ length: 15_000 }, (_, i) => row(i));
    await writer.write(RowBatch.of(rows));
    await writer.abort();
    await writer.abort();
    await assert.rejects(writer.commit(nextState(w, 1), undefined), /aborted/);
    assert.deepEqual(await names("c3/"), []);
    assert.equal(await sink.cursors.read(key), undefined);
  });

  test("an aborted target signal stops the window with its reason and commits nothing", async () => {
    const sink = fx.sink({ prefix: "c3b/", compression: "none", blockSizeMiB: 1 });
    const key: StateKey = { query: "Requests", scope: "live" };
    const w = win(0, 5);
    const controller = new AbortController();
    const writer = await sink.sink.openWindow({ key, window: w, columns: COLUMNS, signal: controller.signal });
    await writer.write(RowBatch.of([row(1)]));
    const reason = new SinkError("LOCK_LOST", "lease lost");
    controller.abort(reason);
    await assert.rejects(writer.write(RowBatch.of(Array.from({ length: 15_000 }, (_, i) => row(i)))), (err) => err === reason);
    await writer.abort();
    assert.deepEqual(await names("c3b/"), []);
  });

  test("re-committing a window replaces its chunk instead of adding one", async () => {
    const sink = fx.sink({ prefix: "c4/" });
    const key: StateKey = { query: "Requests", scope: "live" };
    const w = win(5, 10);
    const first = await commitWindow(sink, key, w, [row(1), row(2)], undefined);
    const again = [row(7, "second attempt")];
    await commitWindow(sink, key, w, again, first.next);
    const name = `c4/${chunkPath("Requests", w, ".ndjson.gz")}`;
    assert.deepEqual(await names("c4/Requests/"), [name]);
    assert.equal(gunzipSync(await download(name)).toString("utf8"), ndjson(again));
    const blocks = await fx.container().getBlockBlobClient(name).getBlockList("all");
    assert.equal(blocks.uncommittedBlocks?.length ?? 0, 0);
  });

  test("a stale writer gets STATE_CONFLICT and the newer watermark is kept", async () => {
    const a = fx.sink({ prefix: "c5/" });
    const b = fx.sink({ prefix: "c5/" });
    const key: StateKey = { query: "Requests", scope: "live" };

    // Both start from "no state": the second create loses.
    await commitWindow(a, key, win(0, 5), [row(1)], undefined);
    const conflict = await rejectsWith(commitWindow(b, key, win(0, 5), [row(2)], undefined), "STATE_CONFLICT");
    assert.equal(conflict.retryable, false);
    assert.equal((await a.cursors.read(key))?.watermark, win(0, 5).end);

    // Both read version 1; A moves on twice, then B commits on top of version 1.
    const v1 = await a.cursors.read(key);
    const stale = await b.cursors.read(key);
    assert.ok(v1 && stale);
    const v2 = await commitWindow(a, key, win(5, 10), [row(3)], v1);
    await commitWindow(a, key, win(10, 15), [row(4)], { ...v2.next });
    const err = await rejectsWith(commitWindow(b, key, win(5, 10), [row(5)], stale), "STATE_CONFLICT");
    assert.match(err.message, /c5\/_state\/Requests\/live\.json/);
    const kept = await a.cursors.read(key);
    assert.equal(kept?.watermark, win(10, 15).end);
    assert.equal(kept?.windows, 3);
  });

  test("a commit on a version that did not come from the sink is refused", async () => {
    const sink = fx.sink({ prefix: "c6/" });
    const key: StateKey = { query: "Requests", scope: "live" };
    await commitWindow(sink, key, win(0, 5), [row(1)], undefined);
    const current = await sink.cursors.read(key);
    assert.ok(current);
    await rejectsWith(commitWindow(sink, key, win(5, 10), [row(1)], { ...current, version: '"0x1"' }), "STATE_CONFLICT");
    await rejectsWith(commitWindow(sink, key, win(5, 10), [row(1)], { ...current, version: undefined }), "INTERNAL");
    assert.equal((await sink.cursors.read(key))?.watermark, win(0, 5).end);
  });

  test("listStates returns every cursor with its version", async () => {
    const sink = fx.sink({ prefix: "c7/" });
    const live: StateKey = { query: "Requests", scope: "live" };
    const backfill: StateKey = { query: "Requests", scope: "backfill-20261101T000000.000Z-20261102T000000.000Z" };
    await commitWindow(sink, live, win(0, 5), [row(1)], undefined);
    await commitWindow(sink, backfill, win(-60, -55), [row(1)], undefined);
    const states = await sink.cursors.list();
    assert.deepEqual(
      states.map((s) => `${s.key.query}/${s.key.scope}@${s.state.watermark}`).sort(),
      [`Requests/${backfill.scope}@${win(-60, -55).end}`, `Requests/live@${win(0, 5).end}`].sort(),
    );
    assert.ok(states.every((s) => typeof s.state.version === "string"));
  });

  test("recover deletes the uncommitted chunks in range and nothing else", async () => {
    const sink = fx.sink({ prefix: "c8/" });
    const key: StateKey = { query: "Q", scope: "live" };
    const other: StateKey = { query: "Q2", scope: "live" };
    const s1 = await commitWindow(sink, key, win(0, 5), [row(1)], undefined);
    const s2 = await commitWindow(sink, key, win(5, 10), [row(2)], s1.next);
    // A killed run: data committed, cursor not moved (killed between the chunk and its cursor).
    const killed = fx.sink({ prefix: "c8/" }, { wrapCursors: crashAfterPublish });
    await rejectsWith(commitWindow(killed, key, win(10, 15), [row(3)], s2.next), "ABORTED");
    // The next day, same situation; and an uncommitted chunk of another query with a similar name.
    const nextDay = { start: win(10, 15).start + 86_400_000, end: win(10, 15).end + 86_400_000 };
    await rejectsWith(commitWindow(fx.sink({ prefix: "c8/" }, { wrapCursors: crashAfterPublish }), key, nextDay, [row(4)], s2.next), "ABORTED");
    const otherFirst = await commitWindow(sink, other, win(0, 5), [row(5)], undefined);
    await rejectsWith(commitWindow(fx.sink({ prefix: "c8/" }, { wrapCursors: crashAfterPublish }), other, win(10, 15), [row(6)], otherFirst.next), "ABORTED");
    assert.ok(otherFirst);

    const watermark = s2.next.watermark;
    const isCommitted = (w: TimeWindow) => w.end <= watermark;
    const chunk = (w: TimeWindow, q = "Q") => `c8/${chunkPath(q, w, ".ndjson.gz")}`;

    // A bounded range that stops before the next day's chunk.
    assert.equal(await sink.sink.recover(key, win(0, 0).start, win(15, 15).start, isCommitted), 1);
    assert.deepEqual(await names("c8/Q/"), [chunk(win(0, 5)), chunk(win(5, 10)), chunk(nextDay)].sort());
    // Open-ended: from the watermark on.
    assert.equal(await sink.sink.recover(key, watermark, Infinity, isCommitted), 1);
    assert.deepEqual(await names("c8/Q/"), [chunk(win(0, 5)), chunk(win(5, 10))].sort());
    assert.equal(await sink.sink.recover(key, watermark, Infinity, isCommitted), 0);
    // The other query was not touched.
    assert.deepEqual(await names("c8/Q2/"), [chunk(win(0, 5), "Q2"), chunk(win(10, 15), "Q2")].sort());
  });

  test("a large window streams through several blocks of bounded size", async () => {
    const sink = fx.sink({ prefix: "c9/", compression: "none", blockSizeMiB: 1 });
    const key: StateKey = { query: "Big", scope: "live" };
    const w = win(0, 60);
    const writer = await sink.sink.openWindow({ key, window: w, columns: COLUMNS, signal: new AbortController().signal });
    const total = 300_000;
    const batch = 5_000;
    let expectedBytes = 0;
    let peakGrowth = 0;
    const before = retainedBytes();
    for (let i = 0; i < total; i += batch) {
      const rows = Array.from({ length: batch }, (_, j) => row(i + j));
      expectedBytes += Buffer.byteLength(ndjson(rows));
      await writer.write(RowBatch.of(rows));
      if ((i / batch) % 4 === 3) peakGrowth = Math.max(peakGrowth, retainedBytes() - before);
    }
    // The whole window is ~27 MiB; what the writer keeps is about one block (1 MiB) plus a batch
    // (the rest of the margin is the SDK's and the test's own allocations).
    assert.ok(peakGrowth < 12 * 1048576, `retained memory grew by ${peakGrowth} bytes while writing`);
    const result = await writer.commit(nextState(w, total), undefined);
    assert.equal(result.rows, total);
    assert.equal(result.bytes, expectedBytes);

    const name = `c9/${chunkPath("Big", w, ".ndjson")}`;
    const list = await fx.container().getBlockBlobClient(name).getBlockList("committed");
    const blocks = list.committedBlocks ?? [];
    assert.ok(blocks.length > 1, `expected several blocks, got ${blocks.length}`);
    assert.ok(blocks.every((b) => b.size <= 1024 * 1024), "no block is larger than blockSizeMiB");
    assert.equal(blocks.reduce((n, b) => n + b.size, 0), expectedBytes);
    const text = (await download(name)).toString("utf8");
    const lines = text.split("\n");
    assert.equal(lines.length, total + 1);
    assert.equal(lines[0] + "\n", ndjson([row(0)]));
    assert.equal(lines[total - 1] + "\n", ndjson([row(total - 1)]));
    console.log(`# ${total} rows, ${(expectedBytes / 1048576).toFixed(1)} MiB in ${blocks.length} blocks; retained memory growth while writing ≤ ${(peakGrowth / 1048576).toFixed(1)} MiB`);
  });

  test("run summaries are kept and the newest per query is returned", async () => {
    const sink = fx.sink({ prefix: "c10/" });
    const base = { command: "export", finishedAt: "2026-11-22T03:10:00.000Z" };
    await sink.runs.record({ ...base, runId: "r1", startedAt: "2026-11-21T03:00:00.000Z", queries: { A: { outcome: "ok", scope: "live", rows: 1, windows: 1 }, B: { outcome: "ok", scope: "live", rows: 1, windows: 1 } } });
    await sink.runs.record({ ...base, runId: "r2", startedAt: "2026-11-22T03:00:00.000Z", queries: { A: { outcome: "failed", scope: "live", rows: 0, windows: 0, error: { code: "SINK_UNAVAILABLE", message: "x" } } } });
    assert.deepEqual(await names("c10/_runs/"), ["c10/_runs/2026-11-21/r1.json", "c10/_runs/2026-11-22/r2.json"]);
    const last = (await sink.runs.lastRuns()).runs;
    assert.equal(last.get("A")?.runId, "r2");
    assert.equal(last.get("B")?.runId, "r1");
    assert.equal(last.get("A")?.queries["A"]?.error?.code, "SINK_UNAVAILABLE");
  });

  test("probe creates the container when configured, and names the missing container otherwise", async () => {
    const missing = fx.sink({ container: "absent", createContainer: false });
    const err = await rejectsWith(missing.sink.probe(), "SINK_WRITE");
    assert.match(err.message, /absent does not exist/);
    assert.match(err.hint ?? "", /createContainer/);
    await rejectsWith(missing.cursors.read({ query: "Q", scope: "live" }), "SINK_WRITE");

    const creating = fx.sink({ container: "created", createContainer: true, prefix: "p/" });
    await creating.sink.probe();
    assert.equal(await fx.container("created").exists(), true);
    const left: string[] = [];
    for await (const b of fx.container("created").listBlobsFlat()) left.push(b.name);
    assert.deepEqual(left, [], "the probe blob is deleted");
    await creating.shutdown();
    await creating.shutdown();
  });
  test("take-back: a chunk whose cursor write fails is deleted again, so readers never see uncounted rows", async () => {
    const key: StateKey = { query: "Requests", scope: "live" };
    const sink = fx.sink({ prefix: "tb/" });
    const s1 = await commitWindow(sink, key, win(0, 5), [row(1)], undefined);
    let writes = 0;
    const failing = fx.sink({ prefix: "tb/" }, {
      wrapCursors: (inner) => ({
        read: (k) => inner.read(k),
        list: () => inner.list(),
        write: async () => {
          writes++;
          throw new SinkError("SINK_UNAVAILABLE", "storage went away during the cursor write", { retryable: true });
        },
      }),
    });
    const err = await rejectsWith(commitWindow(failing, key, win(5, 10), [row(2)], s1.next), "SINK_UNAVAILABLE");
    assert.equal(err.retryable, true);
    assert.equal(writes, 1, "the cursor write was attempted once, after the chunk was published");
    assert.deepEqual(await names("tb/Requests/"), [`tb/${chunkPath("Requests", win(0, 5), ".ndjson.gz")}`], "the published chunk was taken back");
    assert.equal((await sink.cursors.read(key))?.version, s1.next.version, "the cursor did not move");
    // The window is redone on top of the same cursor and lands once.
    await commitWindow(sink, key, win(5, 10), [row(2)], s1.next);
    assert.equal((await names("tb/Requests/")).length, 2);
  });

  test("take-back is skipped when the cursor did move (the write landed, only its answer was lost)", async () => {
    const key: StateKey = { query: "Requests", scope: "live" };
    const lost = fx.sink({ prefix: "tb2/" }, {
      wrapCursors: (inner) => ({
        read: (k) => inner.read(k),
        list: () => inner.list(),
        write: async (k, next, previous) => {
          await inner.write(k, next, previous);
          throw new SinkError("SINK_UNAVAILABLE", "the answer to the cursor write was lost", { retryable: true });
        },
      }),
    });
    await rejectsWith(commitWindow(lost, key, win(0, 5), [row(1)], undefined), "SINK_UNAVAILABLE");
    assert.deepEqual(await names("tb2/Requests/"), [`tb2/${chunkPath("Requests", win(0, 5), ".ndjson.gz")}`], "the counted chunk stays");
    assert.equal((await lost.cursors.read(key))?.watermark, win(0, 5).end);
  });

  test("a stale writer publishes nothing: the version is checked before the chunk becomes visible", async () => {
    const key: StateKey = { query: "Requests", scope: "live" };
    const sink = fx.sink({ prefix: "tb3/" });
    await commitWindow(sink, key, win(0, 5), [row(1)], undefined);
    await rejectsWith(commitWindow(fx.sink({ prefix: "tb3/" }), key, win(5, 10), [row(2)], undefined), "STATE_CONFLICT");
    assert.deepEqual(await names("tb3/Requests/"), [`tb3/${chunkPath("Requests", win(0, 5), ".ndjson.gz")}`]);
  });

  test("shutdown aborts open writers (and is safe twice)", async () => {
    const key: StateKey = { query: "Requests", scope: "live" };
    const dest = fx.sink({ prefix: "sd/" });
    const writer = await dest.sink.openWindow({ key, window: win(0, 5), columns: COLUMNS, signal: new AbortController().signal });
    await writer.write(RowBatch.of([row(1)]));
    await dest.shutdown();
    await dest.shutdown();
    await assert.rejects(writer.commit(nextState(win(0, 5), 1), undefined), /aborted/);
    assert.deepEqual(await names("sd/"), []);
  });
});
