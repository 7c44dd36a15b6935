/**
 * Parquet chunks through hyparquet-writer's incremental ParquetWriter. Memory per open chunk is
 * about one row group, held compactly, plus the bytes of the row group being encoded:
 *
 *   - rows are decoded as they arrive; text cells (string, guid, decimal, timespan, dynamic) go
 *     straight from the response's bytes into one UTF-8 byte buffer per column (TextColumn; only
 *     escaped strings are decoded as strings), a value repeated within the row
 *     group once (found by its bytes: byte-value-index.ts), so neither the response text nor a JS
 *     string per cell is kept while a row group fills;
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
import type { Column, ColumnType } from "../../table.ts";
import { SinkError, isMonitorliftError, messageOf } from "../../errors.ts";
import { decodeBool, decodeDatetime, decodeInt, decodeLong, decodeReal, decodeString, dynamicJsonText } from "../cells.ts";
import type { ChunkEncoder } from "./format.ts";
import { dynamicCellText } from "./dynamic-bytes.ts";
import { ByteValueIndex } from "./byte-value-index.ts";

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
  /** Decode and keep the raw cell src[start, end) (throws on a cell that is not a value of the column's type). */
  push(src: Buffer, start: number, end: number): void;
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

  push(src: Buffer, start: number, end: number): void {
    this.values.push(this.convert(src.toString("utf8", start, end)));
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
  private readonly dynamic: boolean;
  private bytes: Buffer;
  private used = 0;
  /** Per cell: its value's id, or -1 for null. */
  private cells = new Int32Array(1024);
  private count = 0;
  /** Per value: the end offset of its bytes (it starts where the previous value ends). */
  private valueEnds = new Int32Array(1024);
  private values = 0;
  /** Value ids by their bytes while repeats are looked for; null once the column proved mostly distinct. */
  private index: ByteValueIndex | null = new ByteValueIndex();
  /** The cell that added the newest value (so that pop() can take the value back). */
  private newestValueCell = -1;

  constructor(decode: TextDecoderFn, capacity: number) {
    this.decode = decode;
    this.dynamic = decode === dynamicJsonText;
    this.bytes = Buffer.allocUnsafeSlow(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes held, as a capacity hint for the next row group's column. */
  get byteLength(): number {
    return this.used;
  }

  /**
   * The cell's text as UTF-8, straight from the response's bytes where it needs no decoding: a string
   * token without escapes is its bytes between the quotes (the batch's UTF-8 was checked once), a dynamic
   * cell's embedded JSON is unescaped byte to byte (dynamic-bytes.ts), any other token is its own bytes.
   * Escaped strings and what embedDynamicJson leaves undecided go through the string decoders, so both
   * ways give the same bytes. The bytes are written after the stored values first; a repeat found there
   * is dropped again.
   */
  push(src: Buffer, start: number, end: number): void {
    if (this.count === this.cells.length) this.cells = grow(this.cells);
    if (end - start === 4 && src[start] === 0x6e && src[start + 1] === 0x75 && src[start + 2] === 0x6c && src[start + 3] === 0x6c) {
      this.cells[this.count++] = -1; // null
      return;
    }
    const at = this.used;
    const length = this.write(src, start, end, at);
    if (length < 0) {
      this.cells[this.count++] = -1;
      return;
    }
    const index = this.index;
    if (index) {
      const id = index.find(this.bytes, at, at + length, this.bytes, this.valueEnds);
      if (id >= 0) {
        this.cells[this.count++] = id;
        return;
      }
      if (this.count >= INTERN_PROBE && this.values * 2 > this.count) this.index = null;
    }
    this.used = at + length;
    if (this.values === this.valueEnds.length) this.valueEnds = grow(this.valueEnds);
    const id = this.values++;
    this.valueEnds[id] = this.used;
    this.index?.add(id);
    this.newestValueCell = this.count;
    this.cells[this.count++] = id;
  }

  /** Writes the text of the cell src[start, end) at `at` (not counted as used yet); its length, or -1 for null. */
  private write(src: Buffer, start: number, end: number, at: number): number {
    const token = end - start;
    if (this.dynamic && token > 0) {
      this.reserve(at, token); // the cell's text is never longer than its token
      const after = dynamicCellText(src, start, end, this.bytes, at);
      return after >= 0 ? after - at : this.copy(src, start, end, at);
    }
    if (src[start] === 0x22 /* " */ && token >= 2 && src[end - 1] === 0x22) {
      if (!hasBackslash(src, start + 1, end - 1)) return this.copy(src, start + 1, end - 1, at);
    } else if (token > 0 && src[start] !== 0x22) {
      return this.copy(src, start, end, at); // a bare token is its own text (both decoders return it as it is)
    }
    const text = this.decode(src.toString("utf8", start, end));
    if (text === null) return -1;
    this.reserve(at, text.length * 3); // UTF-8 bytes per UTF-16 unit: at most 3
    return this.bytes.write(text, at, "utf8");
  }

  private copy(src: Buffer, start: number, end: number, at: number): number {
    const length = end - start;
    this.reserve(at, length);
    const out = this.bytes;
    // Buffer#copy makes a view per call (~60 ns): a loop is faster for the many short cells.
    if (length <= 32) for (let i = 0; i < length; i++) out[at + i] = src[start + i]!;
    else src.copy(out, at, start, end);
    return length;
  }

  /** Room for `size` more bytes at `at`. */
  private reserve(at: number, size: number): void {
    const worst = at + size;
    if (worst <= this.bytes.length) return;
    if (worst > MAX_COLUMN_BYTES) {
      throw new SinkError("SINK_SCHEMA", `a parquet row group's column would exceed ${MAX_COLUMN_BYTES} bytes of text; export this query as ndjson`);
    }
    const grown = Buffer.allocUnsafeSlow(Math.min(MAX_COLUMN_BYTES, Math.max(this.bytes.length * 2, worst)));
    this.bytes.copy(grown, 0, 0, at);
    this.bytes = grown;
  }

  pop(): void {
    if (this.count === 0) return;
    this.count--;
    if (this.newestValueCell !== this.count) return; // a null, or a value other cells share
    const id = --this.values;
    const start = id === 0 ? 0 : this.valueEnds[id - 1]!;
    this.index?.removeNewest();
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

function hasBackslash(src: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (src[i] === 0x5c) return true;
  return false;
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

  /** Row `r` of the batch whose cells lie in `src` at `bounds`. */
  function convertRow(src: Buffer, bounds: Uint32Array, r: number): void {
    let i = 0;
    try {
      for (let k = 2 * r * width; i < width; i++, k += 2) {
        const start = bounds[k]!;
        const end = bounds[k + 1]!;
        groupBytes += end - start;
        stores[i]!.push(src, start, end);
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
      const { bytes, bounds } = batch;
      for (let r = 0; r < batch.length; r++) {
        convertRow(bytes, bounds, r);
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
