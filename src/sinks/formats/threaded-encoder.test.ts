import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import zlib from "node:zlib";
import { RowBatch } from "../../row-batch.ts";
import type { Column, RawRow } from "../../table.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";
import { createTextChunkEncoder } from "./text-chunk-encoder.ts";
import { createThreadedTextEncoder } from "./threaded-encoder.ts";

const columns: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "Name", type: "string" },
  { name: "Properties", type: "dynamic" },
  { name: "n", type: "long" },
];

function batchOf(from: number, count: number): RawRow[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return [`"2026-11-22T03:00:${String(n % 60).padStart(2, "0")}.1234567Z"`, `"row ${n} é 🚀"`, JSON.stringify(JSON.stringify({ n, list: [n, "x"] })), String(9007199254740993n + BigInt(n))];
  });
}

async function encodeAll(encoder: ChunkEncoder, batches: RawRow[][]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (const b of batches) parts.push(...(await encoder.encode(RowBatch.of(b, columns.length))));
  parts.push(...(await encoder.finish()));
  return Buffer.concat(parts);
}

const decode = (spec: FormatSpec, bytes: Buffer) => (spec.compression === "gzip" ? zlib.gunzipSync(bytes) : spec.compression === "zstd" ? zlib.zstdDecompressSync(bytes) : bytes).toString("utf8");

test("the encoding thread writes exactly what the calling thread writes, batches in order, many ahead", async () => {
  const batches = Array.from({ length: 25 }, (_, i) => batchOf(i * 40, i % 7 === 3 ? 0 : 40));
  for (const spec of [
    { format: "ndjson", compression: "none" },
    { format: "ndjson", compression: "gzip" },
    { format: "ndjson", compression: "zstd" },
    { format: "json", compression: "gzip" },
  ] satisfies FormatSpec[]) {
    // Two chunks at once, interleaved, as windows in flight are.
    const a = createThreadedTextEncoder(spec, columns);
    const b = createThreadedTextEncoder(spec, columns);
    const [ta, tb] = await Promise.all([encodeAll(a, batches), encodeAll(b, batches.slice(0, 5))]);
    const here = await encodeAll(createTextChunkEncoder(spec, columns), batches);
    assert.equal(decode(spec, ta), decode(spec, here), `${spec.format}+${spec.compression}`);
    assert.equal(decode(spec, tb), decode(spec, await encodeAll(createTextChunkEncoder(spec, columns), batches.slice(0, 5))));
  }
});

test("a failure on the encoding thread is the encoder's typed error; the chunk then refuses further use", async () => {
  const encoder = createThreadedTextEncoder({ format: "ndjson", compression: "gzip" }, columns);
  // A dynamic string holding '{' and an escape JSON does not have: dynamicJsonText refuses it (SINK_SCHEMA).
  const bad = [['"2026-11-22T03:00:00Z"', '"x"', '"{\\x"', "1"]];
  await assert.rejects(
    (async () => {
      await encoder.encode(RowBatch.of(batchOf(0, 10)));
      await encoder.encode(RowBatch.of(bad));
      await encoder.encode(RowBatch.of(batchOf(10, 10)));
      await encoder.encode(RowBatch.of(batchOf(20, 10)));
      await encoder.finish();
    })(),
    (e: any) => e.code === "SINK_SCHEMA" && e.name === "SinkError",
  );
  await assert.rejects(encoder.finish(), (e: any) => e.code === "SINK_SCHEMA" || e.code === "INTERNAL");
  encoder.close();
});

/** Runs a script in a child process: its exit code and output. */
function child(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const imports = `
import { createThreadedTextEncoder } from ${JSON.stringify(new URL("./threaded-encoder.ts", import.meta.url).pathname)};
import { RowBatch } from ${JSON.stringify(new URL("../../row-batch.ts", import.meta.url).pathname)};
const columns = [{ name: "a", type: "string" }];`;

test("waiting for the encoding thread keeps the process alive; an idle or closed encoder never does", () => {
  // Nothing else is pending while finish() waits: the process must not end before its answer.
  const waits = child(`${imports}
const e = createThreadedTextEncoder({ format: "ndjson", compression: "zstd" }, columns);
await e.encode(RowBatch.of([['"x"']]));
const bytes = await e.finish();
console.log("finished", bytes.reduce((n, b) => n + b.byteLength, 0) > 0);`);
  assert.equal(waits.status, 0, waits.stderr);
  assert.match(waits.stdout, /finished true/);
  // An encoder abandoned part-way (its window aborted) lets the process end at once.
  const closes = child(`${imports}
const e = createThreadedTextEncoder({ format: "ndjson", compression: "gzip" }, columns);
await e.encode(RowBatch.of([['"x"']]));
e.close();
console.log("closed");`);
  assert.equal(closes.status, 0, closes.stderr);
  assert.match(closes.stdout, /closed/);
});
