/**
 * SQLite type mapping of Log Analytics columns (tables are STRICT), and the value encoder of each.
 *
 *   Log Analytics | SQLite column(s)                       | notes
 *   --------------|----------------------------------------|----------------------------------------------
 *   bool          | INTEGER                                | 1 / 0
 *   int           | INTEGER                                |
 *   long          | INTEGER                                | 64-bit, exact beyond 2^53
 *   real          | REAL                                   | ±Infinity kept; NaN becomes NULL (SQLite
 *                 |                                        | stores no NaN), warned
 *   decimal       | TEXT                                   | exact decimal text (SQLite has no decimal type)
 *   string        | TEXT                                   |
 *   guid          | TEXT                                   |
 *   datetime      | TEXT                                   | exact, canonical "YYYY-MM-DDTHH:MM:SS.fffffffZ":
 *                 |                                        | fixed width, so text order is time order, and
 *                 |                                        | SQLite's date functions read it
 *   timespan      | TEXT + <col>__ticks INTEGER            | text as sent ("1.02:03:04.5000000"); exact ticks
 *   dynamic       | TEXT CHECK (json_valid(<col>))         | the JSON text as sent
 *   (all tables)  | _window_start, _window_end TEXT        | ISO instants with milliseconds
 */
import type { Column, ColumnType } from "../../../table.ts";
import { decodeBool, decodeInt, decodeLong, decodeReal, decodeString, decodeTimespan, dynamicJsonText } from "../../cells.ts";
import { datetimeTexts, decimalText, guidText } from "../cell-text.ts";
import type { ColumnDef } from "../dialect.ts";
import { quoteSqlite } from "./sqlite-session.ts";

/** Appends the bound values of one cell to `out`. */
export type SqliteEncoder = (raw: string, out: Array<string | number | bigint | null>, warn: (problem: string) => void) => void;

interface SqliteMapping {
  defs(name: string): ColumnDef[];
  encode: SqliteEncoder;
}

const one = (type: string) => (name: string): ColumnDef[] => [{ name, type }];

const MAPPINGS: Record<ColumnType, SqliteMapping> = {
  bool: {
    defs: one("INTEGER"),
    encode: (raw, out) => {
      const v = decodeBool(raw);
      out.push(v === null ? null : v ? 1 : 0);
    },
  },
  int: { defs: one("INTEGER"), encode: (raw, out) => void out.push(decodeInt(raw)) },
  long: { defs: one("INTEGER"), encode: (raw, out) => void out.push(decodeLong(raw)) },
  real: {
    defs: one("REAL"),
    encode: (raw, out, warn) => {
      const v = decodeReal(raw);
      if (v !== null && Number.isNaN(v)) {
        warn("NaN values (SQLite stores no NaN) were stored as NULL");
        out.push(null);
      } else {
        out.push(v);
      }
    },
  },
  decimal: { defs: one("TEXT"), encode: (raw, out) => void out.push(decimalText(raw)) },
  string: { defs: one("TEXT"), encode: (raw, out) => void out.push(decodeString(raw)) },
  guid: { defs: one("TEXT"), encode: (raw, out) => void out.push(guidText(raw)) },
  datetime: { defs: one("TEXT"), encode: (raw, out) => void out.push(datetimeTexts(raw)?.canonical ?? null) },
  timespan: {
    defs: (name) => [
      { name, type: "TEXT" },
      { name: `${name}__ticks`, type: "INTEGER" },
    ],
    encode: (raw, out) => {
      const v = decodeTimespan(raw);
      if (v === null) out.push(null, null);
      else out.push(v.text, v.ticks);
    },
  },
  dynamic: {
    defs: (name) => [{ name, type: `TEXT CHECK (json_valid(${quoteSqlite(name)}))` }],
    encode: (raw, out) => void out.push(dynamicJsonText(raw)),
  },
};

export function sqliteColumnDefs(column: Column): ColumnDef[] {
  return MAPPINGS[column.type].defs(column.name);
}

export function sqliteEncoder(type: ColumnType): SqliteEncoder {
  return MAPPINGS[type].encode;
}

/** The type of a staging column: the same storage class without constraints. */
export function stageType(def: ColumnDef): string {
  return def.type.replace(/ CHECK .*$/s, "");
}
