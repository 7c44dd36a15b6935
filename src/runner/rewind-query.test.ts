import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRunSummary, latestRunPerQuery } from "../state/run-history.ts";
import { planRewind } from "../window/rewind.ts";
import { rewindSummary } from "./rewind-query.ts";

const MIN = 60_000;
const T = Date.parse("2026-12-01T12:00:00Z");
const stored = { watermark: T + 20 * MIN, origin: T, rows: 50, windows: 4, updatedAt: "2026-12-01T12:30:00.000Z" };

test("rewindSummary: a summary of command rewind naming what went, nothing exported, the watermark now T; never a last run", () => {
  const plan = planRewind("requests", stored, T + 10 * MIN, 5 * MIN, [{ window: { start: T + 10 * MIN, end: T + 15 * MIN }, rows: 7 }], T + 60 * MIN);
  const summary = rewindSummary(plan, T + 60 * MIN, T + 60 * MIN + 1500);
  assert.match(summary.runId, /^20261201T130000000Z-[0-9a-f]{8}$/);
  assert.deepEqual({ ...summary, runId: "" }, {
    runId: "",
    command: "rewind",
    startedAt: "2026-12-01T13:00:00.000Z",
    finishedAt: "2026-12-01T13:00:01.500Z",
    queries: { requests: { outcome: "ok", scope: "live", rows: 0, windows: 0, watermark: T + 10 * MIN, rewound: { from: T + 20 * MIN, to: T + 10 * MIN, windows: 2, rows: 7 } } },
  });
  assert.deepEqual(decodeRunSummary(JSON.stringify(summary)), summary, "it decodes as every store reads it");
  const last = latestRunPerQuery([summary]);
  assert.equal(last.runs.size, 0, "not a last run");
  assert.equal(last.rewinds.get("requests"), summary);
});
