import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueryJob } from "../runner/query-job.ts";
import { formatPlan, planOf } from "./plan.ts";

const MIN = 60_000;
const T = Date.parse("2026-12-01T12:00:00Z");
const job = (over: Partial<QueryJob> = {}): QueryJob =>
  ({ name: "q", sizeMs: 5 * MIN, lagMs: MIN, minSizeMs: 1000, maxWindowsPerRun: 288, start: { ago: 60 * MIN }, reverifyMs: 0, buildQuery: () => ({ query: "" }), ...over }) as QueryJob;

test("planOf: the complete windows from the watermark up to now − lag, and what is still due after", () => {
  const p = planOf(job(), T - 30 * MIN, "cursor", T + 30_000);
  assert.equal(p.windows, 5, "11:30 … 11:55: the window ending 12:00 is not complete before 12:01");
  assert.equal(p.first, "2026-12-01T11:30:00.000Z/2026-12-01T11:35:00.000Z");
  assert.equal(p.last, "2026-12-01T11:50:00.000Z/2026-12-01T11:55:00.000Z");
  assert.equal(p.behindAfter, 0);
  const capped = planOf(job({ maxWindowsPerRun: 2 }), T - 30 * MIN, "start", T + 30_000);
  assert.equal(capped.windows, 2);
  assert.equal(capped.behindAfter, 3);
  assert.match(formatPlan([capped]), /q: from 2026-12-01T11:30:00.000Z \(no cursor yet: window.start\): 2 windows .* still 3 windows behind after it/);
  assert.match(formatPlan([planOf(job(), T, "cursor", T + 30_000)]), /q: from .*: nothing due yet$/);
});

test("named sources: the plan names each query's source; a single-source config's plan does not", () => {
  const named = planOf(job({ sourceLabel: "east" }), T - 30 * MIN, "cursor", T + 30_000);
  assert.equal(named.source, "east");
  assert.match(formatPlan([named]), /^q \(source east\): from /);
  const single = planOf(job(), T - 30 * MIN, "cursor", T + 30_000);
  assert.ok(!("source" in single));
  assert.match(formatPlan([single]), /^q: from /);
});
