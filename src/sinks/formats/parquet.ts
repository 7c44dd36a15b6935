/**
 * Parquet chunks through hyparquet-writer's incremental ParquetWriter. Memory per open chunk is
 * about one row group, held compactly, plus the bytes of the row group being encoded:
 *
 *   - rows are decoded as they arrive; text cells (string, guid, decimal, timespan, dynamic) go
 *     straight into one UTF-8 byte buffer per column (TextColumn), a value repeated within the row
 *     group once, so neither the response text nor a JS string per cell is kept while a row group
 *     fills (only one copied string per distinct value of a repetitive column, for the lookup);
 *   - every ROW_GROUP_ROWS rows (or ROW_GROUP_BYTES of raw cell text, whichever comes first) the
 *     row group is written; hyparquet-writer asks for a text column's values one column at a time
 *     (TextColumn.slice), so the per-value views exist for one column only;
 *   - the writer's output is handed back in pieces of about OUTPUT_PIECE bytes as soon as the row
 *     group is written (no whole-file or whole-group buffer); only the footer waits for finish(),
 *     and the min/max statistics it keeps for it are copied out of the row group's buffers.
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

/**
 * Row group bounds. 8 MiB of cell text is about 8 MiB of UTF-8 held per open chunk (plus the
 * working set of encoding one column chunk while the group is written); on AppRequests-like rows
 * it gives row groups of ~10k rows and files about 5% larger than 32 MiB groups would
 * (dictionaries and compression restart per group).
 */
export const ROW_GROUP_ROWS = 65_536;
export const ROW_GROUP_BYTES = 8 * 1024 * 1024;
/** Largest piece of output handed back at once (the writer's buffer never grows beyond a piece plus one value). */
const OUTPUT_PIECE = 1024 * 1024;
/** A TextColumn's byte offsets are int32. */
const MAX_COLUMN_BYTES = 0x7fff_ffff;

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

type Converter = (raw: string) => unknown;
type TextDecoderFn = (raw: string) => string | null;

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

