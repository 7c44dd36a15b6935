/**
 * The text formats, written as bytes straight from the body's bytes (src/row-batch.ts): each cell's
 * raw token is copied as it came (numbers keep every digit, strings every escape, datetimes all 7
 * fraction digits), between precomputed `{"Column":` prefixes. Only dynamic cells holding a JSON
 * object or array as a string are decoded, to be embedded as JSON.
 *   ndjson: one object per line, {"col":value,...}; dynamic cells as their JSON value.
 *   json:   the {"columns":[...],"rows":[[...]]} document with the rows exactly as sent, streamed.
 */
import type { RowBatch } from "../../row-batch.ts";
import type { Column } from "../../table.ts";
import { dynamicCellText } from "./dynamic-bytes.ts";

/** Turns row batches into the bytes of one chunk's text. */
export interface TextChunkEncoder {
  /** The batch's text, or undefined when it adds none: a view of the encoder's arena, valid until the next encode. */
  encode(batch: RowBatch): Uint8Array | undefined;
  finish(): Uint8Array | undefined;
}

/**
 * Copies up to this long are done byte by byte; longer ones by copyWithin, which costs the same
 * (~30 ns) whatever the length but needs source and target in one buffer: hence the arena below.
 */
const SHORT = 12;

/** Copies a[start, end) to a[pos…]; returns the position after it. */
function move(a: Uint8Array, start: number, end: number, pos: number): number {
  const n = end - start;
  if (n <= SHORT) {
    for (let j = 0; j < n; j++) a[pos + j] = a[start + j]!;
  } else {
    a.copyWithin(pos, start, end);
  }
  return pos + n;
}

/**
 * One buffer holding the constant pieces (prefixes, header), then the batch's bytes, then room for the
 * output: every copy stays inside it. It is the encoder's own and reused from batch to batch (grown when
 * a batch needs more): a batch leaves no garbage behind, and its output is a view valid until the next
 * encode.
 */
class Arena {
  #a: Buffer = Buffer.alloc(0);
  readonly #constant: Uint8Array;

  constructor(constant: Uint8Array) {
    this.#constant = constant;
  }

  /** Lays out the batch; returns the buffer, the shift from the batch's offsets to the buffer's, and where output starts. */
  load(batch: RowBatch, outBound: number): { a: Buffer; shift: number; out: number } {
    const { start: first, end: last } = batch.cellSpan();
    const c = this.#constant.length;
    const size = c + (last - first) + outBound;
    if (this.#a.length < size) {
      this.#a = Buffer.allocUnsafeSlow(Math.max(size, 2 * this.#a.length));
      this.#a.set(this.#constant, 0);
    }
    this.#a.set(batch.bytes.subarray(first, last), c);
    return { a: this.#a, shift: c - first, out: c + (last - first) };
  }
}

/** A dynamic cell into the arena at `pos` (dynamic-bytes.ts), or the token as sent. */
function writeDynamic(a: Buffer, start: number, end: number, pos: number): number {
  const after = dynamicCellText(a, start, end, a, pos);
  return after >= 0 ? after : move(a, start, end, pos);
}

/** Bytes of the batch from its first cell to its last (an upper bound of its cells' bytes). */
function span(batch: RowBatch): number {
  const { start, end } = batch.cellSpan();
  return end - start;
}

export function createNdjsonEncoder(columns: readonly Column[]): TextChunkEncoder {
  const pieces = columns.map((c, i) => Buffer.from(`${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`, "utf8"));
  const prefixes = Buffer.concat(pieces);
  // Column c's prefix is prefixes[prefixEnd[c - 1] (0 for the first), prefixEnd[c]).
  const prefixEnd = new Uint32Array(columns.length);
  for (let i = 0, at = 0; i < columns.length; i++) prefixEnd[i] = at += pieces[i]!.length;
  const dynamic = columns.map((c) => c.type === "dynamic");
  const width = columns.length;
  const arena = new Arena(prefixes);
  return {
    encode(batch) {
      const { length, bounds } = batch;
      if (length === 0) return undefined;
      if (width === 0) return Buffer.from("{}\n".repeat(length), "utf8");
      const { a, shift, out } = arena.load(batch, span(batch) + length * (prefixes.length + 2));
      let pos = out;
      let k = 0;
      for (let r = 0; r < length; r++) {
        for (let c = 0; c < width; c++, k += 2) {
          pos = move(a, c === 0 ? 0 : prefixEnd[c - 1]!, prefixEnd[c]!, pos);
          pos = dynamic[c] ? writeDynamic(a, bounds[k]! + shift, bounds[k + 1]! + shift, pos) : move(a, bounds[k]! + shift, bounds[k + 1]! + shift, pos);
        }
        a[pos++] = 0x7d; // }
        a[pos++] = 0x0a; // \n
      }
      return a.subarray(out, pos);
    },
    finish() {
      return undefined;
    },
  };
}

export function createJsonDocumentEncoder(columns: readonly Column[]): TextChunkEncoder {
  const header = Buffer.from(`{"columns":${JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type })))},"rows":[`, "utf8");
  const width = columns.length;
  const arena = new Arena(header);
  let started = false;
  let first = true;
  return {
    encode(batch) {
      const { length, bounds } = batch;
      const head = started ? 0 : header.length;
      if (length === 0 && head === 0) return undefined;
      const { a, shift, out } = arena.load(batch, head + span(batch) + length * (width + 4));
      let pos = out;
      if (!started) {
        pos = move(a, 0, header.length, pos);
        started = true;
      }
      let k = 0;
      for (let r = 0; r < length; r++) {
        if (!first) a[pos++] = 0x2c; // ,
        first = false;
        a[pos++] = 0x0a; // \n
        a[pos++] = 0x5b; // [
        for (let c = 0; c < width; c++, k += 2) {
          if (c > 0) a[pos++] = 0x2c;
          pos = move(a, bounds[k]! + shift, bounds[k + 1]! + shift, pos);
        }
        a[pos++] = 0x5d; // ]
      }
      return a.subarray(out, pos);
    },
    finish() {
      const out = Buffer.from(`${started ? "" : header.toString("utf8")}${first ? "" : "\n"}]}\n`, "utf8");
      started = true;
      return out;
    },
  };
}
