import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalDatetime, datetimeTexts, decimalIntegerDigits, decimalText, guidText } from "./cell-text.ts";

describe("sql cell texts", () => {
  it("canonical datetimes: fixed width, exact to 100 ns, floor for instants before 1970", () => {
    assert.equal(canonicalDatetime(0n), "1970-01-01T00:00:00.0000000Z");
    assert.equal(canonicalDatetime(-100n), "1969-12-31T23:59:59.9999999Z");
    assert.equal(canonicalDatetime(1n), "1970-01-01T00:00:00.000000001Z");
    assert.equal(canonicalDatetime(-62135596800000000000n), "0001-01-01T00:00:00.0000000Z");
  });

  it("datetime texts: the service's 7-digit form passes through, other forms are normalized", () => {
    assert.deepEqual(datetimeTexts('"2026-11-22T03:00:00.1234567Z"'), { canonical: "2026-11-22T03:00:00.1234567Z", micros: "2026-11-22 03:00:00.123456" });
    assert.deepEqual(datetimeTexts('"2026-11-22T03:00:00Z"'), { canonical: "2026-11-22T03:00:00.0000000Z", micros: "2026-11-22 03:00:00.000000" });
    assert.deepEqual(datetimeTexts('"2026-11-22T03:00:00.5Z"'), { canonical: "2026-11-22T03:00:00.5000000Z", micros: "2026-11-22 03:00:00.500000" });
    assert.equal(datetimeTexts("null"), null);
    // Every fraction length gives the same canonical text as the arithmetic path.
    for (const frac of ["", ".1", ".12", ".123", ".1234", ".12345", ".123456", ".1234567"]) {
      const raw = `"1999-12-31T23:59:59${frac}Z"`;
      const t = datetimeTexts(raw)!;
      assert.equal(t.canonical.length, 28);
      assert.equal(Date.parse(t.canonical.slice(0, 23) + "Z"), Date.parse(`1999-12-31T23:59:59${frac.slice(0, 4)}Z`));
    }
  });

  it("decimals: exact text, integer digits counted after the exponent", () => {
    assert.equal(decimalText('"-12.500"'), "-12.500");
    assert.equal(decimalText("1.5"), "1.5");
    assert.equal(decimalText("null"), null);
    assert.throws(() => decimalText('"12,5"'), { code: "SINK_SCHEMA" });
    assert.equal(decimalIntegerDigits("0.0001"), 0);
    assert.equal(decimalIntegerDigits("-000123.45"), 3);
    assert.equal(decimalIntegerDigits("1.5e3"), 4);
    assert.equal(decimalIntegerDigits("15e-1"), 1);
    assert.equal(decimalIntegerDigits("79228162514264337593543950335"), 29);
  });

  it("guids are checked", () => {
    assert.equal(guidText('"3f2504e0-4f89-11d3-9a0c-0305e82c3301"'), "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    assert.throws(() => guidText('"not-a-guid"'), { code: "SINK_SCHEMA" });
  });
});
