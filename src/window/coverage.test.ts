import { test } from "node:test";
import assert from "node:assert/strict";
import { computeCoverage, planFillRanges, type BackfillCursorRange, type CoverageInput } from "./coverage.ts";
import type { TimeWindow } from "./window.ts";

const M = 60_000;
/** Minutes → ms, so cases read in minutes. */
const w = (start: number, end: number): TimeWindow => ({ start: start * M, end: end * M });
const done = (from: number, to: number): BackfillCursorRange => ({ from: from * M, to: to * M, watermark: to * M });
const live = (origin: number, watermark: number) => ({ origin: origin * M, watermark: watermark * M });

test("coverage: nothing stored covers nothing and has no hole", () => {
  assert.deepEqual(computeCoverage({ backfills: [] }), { covered: [], pending: [], holes: [] });
});

test("coverage: the live export alone covers [origin, watermark), no hole", () => {
  assert.deepEqual(computeCoverage({ live: live(60, 120), backfills: [] }), { covered: [w(60, 120)], pending: [], holes: [] });
});

test("coverage: the issue's case — two backfills and the live export with a gap between the backfills", () => {
  // live from 15:00 (T), backfills [12:00, 14:30) and [14:33:09, 15:00): rows in [14:30, 14:33:09) belong to no range
  const t = (iso: string) => Date.parse(`2026-12-05T${iso}Z`);
  const input: CoverageInput = {
    live: { origin: t("15:00:00"), watermark: t("16:00:00") },
    backfills: [
      { from: t("12:00:00"), to: t("14:30:00"), watermark: t("14:30:00") },
      { from: t("14:33:09"), to: t("15:00:00"), watermark: t("15:00:00") },
    ],
  };
  assert.deepEqual(computeCoverage(input), {
    covered: [
      { start: t("12:00:00"), end: t("14:30:00") },
      { start: t("14:33:09"), end: t("16:00:00") },
    ],
    pending: [],
    holes: [{ start: t("14:30:00"), end: t("14:33:09") }],
  });
  assert.deepEqual(planFillRanges(input), [{ from: t("14:30:00"), to: t("14:33:09"), reason: "hole" }]);
});

test("coverage: adjacent ranges (one's end is the next one's start) merge without a hole", () => {
  const c = computeCoverage({ live: live(100, 130), backfills: [done(40, 70), done(70, 100)] });
  assert.deepEqual(c, { covered: [w(40, 130)], pending: [], holes: [] });
});

test("coverage: a hole between the last backfill and the live origin", () => {
  const c = computeCoverage({ live: live(100, 130), backfills: [done(40, 70)] });
  assert.deepEqual(c.holes, [w(70, 100)]);
  assert.deepEqual(c.covered, [w(40, 70), w(100, 130)]);
});

test("coverage: several holes, in order, whatever the order of the cursors", () => {
  const input = { live: live(100, 110), backfills: [done(80, 90), done(10, 20), done(40, 50)] };
  assert.deepEqual(computeCoverage(input).holes, [w(20, 40), w(50, 80), w(90, 100)]);
  assert.deepEqual(
    planFillRanges(input).map((r) => [r.from / M, r.to / M, r.reason]),
    [
      [20, 40, "hole"],
      [50, 80, "hole"],
      [90, 100, "hole"],
    ],
  );
});

test("coverage: overlapping cursors (which the overlap checks refuse, but old state may hold) merge and make no hole", () => {
  const c = computeCoverage({ live: live(60, 90), backfills: [done(10, 40), done(30, 70)] });
  assert.deepEqual(c, { covered: [w(10, 90)], pending: [], holes: [] });
});

