import { test } from "node:test";
import assert from "node:assert/strict";
import { SinkError } from "../errors.ts";
import { decodeBool, decodeDatetime, decodeInt, decodeLong, decodeReal, decodeString, decodeTimespan, dynamicJsonText } from "./cells.ts";

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof SinkError && err.code === "SINK_SCHEMA" && pattern.test(err.message));
}

test("decodeString: plain, escaped, unicode, null and non-string tokens", () => {
  assert.equal(decodeString('"abc"'), "abc");
  assert.equal(decodeString('""'), "");
  assert.equal(decodeString('"a\\"b\\\\c\\n\\u00e9\\ud83d\\ude00"'), 'a"b\\c\né😀');
  assert.equal(decodeString('"héllo 😀"'), "héllo 😀");
  assert.equal(decodeString("null"), null);
  assert.equal(decodeString("42"), "42");
  rejects(() => decodeString('"abc'), /not a valid string/);
  rejects(() => decodeString('"a\\x"'), /not a valid string/);
});

test("decodeDatetime: exact to 100 ns for every fraction length, any year", () => {
  assert.deepEqual(decodeDatetime('"2026-11-22T03:00:00Z"'), {
    text: "2026-11-22T03:00:00Z",
    epochNanos: BigInt(Date.UTC(2026, 10, 22, 3)) * 1_000_000n,
  });
  const base = BigInt(Date.UTC(2026, 10, 22, 3)) * 1_000_000n;
  assert.equal(decodeDatetime('"2026-11-22T03:00:00.1234567Z"')!.epochNanos, base + 123_456_700n);
  assert.equal(decodeDatetime('"2026-11-22T03:00:00.1Z"')!.epochNanos, base + 100_000_000n);
  assert.equal(decodeDatetime('"2026-11-22T03:00:00.0000001Z"')!.epochNanos, base + 100n);
  assert.equal(decodeDatetime('"2026-11-22T03:00:00.123456789Z"')!.epochNanos, base + 123_456_789n);
  assert.equal(decodeDatetime('"1970-01-01T00:00:00Z"')!.epochNanos, 0n);
  assert.equal(decodeDatetime('"1969-12-31T23:59:59.9999999Z"')!.epochNanos, -100n);
  assert.equal(decodeDatetime('"2024-02-29T12:00:00Z"')!.epochNanos, BigInt(Date.UTC(2024, 1, 29, 12)) * 1_000_000n);
  // years below 100 (Date.UTC would map them to 19xx) and the far end of the range
  assert.equal(decodeDatetime('"0001-01-01T00:00:00Z"')!.epochNanos, -62135596800n * 1_000_000_000n);
  assert.equal(decodeDatetime('"9999-12-31T23:59:59.9999999Z"')!.epochNanos, 253402300799n * 1_000_000_000n + 999_999_900n);
  assert.equal(decodeDatetime("null"), null);
  for (const bad of ['"2026-13-01T00:00:00Z"', '"2025-02-29T00:00:00Z"', '"2026-11-22 03:00:00Z"', '"2026-11-22T03:00:00"', '"2026-11-22T03:00:00.Z"', '"2026-11-22T24:00:00Z"', "12", '"2026-11-22T03:00:00.1234567890Z"']) {
    rejects(() => decodeDatetime(bad), /not a valid datetime/);
  }
});

test("decodeLong: exact beyond 2^53, quoted accepted, range checked", () => {
  assert.equal(decodeLong("9007199254740993"), 9007199254740993n);
  assert.equal(decodeLong("-9223372036854775808"), -9223372036854775808n);
  assert.equal(decodeLong("9223372036854775807"), 9223372036854775807n);
  assert.equal(decodeLong('"123"'), 123n);
  assert.equal(decodeLong("0"), 0n);
  assert.equal(decodeLong("null"), null);
  for (const bad of ["9223372036854775808", "1.5", "1e3", "", "0x10", " 1", "-"]) rejects(() => decodeLong(bad), /not a valid long/);
});

