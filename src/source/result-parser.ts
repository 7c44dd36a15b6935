/**
 * An incremental parser for the body of a Log Analytics query response:
 *
 *   {"tables":[{"name":"PrimaryResult","columns":[{"name","type"}…],"rows":[[…],…]}…],"error":{…},"statistics":{…}}
 *
 * The rows of the first table are scanned as bytes while the body streams in: each batch of complete
 * rows comes out as a RowBatch (src/row-batch.ts) — the body's own bytes and where each cell's JSON
 * token starts and ends in them — so no cell becomes a string unless a sink needs one, a 64 MB result
 * never needs a full copy in memory, and no value passes through a lossy JSON.parse (longs beyond
 * 2^53, datetimes with 100 ns digits). Everything else (columns, a trailing PartialError, statistics,
 * further tables) is small, decoded as text and parsed with JSON.parse.
 */
import { isUtf8 } from "node:buffer";
import { SourceError } from "../errors.ts";
import { RowBatch } from "../row-batch.ts";
import { isColumnType, type Column } from "../table.ts";

export interface ParsedTail {
  /** The response's top-level "error" (a PartialError on a 200), if any. */
  error?: { code?: string; message?: string; details?: unknown[]; innererror?: unknown };
  statistics?: unknown;
  /** The `permissions` section (resource-centric queries with Prefer: include-permissions=true). */
  permissions?: unknown;
  /** How many tables the response had (only the first is exported). */
  tableCount: number;
}

type Phase = "head" | "rows" | "tail";

const EMPTY = Buffer.alloc(0);
/** What the tail is parsed after: the containers around the first table's rows, reopened. */
const REOPEN = Buffer.from('{"tables":[{"rows":0', "utf8");

export class ResultParser {
  private phase: Phase = "head";
  /** Bytes received and not consumed yet (a partial head, a partial row, or the tail). */
  private pending: Buffer = EMPTY;
  private columnsValue: Column[] | undefined;
  private rowCount = 0;
  private headExtras: Record<string, unknown> = {};
  /**
   * The bytes and the cell bounds of the batch being built, reused from batch to batch: a batch is
   * valid until the next push (RowBatch.revoke), which is when its consumer asks for the next one.
   */
  private store: Buffer = EMPTY;
  private boundsStore: Uint32Array = new Uint32Array(1024);
  private handedOut: RowBatch | undefined;

