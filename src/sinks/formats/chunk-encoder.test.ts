import { test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import type { Column, RawRow } from "../../table.ts";
import { SinkError } from "../../errors.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";
import { chunkExtension, contentEncoding, contentType, createChunkEncoder } from "./chunk-encoder.ts";
import { createParquetEncoder } from "./parquet.ts";
import { RowBatch } from "../../row-batch.ts";

const columns: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "Success", type: "bool" },
  { name: "ResultCode", type: "int" },
  { name: "ItemCount", type: "long" },
  { name: "DurationMs", type: "real" },
  { name: "Name", type: "string" },
  { name: "Id", type: "guid" },
  { name: "Amount", type: "decimal" },
  { name: "Elapsed", type: "timespan" },
  { name: "Properties", type: "dynamic" },
  { name: 'odd "name"\\é', type: "string" },
];

const rows: RawRow[] = [
  [
    '"2026-11-22T03:00:00.1234567Z"',
    "true",
    "200",
    "9007199254740993",
    "12.5",
    '"GET /api/ü \\"quoted\\" \\\\ \\n 😀 \\ud83d\\ude00"',
    '"0b3c8f3e-1b2a-4c5d-9e8f-112233445566"',
    '"79228162514264337593543950335"',
    '"1.02:03:04.5000000"',
    '"{\\"a\\":1,\\"nested\\":{\\"big\\":12345678901234567890,\\"list\\":[1,2.50,\\"x\\"]}}"',
    '"plain"',
  ],
  ['"2026-11-22T03:00:00Z"', "false", "-1", "-9223372036854775808", '"NaN"', '""', "null", '"0.1"', '"-00:00:00.0000001"', '"not json"', "null"],
  ["null", "null", "null", "null", "null", "null", "null", "null", "null", "null", "null"],
  ['"2026-11-22T03:00:00.1Z"', "true", "2147483647", "9223372036854775807", '"-Infinity"', '"x"', "null", "null", '"00:00:10"', '"[1,{\\"b\\":[]}]"', '"y"'],
];

async function encodeAll(encoder: ChunkEncoder, batches: RawRow[][]): Promise<{ bytes: Buffer; beforeFinish: number }> {
  const parts: Uint8Array[] = [];
  for (const batch of batches) parts.push(...(await encoder.encode(RowBatch.of(batch))));
  const beforeFinish = parts.reduce((n, p) => n + p.byteLength, 0);
  parts.push(...(await encoder.finish()));
  return { bytes: Buffer.concat(parts), beforeFinish };
}

const EXPECTED_NDJSON =
  '{"TimeGenerated":"2026-11-22T03:00:00.1234567Z","Success":true,"ResultCode":200,"ItemCount":9007199254740993,"DurationMs":12.5,' +
  '"Name":"GET /api/ü \\"quoted\\" \\\\ \\n 😀 \\ud83d\\ude00","Id":"0b3c8f3e-1b2a-4c5d-9e8f-112233445566","Amount":"79228162514264337593543950335",' +
  '"Elapsed":"1.02:03:04.5000000","Properties":{"a":1,"nested":{"big":12345678901234567890,"list":[1,2.50,"x"]}},"odd \\"name\\"\\\\é":"plain"}\n' +
  '{"TimeGenerated":"2026-11-22T03:00:00Z","Success":false,"ResultCode":-1,"ItemCount":-9223372036854775808,"DurationMs":"NaN","Name":"","Id":null,' +
  '"Amount":"0.1","Elapsed":"-00:00:00.0000001","Properties":"not json","odd \\"name\\"\\\\é":null}\n' +
  '{"TimeGenerated":null,"Success":null,"ResultCode":null,"ItemCount":null,"DurationMs":null,"Name":null,"Id":null,"Amount":null,"Elapsed":null,"Properties":null,"odd \\"name\\"\\\\é":null}\n' +
  '{"TimeGenerated":"2026-11-22T03:00:00.1Z","Success":true,"ResultCode":2147483647,"ItemCount":9223372036854775807,"DurationMs":"-Infinity","Name":"x","Id":null,' +
  '"Amount":null,"Elapsed":"00:00:10","Properties":[1,{"b":[]}],"odd \\"name\\"\\\\é":"y"}\n';

