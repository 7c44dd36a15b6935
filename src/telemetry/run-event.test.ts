import assert from "node:assert/strict";
import { test } from "node:test";
import { SinkError, SourceError } from "../errors.ts";
import { noopMetrics, type Metrics } from "./metrics.ts";
import { buildRunEvent, reportRun, runEventAttributes, type RunEvent } from "./run-event.ts";

const summary = {
  runId: "20261204T000000000Z-abcd1234",
  command: "export",
  startedAt: "2026-12-04T10:00:00.000Z",
  finishedAt: "2026-12-04T10:00:42.500Z",
  queries: {
    requests: { outcome: "ok", scope: "live", rows: 1200, windows: 3, watermark: Date.parse("2026-12-04T09:50:00.000Z") },
    exceptions: { outcome: "failed", scope: "live", rows: 0, windows: 0, watermark: Date.parse("2026-12-04T08:00:00.000Z"), error: { code: "SINK_WRITE", message: "disk /mnt/export on host-17 is full" } },
  },
};
const texts = { requests: "AppRequests\n| $window", exceptions: "AppExceptions\n| $window\n| where Password == 'hunter2'" };

test("the event holds counts, codes, durations, versions and hashes; never query text, messages or hosts", () => {
  const err = new SinkError("SINK_WRITE", "disk full", { cause: Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }) });
  const e = buildRunEvent(summary, { queryTexts: texts, sink: "filesystem", errors: new Map([["exceptions", err]]) });
  assert.equal(e.event, "monitorlift.run.complete");
  assert.equal(e.outcome, "failed");
  assert.equal(e.durationMs, 42_500);
  assert.deepEqual(e.totals, { queries: 2, failedQueries: 1, rows: 1200, windows: 3 });
  assert.deepEqual(e.queries[0], { name: "requests", queryHash: e.queries[0]!.queryHash, outcome: "ok", rows: 1200, windows: 3, lagSeconds: 643 });
  assert.match(e.queries[0]!.queryHash, /^[0-9a-f]{16}$/);
  assert.notEqual(e.queries[0]!.queryHash, e.queries[1]!.queryHash);
  assert.deepEqual({ ...e.queries[1], queryHash: "" }, { name: "exceptions", queryHash: "", outcome: "failed", rows: 0, windows: 0, lagSeconds: 7243, errorCode: "SINK_WRITE", dropCode: "sink_capacity" });
  assert.equal(e.versions.node, process.versions.node);
  assert.equal(e.platform.os, process.platform);
  const text = JSON.stringify(e) + JSON.stringify(runEventAttributes(e));
  for (const secret of ["hunter2", "AppExceptions", "host-17", "/mnt/export", "disk"]) assert.ok(!text.includes(secret), `the event does not contain ${secret}`);
});

test("named sources: each query of the event names its source; without them the event has no source", () => {
  const named = buildRunEvent(summary, { queryTexts: texts, sink: "filesystem", querySources: { requests: "east", exceptions: "west" } });
  assert.deepEqual(named.queries.map((q) => [q.name, q.source]), [["requests", "east"], ["exceptions", "west"]]);
  const single = buildRunEvent(summary, { queryTexts: texts, sink: "filesystem" });
  assert.ok(single.queries.every((q) => !("source" in q)));
});

test("a backfill's event has no lag (its cursor is not the live watermark); a query without a typed error still gets a drop code", () => {
  const e = buildRunEvent({ ...summary, command: "backfill" }, { queryTexts: texts, sink: "blob" });
  assert.equal(e.queries[0]!.lagSeconds, undefined);
  assert.equal(e.queries[1]!.dropCode, "other");
  const auth = buildRunEvent(summary, { queryTexts: texts, sink: "blob", errors: new Map([["exceptions", new SourceError("SOURCE_AUTH", "403", { status: 403 })]]) });
  assert.equal(auth.queries[1]!.dropCode, "403");
});

test("reportRun: one log line and one outbound event with the same object, the lag gauges, and the last success only when every query succeeded", () => {
  const seen: string[] = [];
  let sent: RunEvent | undefined;
  const metrics: Metrics = {
    ...noopMetrics,
    watermark: (q, w) => void seen.push(`watermark ${q} ${w.toISOString()}`),
    runSucceeded: (c) => void seen.push(`success ${c}`),
    runComplete: (e) => void (sent = e),
  };
  let logged: unknown;
  const failed = reportRun(summary, { metrics, logger: { info: (o: unknown) => void (logged = o) } as never, queryTexts: texts, sink: "filesystem" });
  assert.deepEqual(seen, ["watermark requests 2026-12-04T09:50:00.000Z", "watermark exceptions 2026-12-04T08:00:00.000Z"]);
  assert.equal(sent, failed);
  assert.deepEqual(logged, { runComplete: failed });
  seen.length = 0;
  reportRun({ ...summary, queries: { requests: summary.queries.requests } }, { metrics, logger: { info() {} } as never, queryTexts: texts, sink: "filesystem" });
  assert.deepEqual(seen, ["watermark requests 2026-12-04T09:50:00.000Z", "success export"]);
});
