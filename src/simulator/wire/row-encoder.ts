/**
 * Encodes result rows as the JSON text of one `rows` element ("[cell,cell,...]").
 * This is the serving hot path. A row's UTF-8 bytes can be remembered on its
 * values array (a symbol-keyed property per column-type signature; the bytes are
 * a view into the response chunk they were first written to), and stored rows
 * reach the encoder as the same array objects on every query, so each stored row
 * is encoded once. Encoding converts only the cells whose type needs it and lets
 * the native JSON.stringify do the rest (quoting, escaping).
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
  /** The row's remembered UTF-8 JSON bytes, if any. */
  cached(values: readonly SimValue[]): Uint8Array | undefined;
  /** Fresh JSON text of one row, e.g. `["a",1,"2024-01-01T00:00:00Z"]`. */
  text(values: readonly SimValue[]): string;
  /** Remembers `bytes` (the UTF-8 of text(values)) as the row's JSON, if the array can carry it. */
  remember(values: readonly SimValue[], bytes: Uint8Array): void;
}

const encoders = new Map<string, RowEncoder>();

/** The shared encoder for rows with these column types (one cache slot per type signature). */
export function rowEncoder(columns: readonly Column[]): RowEncoder {
  const signature = columns.map((c) => c.type).join(",");
  let enc = encoders.get(signature);
  if (enc === undefined) {
    enc = buildEncoder(columns.map((c) => c.type));
    encoders.set(signature, enc);
  }
  return enc;
}

function buildEncoder(types: readonly ColumnType[]): RowEncoder {
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
  const sym = Symbol("rowJson");
  type Holder = Record<symbol, Uint8Array | undefined>;
  return {
    cached(values) {
      return (values as unknown as Holder)[sym];
    },
    text(values) {
      const w: unknown[] = values.slice();
      for (let j = 0; j < k; j++) {
        const i = convIndex[j] as number;
        w[i] = (convFn[j] as Converter)(w[i] as SimValue);
      }
      return JSON.stringify(w);
    },
    remember(values, bytes) {
      if (Object.isExtensible(values)) (values as unknown as Holder)[sym] = bytes;
    },
  };
}