test("ndjson: exact passthrough text for every column type", async () => {
  const { bytes } = await encodeAll(createChunkEncoder({ format: "ndjson", compression: "none" }, columns), [rows.slice(0, 2), [], rows.slice(2)]);
  const text = bytes.toString("utf8");
  assert.equal(text, EXPECTED_NDJSON);
  const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 4);
  assert.equal(lines[0]!.Name, 'GET /api/ü "quoted" \\ \n 😀 😀');
  assert.deepEqual(lines[3]!.Properties, [1, { b: [] }]);
});

test("ndjson: a pretty-printed dynamic value stays on one line", async () => {
  const cols: Column[] = [{ name: "d", type: "dynamic" }];
  const { bytes } = await encodeAll(createChunkEncoder({ format: "ndjson", compression: "none" }, cols), [[['"{\\n \\"a\\": 1\\n}"']]]);
  assert.equal(bytes.toString(), '{"d":{  "a": 1 }}\n');
});

test("json: the {columns, rows} document with rows exactly as sent", async () => {
  const { bytes } = await encodeAll(createChunkEncoder({ format: "json", compression: "none" }, columns), [rows.slice(0, 1), rows.slice(1)]);
  const text = bytes.toString("utf8");
  const doc = JSON.parse(text) as { columns: Column[]; rows: unknown[][] };
  assert.deepEqual(doc.columns, columns);
  assert.deepEqual(doc.rows, rows.map((r) => r.map((c) => JSON.parse(c) as unknown)));
  // every raw cell appears verbatim (no re-encoding of numbers or escapes)
  for (const row of rows) assert.ok(text.includes(`[${row.join(",")}]`));
  assert.ok(text.includes("9007199254740993"));
});

test("json: an empty chunk is a valid empty document", async () => {
  const { bytes } = await encodeAll(createChunkEncoder({ format: "json", compression: "gzip" }, columns), []);
  assert.deepEqual(JSON.parse(zlib.gunzipSync(bytes).toString()), { columns, rows: [] });
});

for (const compression of ["gzip", "zstd"] as const) {
  test(`${compression}: streamed output decompresses to the uncompressed encoding`, async () => {
    const many: RawRow[][] = [];
    for (let b = 0; b < 20; b++) many.push(Array.from({ length: 500 }, (_, i) => rows[(b + i) % rows.length]!));
    const plain = await encodeAll(createChunkEncoder({ format: "ndjson", compression: "none" }, columns), many);
    const packed = await encodeAll(createChunkEncoder({ format: "ndjson", compression }, columns), many);
    const unpacked = compression === "gzip" ? zlib.gunzipSync(packed.bytes) : zlib.zstdDecompressSync(packed.bytes);
    assert.equal(unpacked.toString("utf8"), plain.bytes.toString("utf8"));
    assert.ok(packed.bytes.length < plain.bytes.length / 5, "compresses");
    assert.ok(packed.beforeFinish > 0, "bytes come out before finish (streamed, not buffered)");
    const json = await encodeAll(createChunkEncoder({ format: "json", compression }, columns), [rows]);
    const doc = compression === "gzip" ? zlib.gunzipSync(json.bytes) : zlib.zstdDecompressSync(json.bytes);
    assert.equal((JSON.parse(doc.toString()) as { rows: unknown[] }).rows.length, rows.length);
  });
}

/** zstd's window log from a frame header without a single-segment flag (a streamed frame). */
const zstdWindowLog = (frame: Buffer) => 10 + (frame[5]! >> 3);

