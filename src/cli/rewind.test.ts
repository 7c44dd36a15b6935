import { test } from "node:test";
import assert from "node:assert/strict";
import { planRewind } from "../window/rewind.ts";
import { formatRewind } from "./rewind.ts";

const MIN = 60_000;
const T = Date.parse("2026-12-01T12:00:00Z");
const stored = { watermark: T + 20 * MIN, origin: T, rows: 50, windows: 4, updatedAt: "2026-12-01T12:30:00.000Z", version: "4" };

test("formatRewind: the move, each window to remove with its rows (empty ones named), the recorded rows before and after", () => {
  const plan = planRewind("requests", stored, T + 10 * MIN, 5 * MIN, [{ window: { start: T + 10 * MIN, end: T + 15 * MIN }, rows: 1 }], T + 60 * MIN);
  assert.equal(
    formatRewind("requests", { plan, removed: 0 }, true),
    [
      "requests: would rewind the watermark from 2026-12-01T12:20:00.000Z to 2026-12-01T12:10:00.000Z: would remove 2 committed windows, 1 row (rows recorded for the query: 50 → 49)",
      "  2026-12-01T12:10:00.000Z/2026-12-01T12:15:00.000Z  1 row",
      "  2026-12-01T12:15:00.000Z/2026-12-01T12:20:00.000Z  0 rows (empty: no data file)",
    ].join("\n"),
  );
  assert.match(formatRewind("requests", { plan, removed: 1 }, false), /^requests: rewound the watermark .*: removed 2 committed windows, 1 row .*\n(.*\n){2}the next export exports again from 2026-12-01T12:10:00.000Z$/);
  assert.equal(formatRewind("requests", { plan: undefined, removed: 0 }, false), "requests: the watermark is already there: nothing to rewind");
});
