import { test } from "node:test";
import assert from "node:assert/strict";
import { badDurationMessage, formatDuration, parseDuration } from "./duration.ts";

test("parseDuration: accepted forms", () => {
  const cases: Array<[string, number]> = [
    ["PT5M", 300_000],
    ["PT1.5S", 1500],
    ["PT0.001S", 1],
    ["PT0S", 0],
    ["P2D", 172_800_000],
    ["P1W", 604_800_000],
    ["P1DT2H3M4.25S", 93_784_250],
    ["PT36H", 129_600_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test("parseDuration: refused forms", () => {
  for (const text of ["", "P", "PT", "P1DT", "5m", "PT5m", "pt5m", "P5M", "P1Y", "PT1.0001S", "PT-5M", "P1W2D", "PT1.5M", "P1D ", " PT5M"]) {
    assert.equal(parseDuration(text), undefined, JSON.stringify(text));
  }
});

test("formatDuration is the inverse of parseDuration", () => {
  for (const text of ["PT5M", "PT1.5S", "P2D", "P1DT2H3M4.25S", "PT0S", "PT0.001S", "PT1H30M"]) {
    assert.equal(formatDuration(parseDuration(text)!), text);
  }
  assert.equal(formatDuration(604_800_000), "P7D");
});

test("badDurationMessage explains the usual slips", () => {
  assert.equal(badDurationMessage("P5M"), `"P5M" uses years or months, which have no fixed length — for minutes write "PT5M", for days e.g. "P30D"`);
  assert.equal(badDurationMessage("pt5m"), `"pt5m" must be written in upper case: "PT5M"`);
  assert.equal(badDurationMessage("5m"), `"5m" is not an ISO 8601 duration — write "PT5M"`);
  assert.equal(badDurationMessage("2d"), `"2d" is not an ISO 8601 duration — write "P2D"`);
  assert.equal(badDurationMessage("500ms"), `"500ms" is not an ISO 8601 duration — write "PT0.5S"`);
  assert.equal(badDurationMessage(300), `must be an ISO 8601 duration string — write e.g. "PT5M" (5 minutes), "PT1.5S" or "P2D"`);
});