test("compression level: reaches the stream (gzip's XFL byte, zstd's window) and the chunk decompresses exactly", async () => {
  const many: RawRow[][] = [];
  for (let b = 0; b < 10; b++) many.push(Array.from({ length: 300 }, (_, i) => rows[(b + i) % rows.length]!));
  const plain = (await encodeAll(createChunkEncoder({ format: "ndjson", compression: "none" }, columns), many)).bytes.toString();
  const gzipAt = async (level?: number) => (await encodeAll(createChunkEncoder({ format: "ndjson", compression: "gzip", level }, columns), many)).bytes;
  const zstdAt = async (level?: number) => (await encodeAll(createChunkEncoder({ format: "ndjson", compression: "zstd", level }, columns), many)).bytes;
  // zlib writes XFL 4 at level 1, 2 at level 9, 0 in between (its default 6).
  for (const [level, xfl] of [[1, 4], [9, 2], [undefined, 0]] as const) {
    const bytes = await gzipAt(level);
    assert.equal(bytes[8], xfl, `gzip level ${level}`);
    assert.equal(zlib.gunzipSync(bytes).toString(), plain);
  }
  // zstd level 1 streams with a 512 KiB window, level 3 (the default) with 2 MiB.
  for (const [level, windowLog] of [[1, 19], [3, 21], [undefined, 21]] as const) {
    const bytes = await zstdAt(level);
    assert.equal(zstdWindowLog(bytes), windowLog, `zstd level ${level}`);
    assert.equal(zlib.zstdDecompressSync(bytes).toString(), plain);
  }
  await assert.rejects(async () => createChunkEncoder({ format: "ndjson", compression: "zstd", level: 20 }, columns), /zstd level 20 is outside 1\.\.19/);
});

const NANOS_PARSERS = {
  timestampFromNanoseconds: (n: bigint) => n,
  jsonFromBytes: (b: Uint8Array) => new TextDecoder().decode(b),
};

async function readParquet(bytes: Buffer): Promise<{ objects: Record<string, unknown>[]; buffer: ArrayBuffer }> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const objects = (await parquetReadObjects({ file: buffer, parsers: NANOS_PARSERS as never })) as Record<string, unknown>[];
  return { objects, buffer };
}

