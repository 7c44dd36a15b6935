/**
 * Truncation and faults end to end: windows the service truncates are split (recursively)
 * until each part fits, transient failures are retried, and the export stays exactly once.
 * A window that cannot be split enough fails loudly and its watermark does not move.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { listDataFiles } from "./support/read-export.ts";
import { assertLiveExactlyOnce, startHarness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");


test("windows over the row limit are split repeatedly until every part fits", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 3, backfill: "PT4H", rowsPerSecond: 1, tables: ["AppRequests"], limits: { maxRows: 400 } },
    config: { window: { size: "PT1H", lag: "PT1M", start: "PT3H", minSize: "PT1S" } },
  });
  try {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    const n = await assertLiveExactlyOnce(h, "requests", "AppRequests");
    // ~3600 rows per hour with 400 per result: every hour needs at least 4 levels of halving
    const files = await listDataFiles(h.exportDir);
    assert.ok(files.length >= Math.ceil(n / 400), `${files.length} chunks for ${n} rows`);
    assert.ok(report.summary.queries.requests!.windows > 3 * 8, "split parts are committed as their own windows");
    assert.ok(h.sim.stats().truncatedResults > 0, "the simulator really truncated results");
  } finally {
    await h.close();
  }
});

test("a window that cannot be split enough fails loudly and keeps its watermark", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 4, backfill: "PT2H", rowsPerSecond: 2, tables: ["AppRequests"], limits: { maxRows: 50 } },
    config: { window: { size: "PT10M", lag: "PT1M", start: "PT1H", minSize: "PT5M" } },
  });
  try {
    const report = await h.exportOnce();
    const err = report.errors.get("requests") as { code?: string; message?: string };
    assert.equal(err?.code, "WINDOW_UNSPLITTABLE");
    assert.match(err.message!, /2026-11-22T11:00:00\.000Z\/2026-11-22T11:05:00\.000Z/);
    assert.equal(report.summary.queries.requests!.outcome, "failed");
    assert.equal(await h.watermark("requests"), undefined, "no window was committed, so no watermark exists");
    assert.deepEqual(await listDataFiles(h.exportDir), [], "no data file was left behind");
  } finally {
    await h.close();
  }
});

test("PartialError, 429, 503, 500, slow (504), and resets with and without gzip are survived exactly once", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 5, backfill: "PT3H", rowsPerSecond: 1, tables: ["AppRequests", "AppTraces"] },
    config: {
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "traces", table: "AppTraces" },
      ],
      window: { size: "PT15M", lag: "PT1M", start: "PT2H" },
      source: { serverTimeout: "PT1S", idleTimeout: "PT1S", maxRetries: 3 },
    },
  });
  try {
    h.sim.faults.enqueue(["partial:10", "429:0", "503:0", "500", "slow:1500", "reset:0.5", "partial", "reset:0.1", "500", "429:0"]);
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    assert.equal(h.sim.faults.queued(), 0, "every queued fault was served");
    const injected = h.sim.faults.injected();
    for (const kind of ["429", "503", "500", "slow", "reset", "partial"]) assert.ok((injected[kind] ?? 0) > 0, `${kind} was injected`);
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
    await assertLiveExactlyOnce(h, "traces", "AppTraces");
  } finally {
    await h.close();
  }
});

test("random faults over many windows: still exactly once", async () => {
  const h = await startHarness({
    sim: {
      clock: createManualClock(T0),
      seed: 6,
      backfill: "PT6H",
      rowsPerSecond: 0.5,
      tables: ["AppRequests"],
      faults: { seed: 9, probabilities: { "429": 0.08, "503": 0.08, "500": 0.08, reset: 0.08, partial: 0.08 }, retryAfterSeconds: 0, resetFraction: 0.3 },
    },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT5H" }, source: { idleTimeout: "PT1S", maxRetries: 6 } },
  });
  try {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    const injected = h.sim.faults.injected();
    assert.ok(Object.values(injected).reduce((a, b) => a + b, 0) > 10, `faults were injected: ${JSON.stringify(injected)}`);
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
  } finally {
    await h.close();
  }
});
