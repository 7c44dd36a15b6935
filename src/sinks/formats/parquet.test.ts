/**
 * The parquet encoder's row groups: text columns kept as UTF-8 bytes read back exactly across many
 * row groups, output comes out in bounded pieces as groups are written, and an open chunk's memory
 * does not grow with the rows written through it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import type { Column, RawRow } from "../../table.ts";
import type { ChunkEncoder } from "./format.ts";
import { createParquetEncoder } from "./parquet.ts";
import { RowBatch } from "../../row-batch.ts";
import { decodeString, dynamicJsonText } from "../cells.ts";

const PARSERS = {
  timestampFromNanoseconds: (n: bigint) => n,
  jsonFromBytes: (b: Uint8Array) => new TextDecoder().decode(b),
};

async function encodeAll(encoder: ChunkEncoder, batches: RawRow[][]): Promise<{ file: ArrayBuffer; pieces: number[]; beforeFinish: number }> {
  const parts: Uint8Array[] = [];
  for (const batch of batches) parts.push(...(await encoder.encode(RowBatch.of(batch))));
  const beforeFinish = parts.reduce((n, p) => n + p.byteLength, 0);
  parts.push(...(await encoder.finish()));
  const bytes = Buffer.concat(parts);
  return { file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, pieces: parts.map((p) => p.byteLength), beforeFinish };
}

/** Pieces as one ArrayBuffer (finish()'s pieces end with the footer, which is all parquetMetadata reads). */
function toArrayBuffer(pieces: Uint8Array[]): ArrayBuffer {
  const bytes = Buffer.concat(pieces);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

test("parquet: an open chunk's memory stays about one row group however many rows pass through it", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const columns: Column[] = [
    { name: "TimeGenerated", type: "datetime" },
    { name: "Url", type: "string" },
    { name: "Properties", type: "dynamic" },
    { name: "Id", type: "guid" },
  ];
  const encoder = createParquetEncoder(columns, { rowGroupBytes: 1024 * 1024 });
  const base = Date.UTC(2026, 10, 22, 3);
  let n = 0;
  const batch = (): RawRow[] =>
    Array.from({ length: 500 }, () => {
      n++;
      const id = randomBytes(16).toString("hex");
      return [
        JSON.stringify(new Date(base + n).toISOString()),
        JSON.stringify(`https://example.com/${id}/${"é".repeat(n % 200)}`),
        JSON.stringify(JSON.stringify({ n, id, tags: [id.slice(0, 8), "x"] })),
        `"${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}"`,
      ];
    });
  // What stays held after full collections. Backing stores of dead ArrayBuffers are freed off the main
  // thread, later on a loaded machine: the smallest of a few collections, with a turn of the event loop
  // between them, is what the encoder really holds.
  const held = async () => {
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
      const m = process.memoryUsage();
      least = Math.min(least, m.heapUsed + m.arrayBuffers);
    }
    return least;
  };
  let text = 0;
  const encode = async () => {
    const rows = batch();
    for (const row of rows) for (const cell of row) text += cell.length;
    await encoder.encode(RowBatch.of(rows));
  };
  for (let i = 0; i < 10; i++) await encode();
  const early = await held();
  for (let i = 0; i < 300; i++) await encode();
  const late = await held();
  const groups = parquetMetadata(toArrayBuffer(await encoder.finish())).row_groups.length;
  // Tens of MiB of cell text in dozens of row groups went through; what stays held must not grow with it.
  assert.ok(text > 40 * 1024 * 1024 && groups > 40, `${(text / 1048576).toFixed(0)} MiB of cell text in ${groups} row groups`);
  assert.ok(late - early < 8 * 1024 * 1024, `memory grew by ${((late - early) / 1048576).toFixed(1)} MiB while ${groups} row groups were written`);
});

