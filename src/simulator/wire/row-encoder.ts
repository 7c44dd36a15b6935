/**
 * Encodes result rows as the JSON text of one `rows` element ("[cell,cell,...]").
 * This is the serving hot path: it converts only the cells whose type needs it
 * and lets the native JSON.stringify do the rest (quoting, escaping). Stored
 * rows' texts are then remembered in the row cache (row-cache.ts).
 */
import type { Column, ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import { dynamicJson, formatDatetime, formatTimespan, rawJson } from "./values.ts";

type Converter = (v: SimValue) => unknown;

const dynamicCache = new WeakMap<object, string>();

function dynamicCell(v: SimValue): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") {
    let text = dynamicCache.get(v);
    if (text === undefined) {
      text = dynamicJson(v);
      dynamicCache.set(v, text);
    }
    return text;
  }
  // A dynamic string travels as the bare string (recorded: "boundedElastic-1"), a number or bool as its text.
  if (typeof v === "string") return v;
  return dynamicJson(v);
}

function numberCell(v: SimValue): unknown {
  if (typeof v === "bigint") return rawJson(v.toString());
  return v;
}

function realCell(v: SimValue): unknown {
  if (typeof v === "number") {
    if (Number.isFinite(v)) return v;
    return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  }
  if (typeof v === "bigint") return rawJson(v.toString());
  return v;
}

function datetimeCell(v: SimValue): unknown {
  return typeof v === "bigint" ? formatDatetime(v) : v;
}

function timespanCell(v: SimValue): unknown {
  return typeof v === "bigint" ? formatTimespan(v) : v;
}

function textCell(v: SimValue): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

/** How each type's value becomes a JSON.stringify-able value; undefined = as is. */
const CONVERTERS: Record<ColumnType, Converter | undefined> = {
  bool: undefined,
  string: textCell,
  guid: textCell,
  decimal: textCell,
  int: numberCell,
  long: numberCell,
  real: realCell,
  datetime: datetimeCell,
  timespan: timespanCell,
  dynamic: dynamicCell,
};

export interface RowEncoder {
  /** A small number naming this column-type signature (row-cache entries are per signature). */
  readonly sig: number;
  /** Fresh JSON text of one row, e.g. `["a",1,"2024-01-01T00:00:00Z"]`. */
  text(values: readonly SimValue[]): string;
}

const encoders = new Map<string, RowEncoder>();

/**
 * The shared encoder for rows with these column types. With `select`, column i's value is
 * `values[select[i]]` (rows that also hold hidden values); the signature includes it, so a
 * row's remembered text is per shape.
 */
export function rowEncoder(columns: readonly Column[], select?: readonly number[]): RowEncoder {
  const signature = columns.map((c) => c.type).join(",") + (select === undefined ? "" : `|${select.join(",")}`);
  let enc = encoders.get(signature);
  if (enc === undefined) {
    enc = buildEncoder(columns.map((c) => c.type), encoders.size + 1, select);
    encoders.set(signature, enc);
  }
  return enc;
}

function buildEncoder(types: readonly ColumnType[], sig: number, select: readonly number[] | undefined): RowEncoder {
  const convIndex: number[] = [];
  const convFn: Converter[] = [];
  types.forEach((t, i) => {
    const c = CONVERTERS[t];
    if (c !== undefined) {
      convIndex.push(i);
      convFn.push(c);
    }
  });
  const k = convIndex.length;
  return {
    sig,
    text(values) {
      const w: unknown[] = select === undefined ? values.slice() : select.map((i) => values[i] ?? null);
      for (let j = 0; j < k; j++) {
        const i = convIndex[j] as number;
        w[i] = (convFn[j] as Converter)(w[i] as SimValue);
      }
      return JSON.stringify(w);
    },
  };
}
