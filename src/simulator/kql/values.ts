/**
 * Value-level helpers shared by the evaluator: text conversion (tostring), number
 * parsing, dynamic-value access, term matching for `has`, and null-aware ordering.
 * Values follow catalog.ts (long/datetime/timespan = bigint, int/real = number,
 * string/guid/decimal = string, dynamic = parsed JSON value).
 */
import type { ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import { formatDatetime, formatTimespan, MAX_DATETIME, MIN_DATETIME } from "./time-literals.ts";

/** A row flowing through the evaluator. Rows straight from a table are the table's SimRow objects. */
export interface EvalRow {
  readonly values: readonly SimValue[];
  /** The row's ingestion time; null once the row no longer comes straight from a table. */
  readonly ingestion: bigint | null;
}

export const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(["int", "long", "real"]);

export function isNumeric(type: ColumnType): boolean {
  return type === "int" || type === "long" || type === "real";
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function inLongRange(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

export function inDatetimeRange(v: bigint): boolean {
  return v >= MIN_DATETIME && v <= MAX_DATETIME;
}

/** The service's text form of a real: "1", "0.5", "1E+21", "NaN", "Infinity". */
export function formatReal(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return String(v).replace("e", "E");
}

/** Compact JSON of a dynamic value (strings are returned as themselves by tostring). */
export function dynamicToJson(v: SimValue): string {
  return JSON.stringify(v, (_key, value: unknown) => (typeof value === "bigint" ? Number(value) : value)) ?? "";
}

/** tostring() of a value of the given type. Null becomes "". */
export function valueToString(type: ColumnType, v: SimValue): string {
  if (v === null || v === undefined) return "";
  switch (type) {
    case "string":
    case "guid":
    case "decimal":
      return String(v);
    case "bool":
      return v ? "true" : "false";
    case "int":
    case "long":
      return String(v);
    case "real":
      return formatReal(v as number);
    case "datetime":
      return formatDatetime(v as bigint);
    case "timespan":
      return formatTimespan(v as bigint);
    case "dynamic":
      if (typeof v === "string") return v;
      if (typeof v === "number") return formatReal(v);
      if (typeof v === "boolean") return v ? "true" : "false";
      return dynamicToJson(v);
  }
}

/** Whole-string integer text ("  -12 ") → bigint, or undefined. */
export function parseIntegerText(s: string): bigint | undefined {
  const t = s.trim();
  let i = 0;
  if (t[i] === "+" || t[i] === "-") i++;
  if (i === t.length) return undefined;
  for (let k = i; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
  }
  return BigInt(t);
}

/** Real text ("1.5", "-2e3", "NaN", "inf") → number, or undefined. */
export function parseRealText(s: string): number | undefined {
  const t = s.trim();
  if (t === "") return undefined;
  const lower = t.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  // Number() accepts hex/binary/octal prefixes and "Infinity"; reject anything but decimal digits.
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k);
    const ok = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69;
    if (!ok) return undefined;
  }
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

/** Property of a dynamic object, or element of a dynamic array (negative index from the end). */
export function dynamicGet(target: SimValue, key: SimValue): SimValue {
  if (target === null || typeof target !== "object") return null;
  if (Array.isArray(target)) {
    let idx: number;
    if (typeof key === "bigint") idx = Number(key);
    else if (typeof key === "number" && Number.isInteger(key)) idx = key;
    else return null;
    if (idx < 0) idx += target.length;
    const v = target[idx] as SimValue | undefined;
    return v === undefined ? null : v;
  }
  if (typeof key !== "string") return null;
  if (!Object.hasOwn(target, key)) return null;
  const v = (target as Record<string, SimValue>)[key];
  return v === undefined ? null : v;
}

// ---- term matching (has, hasprefix, hassuffix) ------------------------------

const NON_ASCII_ALNUM = /^[\p{L}\p{N}]$/u;

function isTermChar(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return NON_ASCII_ALNUM.test(s[i]!);
}

/**
 * True when `needle` occurs in `hay` on term boundaries: the character before the
 * match (if the needle starts with a term character) and after it (if it ends with
 * one) is not alphanumeric. `start`/`end` select which boundaries are required.
 */
export function termMatch(hay: string, needle: string, start: boolean, end: boolean): boolean {
  if (needle.length === 0) return true;
  const needStart = start && isTermChar(needle, 0);
  const needEnd = end && isTermChar(needle, needle.length - 1);
  let idx = hay.indexOf(needle);
  while (idx >= 0) {
    const after = idx + needle.length;
    const okStart = !needStart || idx === 0 || !isTermChar(hay, idx - 1);
    const okEnd = !needEnd || after === hay.length || !isTermChar(hay, after);
    if (okStart && okEnd) return true;
    idx = hay.indexOf(needle, idx + 1);
  }
  return false;
}

// ---- ordering -----------------------------------------------------------------

/** Ascending comparison of two non-null values of one type (numbers may be bigint or number). */
export function compareNonNull(a: SimValue, b: SimValue): number {
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Null (and NaN) for ordering purposes: they sort together. */
export function isNullForOrdering(v: SimValue): boolean {
  return v === null || (typeof v === "number" && Number.isNaN(v));
}

/** A hashable key identifying a value for grouping and `in` sets. */
export function groupKey(type: ColumnType, v: SimValue): SimValue {
  if (type === "string") return v === null ? "" : v;
  if (type === "guid" && typeof v === "string") return v.toLowerCase();
  if (type === "dynamic") return v === null || typeof v !== "object" ? v : `\u0000json:${dynamicToJson(v)}`;
  return v;
}

/** A canonical numeric key so that 5 (int), 5n (long) and 5.0 (real) collide in a Set. */
export function numericKey(v: SimValue): SimValue {
  if (typeof v === "bigint" && v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
  return v;
}
