import assert from "node:assert/strict";
import { test } from "node:test";
import { dynamicJson, formatDatetime, formatTimespan, realText } from "./values.ts";

const T = 10_000n; // ticks per ms

test("datetime text: ISO, Z, trailing fraction zeros dropped, no dot when whole", () => {
  assert.equal(formatDatetime(0n), "1970-01-01T00:00:00Z");
  assert.equal(formatDatetime(BigInt(Date.parse("2015-12-31T23:59:59.900Z")) * T), "2015-12-31T23:59:59.9Z");
  assert.equal(formatDatetime(BigInt(Date.parse("2021-06-02T00:18:13.317Z")) * T), "2021-06-02T00:18:13.317Z");
  assert.equal(formatDatetime(BigInt(Date.parse("2024-02-29T12:34:56Z")) * T + 1_234_567n), "2024-02-29T12:34:56.1234567Z");
  assert.equal(formatDatetime(1n), "1970-01-01T00:00:00.0000001Z");
  assert.equal(formatDatetime(-1n), "1969-12-31T23:59:59.9999999Z");
  assert.equal(formatDatetime(BigInt(Date.parse("0001-01-01T00:00:00Z")) * T), "0001-01-01T00:00:00Z");
  assert.equal(formatDatetime(BigInt(Date.parse("9999-12-31T23:59:59Z")) * T + 9_999_999n), "9999-12-31T23:59:59.9999999Z");
});

test("datetime text agrees with Date.toISOString on many instants (whole ms)", () => {
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const ms = Math.floor((x / 2147483648) * 8e12) - 2e12; // 1906..2223
    const iso = new Date(ms).toISOString().replace(/\.?0+Z$/, "Z").replace(/\.Z$/, "Z");
    assert.equal(formatDatetime(BigInt(ms) * T), iso, `ms=${ms}`);
  }
});

test("timespan text: .NET constant format, 7 fraction digits when not whole", () => {
  const s = 10_000_000n;
  assert.equal(formatTimespan(0n), "00:00:00");
  assert.equal(formatTimespan(10n * s), "00:00:10");
  assert.equal(formatTimespan(((86400n + 2n * 3600n + 3n * 60n + 4n) * s) + 5_000_000n), "1.02:03:04.5000000");
  assert.equal(formatTimespan(1n), "00:00:00.0000001");
  assert.equal(formatTimespan(-1n), "-00:00:00.0000001");
  assert.equal(formatTimespan(-((3n * 86400n + 4n * 3600n + 5n * 60n + 6n) * s)), "-3.04:05:06");
  assert.equal(formatTimespan(9223372036854775807n), "10675199.02:48:05.4775807");
  assert.equal(formatTimespan(-9223372036854775808n), "-10675199.02:48:05.4775808");
});

test("real text: JSON numbers, non-finite as strings", () => {
  assert.equal(realText(12345.6789), "12345.6789");
  assert.equal(realText(0), "0");
  assert.equal(realText(Number.NaN), '"NaN"');
  assert.equal(realText(Infinity), '"Infinity"');
  assert.equal(realText(-Infinity), '"-Infinity"');
});

test("dynamic JSON is compact and keeps bigints exact", () => {
  assert.equal(dynamicJson({ a: 123, b: "hello", c: [1, 2, 3], d: {} }), '{"a":123,"b":"hello","c":[1,2,3],"d":{}}');
  assert.equal(dynamicJson({ big: 9007199254740993n }), '{"big":9007199254740993}');
  assert.equal(dynamicJson(null), "null");
});
