import { test } from "node:test";
import assert from "node:assert/strict";
import { listWindows } from "./ls.ts";

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
