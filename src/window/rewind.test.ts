import { test } from "node:test";
import assert from "node:assert/strict";
import { MonitorliftError } from "../errors.ts";
import type { CursorState } from "../state/cursor.ts";
import { checkRewindTarget, planRewind, straddling } from "./rewind.ts";
import { WindowTally } from "./window-tally.ts";

const MIN = 60_000;
const SIZE = 5 * MIN;
const T = Date.parse("2026-12-01T12:00:00Z");
const w = (a: number, b: number) => ({ start: T + a * MIN, end: T + b * MIN });
const NOW = T + 600 * MIN;

const stored: CursorState = {
  watermark: T + 30 * MIN,
  origin: T,
  rows: 100,
  windows: 7,
  columns: [{ name: "TimeGenerated", type: "datetime" }],
  updatedAt: "2026-12-01T12:40:00.000Z",
  version: "7",
};

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MonitorliftError);
    assert.equal(err.code, "USAGE");
    return err.message;
  }
  return assert.fail("expected a usage error");
}

test("checkRewindTarget: T in [origin, watermark] on the window grid (or the origin itself), else a usage error naming the query", () => {
  checkRewindTarget("requests", T + 10 * MIN, stored, SIZE);
  checkRewindTarget("requests", T, stored, SIZE);
  checkRewindTarget("requests", stored.watermark, stored, SIZE);
  assert.match(usage(() => checkRewindTarget("requests", T + 35 * MIN, stored, SIZE)), /after the live watermark of query "requests" \(2026-12-01T12:30:00.000Z\)/);
  assert.match(usage(() => checkRewindTarget("requests", T - 5 * MIN, stored, SIZE)), /before the origin of query "requests" \(2026-12-01T12:00:00.000Z/);
  assert.match(
    usage(() => checkRewindTarget("requests", T + 12 * MIN, stored, SIZE)),
    /not on the window grid of query "requests" \(window.size 300 s\): use 2026-12-01T12:10:00.000Z or 2026-12-01T12:15:00.000Z/,
  );
  // An unaligned origin (an absolute window.start): the origin itself is a valid target, the grid after it too.
  const unaligned = { ...stored, origin: T + 2 * MIN };
  checkRewindTarget("requests", T + 2 * MIN, unaligned, SIZE);
  checkRewindTarget("requests", T + 5 * MIN, unaligned, SIZE);
  assert.match(usage(() => checkRewindTarget("requests", T + 3 * MIN, unaligned, SIZE)), /use 2026-12-01T12:02:00.000Z or 2026-12-01T12:05:00.000Z/);
});

test("planRewind: removes every commit in [T, watermark) — split parts one by one, empty windows as 0 — and keeps the counts true", () => {
  const counts = [
    { window: w(0, 5), rows: 40 }, // before T: stays
    { window: w(10, 15), rows: 20 },
    { window: w(15, 17.5), rows: 7 },
    { window: w(17.5, 20), rows: 3 },
    { window: w(25, 30), rows: 30 },
    // [20, 25) is a committed empty window: no data, one commit
  ];
  const plan = planRewind("requests", stored, T + 10 * MIN, SIZE, counts, NOW);
  assert.deepEqual(
    plan.removed.map((r) => [(r.window.start - T) / MIN, (r.window.end - T) / MIN, r.rows]),
    [
      [10, 15, 20],
      [15, 17.5, 7],
      [17.5, 20, 3],
      [20, 25, 0],
      [25, 30, 30],
    ],
  );
  assert.equal(plan.rows, 60);
  assert.equal(plan.rowsBefore, 100);
  assert.deepEqual(plan.next, { watermark: T + 10 * MIN, origin: T, rows: 40, windows: 2, columns: stored.columns, updatedAt: new Date(NOW).toISOString() });
  assert.equal((plan.next as CursorState).version, undefined, "the store sets the version");
  assert.deepEqual([plan.from, plan.to], [stored.watermark, T + 10 * MIN]);
});

test("planRewind: a removed window whose recorded count is unknown is refused (the counts could not stay true); outside the range it does not matter", () => {
  const message = usage(() => planRewind("requests", stored, T + 20 * MIN, SIZE, [{ window: w(25, 30), rows: undefined }], NOW));
  assert.match(message, /the row count of window 2026-12-01T12:25:00.000Z\/2026-12-01T12:30:00.000Z is unknown/);
  const plan = planRewind("requests", stored, T + 25 * MIN, SIZE, [{ window: w(0, 5), rows: undefined }, { window: w(25, 30), rows: 9 }], NOW);
  assert.deepEqual([plan.rows, plan.next.rows, plan.next.windows], [9, 91, 6]);
});

test("planRewind to the origin removes everything; an off-grid or late target is refused before anything is planned", () => {
  const plan = planRewind("requests", stored, T, SIZE, [{ window: w(0, 5), rows: 40 }, { window: w(25, 30), rows: 60 }], NOW);
  assert.equal(plan.removed.length, 6);
  assert.deepEqual([plan.next.rows, plan.next.windows, plan.next.watermark], [0, 1, T]);
  usage(() => planRewind("requests", stored, T + 31 * MIN, SIZE, [], NOW));
  usage(() => planRewind("requests", stored, T + 7 * MIN, SIZE, [], NOW));
});

test("a target strictly inside a committed window (written under an earlier, larger window.size) is refused, naming the query, the window and its bounds", () => {
  // window.size was 20 minutes until T+20, 5 minutes since: [0, 20) is one committed window, and T+10 is a
  // line of today's grid inside it. Rewinding there would remove nothing of it and export [10, 20) again.
  const old = [
    { window: w(0, 20), rows: 40 },
    { window: w(20, 25), rows: 20 },
    { window: w(25, 30), rows: 30 },
  ];
  const message = usage(() => planRewind("requests", stored, T + 10 * MIN, SIZE, old, NOW));
  assert.match(message, /rewind --to 2026-12-01T12:10:00.000Z lies inside the committed window 2026-12-01T12:00:00.000Z\/2026-12-01T12:20:00.000Z of query "requests"/);
  assert.match(message, /Use 2026-12-01T12:00:00.000Z or 2026-12-01T12:20:00.000Z\./);
  // Its bounds are valid targets; so is a boundary of an old window off today's grid (sizes 15 → 10 minutes).
  assert.deepEqual(planRewind("requests", stored, T + 20 * MIN, SIZE, old, NOW).removed.map((r) => r.rows), [20, 30]);
  checkRewindTarget("requests", T + 15 * MIN, stored, 10 * MIN, [{ window: w(0, 15), rows: 1 }, { window: w(15, 30), rows: 2 }]);
  // Still refused off the grid where no committed window begins or ends, and inside a window of unknown count.
  assert.match(usage(() => checkRewindTarget("requests", T + 17 * MIN, stored, 10 * MIN, [{ window: w(0, 15), rows: 1 }])), /not on the window grid/);
  assert.match(usage(() => checkRewindTarget("requests", T + 10 * MIN, stored, SIZE, [{ window: w(5, 15), rows: undefined }])), /lies inside the committed window/);
  // A window that ends at the target does not straddle it.
  assert.deepEqual(straddling(T + 20 * MIN, old), []);
  assert.deepEqual(straddling(T + 10 * MIN, old), [w(0, 20)]);
});

test("planRewind takes off exactly what the export's tally added to `windows`: split windows with empty parts, empty windows fetched in parts, a watermark inside a split window", () => {
  const S = 10 * MIN;
  const p = (a: number, b: number, rows: number) => ({ window: w(a, b), rows });
  const scenarios = [
    [p(0, 5, 4), p(5, 10, 0), p(10, 20, 2)], // one window split into 2 commits, one empty
    [p(0, 5, 0), p(5, 10, 4), p(10, 20, 0)],
    [p(0, 2.5, 0), p(2.5, 5, 0), p(5, 10, 0), p(10, 15, 1), p(15, 20, 0), p(20, 30, 5)], // split memory: an empty window in parts
    [p(0, 10, 3), p(10, 15, 0)], // the watermark is inside [10, 20): its empty part not counted yet
    [p(0, 10, 3), p(10, 15, 2)],
  ];
  for (const parts of scenarios) {
    const tally = new WindowTally(S);
    const added = parts.map((x) => tally.add(x));
    const watermark = parts[parts.length - 1]!.window.end;
    const cursor: CursorState = { ...stored, watermark, rows: parts.reduce((n, x) => n + x.rows, 0), windows: added.reduce((n, x) => n + x, 0) };
    const data = parts.filter((x) => x.rows > 0);
    for (let to = T; to < watermark; to += S) {
      const plan = planRewind("requests", cursor, to, S, data, NOW);
      const kept = added.filter((_, i) => parts[i]!.window.end <= to).reduce((n, x) => n + x, 0);
      const label = `parts ${parts.map((x) => `[${(x.window.start - T) / MIN},${(x.window.end - T) / MIN}):${x.rows}`).join(" ")}, rewound to ${(to - T) / MIN}`;
      assert.equal(plan.next.windows, kept, `${label}: windows`);
      assert.equal(plan.next.rows, parts.filter((x) => x.window.end <= to).reduce((n, x) => n + x.rows, 0), `${label}: rows`);
    }
  }
});
