import { test } from "node:test";
import assert from "node:assert/strict";
import { SplitMemory } from "./split-memory.ts";
import type { TimeWindow } from "./window.ts";

/** A result cut at the service's limit: more rows than any that came back whole. */
const LIMIT = 100;
const LIMIT_BYTES = 100_000;
const W = (start: number, end: number): TimeWindow => ({ start, end });

/** The parts memory would fetch `w` in, before any truncation. */
function parts(m: SplitMemory, w: TimeWindow, minSize = 1): TimeWindow[] {
  const halves = m.halve(w, minSize);
  return halves ? [...parts(m, halves[0], minSize), ...parts(m, halves[1], minSize)] : [w];
}

test("a fresh memory fetches windows whole", () => {
  const m = new SplitMemory();
  assert.equal(m.partMs, undefined);
  assert.deepEqual(parts(m, W(0, 1000)), [W(0, 1000)]);
});

test("a truncation halves the part size, and later windows start at that size", () => {
  const m = new SplitMemory();
  m.truncated(W(0, 1000), LIMIT, LIMIT_BYTES);
  assert.equal(m.partMs, 500);
  m.truncated(W(0, 500), LIMIT, LIMIT_BYTES);
  m.windowDelivered(W(0, 1000), 2);
  assert.equal(m.partMs, 250);
  assert.deepEqual(parts(m, W(1000, 2000)), [W(1000, 1250), W(1250, 1500), W(1500, 1750), W(1750, 2000)]);
});

test("an odd length: the part size covers the larger half", () => {
  const m = new SplitMemory();
  m.truncated(W(0, 101), LIMIT, LIMIT_BYTES);
  assert.equal(m.partMs, 51);
  assert.deepEqual(parts(m, W(0, 101)), [W(0, 50), W(50, 101)]);
});

test("a shorter window (unaligned first window) is split only as far as needed; minSize bounds the halving", () => {
  const m = new SplitMemory();
  m.truncated(W(0, 200), LIMIT, LIMIT_BYTES); // 100
  assert.deepEqual(parts(m, W(0, 90)), [W(0, 90)]);
  assert.deepEqual(parts(m, W(0, 400), 150), [W(0, 200), W(200, 400)]);
});

test("a truncation never raises the part size (denser data later on)", () => {
  const m = new SplitMemory();
  m.truncated(W(0, 100), LIMIT, LIMIT_BYTES); // 50
  m.truncated(W(0, 400), LIMIT, LIMIT_BYTES); // would be 200
  assert.equal(m.partMs, 50);
});

test("relaxes one level after relaxAfter clean windows; a probe that holds keeps going coarser", () => {
  const m = new SplitMemory({ relaxAfter: 3 });
  m.truncated(W(0, 1000), LIMIT, LIMIT_BYTES);
  m.truncated(W(0, 500), LIMIT, LIMIT_BYTES);
  m.windowDelivered(W(0, 1000), 2); // 250
  m.windowDelivered(W(1000, 2000), 0);
  m.windowDelivered(W(2000, 3000), 0);
  assert.equal(m.partMs, 250);
  m.windowDelivered(W(3000, 4000), 0);
  assert.equal(m.partMs, 500, "third clean window: probe one level coarser");
  m.windowDelivered(W(4000, 5000), 0); // probe held: wait back to 3
  m.windowDelivered(W(5000, 6000), 0);
  m.windowDelivered(W(6000, 7000), 0);
  assert.equal(m.partMs, undefined, "coarser than the longest window: whole windows again");
  for (let i = 0; i < 10; i++) m.windowDelivered(W(7000 + i * 1000, 8000 + i * 1000), 0);
  assert.equal(m.partMs, undefined);
});

test("a failed probe doubles the wait before the next one, up to maxRelaxAfter", () => {
  const m = new SplitMemory({ relaxAfter: 2, maxRelaxAfter: 8 });
  m.truncated(W(0, 1000), LIMIT, LIMIT_BYTES);
  m.truncated(W(0, 500), LIMIT, LIMIT_BYTES);
  m.windowDelivered(W(0, 1000), 2); // 250
  const cleanUntilProbe = (): number => {
    for (let n = 1; n <= 100; n++) {
      const before = m.partMs!;
      m.windowDelivered(W(0, 1000), 0);
      if (m.partMs !== before) return n;
    }
    return -1;
  };
  const failProbe = () => {
    m.truncated(W(0, 500), LIMIT, LIMIT_BYTES); // the probe's 500 ms part was truncated
    m.windowDelivered(W(0, 1000), 1);
    assert.equal(m.partMs, 250);
  };
  assert.equal(cleanUntilProbe(), 2);
  failProbe();
  assert.equal(cleanUntilProbe(), 4);
  failProbe();
  assert.equal(cleanUntilProbe(), 8);
  failProbe();
  assert.equal(cleanUntilProbe(), 8, "capped");
});

test("options are checked", () => {
  assert.throws(() => new SplitMemory({ relaxAfter: 0 }), RangeError);
  assert.throws(() => new SplitMemory({ relaxAfter: 4, maxRelaxAfter: 2 }), RangeError);
});

test("only a cut at the limit teaches: a result cut short of what came back whole (a fault) leaves the size", () => {
  const m = new SplitMemory();
  m.truncated(W(0, 1000), LIMIT, LIMIT_BYTES); // 500
  m.fitted(90, 90_000);
  assert.equal(m.truncated(W(1000, 1500), 40, 40_000), false, "cut at 40 rows when 90 came back whole");
  assert.equal(m.partMs, 500);
  assert.equal(m.truncated(W(1000, 1500), 40, 95_000), true, "a size cut: more bytes than any whole result");
  assert.equal(m.partMs, 250);
  assert.equal(new SplitMemory().truncated(W(0, 10), 0, 10), true, "nothing came back whole yet: learn");
});

test("what a memory knows carries over to a new one (the next run), its waits kept within the new options", () => {
  const m = new SplitMemory({ relaxAfter: 2, maxRelaxAfter: 8 });
  m.fitted(90, 90_000);
  m.truncated(W(0, 1000), LIMIT, LIMIT_BYTES);
  m.truncated(W(0, 500), LIMIT, LIMIT_BYTES);
  m.windowDelivered(W(0, 1000), 2); // 250
  m.windowDelivered(W(1000, 2000), 0); // one clean window of two
  const next = new SplitMemory({ relaxAfter: 2, maxRelaxAfter: 8 }, structuredClone(m.state));
  assert.deepEqual(next.state, m.state);
  assert.deepEqual(parts(next, W(2000, 3000)), [W(2000, 2250), W(2250, 2500), W(2500, 2750), W(2750, 3000)]);
  assert.equal(next.truncated(W(0, 250), 40, 40_000), false, "what came back whole is remembered too");
  next.windowDelivered(W(2000, 3000), 0);
  assert.equal(next.partMs, 500, "the clean window counted before the restart counts toward the probe");
  const strict = new SplitMemory({ relaxAfter: 4, maxRelaxAfter: 4 }, { ...m.state, wait: 64, clean: 50 });
  assert.equal(strict.state.wait, 4);
  assert.ok(strict.state.clean <= 4);
  assert.equal(new SplitMemory({}, { clean: 0, wait: 8, probing: false, longest: 0, wholeRows: 0, wholeBytes: 0 }).partMs, undefined);
});
