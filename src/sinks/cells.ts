/**
 * Decoders from raw cells (the JSON token text the Log Analytics query API sent, see src/table.ts)
 * to typed values, for the sinks whose format needs them (parquet, SQL). They run per cell over
 * millions of cells, so plain numbers and literals are parsed without JSON.parse, and strings are
 * only handed to JSON.parse when they contain escapes.
 *
 * Every decoder returns null for the token `null` and throws SinkError("SINK_SCHEMA") for text that
 * is not a valid value of its type; callers add the column name to the message.
 */
import { SinkError } from "../errors.ts";

const QUOTE = 34; // "
const BACKSLASH = 92; // \

/** A datetime to 100 ns: the service's ISO text and the instant in nanoseconds since the Unix epoch. */
export interface DecodedDatetime {
  /** As sent, without quotes: "2026-11-22T03:00:00.1234567Z". */
  text: string;
  epochNanos: bigint;
}

/** A timespan: the service's text ("1.02:03:04.5000000") and its length in 100 ns ticks. */
export interface DecodedTimespan {
  text: string;
  ticks: bigint;
}

function invalid(raw: string, what: string): SinkError {
  const preview = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
  return new SinkError("SINK_SCHEMA", `cell ${preview} is not a valid ${what} as the Log Analytics query API sends it`);
}

function isQuoted(raw: string): boolean {
  return raw.length >= 2 && raw.charCodeAt(0) === QUOTE && raw.charCodeAt(raw.length - 1) === QUOTE;
}

/**
 * The JS string of a JSON string literal. A token that is not a string (a number, a literal) is
 * returned as its own text, so a string column that received e.g. a number keeps it verbatim.
 */
export function decodeString(raw: string): string | null {
  if (raw === "null") return null;
  if (raw.charCodeAt(0) !== QUOTE) {
    if (raw.length === 0) throw invalid(raw, "string");
    return raw;
  }
  if (raw.indexOf("\\") === -1) {
    if (!isQuoted(raw)) throw invalid(raw, "string");
    return raw.slice(1, -1);
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === "string") return value;
  } catch {
    // fall through to the error below
  }
  throw invalid(raw, "string");
}

/** The text inside the quotes of a string token without escapes (the encodings of datetime, timespan, real specials). */
function unquotePlain(raw: string, what: string): string {
  if (!isQuoted(raw) || raw.indexOf("\\") !== -1) throw invalid(raw, what);
  return raw.slice(1, -1);
}

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

