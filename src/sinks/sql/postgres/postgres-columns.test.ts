import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COPY_NULL, copyEscape, jsonbSafe, pgCopyEncoder } from "./postgres-columns.ts";
import { dollarPlaceholders } from "./postgres-session.ts";

describe("postgres COPY text encoding", () => {
  it("escapes backslash, newline, carriage return and tab, nothing else", () => {
    assert.equal(copyEscape("plain 😀 \"quotes\" 'single'"), "plain 😀 \"quotes\" 'single'");
    assert.equal(copyEscape("a\\b\nc\rd\te"), "a\\\\b\\nc\\rd\\te");
    assert.equal(copyEscape("\\N"), "\\\\N"); // text that looks like NULL stays text
    assert.equal(copyEscape("\\."), "\\\\."); // and cannot end the data
  });

  it("encodes each type, NULL as \\N", () => {
    const enc = (type: Parameters<typeof pgCopyEncoder>[0], raw: string) => {
      const out: string[] = [];
      pgCopyEncoder(type)(raw, out, () => undefined);
      return out;
    };
    assert.deepEqual(enc("bool", "true"), ["t"]);
    assert.deepEqual(enc("real", "-0"), ["-0"]);
    assert.deepEqual(enc("real", '"-Infinity"'), ["-Infinity"]);
    assert.deepEqual(enc("long", "-9223372036854775808"), ["-9223372036854775808"]);
    assert.deepEqual(enc("datetime", '"2026-11-22T03:00:00.1234567Z"'), ["2026-11-22 03:00:00.123456+00", "2026-11-22T03:00:00.1234567Z"]);
    assert.deepEqual(enc("timespan", '"-00:00:00.0000015"'), ["-1 microseconds", "-15"]);
    assert.deepEqual(enc("dynamic", JSON.stringify('{"p":"C:\\\\dir"}')), ['{"p":"C:\\\\\\\\dir"}']);
    assert.deepEqual(enc("string", "null"), [COPY_NULL]);
    assert.deepEqual(enc("datetime", "null"), [COPY_NULL, COPY_NULL]);
  });

  it("makes JSON text jsonb can store: \\u0000 and unpaired surrogates become \\ufffd, escaped backslashes stay", () => {
    assert.deepEqual(jsonbSafe('{"a":"x\\u0000y"}'), { text: '{"a":"x\\ufffdy"}', replaced: 1 });
    assert.deepEqual(jsonbSafe('{"a":"\\\\u0000"}'), { text: '{"a":"\\\\u0000"}', replaced: 0 });
    assert.deepEqual(jsonbSafe('"\\ud83d\\ude00"'), { text: '"\\ud83d\\ude00"', replaced: 0 });
    assert.deepEqual(jsonbSafe('"\\ud83d x \\ude00"'), { text: '"\\ufffd x \\ufffd"', replaced: 2 });
    assert.deepEqual(jsonbSafe('{"plain":1}'), { text: '{"plain":1}', replaced: 0 });
  });

  it("numbers placeholders outside quoted identifiers and literals", () => {
    assert.equal(dollarPlaceholders(`SELECT "a?""b?", 'c?' FROM t WHERE x = ? AND y = ?`), `SELECT "a?""b?", 'c?' FROM t WHERE x = $1 AND y = $2`);
  });
});
