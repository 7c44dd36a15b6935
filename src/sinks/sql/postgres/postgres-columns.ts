/**
 * PostgreSQL type mapping of Log Analytics columns, and the COPY text-format encoder of each.
 *
 *   Log Analytics | PostgreSQL column(s)                         | notes
 *   --------------|-----------------------------------------------|-------------------------------------------
 *   bool          | boolean                                       |
 *   int           | integer                                       |
 *   long          | bigint                                        | exact beyond 2^53
 *   real          | double precision                              | NaN, ±Infinity and -0 kept
 *   decimal       | numeric                                       | exact, scale kept ("1.50" stays "1.50")
 *   string        | text                                          | U+0000 (not storable) → U+FFFD, warned
 *   guid          | uuid                                          | lowercase on output
 *   datetime      | timestamptz  + <col>__text text               | timestamptz keeps µs (truncated); __text
 *                 |                                               | keeps the exact 100 ns value, canonical
 *                 |                                               | "YYYY-MM-DDTHH:MM:SS.fffffffZ" (sorts as text)
 *   timespan      | interval     + <col>__ticks bigint            | interval keeps µs (truncated toward 0), as hours
 *                 |                                               | (no day/month parts: 1 day = 24 h exactly);
 *                 |                                               | __ticks is the exact length in 100 ns ticks
 *   dynamic       | jsonb                                         | semantic JSON (key order/spaces normalized);
 *                 |                                               | \u0000 and lone surrogate escapes → \ufffd
 *   (every table) | _window_start, _window_end timestamptz        | the window a row came from
 */
import type { Column, ColumnType } from "../../../table.ts";
import { decodeBool, decodeInt, decodeLong, decodeReal, decodeString, decodeTimespan, dynamicJsonText } from "../../cells.ts";
import { datetimeTexts, decimalText, guidText } from "../cell-text.ts";
import type { ColumnDef } from "../dialect.ts";

export const COPY_NULL = "\\N";

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Escape a value for COPY … FROM STDIN in text format (tab-separated, \N for NULL). */
export function copyEscape(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/** JSON text PostgreSQL's jsonb accepts: \u0000 and unpaired surrogate escapes become \ufffd. */
export function jsonbSafe(json: string): { text: string; replaced: number } {
  if (json.indexOf("\\u") === -1) return { text: json, replaced: 0 };
  let out = "";
  let from = 0;
  let replaced = 0;
  const hexAt = (i: number) => (/^[0-9a-fA-F]{4}$/.test(json.slice(i, i + 4)) ? parseInt(json.slice(i, i + 4), 16) : -1);
  for (let i = 0; i < json.length; i++) {
    if (json.charCodeAt(i) !== 92) continue; // backslash
    if (json[i + 1] !== "u") {
      i++; // skip the escaped character (it may be a backslash)
      continue;
    }
    const code = hexAt(i + 2);
    let bad = code === 0;
    let length = 6;
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = json[i + 6] === "\\" && json[i + 7] === "u" ? hexAt(i + 8) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) length = 12;
      else bad = true;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      bad = true;
    }
    if (bad) {
      out += `${json.slice(from, i)}\\ufffd`;
      from = i + 6;
      replaced++;
    }
    i += length - 1;
  }
  return { text: from === 0 ? json : out + json.slice(from), replaced };
}

function realText(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  return Object.is(n, -0) ? "-0" : String(n);
}

/** Appends the COPY fields of one cell (already escaped) to `out`; `warn` counts altered cells. */
export type CopyEncoder = (raw: string, out: string[], warn: (problem: string) => void) => void;

interface PgMapping {
  defs(name: string): ColumnDef[];
  encode: CopyEncoder;
}

const one = (type: string) => (name: string): ColumnDef[] => [{ name, type }];

const MAPPINGS: Record<ColumnType, PgMapping> = {
  bool: {
    defs: one("boolean"),
    encode: (raw, out) => {
      const v = decodeBool(raw);
      out.push(v === null ? COPY_NULL : v ? "t" : "f");
    },
  },
  int: {
    defs: one("integer"),
    encode: (raw, out) => {
      const v = decodeInt(raw);
      out.push(v === null ? COPY_NULL : String(v));
    },
  },
  long: {
    defs: one("bigint"),
    encode: (raw, out) => {
      const v = decodeLong(raw);
      out.push(v === null ? COPY_NULL : v.toString());
    },
  },
  real: {
    defs: one("double precision"),
    encode: (raw, out) => {
      const v = decodeReal(raw);
      out.push(v === null ? COPY_NULL : realText(v));
    },
  },
  decimal: {
    defs: one("numeric"),
    encode: (raw, out) => {
      out.push(decimalText(raw) ?? COPY_NULL);
    },
  },
  string: {
    defs: one("text"),
    encode: (raw, out, warn) => {
      let v = decodeString(raw);
      if (v === null) {
        out.push(COPY_NULL);
        return;
      }
      if (v.indexOf("\u0000") !== -1) {
        v = v.replaceAll("\u0000", "\ufffd");
        warn("U+0000 characters (PostgreSQL text cannot hold them) were replaced by U+FFFD");
      }
      out.push(copyEscape(v));
    },
  },
  guid: {
    defs: one("uuid"),
    encode: (raw, out) => {
      out.push(guidText(raw) ?? COPY_NULL);
    },
  },
  datetime: {
    defs: (name) => [
      { name, type: "timestamptz" },
      { name: `${name}__text`, type: "text" },
    ],
    encode: (raw, out) => {
      const v = datetimeTexts(raw);
      if (v === null) out.push(COPY_NULL, COPY_NULL);
      else out.push(`${v.micros}+00`, v.canonical);
    },
  },
  timespan: {
    defs: (name) => [
      { name, type: "interval" },
      { name: `${name}__ticks`, type: "bigint" },
    ],
    encode: (raw, out) => {
      const v = decodeTimespan(raw);
      if (v === null) {
        out.push(COPY_NULL, COPY_NULL);
        return;
      }
      // Whole microseconds, truncated toward zero (BigInt division).
      out.push(`${v.ticks / 10n} microseconds`, v.ticks.toString());
    },
  },
  dynamic: {
    defs: one("jsonb"),
    encode: (raw, out, warn) => {
      const v = dynamicJsonText(raw);
      if (v === null) {
        out.push(COPY_NULL);
        return;
      }
      const safe = jsonbSafe(v);
      if (safe.replaced > 0) warn("\\u0000 or unpaired surrogate escapes (jsonb cannot hold them) were replaced by \\ufffd");
      out.push(copyEscape(safe.text));
    },
  },
};

export function pgColumnDefs(column: Column): ColumnDef[] {
  return MAPPINGS[column.type].defs(column.name);
}

export function pgCopyEncoder(type: ColumnType): CopyEncoder {
  return MAPPINGS[type].encode;
}