test("decodeInt: 32-bit range", () => {
  assert.equal(decodeInt("-2147483648"), -2147483648);
  assert.equal(decodeInt("2147483647"), 2147483647);
  assert.equal(decodeInt("0"), 0);
  assert.equal(decodeInt("null"), null);
  for (const bad of ["2147483648", "1.5", "", "1e3", "true"]) rejects(() => decodeInt(bad), /not a valid int/);
});

test("decodeReal: numbers, NaN and infinities as strings, strict JSON numbers", () => {
  assert.equal(decodeReal("1.5"), 1.5);
  assert.equal(decodeReal("-0"), -0);
  assert.equal(decodeReal("1e308"), 1e308);
  assert.equal(decodeReal("3"), 3);
  assert.equal(decodeReal('"NaN"'), NaN);
  assert.equal(decodeReal('"Infinity"'), Infinity);
  assert.equal(decodeReal('"-Infinity"'), -Infinity);
  assert.equal(decodeReal("NaN"), NaN);
  assert.equal(decodeReal("null"), null);
  for (const bad of ["0x1f", "", "abc", '"abc"', "1.", ".5", "0b1"]) rejects(() => decodeReal(bad), /not a valid real/);
});

test("decodeBool", () => {
  assert.equal(decodeBool("true"), true);
  assert.equal(decodeBool("false"), false);
  assert.equal(decodeBool("1"), true);
  assert.equal(decodeBool("0"), false);
  assert.equal(decodeBool('"True"'), true);
  assert.equal(decodeBool("null"), null);
  rejects(() => decodeBool("yes"), /not a valid bool/);
});

test("dynamicJsonText: object and array text kept exactly; any other string stays the string sent (types never change)", () => {
  assert.equal(dynamicJsonText('"{\\"a\\":1,\\"big\\":12345678901234567890}"'), '{"a":1,"big":12345678901234567890}');
  assert.equal(dynamicJsonText('"[1,\\"x\\",{\\"n\\":null}]"'), '[1,"x",{"n":null}]');
  assert.equal(dynamicJsonText('" [1, 2] "'), " [1, 2] ", "leading and trailing JSON whitespace");
  // A dynamic string "42", "true" or "null" (or a number / bool, which the service sends the same way) stays a string.
  assert.equal(dynamicJsonText('"42"'), '"42"');
  assert.equal(dynamicJsonText('"true"'), '"true"');
  assert.equal(dynamicJsonText('"null"'), '"null"');
  assert.equal(dynamicJsonText('"-1.5e3"'), '"-1.5e3"');
  assert.equal(dynamicJsonText('"\\"quoted\\""'), '"\\"quoted\\""', "a string whose text is a JSON string stays that string");
  assert.equal(dynamicJsonText('"{not json"'), '"{not json"');
  assert.equal(dynamicJsonText('"[1,2"'), '"[1,2"');
  assert.equal(dynamicJsonText('"not json"'), '"not json"');
  assert.equal(dynamicJsonText('""'), '""');
  assert.equal(dynamicJsonText('"{\\n  \\"a\\": 1\\r\\n}"'), '{   "a": 1  }');
  assert.equal(dynamicJsonText('{"a":1}'), '{"a":1}');
  assert.equal(dynamicJsonText("null"), null);
});

test("decodeTimespan: text and ticks", () => {
  assert.deepEqual(decodeTimespan('"00:00:10"'), { text: "00:00:10", ticks: 100_000_000n });
  assert.deepEqual(decodeTimespan('"1.02:03:04.5000000"'), { text: "1.02:03:04.5000000", ticks: ((26n * 60n + 3n) * 60n + 4n) * 10_000_000n + 5_000_000n });
  assert.equal(decodeTimespan('"-00:00:00.0000001"')!.ticks, -1n);
  assert.equal(decodeTimespan('"10675199.02:48:05.4775807"')!.ticks, 9223372036854775807n);
  assert.equal(decodeTimespan('"00:00:00.5"')!.ticks, 5_000_000n);
  assert.equal(decodeTimespan("null"), null);
  for (const bad of ['"0:00:10"', '"00:60:00"', '"1.2"', '"00:00:10.12345678"', "10", '".00:00:00"']) rejects(() => decodeTimespan(bad), /not a valid timespan/);
});