test("coverage: an unfinished backfill's unexported rest is pending, not covered and not a hole", () => {
  const partial = { from: 10 * M, to: 60 * M, watermark: 25 * M, completed: [w(40, 45)] };
  const input = { live: live(60, 90), backfills: [partial] };
  const c = computeCoverage(input);
  assert.deepEqual(c.covered, [w(10, 25), w(40, 45), w(60, 90)]);
  assert.deepEqual(c.pending, [w(25, 40), w(45, 60)]);
  assert.deepEqual(c.holes, []);
  assert.deepEqual(planFillRanges(input), [{ from: 10 * M, to: 60 * M, reason: "unfinished" }], "the range is resumed with its exact bounds");
});

test("coverage: a backfill that never committed (watermark = from) owns its range: all pending", () => {
  const c = computeCoverage({ live: live(60, 90), backfills: [{ from: 30 * M, to: 60 * M, watermark: 30 * M }] });
  assert.deepEqual(c, { covered: [w(60, 90)], pending: [w(30, 60)], holes: [] });
});

test("coverage: completed windows outside the range, or at the watermark, are clipped and merged", () => {
  const b = { from: 10 * M, to: 20 * M, watermark: 12 * M, completed: [w(12, 14), w(18, 25)] };
  const c = computeCoverage({ backfills: [b] });
  assert.deepEqual(c.covered, [w(10, 14), w(18, 20)]);
  assert.deepEqual(c.pending, [w(14, 18)]);
});

test("coverage: a backfill whose completed windows fill the rest is finished (nothing to resume)", () => {
  const b = { from: 10 * M, to: 20 * M, watermark: 12 * M, completed: [w(12, 20)] };
  assert.deepEqual(computeCoverage({ backfills: [b] }).pending, []);
  assert.deepEqual(planFillRanges({ backfills: [b] }), []);
});

test("coverage: without a live cursor, the gaps between backfills up to the last backfill end are holes", () => {
  const c = computeCoverage({ backfills: [done(50, 60), done(10, 20)] });
  assert.deepEqual(c, { covered: [w(10, 20), w(50, 60)], pending: [], holes: [w(20, 50)] });
});

test("coverage: the live export's own future (beyond its watermark) is never a hole or pending", () => {
  const c = computeCoverage({ live: live(100, 100), backfills: [done(10, 20)] });
  assert.deepEqual(c, { covered: [w(10, 20)], pending: [], holes: [w(20, 100)] });
  assert.deepEqual(computeCoverage({ live: live(100, 100), backfills: [] }), { covered: [], pending: [], holes: [] });
});

test("coverage: a backfill beyond the live watermark (a live cursor deleted and started again) is pending there, never a hole beyond the watermark", () => {
  const c = computeCoverage({ live: live(100, 110), backfills: [{ from: 120 * M, to: 130 * M, watermark: 120 * M }] });
  assert.deepEqual(c, { covered: [w(100, 110)], pending: [w(120, 130)], holes: [] });
});

test("coverage: a backfill that starts before the live origin and reaches into it leaves no hole", () => {
  const c = computeCoverage({ live: live(50, 70), backfills: [done(20, 55)] });
  assert.deepEqual(c, { covered: [w(20, 70)], pending: [], holes: [] });
});

test("coverage: empty or inverted backfill ranges own nothing", () => {
  const c = computeCoverage({ live: live(50, 70), backfills: [{ from: 20 * M, to: 20 * M, watermark: 20 * M }, { from: 40 * M, to: 30 * M, watermark: 40 * M }] });
  assert.deepEqual(c, { covered: [w(50, 70)], pending: [], holes: [] });
});

test("coverage: off-grid bounds are kept to the millisecond", () => {
  const c = computeCoverage({ live: { origin: 1_000_000, watermark: 2_000_000 }, backfills: [{ from: 0, to: 123_457, watermark: 123_457 }] });
  assert.deepEqual(c.holes, [{ start: 123_457, end: 1_000_000 }]);
});