  /** Columns of the first table, once its head has been read. */
  get columns(): Column[] | undefined {
    return this.columnsValue;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Feed body bytes (text in tests); returns the complete rows they finished, as one batch, or undefined. */
  push(data: Uint8Array | string | readonly Uint8Array[]): RowBatch | undefined {
    const more = typeof data === "string" ? [Buffer.from(data, "utf8")] : data instanceof Uint8Array ? [data] : data;
    // The previous batch is done with (its consumer asked for more): its bytes are reused.
    this.handedOut?.revoke();
    this.handedOut = undefined;
    let total = this.pending.length;
    for (const m of more) total += m.byteLength;
    if (this.store.length < total) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(total, 2 * this.store.length, 64 * 1024));
      bigger.set(this.pending, 0);
      this.store = bigger;
    } else {
      this.store.set(this.pending, 0); // what is left of the last push (it may overlap: set() copies as memmove)
    }
    let at = this.pending.length;
    for (const m of more) {
      this.store.set(m, at);
      at += m.byteLength;
    }
    this.pending = this.store.subarray(0, total);
    if (this.phase === "head") this.readHead();
    if (this.phase === "rows") return this.readRows();
    return undefined;
  }

  /**
   * Call at the end of the body: parses what follows the rows. A body that stops before its
   * document is complete was cut (SOURCE_PROTOCOL, retryable); a complete one that is not the expected
   * JSON is unreadable (SOURCE_PROTOCOL, permanent).
   */
  end(): ParsedTail {
    if (this.phase === "rows") throw cut("the response body ended inside the rows of the result");
    if (this.phase === "head") {
      // No first table with rows: an error-only or empty body.
      const doc = parseDocument(this.pending);
      if (doc === null || typeof doc !== "object") throw unreadable("the response body is not a JSON object");
      const tables = (doc as { tables?: unknown }).tables;
      if (Array.isArray(tables) && tables.length > 0) {
        // A table without a rows array: tolerate an empty table.
        const first = tables[0] as { columns?: unknown };
        this.columnsValue = readColumns(first.columns);
      }
      return tailOf(doc, Array.isArray(tables) ? tables.length : 0);
    }
    // tail: the text right after the first table's rows array; reopen the containers around it.
    const doc = { ...this.headExtras, ...(parseDocument(Buffer.concat([REOPEN, this.pending])) as object) };
    const tables = (doc as { tables?: unknown[] }).tables ?? [];
    return tailOf(doc, tables.length);
  }

  private readHead(): void {
    const found = scanHead(this.pending);
    if (!found) return;
    const rowsStart = found.rowsStart;
    if (!isUtf8(this.pending.subarray(0, rowsStart))) throw unreadable("the response body is not valid UTF-8");
    this.columnsValue = found.columns;
    this.headExtras = found.extras;
    this.pending = this.pending.subarray(rowsStart);
    this.phase = "rows";
  }

  private readRows(): RowBatch | undefined {
    const width = this.columnsValue!.length;
    const s = this.pending;
    const n = s.length;
    let bounds = this.boundsStore;
    let k = 0;
    let rows = 0;
    let i = 0;
    let consumed = 0;
    let ended = false;
    scan: for (;;) {
      while (i < n && isSpace(s[i]!)) i++;
      if (i >= n) break;
      const c = s[i]!;
      if (c === 0x2c /* , */) {
        i++;
        consumed = i;
        continue;
      }
      if (c === 0x5d /* ] */) {
        ended = true;
        break;
      }
      if (c !== 0x5b /* [ */) throw unreadable(`unexpected '${String.fromCharCode(c)}' between rows`);
      // One row: its cells' bounds go to bounds[k…]; undone when the bytes end inside it.
      const rowK = k;
      let cells = 0;
      i++;
      for (;;) {
        while (i < n && isSpace(s[i]!)) i++;
        if (i >= n) {
          k = rowK;
          break scan;
        }
        const d = s[i]!;
        if (d === 0x5d /* ] */) {
          i++;
          break;
        }
        if (d === 0x2c /* , */) {
          i++;
          continue;
        }
        const end = d === 0x22 /* " */ ? stringEndBytes(s, i) : d === 0x7b || d === 0x5b ? containerEndBytes(s, i) : literalEndBytes(s, i);
        if (end < 0) {
          k = rowK;
          break scan;
        }
        if (cells < width) {
          if (k + 2 > bounds.length) bounds = grow(bounds);
          bounds[k++] = i;
          bounds[k++] = end;
        }
        cells++;
        i = end;
      }
      // The one row-width check: every row has exactly one cell per column (sinks rely on it).
      if (cells !== width) throw unreadable(`row ${this.rowCount + rows + 1} has ${cells} cells but the result has ${width} columns`);
      rows++;
      consumed = i;
    }
    if (consumed > 0 && !isUtf8(s.subarray(0, consumed))) throw unreadable("the response body is not valid UTF-8");
    if (ended) {
      this.phase = "tail";
      this.pending = s.subarray(i + 1);
    } else {
      this.pending = consumed === 0 ? s : s.subarray(consumed);
    }
    this.rowCount += rows;
    if (rows === 0) return undefined;
    this.boundsStore = bounds;
    this.handedOut = new RowBatch(s, bounds, rows, width);
    return this.handedOut;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function grow(bounds: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(bounds.length * 2);
  bigger.set(bounds);
  return bigger;
}

/** Index just past the closing quote of the string starting at `i`, or -1 if the bytes end first. */
function stringEndBytes(s: Uint8Array, i: number): number {
  const n = s.length;
  let k = i + 1;
  while (k < n) {
    const c = s[k]!;
    if (c === 0x22) return k + 1;
    k += c === 0x5c /* \ */ ? 2 : 1;
  }
  return -1;
}

function literalEndBytes(s: Uint8Array, i: number): number {
  const n = s.length;
  for (let k = i; k < n; k++) {
    const c = s[k]!;
    if (c === 0x2c || c === 0x5d || isSpace(c)) return k;
  }
  return -1;
}

function containerEndBytes(s: Uint8Array, i: number): number {
  let depth = 0;
  const n = s.length;
  let k = i;
  while (k < n) {
    const c = s[k]!;
    if (c === 0x22) {
      const e = stringEndBytes(s, k);
      if (e < 0) return -1;
      k = e;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return k + 1;
    }
    k++;
  }
  return -1;
}

/**
 * The text of bytes the body ended with. Bytes that end part-way through a character were cut
 * (retryable); bytes that are not UTF-8 elsewhere are unreadable.
 */
function decodeWhole(bytes: Uint8Array): string {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let text: string;
  try {
    text = decoder.decode(bytes, { stream: true });
  } catch (cause) {
    throw unreadable("the response body is not valid UTF-8", cause);
  }
  try {
    return text + decoder.decode();
  } catch (cause) {
    // Only an incomplete character can be left at the end: the body stopped mid-character.
    throw cut("the response body ended part-way through a character", cause);
  }
}

/**
 * Walks the head of the document (bytes) to the first table's "rows" array. Returns where its
 * content starts (a byte offset) and the parsed columns, or undefined when more text is needed
 * (or the document has no such array, which end() then handles).
 */
function scanHead(s: Buffer): { rowsStart: number; columns: Column[]; extras: Record<string, unknown> } | undefined {
  // Path we look for: root object → "tables" array → element 0 object → "rows" array.
  const stack: Array<{ kind: "obj" | "arr"; key?: string; index: number }> = [];
  let pendingKey: string | undefined;
  let columns: Column[] | undefined;
  // Top-level members before "tables" (the service sends them after, but order is not promised).
  const extras: Record<string, unknown> = {};
  const keep = (key: string | undefined, from: number, to: number) => {
    if (stack.length === 1 && key !== undefined && key !== "tables") extras[key] = parseJson(s.toString("utf8", from, to));
  };
  const n = s.length;
  let i = 0;
  let expectKey = false;
  while (i < n) {
    const c = s[i]!;
    if (isSpace(c) || c === 0x2c || c === 0x3a) {
      if (c === 0x2c) {
        const top = stack[stack.length - 1];
        if (top?.kind === "arr") top.index++;
        if (top?.kind === "obj") expectKey = true;
      }
      i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === 0x22) {
      const e = stringEndBytes(s, i);
      if (e < 0) return undefined;
      if (top?.kind === "obj" && expectKey) {
        pendingKey = JSON.parse(s.toString("utf8", i, e)) as string;
        expectKey = false;
      } else {
        keep(pendingKey, i, e);
        pendingKey = undefined;
      }
      i = e;
      continue;
    }
    const inFirstTable =
      stack.length === 3 &&
      stack[1]!.key === "tables" &&
      stack[2]!.kind === "obj" &&
      stack[1]!.index === 0 &&
      stack[0]!.kind === "obj";
    if (inFirstTable && pendingKey === "columns" && c === 0x5b) {
      const e = containerEndBytes(s, i);
      if (e < 0) return undefined;
      columns = readColumns(parseJson(s.toString("utf8", i, e)));
      pendingKey = undefined;
      i = e;
      continue;
    }
    if (inFirstTable && pendingKey === "rows" && c === 0x5b) {
      if (!columns) throw unreadable("the first table's rows came before its columns");
      return { rowsStart: i + 1, columns, extras };
    }
    if (c === 0x7b || c === 0x5b) {
      // Only descend along the path; skip any other container whole.
      const along =
        (stack.length === 0 && c === 0x7b) ||
        (stack.length === 1 && pendingKey === "tables" && c === 0x5b) ||
        (stack.length === 2 && stack[1]!.key === "tables" && c === 0x7b);
      if (along) {
        stack.push({ kind: c === 0x7b ? "obj" : "arr", key: pendingKey, index: 0 });
        expectKey = c === 0x7b;
        pendingKey = undefined;
        i++;
        continue;
      }
      const e = containerEndBytes(s, i);
      if (e < 0) return undefined;
      keep(pendingKey, i, e);
      pendingKey = undefined;
      i = e;
      continue;
    }
    if (c === 0x7d || c === 0x5d) {
      stack.pop();
      if (stack.length === 0) return undefined; // document ended without rows
      pendingKey = undefined;
      i++;
      continue;
    }
    const e = literalEndBytes(s, i);
    if (e < 0) return undefined;
    keep(pendingKey, i, e);
    pendingKey = undefined;
    i = e;
  }
  return undefined;
}

function readColumns(value: unknown): Column[] {
  if (!Array.isArray(value)) throw unreadable("the result's columns are not an array");
  return value.map((c, i) => {
    const name = (c as { name?: unknown }).name;
    const type = (c as { type?: unknown }).type;
    if (typeof name !== "string" || typeof type !== "string") {
      throw unreadable(`column ${i} has no name or type`);
    }
    if (!isColumnType(type)) throw unreadable(`column '${name}' has an unknown type '${type}'`);
    return { name, type };
  });
}

function tailOf(doc: unknown, tableCount: number): ParsedTail {
  const d = doc as { error?: ParsedTail["error"]; statistics?: unknown; permissions?: unknown };
  const tail: ParsedTail = { tableCount };
  if (d.error !== undefined && d.error !== null) tail.error = d.error;
  if (d.statistics !== undefined) tail.statistics = d.statistics;
  if (d.permissions !== undefined && d.permissions !== null) tail.permissions = d.permissions;
  return tail;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw unreadable(`the response body is not valid JSON (${(cause as Error).message})`, cause);
  }
}

