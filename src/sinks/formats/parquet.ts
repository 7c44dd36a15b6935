/**
 * Parquet chunks through hyparquet-writer's incremental ParquetWriter: rows are decoded into typed
 * column arrays, and every ROW_GROUP_ROWS rows (or ROW_GROUP_BYTES of raw cell text, whichever
 * comes first) they are written out as one row group whose bytes are handed back at once; only
 * the footer waits for finish(). Memory per open chunk is about one row group.
 *
 * Column mapping (all columns OPTIONAL, null stays null):
 *   datetime → INT64 TIMESTAMP(NANOS, UTC)  exact to 100 ns; instants outside 1677-09-21..2262-04-11
 *                                             cannot be held and fail with SINK_SCHEMA
 *   bool → BOOLEAN   int → INT32   long → INT64 (exact)   real → DOUBLE (NaN, ±Infinity kept)
 *   string, guid, decimal (exact text), timespan (service text) → BYTE_ARRAY UTF8
 *   dynamic → BYTE_ARRAY JSON (the inner JSON text, byte for byte)
 */
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import type { Column, ColumnType, RawRow } from "../../table.ts";
import { SinkError, isMonitorliftError, messageOf } from "../../errors.ts";
import { decodeBool, decodeDatetime, decodeInt, decodeLong, decodeReal, decodeString, dynamicJsonText } from "../cells.ts";
import type { ChunkEncoder } from "./format.ts";
import { checkRowWidth } from "./text-encoders.ts";

export const ROW_GROUP_ROWS = 65_536;
export const ROW_GROUP_BYTES = 32 * 1024 * 1024;

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

type Converter = (raw: string) => unknown;

function datetimeNanos(raw: string): bigint | null {
  const d = decodeDatetime(raw);
  if (d === null) return null;
  if (d.epochNanos < INT64_MIN || d.epochNanos > INT64_MAX) {
    throw new SinkError(
      "SINK_SCHEMA",
      `datetime ${d.text} is outside the range a parquet nanosecond timestamp can hold (1677-09-21 to 2262-04-11); export this query as ndjson, or convert the column in the query (e.g. tostring())`,
    );
  }
  return d.epochNanos;
}

function jsonBytes(raw: string): Uint8Array | null {
  const text = dynamicJsonText(raw);
  return text === null ? null : Buffer.from(text, "utf8");
}

function converterFor(type: ColumnType): Converter {
  switch (type) {
    case "datetime":
      return datetimeNanos;
    case "bool":
      return decodeBool;
    case "int":
      return decodeInt;
    case "long":
      return decodeLong;
    case "real":
      return decodeReal;
    case "dynamic":
      return jsonBytes;
    case "string":
    case "guid":
    case "decimal":
    case "timespan":
      return decodeString;
  }
}

function schemaElementFor(column: Column): SchemaElement {
  const base = { name: column.name, repetition_type: "OPTIONAL" as const };
  switch (column.type) {
    case "datetime":
      return { ...base, type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" } };
    case "bool":
      return { ...base, type: "BOOLEAN" };
    case "int":
      return { ...base, type: "INT32" };
    case "long":
      return { ...base, type: "INT64" };
    case "real":
      return { ...base, type: "DOUBLE" };
    case "dynamic":
      // converted_type JSON is added before the footer is written: see finish().
      return { ...base, type: "BYTE_ARRAY", logical_type: { type: "JSON" } };
    case "string":
    case "guid":
    case "decimal":
    case "timespan":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
  }
}

export interface ParquetEncoderOptions {
  rowGroupRows?: number;
  rowGroupBytes?: number;
}

export function createParquetEncoder(columns: readonly Column[], options: ParquetEncoderOptions = {}): ChunkEncoder {
  if (columns.length === 0) {
    throw new SinkError("SINK_SCHEMA", "a parquet chunk needs at least one column, and this result has none; use format ndjson for it");
  }
  const rowGroupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
  const rowGroupBytes = options.rowGroupBytes ?? ROW_GROUP_BYTES;
  const converters = columns.map((c) => converterFor(c.type));
  const elements = columns.map(schemaElementFor);
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }, ...elements];
  const writer = new ByteWriter(1024 * 1024);
  const parquet = new ParquetWriter({ writer, schema, codec: "SNAPPY", createdBy: "monitorlift" });
  const width = columns.length;
  let data: unknown[][] = columns.map(() => []);
  let groupRows = 0;
  let groupBytes = 0;
  let finished = false;

  /** The bytes written so far, handed over; the writer's buffer is reused from its start (its offset keeps counting). */
  function drain(): Uint8Array[] {
    if (writer.index === 0) return [];
    const bytes = new Uint8Array(writer.buffer.slice(0, writer.index));
    writer.index = 0;
    return [bytes];
  }

  function writeGroup(): void {
    if (groupRows === 0) return;
    // Min/max of JSON bytes help no query and would be stored untruncated: no statistics for dynamic columns.
    const columnData: ColumnSource[] = columns.map((c, i) => ({ name: c.name, data: data[i]!, statistics: c.type !== "dynamic" }));
    const pending = parquet.write({ columnData, rowGroupSize: groupRows });
    if (pending) throw new SinkError("INTERNAL", "hyparquet-writer deferred a row group unexpectedly (a writer without flush was given)");
    data = columns.map(() => []);
    groupRows = 0;
    groupBytes = 0;
  }

  function convertRow(row: RawRow): void {
    let i = 0;
    try {
      for (; i < width; i++) {
        const raw = row[i]!;
        groupBytes += raw.length;
        data[i]!.push(converters[i]!(raw));
      }
    } catch (err) {
      // Keep the columns aligned: drop this row's cells already pushed.
      for (let k = 0; k < i; k++) data[k]!.pop();
      const c = columns[i]!;
      throw new SinkError("SINK_SCHEMA", `column "${c.name}" (${c.type}): ${messageOf(err)}`, {
        cause: err,
        retryable: isMonitorliftError(err) ? err.retryable : false,
      });
    }
  }

  return {
    async encode(rows) {
      if (finished) throw new SinkError("INTERNAL", "parquet encoder used after finish()");
      for (const row of rows) {
        if (row.length !== width) checkRowWidth(row, columns);
        convertRow(row);
        groupRows++;
        if (groupRows >= rowGroupRows || groupBytes >= rowGroupBytes) writeGroup();
      }
      return drain();
    },
    async finish() {
      if (finished) return [];
      finished = true;
      writeGroup();
      // hyparquet-writer re-serialises values of a converted_type JSON column through JSON.stringify
      // (which would round longs inside dynamic values), so the column is written with the JSON
      // logical type only and the legacy converted_type is set just before the footer is written,
      // for readers that only know converted types.
      for (const element of elements) {
        if (element.logical_type?.type === "JSON") element.converted_type = "JSON";
      }
      const pending = parquet.finish();
      if (pending) await pending;
      return drain();
    },
  };
}
