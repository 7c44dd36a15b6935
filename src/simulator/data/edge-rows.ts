/**
 * Values for the simulator-only `MonitorliftTypes` table: one column of every
 * Log Analytics type, full of edge values (longs beyond 2^53, extreme
 * datetimes and timespans, long decimals, unicode/emoji/escapes, nested
 * dynamic), with a null in every column and one all-null row, then one row per dynamic scalar
 * (DYNAMIC_SCALARS).
 * Values use the catalog representation (catalog.ts).
 */
import type { SimValue } from "../catalog.ts";
import { randomGuid } from "./ids.ts";
import type { Rng } from "./prng.ts";

const TICKS_PER_SECOND = 10_000_000n;

/** Ticks of an ISO instant with up to 7 fractional digits. */
export function isoTicks(iso: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z$/.exec(iso);
  if (!m) throw new RangeError(`bad edge datetime ${iso}`);
  const ms = Date.parse(`${m[1]}Z`);
  const frac = BigInt((m[2] ?? "").padEnd(7, "0"));
  return (BigInt(ms) / 1000n) * TICKS_PER_SECOND + frac;
}

function span(days: number, h: number, m: number, s: number, ticks = 0): bigint {
  return BigInt(((days * 24 + h) * 60 + m) * 60 + s) * TICKS_PER_SECOND + BigInt(ticks);
}

const LONG_STRING = "0123456789abcdef—ünïcødé—".repeat(200);

/** Column name → values; all lists have EDGE_ROWS entries. */
function columnValues(rng: Rng): Record<string, SimValue[]> {
  return {
    BoolValue: [true, false, null, true, false, true, false, true, false, true],
    DatetimeValue: [
      isoTicks("2024-02-29T12:34:56.1234567Z"),
      0n,
      isoTicks("0001-01-01T00:00:00Z"),
      isoTicks("9999-12-31T23:59:59.9999999Z"),
      isoTicks("2024-01-01T00:00:00.1Z"),
      -1n,
      null,
      isoTicks("2021-06-02T00:18:13.317Z"),
      isoTicks("2000-01-01T00:00:00.0000001Z"),
      isoTicks("2030-07-15T08:09:10Z"),
    ],
    DynamicValue: [
      { a: 123, b: "hello", c: [1, 2, 3], d: {} },
      [],
      {},
      { emoji: "😀👩‍👩‍👧", nested: { "ünï": "çødé", arr: [1, "two", null, true, { k: 'v"q' }] } },
      { escapes: 'line1\nline2\ttab \\ back "quote" \u0001 ctrl', html: "<b>&amp;</b>" },
      null,
      [1.5, -2, 0.1, 123456.789],
      { deep: { deeper: { deepest: { level: 4, list: [[1], [2, [3]]] } } } },
      [{ x: null }, { y: false }],
      { "中文": "值", "key with spaces": "v", "": "empty key" },
    ],
    IntValue: [0, 1, -1, 2147483647, -2147483648, null, 42, 1000000, -999, 7],
    LongValue: [
      0n,
      9007199254740993n,
      -9007199254740993n,
      9223372036854775807n,
      -9223372036854775808n,
      42n,
      null,
      1n,
      -1n,
      1234567890123n,
    ],
    RealValue: [0, -1.5, 0.1, 3.141592653589793, 123456.789, -0.000123, Number.NaN, Infinity, -Infinity, null],
    DecimalValue: [
      "0",
      "0.10101",
      "-79228162514264337593543950335",
      "79228162514264337593543950335",
      "3.1415926535897932384626433833",
      "1234567890.0987654321",
      null,
      "-0.0000000000000000000000000001",
      "100",
      "1.5",
    ],
    StringValue: [
      "",
      "plain ascii",
      "quote \" and 'apostrophe'",
      "back\\slash and /slash",
      "new\nline\r\ncrlf\ttab",
      "ünïcødé 中文 😀 👩‍👩‍👧 🎉",
      "control \u0000 \u0001 \u001f \u007f end",
      "</script><!-- -->",
      null,
      LONG_STRING,
    ],
    GuidValue: [
      "00000000-0000-0000-0000-000000000000",
      "74be27de-1e4e-49d9-b579-fe0b331d3642",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      null,
      randomGuid(rng),
      randomGuid(rng),
      randomGuid(rng),
      randomGuid(rng),
      randomGuid(rng),
      randomGuid(rng),
    ],
    TimespanValue: [
      0n,
      span(0, 0, 0, 10),
      span(1, 2, 3, 4, 5_000_000),
      -1n,
      9223372036854775807n,
      -9223372036854775808n,
      null,
      1n,
      -span(3, 4, 5, 6),
      span(0, 1, 0, 0),
    ],
  };
}

export const EDGE_ROWS = 10;

/**
 * Dynamic values that are not objects or arrays, each in a row of its own after the all-null row, marked by
 * IntValue = DYNAMIC_SCALAR_MARK + its index. On the wire the service sends a dynamic string as the bare
 * string and a dynamic number or bool as its text, so the string "42" and the number 42 look alike; only
 * objects and arrays arrive as JSON text.
 */
export const DYNAMIC_SCALARS: readonly SimValue[] = ["42", "true", "null", "", "plain", 42, true, "{not json", "[1,2"];
export const DYNAMIC_SCALAR_MARK = 100;

/** Rows in the table: the edge rows, one with every typed column null, then the dynamic scalar rows. */
export const TYPES_TABLE_ROWS = EDGE_ROWS + 1 + DYNAMIC_SCALARS.length;

/**
 * Builds the rows of MonitorliftTypes. `timeGenerated[i]` and `itemIds[i]` give
 * each row's time and id; the column order is the one of schemas.ts.
 */
export function typesTableRows(rng: Rng, timeGenerated: readonly bigint[], itemIds: readonly string[]): SimValue[][] {
  const cols = columnValues(rng);
  const order = [
    "BoolValue",
    "DatetimeValue",
    "DynamicValue",
    "IntValue",
    "LongValue",
    "RealValue",
    "DecimalValue",
    "StringValue",
    "GuidValue",
    "TimespanValue",
  ];
  const rows: SimValue[][] = [];
  for (let i = 0; i < TYPES_TABLE_ROWS; i++) {
    const scalar = i - EDGE_ROWS - 1;
    const typed = order.map((name) => {
      if (i < EDGE_ROWS) return cols[name]?.[i] ?? null;
      if (scalar < 0) return null;
      if (name === "DynamicValue") return DYNAMIC_SCALARS[scalar]!;
      return name === "IntValue" ? DYNAMIC_SCALAR_MARK + scalar : null;
    });
    rows.push([timeGenerated[i] ?? null, ...typed, "MonitorliftTypes", itemIds[i] ?? null]);
  }
  return rows;
}