test("planFillRanges: holes and unfinished ranges together, oldest first; after filling them nothing is left", () => {
  const input: CoverageInput = { live: live(100, 120), backfills: [done(0, 10), { from: 30 * M, to: 50 * M, watermark: 35 * M }] };
  const plan = planFillRanges(input);
  assert.deepEqual(
    plan.map((r) => [r.from / M, r.to / M, r.reason]),
    [
      [10, 30, "hole"],
      [30, 50, "unfinished"],
      [50, 100, "hole"],
    ],
  );
  // each range exported as a backfill with exactly its bounds: one cursor per range, then no hole and nothing pending
  const filled: CoverageInput = {
    live: input.live!,
    backfills: [...input.backfills.filter((b) => !plan.some((r) => r.from === b.from && r.to === b.to)), ...plan.map((r) => ({ from: r.from, to: r.to, watermark: r.to }))],
  };
  assert.deepEqual(computeCoverage(filled), { covered: [w(0, 120)], pending: [], holes: [] });
  assert.deepEqual(planFillRanges(filled), []);
});

test("planFillRanges: an interrupted fill (its range is now an unfinished backfill) resumes the same range, not a new one", () => {
  const before: CoverageInput = { live: live(100, 120), backfills: [done(0, 10)] };
  const [hole] = planFillRanges(before);
  assert.deepEqual(hole, { from: 10 * M, to: 100 * M, reason: "hole" });
  const interrupted: CoverageInput = { ...before, backfills: [...before.backfills, { from: hole!.from, to: hole!.to, watermark: 40 * M, completed: [w(60, 70)] }] };
  assert.deepEqual(planFillRanges(interrupted), [{ from: hole!.from, to: hole!.to, reason: "unfinished" }]);
  assert.deepEqual(computeCoverage(interrupted).holes, []);
});

test("coverage: a randomised check against a minute-by-minute model", () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 300; round++) {
    const backfills: BackfillCursorRange[] = [];
    for (let i = rand(4); i > 0; i--) {
      const from = rand(100);
      const to = from + rand(30);
      const watermark = from + rand(to - from + 1);
      const completed = rand(2) ? [w(watermark + rand(5), watermark + 5 + rand(10))] : [];
      backfills.push({ from: from * M, to: to * M, watermark: watermark * M, completed });
    }
    const hasLive = rand(3) > 0;
    const liveOrigin = 60 + rand(80);
    const input: CoverageInput = { backfills, ...(hasLive ? { live: live(liveOrigin, liveOrigin + rand(20)) } : {}) };
    const c = computeCoverage(input);
    const inside = (ws: readonly TimeWindow[], m: number) => ws.some((x) => x.start <= m * M && m * M < x.end);
    const ranges = backfills.filter((b) => b.to > b.from);
    const start = Math.min(...ranges.map((b) => b.from / M), hasLive ? liveOrigin : Infinity);
    const end = hasLive ? input.live!.watermark / M : Math.max(...ranges.map((b) => b.to / M));
    for (let m = 0; m < 200; m++) {
      const inRange = (b: BackfillCursorRange) => b.from <= m * M && m * M < b.to;
      const exportedByBackfill = ranges.some((b) => inRange(b) && (m * M < b.watermark || inside(b.completed ?? [], m)));
      const exportedByLive = hasLive && input.live!.origin <= m * M && m * M < input.live!.watermark;
      const owned = ranges.some(inRange) || (hasLive && m * M >= input.live!.origin);
      const expectCovered = exportedByBackfill || exportedByLive;
      assert.equal(inside(c.covered, m), expectCovered, `round ${round} minute ${m} covered`);
      assert.equal(inside(c.pending, m), ranges.some(inRange) && !expectCovered, `round ${round} minute ${m} pending`);
      assert.equal(inside(c.holes, m), m >= start && m < end && !owned, `round ${round} minute ${m} hole`);
    }
    for (const list of [c.covered, c.pending, c.holes]) {
      for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.end < list[i]!.start, `round ${round}: sorted and merged`);
    }
  }
});
