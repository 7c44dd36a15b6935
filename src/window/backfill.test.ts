import { test } from "node:test";
import assert from "node:assert/strict";
import { advanceCursor, isCovered, mergeWindows, planBackfill, resolveBackfillRange } from "./backfill.ts";

const H = 3_600_000;
const t = (iso: string): number => Date.parse(iso);

test("planBackfill: grid windows clipped to [from, to)", () => {
  const ws = planBackfill({ from: t("2026-11-01T00:30:00Z"), to: t("2026-11-01T03:15:00Z"), size: H });
  assert.deepEqual(ws, [
    { start: t("2026-11-01T00:30:00Z"), end: t("2026-11-01T01:00:00Z") },
    { start: t("2026-11-01T01:00:00Z"), end: t("2026-11-01T02:00:00Z") },
    { start: t("2026-11-01T02:00:00Z"), end: t("2026-11-01T03:00:00Z") },
    { start: t("2026-11-01T03:00:00Z"), end: t("2026-11-01T03:15:00Z") },
  ]);
});

test("planBackfill: skips windows fully covered by completed ones (and by the watermark)", () => {
  const from = t("2026-11-01T00:00:00Z");
  const to = from + 6 * H;
  const completed = [
    { start: from + H, end: from + 2 * H },
    { start: from + 3 * H, end: from + 3.5 * H }, // half of window 3: still planned
    { start: from + 4 * H, end: from + 4.5 * H }, // together with the next, covers window 4
    { start: from + 4.5 * H, end: from + 5 * H },
  ];
  const ws = planBackfill({ from, to, size: H, completed, watermark: from + H });
  assert.deepEqual(
    ws.map((w) => (w.start - from) / H),
    [2, 3, 5],
  );
});

test("planBackfill: empty range plans nothing", () => {
  assert.deepEqual(planBackfill({ from: 5 * H, to: 5 * H, size: H }), []);
});

test("advanceCursor: in-order commits move the watermark and leave nothing pending", () => {
  let state = { watermark: 0, completed: [] as { start: number; end: number }[] };
  for (let i = 0; i < 3; i++) state = advanceCursor(state, { start: i * H, end: (i + 1) * H });
  assert.deepEqual(state, { watermark: 3 * H, completed: [] });
});

test("advanceCursor: out-of-order commits wait beyond the gap, then the watermark jumps over them", () => {
  let state = advanceCursor({ watermark: 0, completed: [] }, { start: 2 * H, end: 3 * H });
  assert.deepEqual(state, { watermark: 0, completed: [{ start: 2 * H, end: 3 * H }] });
  state = advanceCursor(state, { start: 4 * H, end: 5 * H });
  assert.deepEqual(state.completed, [
    { start: 2 * H, end: 3 * H },
    { start: 4 * H, end: 5 * H },
  ]);
  state = advanceCursor(state, { start: 0, end: H });
  assert.deepEqual(state, { watermark: H, completed: [{ start: 2 * H, end: 3 * H }, { start: 4 * H, end: 5 * H }] });
  state = advanceCursor(state, { start: H, end: 2 * H });
  assert.deepEqual(state, { watermark: 3 * H, completed: [{ start: 4 * H, end: 5 * H }] });
  state = advanceCursor(state, { start: 3 * H, end: 4 * H });
  assert.deepEqual(state, { watermark: 5 * H, completed: [] });
});

test("advanceCursor: every commit order of the same windows ends in the same state", () => {
  const windows = [0, 1, 2, 3].map((i) => ({ start: i * H, end: (i + 1) * H }));
  const orders = [
    [0, 1, 2, 3],
    [3, 2, 1, 0],
    [1, 3, 0, 2],
    [2, 0, 3, 1],
  ];
  for (const order of orders) {
    let state = { watermark: 0, completed: [] as { start: number; end: number }[] };
    for (const i of order) state = advanceCursor(state, windows[i]!);
    assert.deepEqual(state, { watermark: 4 * H, completed: [] }, `order ${order.join(",")}`);
  }
});

