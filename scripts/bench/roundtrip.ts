/**
 * Round-trip checks: every output is read back independently of the exporter (files decoded and
 * parsed, tables selected) and must hold exactly the data set's row count and, for every sampled row
 * (by _ItemId), each cell's exact value by the README's fidelity rules for that format. Speed is
 * never bought with fidelity: a variant that fails here fails the bench.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { isDeepStrictEqual } from "node:util";
import { parquetReadObjects } from "hyparquet";
import { decodeDatetime } from "../../src/sinks/cells.ts";
import type { Column, RawRow } from "../../src/table.ts";
import { listDataFiles, readChunk } from "../../test/support/read-export.ts";
import type { Manifest } from "./dataset.ts";
import { cellText } from "./pipelines/fetch-windows.ts";

export interface RoundTrip {
  ok: boolean;
  rows: number;
  sampled: number;
  problems: string[];
}

/** How one cell must read back: the column, its raw wire text, the whole stored record. */
export type CellRule = (column: Column, raw: string, record: Record<string, unknown>) => boolean;

/** A dynamic cell as ndjson, parquet's JSON column and SQL hold it: an object/array's JSON itself, anything else the string sent. */
function dynamicValue(raw: string): unknown {
  const v = JSON.parse(raw) as unknown;
  if (typeof v !== "string") return v;
  const first = v.trimStart()[0];
  if (first !== "{" && first !== "[") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** json documents and the naive pipeline: every cell is the wire's JSON value. */
export const wireRule: CellRule = (c, raw, r) => isDeepStrictEqual(r[c.name] ?? null, JSON.parse(raw));

/** ndjson: the wire's JSON value, dynamic objects/arrays embedded. */
export const ndjsonRule: CellRule = (c, raw, r) => isDeepStrictEqual(r[c.name] ?? null, c.type === "dynamic" ? dynamicValue(raw) : JSON.parse(raw));

/** parquet (read with nanosecond timestamps as bigint): typed values exact. */
export const parquetRule: CellRule = (c, raw, r) => {
  const v = r[c.name] ?? null;
  if (raw === "null") return v === null;
  switch (c.type) {
    case "datetime":
      return v === decodeDatetime(raw)!.epochNanos;
    case "long":
      return String(v) === raw;
    case "decimal":
      return JSON.stringify(v) === raw;
    case "dynamic":
      return isDeepStrictEqual(v, dynamicValue(raw));
    default:
      return isDeepStrictEqual(v, JSON.parse(raw));
  }
};

/** The SQL sink: native types, datetimes exact in `<col>__text`, dynamic as JSON (any key order). */
export const sqlRule: CellRule = (c, raw, r) => {
  const v = r[c.name] ?? null;
  const want = JSON.parse(raw) as unknown;
  if (c.type === "datetime") {
    // the exact text column, normalised to 7 fractional digits: the same instant to 100 ns
    const text = r[`${c.name}__text`] ?? r[c.name] ?? null; // SQLite keeps the text in the column itself
    return want === null ? text === null : typeof text === "string" && decodeDatetime(JSON.stringify(text))!.epochNanos === decodeDatetime(raw)!.epochNanos;
  }
  if (want === null) return v === null;
  switch (c.type) {
    case "long":
      return String(v) === raw;
    case "int":
    case "real":
      return Number(v) === Number(want);
    case "bool":
      return (v === true || v === 1 || v === "1" || v === 1n) === want;
    case "dynamic":
      return isDeepStrictEqual(typeof v === "string" && typeof dynamicValue(raw) !== "string" ? JSON.parse(v) : v, dynamicValue(raw));
    default:
      return String(v) === want;
  }
};

/** The SQL references: every cell as text (strings as sent, anything else its JSON). */
export const textRule: CellRule = (c, raw, r) => (r[c.name] ?? null) === cellText(JSON.parse(raw));

function sampleById(m: Manifest): Map<string, RawRow> {
  const id = m.columns.findIndex((c) => c.name === "_ItemId");
  return new Map(m.sample.map((row) => [JSON.parse(row[id]!) as string, row]));
}

/** Checks `count` and the sampled records found (by _ItemId) against the manifest. */
export function judge(m: Manifest, count: number, found: Map<string, Record<string, unknown>>, rule: CellRule): RoundTrip {
  const problems: string[] = [];
  if (count !== m.rows) problems.push(`${count} rows read back, ${m.rows} served`);
  let sampled = 0;
  for (const [id, row] of sampleById(m)) {
    const rec = found.get(id);
    if (!rec) {
      problems.push(`sampled row ${id} missing`);
      continue;
    }
    sampled++;
    for (const [i, c] of m.columns.entries()) {
      if (!rule(c, row[i]!, rec)) problems.push(`row ${id} column ${c.name}: read back ${String(JSON.stringify(rec[`${c.name}__text`] ?? rec[c.name], (_k, x: unknown) => (typeof x === "bigint" ? String(x) : x)))}, sent ${row[i]}`);
    }
  }
  return { ok: problems.length === 0, rows: count, sampled, problems: problems.slice(0, 10) };
}

/** A filesystem export (ndjson/json, any compression, or parquet) or the naive pipeline's files. */
export async function checkFiles(m: Manifest, root: string, rule: CellRule): Promise<RoundTrip> {
  const ids = sampleById(m);
  const found = new Map<string, Record<string, unknown>>();
  let count = 0;
  for (const file of await listDataFiles(root)) {
    let records: Record<string, unknown>[];
    if (file.endsWith(".parquet")) {
      const buf = await readFile(file);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
      records = (await parquetReadObjects({ file: ab, parsers: { timestampFromNanoseconds: (n: bigint) => n } as never })) as Record<string, unknown>[];
    } else if (/\.ndjson(\.|$)/.test(file)) {
      // Line by line: one window's NDJSON can be longer than a string may be.
      for await (const line of readLines(file)) {
        if (line.length === 0) continue;
        count++;
        const r = JSON.parse(line) as Record<string, unknown>;
        if (ids.has(r._ItemId as string)) found.set(r._ItemId as string, r);
      }
      continue;
    } else {
      records = (await readChunk(file)).rows;
    }
    count += records.length;
    for (const r of records) if (ids.has(r._ItemId as string)) found.set(r._ItemId as string, r);
  }
  return judge(m, count, found, rule);
}

function readLines(file: string): AsyncIterable<string> {
  const raw = createReadStream(file);
  const input = file.endsWith(".gz") ? raw.pipe(createGunzip()) : file.endsWith(".zst") ? raw.pipe(createZstdDecompress()) : raw;
  return createInterface({ input, crlfDelay: Infinity });
}

/** A SQL table: its row count and the sampled rows selected by _ItemId. */
export async function checkTable(
  m: Manifest,
  select: (sql: string, ids: string[]) => Promise<Record<string, unknown>[]>,
  table: string,
  quote: (id: string) => string,
  rule: CellRule,
): Promise<RoundTrip> {
  const ids = [...sampleById(m).keys()];
  const [{ n }] = (await select(`SELECT COUNT(*) AS n FROM ${table}`, [])) as [{ n: unknown }];
  const rows = await select(`SELECT * FROM ${table} WHERE ${quote("_ItemId")} IN (${ids.map(() => "?").join(",")})`, ids);
  return judge(m, Number(n), new Map(rows.map((r) => [String(r._ItemId), r])), rule);
}
