import { test } from "node:test";
import assert from "node:assert/strict";
import { initialWatermark, planWindows, splitWindow } from "./plan.ts";
import { windowsBehind } from "./plan.ts";

const MIN = 60_000;
const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const show = (ws: { start: number; end: number }[]) => ws.map((w) => `${iso(w.start).slice(11, 19)}-${iso(w.end).slice(11, 19)}`);

test("planWindows: aligned watermark gives full grid windows up to now - lag", () => {
  const ws = planWindows({ watermark: t("2026-11-22T03:00:00Z"), now: t("2026-11-22T03:17:30Z"), size: 5 * MIN, lag: 2 * MIN, maxWindows: 100 });
  // cutoff 03:15:30 → windows ending 03:05, 03:10, 03:15
  assert.deepEqual(show(ws), ["03:00:00-03:05:00", "03:05:00-03:10:00", "03:10:00-03:15:00"]);
});

test("planWindows: a window ending exactly at now - lag is complete; one ms later is not", () => {
  const base = { watermark: t("2026-11-22T03:00:00Z"), size: 5 * MIN, lag: 2 * MIN, maxWindows: 10 };
  assert.equal(planWindows({ ...base, now: t("2026-11-22T03:07:00Z") }).length, 1);
  assert.equal(planWindows({ ...base, now: t("2026-11-22T03:06:59.999Z") }).length, 0);
});

test("planWindows: an unaligned watermark's first window ends at the next grid line", () => {
  const ws = planWindows({ watermark: t("2026-11-22T03:02:17.123Z"), now: t("2026-11-22T03:20:00Z"), size: 5 * MIN, lag: 0, maxWindows: 10 });
  assert.deepEqual(show(ws), ["03:02:17-03:05:00", "03:05:00-03:10:00", "03:10:00-03:15:00", "03:15:00-03:20:00"]);
  assert.equal(ws[0]!.start, t("2026-11-22T03:02:17.123Z"));
  // contiguous, no gaps or overlaps
  for (let i = 1; i < ws.length; i++) assert.equal(ws[i]!.start, ws[i - 1]!.end);
});

test("planWindows: maxWindows caps the plan, and the next run continues where it stopped", () => {
  const input = { watermark: t("2026-11-22T00:00:00Z"), now: t("2026-11-22T12:00:00Z"), size: 5 * MIN, lag: 2 * MIN, maxWindows: 4 };
  const first = planWindows(input);
  assert.equal(first.length, 4);
  assert.equal(first[3]!.end, t("2026-11-22T00:20:00Z"));
  const second = planWindows({ ...input, watermark: first[3]!.end });
  assert.equal(second[0]!.start, t("2026-11-22T00:20:00Z"));
  assert.equal(planWindows({ ...input, maxWindows: 0 }).length, 0);
});

test("planWindows: deterministic from the watermark — a killed run re-plans the same windows", () => {
  const input = { watermark: t("2026-11-22T03:01:00Z"), now: t("2026-11-22T04:00:00Z"), size: 10 * MIN, lag: 5 * MIN, maxWindows: 3 };
  const a = planWindows(input);
  const b = planWindows({ ...input });
  assert.deepEqual(a, b);
  // a later clock only appends windows; those already planned stay the same
  const later = planWindows({ ...input, now: t("2026-11-22T09:00:00Z"), maxWindows: 5 });
  assert.deepEqual(later.slice(0, 3), a);
});

test("planWindows: UTC grid, unaffected by daylight-saving dates", () => {
  // Europe switches clocks on 2026-03-29 01:00Z and US on 2026-03-08; the UTC grid does not care.
  const ws = planWindows({ watermark: t("2026-03-29T00:30:00Z"), now: t("2026-03-29T04:00:00Z"), size: 60 * MIN, lag: 0, maxWindows: 10 });
  assert.deepEqual(show(ws), ["00:30:00-01:00:00", "01:00:00-02:00:00", "02:00:00-03:00:00", "03:00:00-04:00:00"]);
  for (const w of ws.slice(1)) assert.equal(w.end - w.start, 60 * MIN);
});

test("planWindows: day-sized windows align to UTC midnight", () => {
  const ws = planWindows({ watermark: t("2026-11-20T07:00:00Z"), now: t("2026-11-23T01:00:00Z"), size: 86_400_000, lag: 0, maxWindows: 10 });
  assert.deepEqual(ws.map((w) => iso(w.end)), ["2026-11-21T00:00:00.000Z", "2026-11-22T00:00:00.000Z", "2026-11-23T00:00:00.000Z"]);
});

test("planWindows: nothing when the watermark is ahead of now - lag", () => {
  assert.deepEqual(planWindows({ watermark: t("2026-11-22T03:00:00Z"), now: t("2026-11-22T02:00:00Z"), size: MIN, lag: 0, maxWindows: 5 }), []);
});

test("planWindows: rejects nonsense sizes", () => {
  assert.throws(() => planWindows({ watermark: 0, now: 10, size: 0, lag: 0, maxWindows: 1 }), RangeError);
  assert.throws(() => planWindows({ watermark: 0, now: 10, size: 1.5, lag: 0, maxWindows: 1 }), RangeError);
  assert.throws(() => planWindows({ watermark: 0, now: 10, size: 1, lag: -1, maxWindows: 1 }), RangeError);
});

test("initialWatermark: an instant, or a span before now", () => {
  const now = t("2026-11-22T03:17:00Z");
  assert.equal(initialWatermark({ at: t("2026-11-01T00:00:00Z") }, now), t("2026-11-01T00:00:00Z"));
  assert.equal(initialWatermark({ ago: 3 * 3_600_000 }, now), t("2026-11-22T00:17:00Z"));
});

test("splitWindow: halves at the midpoint", () => {
  assert.deepEqual(splitWindow({ start: 0, end: 10 * MIN }, 1000), [
    { start: 0, end: 5 * MIN },
    { start: 5 * MIN, end: 10 * MIN },
  ]);
});

test("splitWindow: odd length in ms gives integer halves covering the window exactly", () => {
  const halves = splitWindow({ start: 1000, end: 1005 }, 1)!;
  assert.deepEqual(halves, [
    { start: 1000, end: 1002 },
    { start: 1002, end: 1005 },
  ]);
});

test("splitWindow: undefined when a half would be below minSize or below 1 ms", () => {
  assert.equal(splitWindow({ start: 0, end: 1999 }, 1000), undefined); // halves 999 / 1000
  assert.notEqual(splitWindow({ start: 0, end: 2000 }, 1000), undefined);
  assert.equal(splitWindow({ start: 0, end: 1 }, 0), undefined);
  assert.deepEqual(splitWindow({ start: 0, end: 2 }, 0), [
    { start: 0, end: 1 },
    { start: 1, end: 2 },
  ]);
});

test("windowsBehind: the windows planWindows would plan without a maxWindows limit", () => {
  const M5 = 300_000;
  const now = Date.parse("2026-11-01T12:03:17.274Z");
  for (const watermark of [now - 86_400_000, now - 3_600_000 + 1234, now - 600_000, now - 60_000, now]) {
    for (const lag of [0, 60_000, 1_000_000]) {
      const planned = planWindows({ watermark, now, size: M5, lag, maxWindows: 1_000_000 }).length;
      assert.equal(windowsBehind(watermark, now, M5, lag), planned, `watermark ${watermark} lag ${lag}`);
    }
  }
});
