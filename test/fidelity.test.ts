/**
 * Fidelity end to end: every column type reaches the file exactly as the service sent it
 * (NDJSON built from the raw wire cells, the JSON document's rows identical to the wire's),
 * Parquet holds exact typed values, and what Parquet cannot hold fails loudly.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parquetReadObjects } from "hyparquet";
import { createManualClock } from "../src/simulator/index.ts";
import { ResultParser } from "../src/source/result-parser.ts";
import { decodeDatetime } from "../src/sinks/cells.ts";
import type { Column, RawRow } from "../src/table.ts";
import { decodeChunkText, listDataFiles, readChunk } from "./support/read-export.ts";
import { startHarness, type Harness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
let h: Harness;
let wire: { columns: Column[]; rows: RawRow[] };

before(async () => {
  h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 21, backfill: "PT1H", rowsPerSecond: 0, tables: ["MonitorliftTypes"] },
    config: {
      queries: [{ name: "types", table: "MonitorliftTypes" }],
      window: { size: "PT5M", lag: "PT1M", start: "PT2H" },
      sink: { type: "filesystem", path: "./export", format: "ndjson", compression: "none" },
    },
  });
  // The raw wire text of the whole table, read independently of the exporter.
  const res = await fetch(`${h.sim.endpoint}/workspaces/${h.sim.workspaceId}/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // _ItemId is hidden, as on the service: shown the way the exporter's default hiddenColumns shows it.
    body: JSON.stringify({ query: "MonitorliftTypes | extend _ItemId = _ItemId" }),
  });
  assert.equal(res.status, 200);
  const parser = new ResultParser();
  const rows = [...(parser.push(await res.text())?.rows ?? [])];
  parser.end();
  wire = { columns: parser.columns!, rows };
  assert.ok(wire.rows.length >= 5);
});
after(() => h?.close());

/**
 * The line text a dynamic cell must become, by the documented rule and independently of the exporter's code:
 * a string whose text is a JSON object or array is that JSON (one line); anything else stays the very string
 * token the service sent (a dynamic "42" stays the string "42": its type is never changed).
 */
function expectedDynamicText(raw: string): string {
  if (raw === "null") return "null";
  const inner = JSON.parse(raw) as string;
  const first = inner.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      JSON.parse(inner);
      return inner.replace(/[\r\n]/g, " ");
    } catch {
      // not JSON: stays a string
    }
  }
  return raw;
}

function expectedLine(columns: Column[], row: RawRow): string {
  return `{${columns.map((c, i) => `${JSON.stringify(c.name)}:${c.type === "dynamic" ? expectedDynamicText(row[i]!) : row[i]}`).join(",")}}`;
}

/** The dynamic scalar rows of MonitorliftTypes (IntValue marks them) and the value each must keep. */
const DYNAMIC_SCALARS: Record<number, string> = {
  100: "42", // a dynamic string "42": stays a string
  101: "true",
  102: "null",
  103: "",
  104: "plain",
  105: "42", // a dynamic number 42: the service sends "42" too, so it can only be kept as that string
  106: "true", // a dynamic bool
  107: "{not json",
  108: "[1,2",
};

function assertDynamicKinds(rows: Record<string, unknown>[], format: string): void {
  const byMark = new Map(rows.map((r) => [Number(r.IntValue), r.DynamicValue]));
  for (const [mark, value] of Object.entries(DYNAMIC_SCALARS)) {
    assert.equal(byMark.get(Number(mark)), value, `${format}: dynamic scalar row ${mark} keeps its string`);
  }
  const objects = rows.map((r) => r.DynamicValue).filter((v) => v !== null && typeof v === "object");
  assert.ok(objects.some((v) => !Array.isArray(v) && "a" in (v as object)), `${format}: objects are JSON`);
  assert.ok(objects.some((v) => Array.isArray(v) && v.length === 4), `${format}: arrays are JSON`);
}

