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
import { dynamicJsonText } from "../cells.ts";
import { KEEP_STRING, embedDynamicJson } from "./dynamic-bytes.ts";

/** Turns row batches into the bytes of one chunk's text. */
export interface TextChunkEncoder {
  /** The batch's text, or undefined when it adds none. */
  encode(batch: RowBatch): Uint8Array | undefined;
  finish(): Uint8Array | undefined;
}

const QUOTE = 0x22;

/** Cells at most this long are copied byte by byte (cheaper than a native call). */
const SHORT = 48;

function copy(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  const n = end - start;
  if (n < SHORT) {
    for (let j = 0; j < n; j++) out[pos + j] = src[start + j]!;
  } else {
    out.set(src.subarray(start, end), pos);
  }
  return pos + n;
}

/**
 * A dynamic cell into `out` at `pos`: by dynamicJsonText's rule (src/sinks/cells.ts), decoded only when
 * it is a string whose first character (after whitespace) may open an object or array; any other cell
 * is the token as sent. The result is never longer than the token (unescaping only shortens).
 */
function writeDynamic(src: Buffer, start: number, end: number, out: Buffer, pos: number): number {
  if (src[start] !== QUOTE) return copy(src, start, end, out, pos);
  let j = start + 1;
  while (j < end - 1) {
    const c = src[j]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    j++;
  }
  const first = src[j];
  // `{`, `[`, or an escape (an escaped line break or \u sequence may come first): decode; else a plain string.
  if (first !== 0x7b && first !== 0x5b && first !== 0x5c) return copy(src, start, end, out, pos);
  const embedded = embedDynamicJson(src, start, end, out, pos);
  if (embedded >= 0) return embedded;
  if (embedded === KEEP_STRING) return copy(src, start, end, out, pos);
  const text = dynamicJsonText(src.toString("utf8", start, end)) ?? "null";
  return pos + out.write(text, pos, "utf8");
}

/** Bytes of the batch from its first cell to its last (an upper bound of its cells' bytes). */
function span(batch: RowBatch): number {
  const cells = batch.length * batch.width;
  return cells === 0 ? 0 : batch.bounds[2 * cells - 1]! - batch.bounds[0]!;
}

export function createNdjsonEncoder(columns: readonly Column[]): TextChunkEncoder {
  const prefixes = columns.map((c, i) => Buffer.from(`${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`, "utf8"));
  const prefixBytes = prefixes.reduce((n, p) => n + p.length, 0);
  const dynamic = columns.map((c) => c.type === "dynamic");
  const width = columns.length;
  return {
    encode(batch) {
      const { length, bounds } = batch;
      if (length === 0) return undefined;
      if (width === 0) return Buffer.from("{}\n".repeat(length), "utf8");
      const src = batch.bytes;
      const out = Buffer.allocUnsafe(span(batch) + length * (prefixBytes + 2));
      let pos = 0;
      let k = 0;
      for (let r = 0; r < length; r++) {
        for (let c = 0; c < width; c++, k += 2) {
          const p = prefixes[c]!;
          for (let j = 0; j < p.length; j++) out[pos + j] = p[j]!;
          pos += p.length;
          pos = dynamic[c] ? writeDynamic(src, bounds[k]!, bounds[k + 1]!, out, pos) : copy(src, bounds[k]!, bounds[k + 1]!, out, pos);
        }
        out[pos++] = 0x7d; // }
        out[pos++] = 0x0a; // \n
      }
      return out.subarray(0, pos);
    },
    finish() {
      return undefined;
    },
  };
}

export function createJsonDocumentEncoder(columns: readonly Column[]): TextChunkEncoder {
  const header = Buffer.from(`{"columns":${JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type })))},"rows":[`, "utf8");
  const width = columns.length;
  let started = false;
  let first = true;
  return {
    encode(batch) {
      const { length, bounds } = batch;
      const head = started ? 0 : header.length;
      if (length === 0 && head === 0) return undefined;
      const src = batch.bytes;
      const out = Buffer.allocUnsafe(head + span(batch) + length * (width + 4));
      let pos = 0;
      if (!started) {
        pos = copy(header, 0, header.length, out, 0);
        started = true;
      }
      let k = 0;
      for (let r = 0; r < length; r++) {
        if (!first) out[pos++] = 0x2c; // ,
        first = false;
        out[pos++] = 0x0a; // \n
        out[pos++] = 0x5b; // [
        for (let c = 0; c < width; c++, k += 2) {
          if (c > 0) out[pos++] = 0x2c;
          pos = copy(src, bounds[k]!, bounds[k + 1]!, out, pos);
        }
        out[pos++] = 0x5d; // ]
      }
      return out.subarray(0, pos);
    },
    finish() {
      const out = Buffer.from(`${started ? "" : header.toString("utf8")}${first ? "" : "\n"}]}\n`, "utf8");
      started = true;
      return out;
    },
  };
}