/**
 * Parses a whole document that the body ended with: when its outermost object never closes, the
 * body stopped part-way (cut); when it closes but is not JSON, it is unreadable.
 */
function parseDocument(bytes: Uint8Array): unknown {
  const text = decodeWhole(bytes);
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (i === bytes.length) throw cut("the response body is empty");
  if (bytes[i] === 0x7b /* { */ && containerEndBytes(bytes, i) < 0) throw cut("the response body ended before its JSON document did");
  return parseJson(text);
}

/** A body we received whole but cannot read as a query result: retrying would get the same. */
export function unreadable(detail: string, cause?: unknown): SourceError {
  return new SourceError("SOURCE_PROTOCOL", `Could not read the query response: ${detail}.`, {
    cause,
    retryable: false,
    hint: "The response is not the query API's result format; check source.endpoint (a proxy answering in its place?).",
  });
}

/**
 * A body that stopped part-way (the connection closed early): the same code as an unreadable body,
 * but retryable (category transient): the window is retried.
 */
export function cut(detail: string, cause?: unknown): SourceError {
  return new SourceError("SOURCE_PROTOCOL", `The query response was cut off: ${detail}.`, {
    cause,
    retryable: true,
    hint: "The connection broke part-way; the window is retried and the watermark has not moved.",
  });
}
