/**
 * Split amplification end to end: over many windows that are all over the service's row limit, the
 * export remembers the part size that fitted (src/window/split-memory.ts) and fetches the next windows
 * in parts of that size, so the rows the simulator streams per row kept stay near 1 (streaming each
 * window whole, then halves, then quarters cost ~2 per row kept). Still exactly once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { assertLiveExactlyOnce, startHarness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

test("over-limit windows: rows streamed per row kept ≤ 1.2 over many windows, exactly once", async () => {
  const h = await startHarness({
    // ~300 rows per 10-minute window, 100 rows per result: every window needs 4 parts (30 windows, ~140
    // requests: under the 200 per 30 s that the request gate keeps).
    sim: { clock: createManualClock(T0), seed: 11, backfill: "PT6H", rowsPerSecond: 0.5, tables: ["AppRequests"], limits: { maxRows: 100 } },
    config: { window: { size: "PT10M", lag: "PT1M", start: "PT5H", minSize: "PT1S", reverify: "PT0S" } },
  });
  try {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    const kept = await assertLiveExactlyOnce(h, "requests", "AppRequests");
    const stats = h.sim.stats();
    assert.ok(stats.truncatedResults > 0, "the simulator really truncated results");
    assert.ok(kept > 25 * 200, `${kept} rows over the windows`);
    const amplification = stats.rowsServed / kept;
    assert.ok(amplification <= 1.2, `rows streamed per row kept: ${amplification.toFixed(3)} (${stats.rowsServed} streamed, ${kept} kept, ${stats.truncatedResults} truncated results)`);
  } finally {
    await h.close();
  }
});

test("what a run learnt about part sizes is kept in the cursor: runs of one window each do not stream their window whole again", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 12, backfill: "PT6H", rowsPerSecond: 0.5, tables: ["AppRequests"], limits: { maxRows: 100 } },
    config: { window: { size: "PT10M", lag: "PT1M", start: "PT5H", minSize: "PT1S", reverify: "PT0S", maxWindowsPerRun: 1 } },
  });
  try {
    const runs = 12;
    for (let i = 0; i < runs; i++) {
      const report = await h.exportOnce();
      assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    }
    const kept = await assertLiveExactlyOnce(h, "requests", "AppRequests");
    const stats = h.sim.stats();
    assert.ok(kept > (runs - 1) * 200, `${kept} rows over ${runs} windows`);
    const amplification = stats.rowsServed / kept;
    // Each run relearning from a whole window costs ~2 rows streamed per row kept (whole, halves, quarters).
    assert.ok(amplification <= 1.2, `rows streamed per row kept over ${runs} runs: ${amplification.toFixed(3)} (${stats.rowsServed} streamed, ${kept} kept, ${stats.truncatedResults} truncated results)`);
    const cursor = await h.cursor("requests");
    assert.ok(cursor?.split?.partMs !== undefined && cursor.split.partMs <= 150_000, `the cursor keeps the part size: ${JSON.stringify(cursor?.split)}`);
  } finally {
    await h.close();
  }
});