test("advanceCursor: re-committing a window before the watermark changes nothing", () => {
  const state = { watermark: 3 * H, completed: [{ start: 5 * H, end: 6 * H }] };
  assert.deepEqual(advanceCursor(state, { start: H, end: 2 * H }), state);
});

test("advanceCursor: split halves of a window commit like whole windows", () => {
  let state = advanceCursor({ watermark: 0 }, { start: H / 2, end: H });
  assert.equal(state.watermark, 0);
  state = advanceCursor(state, { start: 0, end: H / 2 });
  assert.deepEqual(state, { watermark: H, completed: [] });
});

test("isCovered and mergeWindows", () => {
  const state = { watermark: H, completed: [{ start: 2 * H, end: 3 * H }, { start: 3 * H, end: 4 * H }] };
  assert.equal(isCovered({ start: 0, end: H }, state), true);
  assert.equal(isCovered({ start: 2.5 * H, end: 3.5 * H }, state), true);
  assert.equal(isCovered({ start: H, end: 2 * H }, state), false);
  assert.equal(isCovered({ start: 3 * H, end: 5 * H }, state), false);
  assert.deepEqual(mergeWindows([{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 3, end: 4 }, { start: 6, end: 9 }]), [
    { start: 1, end: 4 },
    { start: 5, end: 9 },
  ]);
});

test("resolveBackfillRange: relative ends align down to the window grid; absolute ends are kept", () => {
  const M5 = 300_000;
  const now = t("2026-11-01T12:03:17.274Z");
  const rel = { from: true, to: true };
  const r = resolveBackfillRange({ from: now - 20 * H, to: now - 2 * H, relative: rel }, M5, []);
  assert.deepEqual(r, { from: t("2026-10-31T16:00:00Z"), to: t("2026-11-01T10:00:00Z"), resumed: false });
  // a re-run a few seconds later (same grid slot) is the same range
  const again = resolveBackfillRange({ from: now + 5_000 - 20 * H, to: now + 5_000 - 2 * H, relative: rel }, M5, [r]);
  assert.deepEqual(again, { ...r, resumed: true });
  const abs = resolveBackfillRange({ from: now - H, to: now, relative: { from: false, to: false } }, M5, []);
  assert.deepEqual(abs, { from: now - H, to: now, resumed: false });
});

test("resolveBackfillRange: a re-run in the next grid slot resumes the one range within a window of it", () => {
  const M5 = 300_000;
  const rel = { from: true, to: true };
  const first = { from: t("2026-10-31T16:00:00Z"), to: t("2026-11-01T10:00:00Z") };
  const later = t("2026-11-01T12:05:01Z"); // the clock crossed a grid line: both ends moved by one window
  const r = resolveBackfillRange({ from: later - 20 * H, to: later - 2 * H, relative: rel }, M5, [first]);
  assert.deepEqual(r, { ...first, resumed: true });
  // two windows later it is a new range (which then overlaps the first: BACKFILL_OVERLAP, not a silent resume)
  const much = t("2026-11-01T12:10:01Z");
  assert.deepEqual(resolveBackfillRange({ from: much - 20 * H, to: much - 2 * H, relative: rel }, M5, [first]), {
    from: first.from + 2 * M5,
    to: first.to + 2 * M5,
    resumed: false,
  });
  // overlapping two known ranges: ambiguous, never resumed
  const other = { from: first.to, to: first.to + H };
  const amb = resolveBackfillRange({ from: later - 20 * H, to: later - 2 * H, relative: rel }, M5, [first, other]);
  assert.equal(amb.resumed, false);
  // an absolute end must match exactly
  const mixed = resolveBackfillRange({ from: later - 20 * H, to: first.to + M5, relative: { from: true, to: false } }, M5, [first]);
  assert.equal(mixed.resumed, false);
});