function twoDigits(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (exact integer arithmetic, any year 0001-9999). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/**
 * Parses up to `maxDigits` fraction digits at s[start..end) and scales them to `scaleDigits`
 * (9 for nanoseconds, 7 for ticks). Returns -1 when the text is not 1..maxDigits digits.
 */
function fraction(s: string, start: number, end: number, scaleDigits: number): number {
  const n = end - start;
  if (n < 1 || n > scaleDigits) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = digit(s, i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v * POW10[scaleDigits - n]!;
}

/**
 * A datetime cell ("2026-11-22T03:00:00.1234567Z", up to 7 — and accepted up to 9 — fraction
 * digits, always UTC "Z") to its text and exact nanoseconds since the epoch.
 */
export function decodeDatetime(raw: string): DecodedDatetime | null {
  if (raw === "null") return null;
  const s = unquotePlain(raw, "datetime");
  // YYYY-MM-DDTHH:MM:SS[.f+]Z
  if (s.length < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
    throw invalid(raw, "datetime");
  }
  const t = s.charCodeAt(10);
  if ((t !== 84 && t !== 116) || s.charCodeAt(s.length - 1) !== 90) throw invalid(raw, "datetime"); // T or t, ends with Z
  const y1 = twoDigits(s, 0);
  const y2 = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    throw invalid(raw, "datetime");
  }
  const year = y1 * 100 + y2;
  const maxDay = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > maxDay) throw invalid(raw, "datetime");
  let nanos = 0;
  if (s.length > 20) {
    if (s.charCodeAt(19) !== 46) throw invalid(raw, "datetime");
    nanos = fraction(s, 20, s.length - 1, 9);
    if (nanos < 0) throw invalid(raw, "datetime");
  } else if (s.length !== 20) {
    throw invalid(raw, "datetime");
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return { text: s, epochNanos: BigInt(seconds) * 1_000_000_000n + BigInt(nanos) };
}

function isIntegerToken(raw: string): boolean {
  let i = raw.charCodeAt(0) === 45 ? 1 : 0; // -
  if (i >= raw.length) return false;
  for (; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A long cell (a JSON integer, possibly beyond 2^53; a quoted integer is accepted too) to an exact bigint. */
export function decodeLong(raw: string): bigint | null {
  if (raw === "null") return null;
  const text = raw.charCodeAt(0) === QUOTE ? unquotePlain(raw, "long") : raw;
  if (!isIntegerToken(text)) throw invalid(raw, "long");
  const value = BigInt(text);
  if (value < -9223372036854775808n || value > 9223372036854775807n) throw invalid(raw, "long (64-bit integer)");
  return value;
}

/** An int cell (32-bit JSON integer) to a number. */
export function decodeInt(raw: string): number | null {
  if (raw === "null") return null;
  const text = raw.charCodeAt(0) === QUOTE ? unquotePlain(raw, "int") : raw;
  const n = text.length > 0 && text.length <= 11 ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647 || !isIntegerToken(text)) throw invalid(raw, "int");
  return n;
}

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** A real cell to a number; the service sends NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity". */
export function decodeReal(raw: string): number | null {
  if (raw === "null") return null;
  const first = raw.charCodeAt(0);
  if (first === QUOTE) {
    const text = unquotePlain(raw, "real");
    if (text === "NaN") return NaN;
    if (text === "Infinity" || text === "+Infinity") return Infinity;
    if (text === "-Infinity") return -Infinity;
    if (!JSON_NUMBER.test(text)) throw invalid(raw, "real");
    return Number(text);
  }
  if (JSON_NUMBER.test(raw)) return Number(raw);
  if (raw === "NaN" || raw === "-NaN") return NaN;
  if (raw === "Infinity") return Infinity;
  if (raw === "-Infinity") return -Infinity;
  throw invalid(raw, "real");
}

/** A bool cell to a boolean (JSON true/false; 1/0 are accepted as older tables send them). */
export function decodeBool(raw: string): boolean | null {
  switch (raw) {
    case "true":
    case "1":
      return true;
    case "false":
    case "0":
      return false;
    case "null":
      return null;
    default: {
      const lower = raw.toLowerCase();
      if (lower === '"true"') return true;
      if (lower === '"false"') return false;
      throw invalid(raw, "bool");
    }
  }
}

/**
 * The JSON text of a dynamic cell. The service sends an object or array as a JSON string holding its
 * compact JSON text ("{\"a\":1}"), but a dynamic string as the bare string and a number or bool as its
 * text, so the string "42" and the number 42 arrive alike. The rule, so that a value's type is never
 * changed: only a string whose text is a JSON object or array is embedded as JSON (with any line breaks
 * between tokens turned into spaces, so it sits on one NDJSON line); anything else stays the string token
 * the service sent. A cell that already is a JSON object, array, number or literal is returned as it is;
 * `null` gives null.
 */
export function dynamicJsonText(raw: string): string | null {
  if (raw === "null") return null;
  if (raw.charCodeAt(0) !== QUOTE) return raw;
  const inner = decodeString(raw);
  if (inner === null) return raw;
  const first = firstNonSpace(inner);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return raw;
  try {
    JSON.parse(inner);
  } catch {
    return raw;
  }
  // A valid JSON text can hold a raw CR/LF only as whitespace between tokens.
  return inner.indexOf("\n") === -1 && inner.indexOf("\r") === -1 ? inner : inner.replace(/[\r\n]/g, " ");
}

const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;

/** The first character code of `s` that is not JSON whitespace, or -1. */
function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return c;
  }
  return -1;
}

/** A timespan cell ("[-][d.]hh:mm:ss[.fffffff]") to its text and its length in 100 ns ticks. */
export function decodeTimespan(raw: string): DecodedTimespan | null {
  if (raw === "null") return null;
  const s = unquotePlain(raw, "timespan");
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  const firstColon = s.indexOf(":", i);
  if (firstColon < 0 || s.length < firstColon + 6 || s.charCodeAt(firstColon + 3) !== 58) throw invalid(raw, "timespan");
  const dot = s.indexOf(".", i);
  let days = 0;
  let hoursStart = i;
  if (dot >= 0 && dot < firstColon) {
    if (dot === i || dot - i > 8) throw invalid(raw, "timespan");
    for (let k = i; k < dot; k++) {
      const d = digit(s, k);
      if (d < 0) throw invalid(raw, "timespan");
      days = days * 10 + d;
    }
    hoursStart = dot + 1;
  }
  if (firstColon - hoursStart !== 2) throw invalid(raw, "timespan");
  const hours = twoDigits(s, hoursStart);
  const minutes = twoDigits(s, firstColon + 1);
  const seconds = twoDigits(s, firstColon + 4);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) throw invalid(raw, "timespan");
  let ticksFraction = 0;
  const afterSeconds = firstColon + 6;
  if (s.length > afterSeconds) {
    if (s.charCodeAt(afterSeconds) !== 46) throw invalid(raw, "timespan");
    ticksFraction = fraction(s, afterSeconds + 1, s.length, 7);
    if (ticksFraction < 0) throw invalid(raw, "timespan");
  }
  const totalSeconds = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  const ticks = BigInt(totalSeconds) * 10_000_000n + BigInt(ticksFraction);
  return { text: s, ticks: negative ? -ticks : ticks };
}
