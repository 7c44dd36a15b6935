/**
 * Cell conversions shared by the SQL dialects, on top of the raw-cell decoders of src/sinks/cells.ts:
 * datetime texts (exact 100 ns canonical form and the µs form a timestamp column keeps), checked
 * decimal and guid texts, and the error that names the column of a bad cell.
 */
import { SinkError } from "../../errors.ts";
import type { Column } from "../../table.ts";
import { decodeDatetime, decodeString } from "../cells.ts";

export interface DatetimeTexts {
  /** "YYYY-MM-DDTHH:MM:SS.fffffffZ": fixed width (sorts as text), exact to 100 ns (9 digits if finer). */
  canonical: string;
  /** "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, truncated to microseconds (what timestamp types keep). */
  micros: string;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** The canonical text of an instant in ns since the epoch (years 0001-9999). */
export function canonicalDatetime(epochNanos: bigint): string {
  const ms = floorDiv(epochNanos, 1_000_000n);
  const sub = Number(epochNanos - ms * 1_000_000n); // 0..999999 ns below the millisecond
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const six = String(sub).padStart(6, "0");
  return `${iso.slice(0, 23)}${sub % 100 === 0 ? six.slice(0, 4) : six}Z`;
}

/** Both texts of a datetime cell, or null. */
export function datetimeTexts(raw: string): DatetimeTexts | null {
  const d = decodeDatetime(raw);
  if (d === null) return null;
  const t = d.text;
  // The service's usual form already is canonical: skip the arithmetic.
  const canonical = t.length === 28 && t.charCodeAt(10) === 84 && t.charCodeAt(19) === 46 ? t : canonicalDatetime(d.epochNanos);
  return { canonical, micros: `${canonical.slice(0, 10)} ${canonical.slice(11, 26)}` };
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal cell (a JSON string or number) as its exact decimal text, or null. */
export function decimalText(raw: string): string | null {
  const text = decodeString(raw);
  if (text === null) return null;
  if (!DECIMAL.test(text)) throw new SinkError("SINK_SCHEMA", `cell ${preview(raw)} is not a decimal number`);
  return text;
}

/** How many digits a decimal text has before the decimal point (after its exponent is applied, leading zeros ignored). */
export function decimalIntegerDigits(text: string): number {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return Infinity;
  const digits = `${m[1] ?? ""}${m[2] ?? ""}`;
  const exponent = m[3] !== undefined ? Number(m[3]) : 0;
  const pointAt = (m[1] ?? "").length + exponent;
  const firstNonZero = digits.search(/[1-9]/);
  if (firstNonZero < 0) return 0;
  return Math.max(0, pointAt - firstNonZero);
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A guid cell as its text ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"), or null. */
export function guidText(raw: string): string | null {
  const text = decodeString(raw);
  if (text === null) return null;
  if (!GUID.test(text)) throw new SinkError("SINK_SCHEMA", `cell ${preview(raw)} is not a guid`);
  return text;
}

function preview(raw: string): string {
  return raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
}

/** The error for a cell that could not be converted, naming query, column and row. */
export function cellError(err: unknown, query: string, column: Column | undefined, rowIndex: number): SinkError {
  if (err instanceof SinkError && column !== undefined) {
    return new SinkError(err.code, `sql sink: query "${query}" column "${column.name}" (${column.type}), row ${rowIndex + 1} of the batch: ${err.message}`, {
      cause: err,
    });
  }
  if (err instanceof SinkError) return err;
  return new SinkError("SINK_WRITE", `sql sink: query "${query}": cannot convert row ${rowIndex + 1} of the batch: ${(err as Error).message}`, { cause: err });
}

/** Counts cells a database cannot hold as sent, for one warning per window and column. */
export class CellWarnings {
  private readonly counts = new Map<string, { column: string; problem: string; cells: number }>();
  note(column: string, problem: string): void {
    const key = `${column}\u0000${problem}`;
    const entry = this.counts.get(key);
    if (entry) entry.cells++;
    else this.counts.set(key, { column, problem, cells: 1 });
  }
  /** Report and forget what was counted. */
  flush(warn: (column: string, problem: string, cells: number) => void): void {
    for (const e of this.counts.values()) warn(e.column, e.problem, e.cells);
    this.counts.clear();
  }
}
