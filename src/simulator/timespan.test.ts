import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIsoDuration, parseIsoInstant, parseTimespan, TimespanError } from "./timespan.ts";

const S = 10_000_000n;
const at = (iso: string) => BigInt(Date.parse(iso)) * 10_000n;

test("ISO 8601 durations in exact ticks", () => {
  assert.equal(parseIsoDuration("PT1H"), 3600n * S);
  assert.equal(parseIsoDuration("P1D"), 86400n * S);
  assert.equal(parseIsoDuration("P1DT2H3M4.5S"), (86400n + 7200n + 180n + 4n) * S + 5_000_000n);
  assert.equal(parseIsoDuration("PT0.0000001S"), 1n);
  assert.equal(parseIsoDuration("P2W"), 14n * 86400n * S);
  assert.equal(parseIsoDuration("PT1.5M"), 90n * S);
  assert.equal(parseIsoDuration("P1Y"), 365n * 86400n * S);
  for (const bad of ["", "P", "PT", "1H", "PT1H30", "P1H", "PT-1H", "P1DT"]) assert.equal(parseIsoDuration(bad), undefined, bad);
});

test("ISO 8601 instants with 7 fraction digits, zones, or none", () => {
  assert.equal(parseIsoInstant("2024-01-02T03:04:05Z"), at("2024-01-02T03:04:05Z"));
  assert.equal(parseIsoInstant("2024-01-02T03:04:05.1234567Z"), at("2024-01-02T03:04:05Z") + 1_234_567n);
  assert.equal(parseIsoInstant("2024-01-02T03:04:05.000Z"), at("2024-01-02T03:04:05Z"));
  assert.equal(parseIsoInstant("2024-01-02T05:04:05+02:00"), at("2024-01-02T03:04:05Z"));
  assert.equal(parseIsoInstant("2024-01-02T03:04:05"), at("2024-01-02T03:04:05Z"));
  assert.equal(parseIsoInstant("2024-01-02"), at("2024-01-02T00:00:00Z"));
  assert.equal(parseIsoInstant("2024-02-30T00:00:00Z"), undefined);
  assert.equal(parseIsoInstant("PT1H"), undefined);
});

test("every timespan form resolves to [start, end]", () => {
  const now = at("2026-01-10T12:00:00Z");
  assert.deepEqual(parseTimespan("2026-01-10T10:00:00Z/2026-01-10T11:00:00Z", now), {
    start: at("2026-01-10T10:00:00Z"),
    end: at("2026-01-10T11:00:00Z"),
  });
  assert.deepEqual(parseTimespan("2026-01-10T10:00:00.000Z/PT30M", now), {
    start: at("2026-01-10T10:00:00Z"),
    end: at("2026-01-10T10:30:00Z"),
  });
  assert.deepEqual(parseTimespan("PT30M/2026-01-10T10:00:00Z", now), {
    start: at("2026-01-10T09:30:00Z"),
    end: at("2026-01-10T10:00:00Z"),
  });
  assert.deepEqual(parseTimespan("P1DT2H3M4.5S", now), { start: now - ((86400n + 7384n) * S + 5_000_000n), end: now });
});

test("invalid timespans throw TimespanError naming the value", () => {
  const now = at("2026-01-10T12:00:00Z");
  for (const bad of ["yesterday", "2026-01-10T11:00:00Z/2026-01-10T10:00:00Z", "a/b", "PT1H/PT2H", "x/y/z"]) {
    assert.throws(() => parseTimespan(bad, now), (e: unknown) => e instanceof TimespanError && e.message.includes(bad));
  }
});
