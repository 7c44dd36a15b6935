/**
 * The opt-in encoding thread (MONITORLIFT_ENCODE_THREAD=on) end to end: an export through it, four
 * windows in flight and many batches each, is exact. (The variable is read when a chunk is opened,
 * after the imports.)
 */
process.env["MONITORLIFT_ENCODE_THREAD"] = "on";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness, type Harness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

let h: Harness;
before(async () => {
  h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 21, backfill: "PT3H", rowsPerSecond: 2, tables: ["AppRequests"] },
    config: { queries: [{ name: "requests", table: "AppRequests" }], window: { size: "PT15M", start: "PT2H", lag: "PT1M" }, concurrency: 4 },
  });
});
after(() => h?.close());

test("with the encoding thread on, every row is exported exactly once (ndjson + gzip)", async () => {
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  const wm = await h.watermark("requests");
  assert.ok(wm);
  const truth = h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark, visibleAt: h.sim.clock() });
  const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
  assert.ok(truth.length > 10_000, `enough rows for many batches per window (${truth.length})`);
});
