/**
 * A batch of result rows as the bytes the service sent: one UTF-8 buffer and, per cell, where its
 * raw JSON token (src/table.ts) starts and ends in it. The text formats copy these byte ranges into
 * their output without ever making a string of them, and so does Parquet for its text columns; the
 * SQL sinks read `rows`, the same cells as strings, made once per batch on first use.
 */
import { isAscii } from "node:buffer";
import { MonitorliftError } from "./errors.ts";
import type { RawRow } from "./table.ts";

export class RowBatch {
  /** Rows in the batch. */
  readonly length: number;
  /** Cells per row (the result's column count). */
  readonly width: number;
  readonly #bytes: Buffer;
  readonly #bounds: Uint32Array;
  #rows: RawRow[] | undefined;
  #revoked = false;

  constructor(bytes: Buffer, bounds: Uint32Array, length: number, width: number) {
    if (bounds.length < 2 * length * width) throw new MonitorliftError("INTERNAL", `row batch: ${bounds.length / 2} cell bounds for ${length} rows of ${width} cells`);
    this.#bytes = bytes;
    this.#bounds = bounds;
    this.length = length;
    this.width = width;
  }

  /** UTF-8 bytes holding every cell (and whatever lay between them in the body). */
  get bytes(): Buffer {
    this.#check();
    return this.#bytes;
  }

  /** Cell k = row × width + column spans bytes [bounds[2k], bounds[2k + 1]). */
  get bounds(): Uint32Array {
    this.#check();
    return this.#bounds;
  }

  /** Where the cells lie in `bytes`: from the first cell's start to the last cell's end ([0, 0) without cells). */
  cellSpan(): { start: number; end: number } {
    const cells = this.length * this.width;
    if (cells === 0) return { start: 0, end: 0 };
    const bounds = this.bounds;
    return { start: bounds[0]!, end: bounds[2 * cells - 1]! };
  }

  /**
   * The parser reuses a batch's memory once the next batch is asked for: a batch must be used (its
   * bytes copied, or its rows read) before then. Reading it later is a bug, and fails loudly.
   */
  revoke(): void {
    this.#revoked = true;
  }

  #check(): void {
    if (this.#revoked) throw new MonitorliftError("INTERNAL", "a row batch was read after the next batch was asked for (its bytes are reused)");
  }

  /** The batch's rows, each cell the raw token text as a string. */
  get rows(): readonly RawRow[] {
    return (this.#rows ??= this.#decode());
  }

  /** Bytes of cell text in the batch (what the SQL sinks report as bytes written). */
  cellBytes(): number {
    const b = this.bounds;
    let n = 0;
    for (let k = 0, end = 2 * this.length * this.width; k < end; k += 2) n += b[k + 1]! - b[k]!;
    return n;
  }

  #decode(): RawRow[] {
    const { bytes, bounds, width, length } = this;
    const out: RawRow[] = new Array(length);
    if (length === 0) return out;
    if (width === 0) {
      for (let r = 0; r < length; r++) out[r] = [];
      return out;
    }
    // All ASCII (the usual case): one Latin-1 string for the whole batch, cells as slices of it.
    const { start: first, end: last } = this.cellSpan();
    if (isAscii(bytes.subarray(first, last))) {
      const text = bytes.toString("latin1", first, last);
      for (let r = 0, k = 0; r < length; r++) {
        const row: RawRow = new Array(width);
        for (let c = 0; c < width; c++, k += 2) row[c] = text.slice(bounds[k]! - first, bounds[k + 1]! - first);
        out[r] = row;
      }
      return out;
    }
    // Otherwise one string per row; a row with non-ASCII characters maps its byte bounds to UTF-16 offsets.
    for (let r = 0, k = 0; r < length; r++) {
      const start = bounds[k]!;
      const end = bounds[k + 2 * width - 1]!;
      const row: RawRow = new Array(width);
      if (isAscii(bytes.subarray(start, end))) {
        const text = bytes.toString("latin1", start, end);
        for (let c = 0; c < width; c++, k += 2) row[c] = text.slice(bounds[k]! - start, bounds[k + 1]! - start);
      } else {
        const text = bytes.toString("utf8", start, end);
        let at = start; // a byte offset…
        let unit = 0; // …and the UTF-16 offset of the same character
        const unitOf = (b: number): number => {
          for (; at < b; at++) {
            const x = bytes[at]!;
            if ((x & 0xc0) !== 0x80) unit += x >= 0xf0 ? 2 : 1; // a 4-byte character is a surrogate pair
          }
          return unit;
        };
        for (let c = 0; c < width; c++, k += 2) {
          const from = unitOf(bounds[k]!);
          row[c] = text.slice(from, unitOf(bounds[k + 1]!));
        }
      }
      out[r] = row;
    }
    return out;
  }

  /** A batch of the given rows (every row must have `width` cells; `width` defaults to the first row's). */
  static of(rows: readonly RawRow[], width = rows[0]?.length ?? 0): RowBatch {
    const bounds = new Uint32Array(2 * rows.length * width);
    let size = 0;
    for (const row of rows) {
      if (row.length !== width) throw new MonitorliftError("INTERNAL", `row batch: a row has ${row.length} cells, the batch ${width}`);
      for (const cell of row) size += Buffer.byteLength(cell, "utf8");
    }
    const bytes = Buffer.allocUnsafe(size);
    let pos = 0;
    let k = 0;
    for (const row of rows) {
      for (const cell of row) {
        bounds[k++] = pos;
        pos += bytes.write(cell, pos, "utf8");
        bounds[k++] = pos;
      }
    }
    return new RowBatch(bytes, bounds, rows.length, width);
  }
}