test("parquet: typed columns read back exactly with hyparquet", async () => {
  const { bytes } = await encodeAll(createChunkEncoder({ format: "parquet", compression: "gzip" }, columns), [rows]);
  const { objects, buffer } = await readParquet(bytes);
  const base = BigInt(Date.UTC(2026, 10, 22, 3)) * 1_000_000n;
  assert.deepEqual(objects[0], {
    TimeGenerated: base + 123_456_700n,
    Success: true,
    ResultCode: 200,
    ItemCount: 9007199254740993n,
    DurationMs: 12.5,
    Name: 'GET /api/ü "quoted" \\ \n 😀 😀',
    Id: "0b3c8f3e-1b2a-4c5d-9e8f-112233445566",
    Amount: "79228162514264337593543950335",
    Elapsed: "1.02:03:04.5000000",
    Properties: '{"a":1,"nested":{"big":12345678901234567890,"list":[1,2.50,"x"]}}',
    'odd "name"\\é': "plain",
  });
  assert.equal(objects[1]!.TimeGenerated, base);
  assert.equal(objects[1]!.ItemCount, -9223372036854775808n);
  assert.ok(Number.isNaN(objects[1]!.DurationMs));
  assert.equal(objects[1]!.Properties, '"not json"');
  assert.equal(objects[1]!.Elapsed, "-00:00:00.0000001");
  assert.deepEqual(Object.values(objects[2]!), Array(columns.length).fill(null));
  assert.equal(objects[3]!.TimeGenerated, base + 100_000_000n);
  assert.equal(objects[3]!.DurationMs, -Infinity);
  assert.equal(objects[3]!.ItemCount, 9223372036854775807n);
  const schema = parquetMetadata(buffer).schema;
  const byName = new Map(schema.map((e) => [e.name, e]));
  assert.deepEqual(byName.get("TimeGenerated")!.logical_type, { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" });
  assert.equal(byName.get("ItemCount")!.type, "INT64");
  assert.equal(byName.get("ResultCode")!.type, "INT32");
  assert.equal(byName.get("DurationMs")!.type, "DOUBLE");
  assert.equal(byName.get("Success")!.type, "BOOLEAN");
  assert.equal(byName.get("Properties")!.converted_type, "JSON");
  assert.deepEqual(byName.get("Properties")!.logical_type, { type: "JSON" });
  assert.equal(byName.get("Amount")!.converted_type, "UTF8");
  const chunks = parquetMetadata(buffer).row_groups[0]!.columns;
  const statsOf = (name: string) => chunks.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!.statistics;
  assert.ok(statsOf("TimeGenerated")?.min_value !== undefined, "datetime statistics kept for pushdown");
  assert.equal(statsOf("Properties"), undefined, "no statistics for dynamic columns");
});

test("parquet: row groups are written as they fill, not at finish", async () => {
  const cols: Column[] = [
    { name: "t", type: "datetime" },
    { name: "n", type: "long" },
  ];
  const encoder = createParquetEncoder(cols, { rowGroupRows: 1000 });
  const batch = (from: number): RawRow[] =>
    Array.from({ length: 700 }, (_, i) => [`"2026-11-22T03:00:${String((from + i) % 60).padStart(2, "0")}.${String(from + i).padStart(7, "0")}Z"`, String(9007199254740993n + BigInt(from + i))]);
  const { bytes, beforeFinish } = await encodeAll(encoder, [batch(0), batch(700), batch(1400)]);
  assert.ok(beforeFinish > 0 && beforeFinish < bytes.length, "two full row groups were emitted before finish");
  const { objects, buffer } = await readParquet(bytes);
  const meta = parquetMetadata(buffer);
  assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), [1000, 1000, 100]);
  assert.equal(objects.length, 2100);
  assert.equal(objects[1234]!.n, 9007199254740993n + 1234n);
  assert.equal(objects[1234]!.t, BigInt(Date.UTC(2026, 10, 22, 3, 0, 1234 % 60)) * 1_000_000n + 1234n * 100n);
});

test("parquet: a datetime beyond the nanosecond range fails loudly naming the column", async () => {
  const encoder = createParquetEncoder([{ name: "Birth", type: "datetime" }]);
  await assert.rejects(encoder.encode(RowBatch.of([['"1600-01-01T00:00:00Z"']])), (err: unknown) => err instanceof SinkError && err.code === "SINK_SCHEMA" && /column "Birth"/.test(err.message) && /1677/.test(err.message));
});

test("parquet: a cell that does not fit its type names the column", async () => {
  const encoder = createParquetEncoder([{ name: "a", type: "string" }, { name: "Count", type: "long" }]);
  await assert.rejects(encoder.encode(RowBatch.of([['"x"', '"abc"']])), /column "Count" \(long\)/);
});

test("extensions and content headers", () => {
  const cases: Array<[FormatSpec, string, string, string | undefined]> = [
    [{ format: "ndjson", compression: "gzip" }, ".ndjson.gz", "application/x-ndjson", "gzip"],
    [{ format: "ndjson", compression: "zstd" }, ".ndjson.zst", "application/x-ndjson", "zstd"],
    [{ format: "ndjson", compression: "none" }, ".ndjson", "application/x-ndjson", undefined],
    [{ format: "json", compression: "gzip" }, ".json.gz", "application/json", "gzip"],
    [{ format: "json", compression: "none" }, ".json", "application/json", undefined],
    [{ format: "parquet", compression: "gzip" }, ".parquet", "application/vnd.apache.parquet", undefined],
  ];
  for (const [spec, ext, type, encoding] of cases) {
    assert.equal(chunkExtension(spec), ext);
    assert.equal(contentType(spec), type);
    assert.equal(contentEncoding(spec), encoding);
  }
});
