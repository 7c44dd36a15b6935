/**
 * MySQL / MariaDB type mapping of Log Analytics columns, and the parameter encoder of each.
 * Tables are InnoDB, utf8mb4 with binary collation (exact, case-sensitive text).
 *
 *   Log Analytics | MySQL / MariaDB column(s)                    | notes
 *   --------------|----------------------------------------------|--------------------------------------------
 *   bool          | BOOLEAN (TINYINT(1))                         | 1 / 0
 *   int           | INT                                          |
 *   long          | BIGINT                                       | exact beyond 2^53
 *   real          | DOUBLE                                       | NaN, ±Infinity → NULL (not storable), warned
 *   decimal       | DECIMAL(65,30) + <col>__text VARCHAR(255)    | __text exact; DECIMAL rounds past 30
 *                 |                                              | fraction digits, NULL past 35 integer digits
 *   string        | LONGTEXT                                     |
 *   guid          | CHAR(36)                                     |
 *   datetime      | DATETIME(6) + <col>__text VARCHAR(30)        | DATETIME: UTC, µs (truncated), NULL before
 *                 |                                              | year 1000 (warned); __text exact canonical
 *                 |                                              | "YYYY-MM-DDTHH:MM:SS.fffffffZ"
 *   timespan      | VARCHAR(32) + <col>__ticks BIGINT            | text as sent ("1.02:03:04.5000000"): TIME
 *                 |                                              | only spans ±838 h; exact ticks
 *   dynamic       | JSON                                         | MySQL: binary JSON (normalized; integers
 *                 |                                              | beyond 64 bits become doubles); MariaDB:
 *                 |                                              | LONGTEXT + CHECK (JSON_VALID), text as sent
 *   (all tables)  | _window_start, _window_end DATETIME(3)       | UTC, + index
 */
import type { Column, ColumnType } from "../../../table.ts";
import { decodeBool, decodeInt, decodeLong, decodeReal, decodeString, decodeTimespan, dynamicJsonText } from "../../cells.ts";
import { datetimeTexts, decimalIntegerDigits, decimalText, guidText } from "../cell-text.ts";
import type { ColumnDef } from "../dialect.ts";

export type MysqlValue = string | number | null;
/** Appends the parameter values of one cell to `out`. */
export type MysqlEncoder = (raw: string, out: MysqlValue[], warn: (problem: string) => void) => void;

interface MysqlMapping {
  defs(name: string): ColumnDef[];
  encode: MysqlEncoder;
}

const ASCII = "CHARACTER SET ascii COLLATE ascii_bin";
const one = (type: string) => (name: string): ColumnDef[] => [{ name, type }];

const MAPPINGS: Record<ColumnType, MysqlMapping> = {
  bool: {
    defs: one("BOOLEAN"),
    encode: (raw, out) => {
      const v = decodeBool(raw);
      out.push(v === null ? null : v ? 1 : 0);
    },
  },
  int: { defs: one("INT"), encode: (raw, out) => void out.push(decodeInt(raw)) },
  long: {
    defs: one("BIGINT"),
    encode: (raw, out) => {
      const v = decodeLong(raw);
      out.push(v === null ? null : v.toString());
    },
  },
  real: {
    defs: one("DOUBLE"),
    encode: (raw, out, warn) => {
      const v = decodeReal(raw);
      if (v !== null && !Number.isFinite(v)) {
        warn("NaN and ±Infinity (MySQL DOUBLE cannot hold them) were stored as NULL");
        out.push(null);
      } else {
        out.push(v);
      }
    },
  },
  decimal: {
    defs: (name) => [
      { name, type: "DECIMAL(65,30)" },
      { name: `${name}__text`, type: `VARCHAR(255) ${ASCII}` },
    ],
    encode: (raw, out, warn) => {
      const v = decimalText(raw);
      if (v === null) {
        out.push(null, null);
      } else if (decimalIntegerDigits(v) > 35) {
        warn("decimals with more than 35 integer digits do not fit DECIMAL(65,30): NULL there, exact in __text");
        out.push(null, v);
      } else {
        out.push(v, v);
      }
    },
  },
  string: { defs: one("LONGTEXT"), encode: (raw, out) => void out.push(decodeString(raw)) },
  guid: { defs: one(`CHAR(36) ${ASCII}`), encode: (raw, out) => void out.push(guidText(raw)) },
  datetime: {
    defs: (name) => [
      { name, type: "DATETIME(6)" },
      { name: `${name}__text`, type: `VARCHAR(30) ${ASCII}` },
    ],
    encode: (raw, out, warn) => {
      const v = datetimeTexts(raw);
      if (v === null) {
        out.push(null, null);
      } else if (v.micros < "1000") {
        warn("datetimes before year 1000 (outside DATETIME) are NULL there, exact in __text");
        out.push(null, v.canonical);
      } else {
        out.push(v.micros, v.canonical);
      }
    },
  },
  timespan: {
    defs: (name) => [
      { name, type: `VARCHAR(32) ${ASCII}` },
      { name: `${name}__ticks`, type: "BIGINT" },
    ],
    encode: (raw, out) => {
      const v = decodeTimespan(raw);
      if (v === null) out.push(null, null);
      else out.push(v.text, v.ticks.toString());
    },
  },
  dynamic: { defs: one("JSON"), encode: (raw, out) => void out.push(dynamicJsonText(raw)) },
};

export function mysqlColumnDefs(column: Column): ColumnDef[] {
  return MAPPINGS[column.type].defs(column.name);
}

export function mysqlEncoder(type: ColumnType): MysqlEncoder {
  return MAPPINGS[type].encode;
}