test("ndjson: each line is exactly the wire's cells (7-digit datetimes, longs beyond 2^53, decimals, unicode, dynamic)", async () => {
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  const files = await listDataFiles(`${h.dir}/export`);
  const lines = (await Promise.all(files.map(async (f) => (await readChunk(f)).lines))).flat();
  const expected = wire.rows.map((r) => expectedLine(wire.columns, r));
  assert.deepEqual([...lines].sort(), [...expected].sort());
  const text = lines.join("\n");
  assert.match(text, /"LongValue":9007199254740993[,}]/);
  assert.match(text, /"DatetimeValue":"2024-02-29T12:34:56\.1234567Z"/);
  assert.match(text, /😀/);
  // dynamic values are JSON in the line, not strings holding JSON
  const withDynamic = lines.map((l) => JSON.parse(l) as { DynamicValue: unknown }).find((o) => o.DynamicValue && typeof o.DynamicValue === "object" && !Array.isArray(o.DynamicValue) && "a" in o.DynamicValue);
  assert.deepEqual(withDynamic?.DynamicValue, { a: 123, b: "hello", c: [1, 2, 3], d: {} });
  assertDynamicKinds(lines.map((l) => JSON.parse(l) as Record<string, unknown>), "ndjson");
});

test("json: the rows of the {columns, rows} document are the wire's rows", async () => {
  await h.writeConfig({ sink: { type: "filesystem", path: "./export-json", format: "json", compression: "gzip" } });
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0);
  const rows: RawRow[] = [];
  for (const f of await listDataFiles(`${h.dir}/export-json`)) {
    const doc = decodeChunkText(f, await readFile(f));
    const p = new ResultParser();
    rows.push(...(p.push(`{"tables":[${doc}]}`)?.rows ?? []));
    p.end();
    assert.deepEqual(p.columns, wire.columns);
  }
  const key = (r: RawRow) => r.join("\u0000");
  assert.deepEqual(rows.map(key).sort(), wire.rows.map(key).sort());
});

test("parquet: typed values are exact, and a datetime parquet cannot hold fails loudly", async () => {
  await h.writeConfig({
    sink: { type: "filesystem", path: "./export-parquet", format: "parquet" },
    queries: [
      {
        name: "types",
        table: "MonitorliftTypes",
        transform: "where isnull(DatetimeValue) or DatetimeValue between (datetime(1900-01-01) .. datetime(2200-01-01))",
      },
      { name: "types_all", table: "MonitorliftTypes" },
    ],
  });
  const report = await h.exportOnce();
  assert.equal(report.summary.queries.types!.outcome, "ok");
  const failure = report.errors.get("types_all") as { code?: string; message?: string } | undefined;
  assert.equal(failure?.code, "SINK_SCHEMA", "0001-01-01 does not fit a nanosecond timestamp: a loud error, not a wrong value");
  const stuck = await h.watermark("types_all");
  assert.ok(!stuck || stuck.watermark < Date.parse("2026-11-22T11:55:00Z"), "the watermark stays before the window that failed");

  const files = (await listDataFiles(`${h.dir}/export-parquet/types`)).filter((f) => f.endsWith(".parquet"));
  assert.ok(files.length > 0);
  const got: Record<string, unknown>[] = [];
  for (const f of files) {
    const buf = await readFile(f);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    // read nanosecond timestamps as the raw bigint instead of a millisecond Date
    const parsers = { timestampFromNanoseconds: (n: bigint) => n };
    got.push(...((await parquetReadObjects({ file, parsers: parsers as never })) as Record<string, unknown>[]));
  }
  const idx = (name: string) => wire.columns.findIndex((c) => c.name === name);
  const byId = new Map(wire.rows.map((r) => [JSON.parse(r[idx("_ItemId")]!) as string, r]));
  assert.ok(got.length > 0);
  for (const row of got) {
    const w = byId.get(row._ItemId as string)!;
    assert.ok(w, "every parquet row is a wire row");
    const long = w[idx("LongValue")]!;
    assert.equal(row.LongValue === null ? "null" : String(row.LongValue), long, "long exact");
    const dt = decodeDatetime(w[idx("DatetimeValue")]!);
    if (dt === null) assert.equal(row.DatetimeValue, null);
    else assert.equal(row.DatetimeValue, dt.epochNanos, "datetime exact to 100 ns");
    assert.equal(row.DecimalValue === null ? "null" : JSON.stringify(row.DecimalValue), w[idx("DecimalValue")], "decimal exact text");
  }
  // hyparquet decodes the JSON logical type: objects come back as objects, JSON strings as strings.
  assertDynamicKinds(got, "parquet (JSON column)");
});