test("parquet: text columns read back exactly across many row groups (nulls, empty, multi-byte, escapes)", async () => {
  const columns: Column[] = [
    { name: "s", type: "string" },
    { name: "n", type: "long" },
    { name: "d", type: "dynamic" },
    { name: "g", type: "guid" },
  ];
  const texts = ["", "plain", "é ü", "😀 and \u2028", 'quote " and \\ backslash', "\ud800 lone", "tab\there", "x".repeat(300)];
  const expected: Array<Record<string, unknown>> = [];
  const rows: RawRow[] = [];
  for (let i = 0; i < 3000; i++) {
    const text = i % 7 === 3 ? null : `${texts[i % texts.length]}#${i}`;
    const json = i % 5 === 2 ? null : JSON.stringify({ i, t: texts[i % texts.length] });
    rows.push([text === null ? "null" : JSON.stringify(text), String(9007199254740993n + BigInt(i)), json === null ? "null" : JSON.stringify(json), i % 11 === 0 ? "null" : `"00000000-0000-0000-0000-${String(i).padStart(12, "0")}"`]);
    expected.push({
      s: text === null ? null : text.replace("\ud800", "\ufffd"), // UTF-8 cannot hold a lone surrogate (TextEncoder does the same)
      n: 9007199254740993n + BigInt(i),
      d: json,
      g: i % 11 === 0 ? null : `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
    });
  }
  const batches: RawRow[][] = [];
  for (let i = 0; i < rows.length; i += 97) batches.push(rows.slice(i, i + 97));
  const { file } = await encodeAll(createParquetEncoder(columns, { rowGroupBytes: 16 * 1024 }), batches);
  const meta = parquetMetadata(file);
  assert.ok(meta.row_groups.length > 10, `many row groups (${meta.row_groups.length})`);
  const objects = (await parquetReadObjects({ file, parsers: PARSERS as never })) as Array<Record<string, unknown>>;
  assert.equal(objects.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.deepEqual(objects[i], expected[i], `row ${i}`);
  // Each group's min/max are its own rows' (copied out of the group's buffers, which the next group
  // writes over): the guid column's, and the string column's, whose values differ from group to group.
  let first = 0;
  const bytesOf = (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v)));
  for (const group of meta.row_groups) {
    const count = Number(group.num_rows);
    const values = expected.slice(first, first + count).map((r) => r.g).filter((v): v is string => v !== null).sort();
    const stats = group.columns[3]!.meta_data!.statistics!;
    const text = (v: unknown) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).slice(0, 16);
    assert.equal(text(stats.min_value), values[0]!.slice(0, 16));
    assert.ok(text(stats.max_value) >= values.at(-1)!.slice(0, 16), "max is an upper bound");
    const strings = expected.slice(first, first + count).map((r) => r.s).filter((v): v is string => v !== null).map((v) => Buffer.from(v)).sort(Buffer.compare);
    const s = group.columns[0]!.meta_data!.statistics!;
    const min = bytesOf(s.min_value);
    assert.ok(min.length > 0 && strings[0]!.subarray(0, min.length).equals(min), `group at row ${first}: min ${JSON.stringify(min.toString())} is a prefix of ${JSON.stringify(strings[0]!.toString())}`);
    assert.ok(Buffer.compare(bytesOf(s.max_value), strings.at(-1)!.subarray(0, bytesOf(s.max_value).length)) >= 0, `group at row ${first}: max is an upper bound`);
    first += count;
  }
});

test("parquet: output comes out in pieces of about a megabyte as row groups are written", async () => {
  const columns: Column[] = [{ name: "blob", type: "string" }];
  // Incompressible text: 4 MiB per row group, 3 groups before finish.
  const batch = (): RawRow[] => Array.from({ length: 64 }, () => [JSON.stringify(randomBytes(32 * 1024).toString("hex"))]);
  const batches = Array.from({ length: 6 }, batch);
  const { file, pieces, beforeFinish } = await encodeAll(createParquetEncoder(columns, { rowGroupBytes: 4 * 1024 * 1024 }), batches);
  assert.ok(beforeFinish > 8 * 1024 * 1024, `row groups were handed out before finish (${beforeFinish} bytes)`);
  assert.ok(Math.max(...pieces) <= 1.5 * 1024 * 1024, `no piece much over 1 MiB (largest ${Math.max(...pieces)})`);
  const objects = (await parquetReadObjects({ file })) as Array<{ blob: string }>;
  assert.equal(objects.length, 6 * 64);
});

test("parquet: repeated text values are stored once per row group and still read back exactly, also after a row that failed part way", async () => {
  const columns: Column[] = [
    { name: "role", type: "string" }, // few values: shared, dictionary-encoded
    { name: "id", type: "guid" }, // all distinct: stops looking for repeats
    { name: "props", type: "dynamic" },
    { name: "n", type: "long" },
  ];
  const roles = ["orders-api", "", "café 😀", 'q"uote', "users-api", "lone \ud800 surrogate", "lone \ufffd surrogate"];
  const rows: RawRow[] = [];
  const expected: Array<Record<string, unknown>> = [];
  const add = (i: number, role: string | null, n: string) => {
    const props = i % 3 === 0 ? null : JSON.stringify({ env: i % 2 ? "prod" : "dev" });
    rows.push([role === null ? "null" : JSON.stringify(role), `"00000000-0000-4000-8000-${String(i).padStart(12, "0")}"`, props === null ? "null" : JSON.stringify(props), n]);
    // UTF-8 cannot hold a lone surrogate (TextEncoder does the same)
    return { role: role?.replace("\ud800", "\ufffd") ?? null, id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, props, n: BigInt(n) };
  };
  const encoder = createParquetEncoder(columns, { rowGroupRows: 2048 });
  const parts: Uint8Array[] = [];
  for (let b = 0; b < 10; b++) {
    const from = rows.length;
    for (let i = 0; i < 500; i++) expected.push(add(expected.length, expected.length % 13 === 4 ? null : roles[expected.length % roles.length]!, String(expected.length)));
    parts.push(...(await encoder.encode(RowBatch.of(rows.slice(from)))));
    // A row with a role not seen before and one already held, each failing at its last cell: neither may
    // leave a trace, and the new role then arrives after another new role (which takes the freed place).
    for (const role of [`failed-first-${b}`, "orders-api"]) {
      await assert.rejects(encoder.encode(RowBatch.of([[JSON.stringify(role), '"00000000-0000-4000-8000-ffffffffffff"', "null", '"not a long"']])), /column "n"/);
    }
    const from2 = rows.length;
    expected.push(add(expected.length, `new-${b}`, "-1"), add(expected.length + 1, `failed-first-${b}`, "-2"));
    parts.push(...(await encoder.encode(RowBatch.of(rows.slice(from2)))));
  }
  parts.push(...(await encoder.finish()));
  const file = toArrayBuffer(parts);
  const objects = (await parquetReadObjects({ file, parsers: PARSERS as never })) as Array<Record<string, unknown>>;
  assert.equal(objects.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.deepEqual(objects[i], expected[i], `row ${i}`);
  const meta = parquetMetadata(file);
  assert.ok(meta.row_groups.length >= 3, `${meta.row_groups.length} row groups`);
  for (const group of meta.row_groups) {
    assert.ok(group.columns[0]!.meta_data!.encodings.includes("RLE_DICTIONARY"), "the repeated column is dictionary-encoded");
    assert.ok(!group.columns[1]!.meta_data!.encodings.includes("RLE_DICTIONARY"), "the distinct column is not");
  }
});

test("parquet: a repeated text value held for a row group does not keep the response text it was cut from", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const held = async () => {
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
      least = Math.min(least, process.memoryUsage().heapUsed);
    }
    return least;
  };
  // One row group for everything; each batch's cells are slices of a ~1 MB string (as the response
  // parser cuts them), and each batch brings 10 values not seen before, repeated 50 times.
  const encoder = createParquetEncoder([{ name: "s", type: "string" }], { rowGroupRows: 1_000_000, rowGroupBytes: 1 << 30 });
  const batch = (b: number): RawRow[] => {
    const cells = Array.from({ length: 500 }, (_, k) => JSON.stringify(`value-${b}-${k % 10}-of-a-batch`));
    const body = `[${cells.join(",")}]${"y".repeat(1024 * 1024)}`;
    const rows: RawRow[] = [];
    let at = 1;
    for (const cell of cells) {
      rows.push([body.slice(at, at + cell.length)]);
      at += cell.length + 1;
    }
    return rows;
  };
  const parts: Uint8Array[] = [...(await encoder.encode(RowBatch.of(batch(0))))];
  const before = await held();
  for (let b = 1; b <= 40; b++) parts.push(...(await encoder.encode(RowBatch.of(batch(b)))));
  const after = await held();
  assert.ok(after - before < 10 * 1024 * 1024, `held ${((after - before) / 1048576).toFixed(1)} MiB more after 40 batches cut from 1 MiB strings`);
  parts.push(...(await encoder.finish()));
  const objects = (await parquetReadObjects({ file: toArrayBuffer(parts) })) as Array<Record<string, unknown>>;
  assert.equal(objects.length, 41 * 500);
  assert.equal(objects[41 * 500 - 1]!.s, "value-40-9-of-a-batch");
});

test("parquet: text cells taken from the response's bytes read back as the string decoders give them (5,000 random cells, repeats included)", async () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const pieces = ["a", "Z", " ", "é", "李", "🚀", '"', "\\", "/", "\n", "\t", "\u2028", "\ud800", "{", "}", "[", "]", ":", ",", "0", "null"];
  const randomText = () => Array.from({ length: rand(12) }, () => pieces[rand(pieces.length)]).join("");
  const randomJson = (): unknown => {
    switch (rand(6)) {
      case 0:
        return { k: randomText(), n: rand(1000), nested: [rand(3) === 0 ? null : randomText(), true] };
      case 1:
        return [rand(100), randomText(), { x: false }];
      case 2:
        return randomText();
      case 3:
        return rand(100000) / 7;
      case 4:
        return {};
      default:
        return [];
    }
  };
  const stringToken = (): string => {
    switch (rand(5)) {
      case 0:
        return "null";
      case 1:
        return JSON.stringify(`plain ${rand(20)}`); // repeats: the value lookup finds them
      default:
        return JSON.stringify(randomText());
    }
  };
  const dynamicToken = (): string => {
    switch (rand(7)) {
      case 0:
        return "null";
      case 1:
        return String(rand(1000)); // a bare number
      case 2:
        return JSON.stringify(JSON.stringify(randomJson(), null, rand(2) === 0 ? undefined : 1)); // embedded JSON, maybe pretty
      case 3:
        return JSON.stringify(`{not json ${randomText()}`);
      case 4:
        // embedded JSON holding a lone surrogate: the token escapes it (\ud800), which the byte path leaves to dynamicJsonText
        return JSON.stringify(`{"k":"${["\ud800", "x\udc00", "é\ud83d"][rand(3)]}${rand(10)}"}`);
      default:
        return JSON.stringify(JSON.stringify(randomJson()));
    }
  };
  const columns: Column[] = [
    { name: "s", type: "string" },
    { name: "d", type: "dynamic" },
  ];
  const rows: RawRow[] = Array.from({ length: 5000 }, () => [stringToken(), dynamicToken()]);
  const batches: RawRow[][] = [];
  for (let i = 0; i < rows.length; i += 83) batches.push(rows.slice(i, i + 83));
  const { file } = await encodeAll(createParquetEncoder(columns, { rowGroupBytes: 32 * 1024 }), batches);
  assert.ok(parquetMetadata(file).row_groups.length > 3);
  const objects = (await parquetReadObjects({ file, parsers: PARSERS as never })) as Array<Record<string, unknown>>;
  const utf8 = (s: string | null) => (s === null ? null : Buffer.from(s, "utf8").toString()); // a lone surrogate becomes U+FFFD
  assert.equal(objects.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [s, d] = rows[i]!;
    assert.deepEqual(objects[i], { s: utf8(decodeString(s!)), d: utf8(dynamicJsonText(d!)) }, `row ${i}: ${s} ${d}`);
  }
});
