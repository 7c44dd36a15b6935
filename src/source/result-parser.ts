/**
 * An incremental parser for the body of a Log Analytics query response:
 *
 *   {"tables":[{"name":"PrimaryResult","columns":[{"name","type"}…],"rows":[[…],…]}…],"error":{…},"statistics":{…}}
 *
 * Rows of the first table are handed out as raw cells (the exact JSON token text of each
 * value: see src/table.ts) while the body streams in, so a 64 MB result never needs a full
 * copy in memory and no value passes through a lossy JSON.parse (longs beyond 2^53,
 * datetimes with 100 ns digits). Everything else (columns, a trailing PartialError,
 * statistics, further tables) is small and parsed with JSON.parse.
 */
import { SourceError } from "../errors.ts";
import { isColumnType, type Column, type RawRow } from "../table.ts";

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

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

export class ResultParser {
  private phase: Phase = "head";
  private buf = "";
  private columnsValue: Column[] | undefined;
  private rowCount = 0;
  private headExtras: Record<string, unknown> = {};

  /** Columns of the first table, once its head has been read. */
  get columns(): Column[] | undefined {
    return this.columnsValue;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Feed decoded text; returns the complete rows it finished. */
  push(text: string): RawRow[] {
    this.buf += text;
    if (this.phase === "head") this.readHead();
    if (this.phase === "rows") return this.readRows();
    return [];
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
      const doc = parseDocument(this.buf);
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
    const doc = { ...this.headExtras, ...(parseDocument(`{"tables":[{"rows":0${this.buf}`) as object) };
    const tables = (doc as { tables?: unknown[] }).tables ?? [];
    return tailOf(doc, tables.length);
  }

  private readHead(): void {
    const found = scanHead(this.buf);
    if (!found) return;
    this.columnsValue = found.columns;
    this.headExtras = found.extras;
    this.buf = this.buf.slice(found.rowsStart);
    this.phase = "rows";
  }

  private readRows(): RawRow[] {
    const out: RawRow[] = [];
    const width = this.columnsValue!.length;
    const s = this.buf;
    const n = s.length;
    let i = 0;
    let consumed = 0;
    for (;;) {
      while (i < n && WS.has(s.charCodeAt(i))) i++;
      if (i >= n) break;
      const c = s.charCodeAt(i);
      if (c === 0x2c /* , */) {
        i++;
        consumed = i;
        continue;
      }
      if (c === 0x5d /* ] */) {
        this.phase = "tail";
        this.buf = s.slice(i + 1);
        this.rowCount += out.length;
        return out;
      }
      if (c !== 0x5b /* [ */) throw unreadable(`unexpected '${s[i]}' between rows`);
      const row = readRow(s, i + 1);
      if (row === undefined) break; // incomplete: wait for more text
      // The one row-width check: every row has exactly one cell per column (sinks rely on it).
      if (row.cells.length !== width) {
        throw unreadable(`row ${this.rowCount + out.length + 1} has ${row.cells.length} cells but the result has ${width} columns`);
      }
      out.push(row.cells);
      i = row.next;
      consumed = i;
    }
    this.buf = consumed === 0 ? s : s.slice(consumed);
    this.rowCount += out.length;
    return out;
  }
}

/** Reads one row's cells starting after its "["; undefined when the text ends first. */
function readRow(s: string, start: number): { cells: RawRow; next: number } | undefined {
  const cells: RawRow = [];
  const n = s.length;
  let i = start;
  for (;;) {
    while (i < n && WS.has(s.charCodeAt(i))) i++;
    if (i >= n) return undefined;
    const c = s.charCodeAt(i);
    if (c === 0x5d /* ] */) return { cells, next: i + 1 };
    if (c === 0x2c /* , */) {
      i++;
      continue;
    }
    let end: number;
    if (c === 0x22 /* " */) end = stringEnd(s, i);
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) end = containerEnd(s, i);
    else end = literalEnd(s, i);
    if (end < 0) return undefined;
    cells.push(s.slice(i, end));
    i = end;
  }
}

/** Index just past the closing quote of the string starting at `i`, or -1 if incomplete. */
function stringEnd(s: string, i: number): number {
  let k = i + 1;
  for (;;) {
    const q = s.indexOf('"', k);
    if (q < 0) return -1;
    let b = q - 1;
    while (s.charCodeAt(b) === 0x5c /* \ */) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    k = q + 1;
  }
}

function literalEnd(s: string, i: number): number {
  const n = s.length;
  let k = i;
  while (k < n) {
    const c = s.charCodeAt(k);
    if (c === 0x2c || c === 0x5d || WS.has(c)) return k;
    k++;
  }
  return -1;
}

function containerEnd(s: string, i: number): number {
  let depth = 0;
  const n = s.length;
  let k = i;
  while (k < n) {
    const c = s.charCodeAt(k);
    if (c === 0x22) {
      const e = stringEnd(s, k);
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
 * Walks the head of the document to the first table's "rows" array. Returns where its
 * content starts and the parsed columns, or undefined when more text is needed
 * (or the document has no such array, which end() then handles).
 */
function scanHead(s: string): { rowsStart: number; columns: Column[]; extras: Record<string, unknown> } | undefined {
  // Path we look for: root object → "tables" array → element 0 object → "rows" array.
  const stack: Array<{ kind: "obj" | "arr"; key?: string; index: number }> = [];
  let pendingKey: string | undefined;
  let columns: Column[] | undefined;
  // Top-level members before "tables" (the service sends them after, but order is not promised).
  const extras: Record<string, unknown> = {};
  const keep = (key: string | undefined, from: number, to: number) => {
    if (stack.length === 1 && key !== undefined && key !== "tables") extras[key] = parseJson(s.slice(from, to));
  };
  const n = s.length;
  let i = 0;
  let expectKey = false;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (WS.has(c) || c === 0x2c || c === 0x3a) {
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
      const e = stringEnd(s, i);
      if (e < 0) return undefined;
      if (top?.kind === "obj" && expectKey) {
        pendingKey = JSON.parse(s.slice(i, e)) as string;
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
      const e = containerEnd(s, i);
      if (e < 0) return undefined;
      columns = readColumns(parseJson(s.slice(i, e)));
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
      const e = containerEnd(s, i);
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
    const e = literalEnd(s, i);
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
function parseDocument(text: string): unknown {
  let i = 0;
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  if (i === text.length) throw cut("the response body is empty");
  if (text.charCodeAt(i) === 0x7b /* { */ && containerEnd(text, i) < 0) throw cut("the response body ended before its JSON document did");
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
