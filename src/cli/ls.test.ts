import { test } from "node:test";
import assert from "node:assert/strict";
import { formatListings, listWindows, queryListing } from "./ls.ts";

const MIN = 60_000;
const T = Date.parse("2026-12-01T12:00:00Z");
const w = (a: number, b: number) => ({ start: T + a * MIN, end: T + b * MIN });

test("listWindows: recorded windows with their counts, split parts one by one, empty windows as 0, unknown counts as null", () => {
  const listed = listWindows(
    [
      { window: w(0, 5), rows: 12 },
      { window: w(10, 12.5), rows: 3 },
      { window: w(12.5, 15), rows: undefined },
    ],
    T,
    T + 20 * MIN,
    5 * MIN,
  );
  assert.deepEqual(listed, [
    { window: "2026-12-01T12:00:00.000Z/2026-12-01T12:05:00.000Z", rows: 12 },
    { window: "2026-12-01T12:05:00.000Z/2026-12-01T12:10:00.000Z", rows: 0 },
    { window: "2026-12-01T12:10:00.000Z/2026-12-01T12:12:30.000Z", rows: 3 },
    { window: "2026-12-01T12:12:30.000Z/2026-12-01T12:15:00.000Z", rows: null },
    { window: "2026-12-01T12:15:00.000Z/2026-12-01T12:20:00.000Z", rows: 0 },
  ]);
});

test("a single-source config lists exactly as before: no source in the lines or the JSON", () => {
  const windows = listWindows([{ window: w(0, 5), rows: 1 }, { window: w(5, 10), rows: undefined }], T, T + 15 * MIN, 5 * MIN);
  const listings = [queryListing({ name: "requests" }, T + 15 * MIN, windows), queryListing({ name: "traces" }, undefined, [])];
  assert.equal(
    formatListings(listings),
    [
      "requests (watermark 2026-12-01T12:15:00.000Z): 3 windows",
      "  2026-12-01T12:00:00.000Z/2026-12-01T12:05:00.000Z  1 row",
      "  2026-12-01T12:05:00.000Z/2026-12-01T12:10:00.000Z  ? rows (count unknown: run verify)",
      "  2026-12-01T12:10:00.000Z/2026-12-01T12:15:00.000Z  0 rows",
      "traces: nothing exported yet",
    ].join("\n"),
  );
  assert.deepEqual(listings.map((l) => Object.keys(l)), [
    ["query", "watermark", "windows"],
    ["query", "watermark", "windows"],
  ]);
});

test("named sources: ls names each query's source, in the lines and the JSON, as status and plan do", () => {
  const listings = [
    queryListing({ name: "requests_eu", sourceLabel: "prod-eu" }, T + 5 * MIN, listWindows([{ window: w(0, 5), rows: 2 }], T, T + 5 * MIN, 5 * MIN)),
    queryListing({ name: "requests_us", sourceLabel: "prod-us" }, undefined, []),
  ];
  assert.equal(
    formatListings(listings),
    [
      "requests_eu (source prod-eu) (watermark 2026-12-01T12:05:00.000Z): 1 window",
      "  2026-12-01T12:00:00.000Z/2026-12-01T12:05:00.000Z  2 rows",
      "requests_us (source prod-us): nothing exported yet",
    ].join("\n"),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(listings)), [
    { query: "requests_eu", source: "prod-eu", watermark: "2026-12-01T12:05:00.000Z", windows: [{ window: "2026-12-01T12:00:00.000Z/2026-12-01T12:05:00.000Z", rows: 2 }] },
    { query: "requests_us", source: "prod-us", watermark: null, windows: [] },
  ]);
});
