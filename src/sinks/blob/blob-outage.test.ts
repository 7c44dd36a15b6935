import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBlobFixture, type BlobFixture } from "../../../test/support/blob-fixture.ts";
import type { CursorState, StateKey } from "../sink.ts";
import type { Column, RawRow } from "../../table.ts";
import { chunkPath } from "../layout.ts";
import { MonitorliftError } from "../../errors.ts";
import { RowBatch } from "../../row-batch.ts";

const COLUMNS: Column[] = [
  { name: "Id", type: "long" },
  { name: "Message", type: "string" },
];
const W = { start: Date.UTC(2026, 10, 22, 3, 0), end: Date.UTC(2026, 10, 22, 3, 5) };
const rowsOf = (from: number, n: number): RawRow[] => Array.from({ length: n }, (_, i) => [String(from + i), JSON.stringify(`message ${from + i} `.padEnd(120, "x"))]);
const ndjson = (rows: RawRow[]) => rows.map((r) => `{"Id":${r[0]},"Message":${r[1]}}\n`).join("");

describe("blob sink when Azurite stops part-way through a window", { timeout: 120_000 }, () => {
  let fx: BlobFixture;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "monitorlift-azurite-data-"));
    fx = await startBlobFixture({ location: dir });
  });
  after(async () => {
    await fx?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("the window fails retryably with nothing committed, and commits once after the restart", async () => {
    const sink = fx.sink({ prefix: "o/", compression: "none", blockSizeMiB: 1 });
    await sink.sink.start();
    const key: StateKey = { query: "Requests", scope: "live" };
    const name = `o/${chunkPath("Requests", W, ".ndjson")}`;
    const rows = rowsOf(0, 30_000); // ~4 MiB: several blocks

    const first = await sink.sink.openWindow({ key, window: W, columns: COLUMNS, signal: new AbortController().signal });
    await first.write(RowBatch.of(rows.slice(0, 10_000))); // at least one block staged
    await fx.azurite.stop();

    let failure: unknown;
    try {
      await first.write(RowBatch.of(rows.slice(10_000)));
      await first.commit({ watermark: W.end, origin: W.start, rows: rows.length, windows: 1, updatedAt: new Date().toISOString() }, undefined);
    } catch (err) {
      failure = err;
    }
    assert.ok(failure instanceof MonitorliftError, `expected a typed error, got ${String(failure)}`);
    assert.equal(failure.code, "SINK_UNAVAILABLE", failure.message);
    assert.equal(failure.retryable, true);
    await first.abort();

    await fx.azurite.restart();
    const blob = fx.container().getBlockBlobClient(name);
    assert.equal(await blob.exists(), false, "nothing of the failed attempt is visible");
    assert.equal(await sink.cursors.read(key), undefined);
    const staged = await blob.getBlockList("uncommitted");
    assert.ok((staged.uncommittedBlocks?.length ?? 0) >= 1, "the failed attempt's staged blocks survived the restart, uncommitted");

    // The runner retries the window with the same sink instance.
    const second = await sink.sink.openWindow({ key, window: W, columns: COLUMNS, signal: new AbortController().signal });
    for (let i = 0; i < rows.length; i += 5_000) await second.write(RowBatch.of(rows.slice(i, i + 5_000)));
    const next: CursorState = { watermark: W.end, origin: W.start, rows: rows.length, windows: 1, updatedAt: new Date().toISOString() };
    const result = await second.commit(next, undefined);
    assert.equal(result.rows, rows.length);

    assert.equal((await blob.downloadToBuffer()).toString("utf8"), ndjson(rows), "exactly the window's rows, once");
    const list = await blob.getBlockList("all");
    assert.equal(list.uncommittedBlocks?.length ?? 0, 0, "the commit discarded the failed attempt's blocks");
    assert.equal(list.committedBlocks?.reduce((n, b) => n + b.size, 0), result.bytes);
    const names: string[] = [];
    for await (const b of fx.container().listBlobsFlat({ prefix: "o/Requests/" })) names.push(b.name);
    assert.deepEqual(names, [name]);
    assert.equal((await sink.cursors.read(key))?.watermark, W.end);
  });
});
