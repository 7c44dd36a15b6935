import { test } from "node:test";
import assert from "node:assert/strict";
import { WindowTally } from "./window-tally.ts";

const MIN = 60_000;
const SIZE = 10 * MIN;
const T = Date.parse("2026-12-01T12:00:00Z");
const part = (a: number, b: number, rows: number) => ({ window: { start: T + a * MIN, end: T + b * MIN }, rows });
const tally = (t: WindowTally, parts: Array<ReturnType<typeof part>>) => parts.map((p) => t.add(p));

test("WindowTally: each part with data counts 1, a grid window without data 1 at the part completing it, every other empty part 0", () => {
  assert.deepEqual(tally(new WindowTally(SIZE), [part(0, 10, 3), part(10, 20, 0)]), [1, 1], "whole windows, with data and empty");
  assert.deepEqual(tally(new WindowTally(SIZE), [part(0, 5, 0), part(5, 10, 4)]), [0, 1], "split, the empty part first");
  assert.deepEqual(tally(new WindowTally(SIZE), [part(0, 5, 4), part(5, 10, 0)]), [1, 0], "split, the empty part last");
  assert.deepEqual(tally(new WindowTally(SIZE), [part(0, 2.5, 0), part(2.5, 5, 0), part(5, 10, 0)]), [0, 0, 1], "an empty window fetched in parts (split memory)");
  assert.deepEqual(tally(new WindowTally(SIZE), [part(0, 5, 2), part(5, 10, 3), part(10, 15, 0), part(15, 20, 0)]), [1, 1, 0, 1]);
  // Resuming inside a grid window: the parts committed before the watermark decide.
  assert.deepEqual(tally(new WindowTally(SIZE, { cell: T, data: true }), [part(5, 10, 0)]), [0]);
  assert.deepEqual(tally(new WindowTally(SIZE, { cell: T, data: false }), [part(5, 10, 0)]), [1]);
  assert.deepEqual(tally(new WindowTally(SIZE, { cell: T, data: true }), [part(10, 20, 0)]), [1], "a later window starts afresh");
});