/** Columns stored as UTF-8 bytes (BYTE_ARRAY), and the text each raw cell stands for. */
function textDecoderFor(type: ColumnType): TextDecoderFn | undefined {
  switch (type) {
    case "dynamic":
      return dynamicJsonText;
    case "string":
    case "guid":
    case "decimal":
    case "timespan":
      return decodeString;
    default:
      return undefined;
  }
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
    default:
      throw new SinkError("INTERNAL", `parquet: column type ${type} is stored as text`);
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

/** The cells of one column of the row group being collected. */
interface ColumnStore {
  readonly length: number;
  /** Decode and keep one raw cell (throws on a cell that is not a value of the column's type). */
  push(raw: string): void;
  /** Drop the last cell (a row that failed part way). */
  pop(): void;
  /** What hyparquet-writer is given as the column's data. */
  data(): ColumnSource["data"];
}

class ValueColumn implements ColumnStore {
  private readonly convert: Converter;
  private readonly values: unknown[] = [];

  constructor(convert: Converter) {
    this.convert = convert;
  }

  get length(): number {
    return this.values.length;
  }

  push(raw: string): void {
    this.values.push(this.convert(raw));
  }

  pop(): void {
    this.values.pop();
  }

  data(): ColumnSource["data"] {
    return this.values as ColumnSource["data"];
  }
}

/** Cells a TextColumn looks at before it decides whether repeated values are worth sharing. */
const INTERN_PROBE = 1024;

/**
 * A text column as UTF-8 bytes in one buffer. Each distinct value is stored once while the column's
 * values repeat: a cell holds the id of its value (-1 for null), a value the end offset of its bytes
 * (values are contiguous). Memory is the distinct values' bytes plus 4 per cell and 4 per value.
 *
 * Repeated cells share one value, and `slice` hands hyparquet-writer the same Uint8Array for every
 * cell of a value: its dictionary encoder then finds a repeat by identity, without hashing and
 * comparing the bytes again. After the first INTERN_PROBE cells a column whose values are mostly
 * distinct (ids, URLs, JSON) stops looking values up, and every later cell is a value of its own.
 * The bytes written are the same either way; only the work and memory differ.
 *
 * hyparquet-writer reads a column's data only through `length` and `slice(start, end)`
 * (ParquetWriter.write, once per column while it writes that column's chunk), so `slice` makes the
 * Uint8Array views of one column at a time; they die with that column chunk. Bytes that hyparquet
 * keeps past the row group (min/max statistics) are copied out by the encoder after each group.
 */
class TextColumn implements ColumnStore {
  private readonly decode: TextDecoderFn;
  private bytes: Buffer;
  private used = 0;
  /** Per cell: its value's id, or -1 for null. */
  private cells = new Int32Array(1024);
  private count = 0;
  /** Per value: the end offset of its bytes (it starts where the previous value ends). */
  private valueEnds = new Int32Array(1024);
  private values = 0;
  /** Value ids by text while repeats are looked for; null once the column proved mostly distinct. */
  private interned: Map<string, number> | null = new Map();
  /** The cell that added the newest value, and its text (so that pop() can take the value back). */
  private newestValueCell = -1;
  private newestValueText = "";

  constructor(decode: TextDecoderFn, capacity: number) {
    this.decode = decode;
    this.bytes = Buffer.allocUnsafeSlow(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes held, as a capacity hint for the next row group's column. */
  get byteLength(): number {
    return this.used;
  }

  push(raw: string): void {
    const text = this.decode(raw);
    if (this.count === this.cells.length) this.cells = grow(this.cells);
    if (text === null) {
      this.cells[this.count++] = -1;
      return;
    }
    const interned = this.interned;
    if (interned) {
      const id = interned.get(text);
      if (id !== undefined) {
        this.cells[this.count++] = id;
        return;
      }
      if (this.count >= INTERN_PROBE && this.values * 2 > this.count) this.interned = null;
    }
    const worst = this.used + text.length * 3; // UTF-8 bytes per UTF-16 unit: at most 3
    if (worst > this.bytes.length) {
      if (worst > MAX_COLUMN_BYTES) {
        throw new SinkError("SINK_SCHEMA", `a parquet row group's column would exceed ${MAX_COLUMN_BYTES} bytes of text; export this query as ndjson`);
      }
      const grown = Buffer.allocUnsafeSlow(Math.min(MAX_COLUMN_BYTES, Math.max(this.bytes.length * 2, worst)));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.used += this.bytes.write(text, this.used, "utf8");
    if (this.values === this.valueEnds.length) this.valueEnds = grow(this.valueEnds);
    const id = this.values++;
    this.valueEnds[id] = this.used;
    if (this.interned) {
      // Keyed by a copy decoded from the bytes: the cell's text is usually a slice of the whole response
      // chunk, which a key would keep alive. (A lone surrogate decodes as U+FFFD: such a text is never
      // found again and stays a value of its own; what is found always has the same bytes.)
      const key = this.bytes.toString("utf8", id === 0 ? 0 : this.valueEnds[id - 1]!, this.used);
      this.interned.set(key, id);
      this.newestValueText = key;
    }
    this.newestValueCell = this.count;
    this.cells[this.count++] = id;
  }

  pop(): void {
    if (this.count === 0) return;
    this.count--;
    if (this.newestValueCell !== this.count) return; // a null, or a value other cells share
    const id = --this.values;
    const start = id === 0 ? 0 : this.valueEnds[id - 1]!;
    this.interned?.delete(this.newestValueText);
    this.used = start;
    this.newestValueCell = -1;
  }

  slice(start = 0, end = this.count): Array<Uint8Array | null> {
    const from = Math.max(0, Math.min(start, this.count));
    const to = Math.max(from, Math.min(end, this.count));
    const out = new Array<Uint8Array | null>(to - from);
    const { buffer, byteOffset } = this.bytes;
    const views = new Array<Uint8Array | undefined>(this.values);
    for (let i = from; i < to; i++) {
      const id = this.cells[i]!;
      if (id < 0) {
        out[i - from] = null;
        continue;
      }
      let view = views[id];
      if (view === undefined) {
        const s = id === 0 ? 0 : this.valueEnds[id - 1]!;
        view = new Uint8Array(buffer, byteOffset + s, this.valueEnds[id]! - s);
        views[id] = view;
      }
      out[i - from] = view;
    }
    return out;
  }

  data(): ColumnSource["data"] {
    return this as unknown as ColumnSource["data"];
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
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
  const textDecoders = columns.map((c) => textDecoderFor(c.type));
  const elements = columns.map(schemaElementFor);
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }, ...elements];

  // The output: the writer's bytes are set aside as pieces whenever its buffer is full (and by
  // drain()), and handed back by drain(); a piece is never written to again. writer.offset keeps
  // counting the file's bytes for the offsets in the footer.
  const writer = new ByteWriter(OUTPUT_PIECE);
  const pieces: Uint8Array[] = [];
  /** Set the written bytes aside and make room for `room` more. */
  const setAside = (room: number) => {
    const capacity = writer.buffer.byteLength;
    if (writer.index > 0) {
      const used = new Uint8Array(writer.buffer, 0, writer.index);
      // A short piece is copied out so that it does not hold a whole buffer while the sink keeps it.
      const reuse = writer.index * 2 <= capacity && room <= capacity;
      pieces.push(reuse ? used.slice() : used);
      if (reuse) {
        writer.index = 0;
        return;
      }
    } else if (room <= capacity) {
      return;
    }
    writer.buffer = new ArrayBuffer(Math.max(OUTPUT_PIECE, room));
    writer.view = new DataView(writer.buffer);
    writer.index = 0;
  };
  writer.ensure = (size: number) => {
    if (writer.index + size > writer.buffer.byteLength) setAside(size);
  };
  const parquet = new ParquetWriter({ writer, schema, codec: "SNAPPY", createdBy: "monitorlift" });

  const width = columns.length;
  const textCapacity: number[] = columns.map(() => 64 * 1024);
  const newStores = (): ColumnStore[] =>
    columns.map((c, i) => {
      const decode = textDecoders[i];
      return decode ? new TextColumn(decode, textCapacity[i]!) : new ValueColumn(converterFor(c.type));
    });
  let stores = newStores();
  let groupRows = 0;
  let groupBytes = 0;
  let finished = false;

  /** The bytes written so far, handed over. */
  function drain(): Uint8Array[] {
    setAside(0);
    return pieces.splice(0);
  }

  function writeGroup(): void {
    if (groupRows === 0) return;
    // Min/max of JSON bytes help no query and would be stored untruncated: no statistics for dynamic columns.
    const columnData: ColumnSource[] = columns.map((c, i) => ({ name: c.name, data: stores[i]!.data(), statistics: c.type !== "dynamic" }));
    const pending = parquet.write({ columnData, rowGroupSize: groupRows });
    if (pending) throw new SinkError("INTERNAL", "hyparquet-writer deferred a row group unexpectedly (a writer without flush was given)");
    // The footer keeps each chunk's min/max until finish(): copy byte values out of this group's buffers.
    for (const chunk of parquet.row_groups.at(-1)?.columns ?? []) {
      const stats = chunk.meta_data?.statistics;
      if (!stats) continue;
      if (stats.min_value instanceof Uint8Array) stats.min_value = stats.min_value.slice();
      if (stats.max_value instanceof Uint8Array) stats.max_value = stats.max_value.slice();
    }
    stores.forEach((store, i) => {
      if (store instanceof TextColumn) textCapacity[i] = Math.max(64 * 1024, Math.ceil(store.byteLength * 1.1));
    });
    stores = newStores();
    groupRows = 0;
    groupBytes = 0;
  }

  function convertRow(row: RawRow): void {
    let i = 0;
    try {
      for (; i < width; i++) {
        const raw = row[i]!;
        groupBytes += raw.length;
        stores[i]!.push(raw);
      }
    } catch (err) {
      // Keep the columns aligned: drop this row's cells already pushed.
      for (let k = 0; k < i; k++) stores[k]!.pop();
      const c = columns[i]!;
      throw new SinkError("SINK_SCHEMA", `column "${c.name}" (${c.type}): ${messageOf(err)}`, {
        cause: err,
        retryable: isMonitorliftError(err) ? err.retryable : false,
      });
    }
  }

  return {
    async encode(batch) {
      if (finished) throw new SinkError("INTERNAL", "parquet encoder used after finish()");
      for (const row of batch.rows) {
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
    close() {
      finished = true;
    },
  };
}
