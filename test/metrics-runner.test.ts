/**
 * The runner reports on itself through the metrics layer: against the simulator with faults and
 * truncation, the counts a recording Metrics receives agree with what the run really did — rows counted
 * as exported equal the rows in the files, one committed-window count per commit, one request-duration
 * record per HTTP request the simulator served, a retry (by code) for every failed request, a split per
 * truncated result — and a query that fails is counted as dropped with its drop code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock, type Simulator } from "../src/simulator/index.ts";
import type { Metrics, RequestResult, RowOutcome, SinkLabels } from "../src/telemetry/metrics.ts";
import { SinkError } from "../src/errors.ts";
import type { WindowWriter } from "../src/sinks/sink.ts";
import { RETRY_CODES } from "../src/telemetry/codes.ts";
import { readQueryRows } from "./support/read-export.ts";
import { startHarness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-20T12:00:00Z");

interface Recorded {
  rows: Array<{ labels: SinkLabels; result: RowOutcome; n: number }>;
  bytes: number;
  requests: RequestResult[];
  committed: Array<{ labels: SinkLabels; rows: number }>;
  splits: number;
  retries: Array<{ stage: string; code: string }>;
  dropped: Array<{ labels: SinkLabels; code: string; windows: number }>;
  watermarks: Map<string, Date>;
}

function recordingMetrics(): Metrics & { seen: Recorded } {
  const seen: Recorded = { rows: [], bytes: 0, requests: [], committed: [], splits: 0, retries: [], dropped: [], watermarks: new Map() };
  return {
    seen,
    active: true,
    rows: (labels, result, n) => void seen.rows.push({ labels, result, n }),
    bytes: (_labels, result, n) => void (result.outcome === "success" && (seen.bytes += n)),
    sourceRequest: (_query, seconds, result) => {
      assert.ok(seconds >= 0 && Number.isFinite(seconds));
      seen.requests.push(result ?? {});
    },
    windowCommitted: (labels, rows) => void seen.committed.push({ labels, rows }),
    windowSplit: () => void seen.splits++,
    retry: (_query, stage, code) => void seen.retries.push({ stage, code }),
    windowDropped: (labels, code, windows = 1) => void seen.dropped.push({ labels, code, windows }),
    watermark: (query, at) => void seen.watermarks.set(query, at),
    runSucceeded: () => {},
    runComplete: () => {},
    statsdDropped: () => 0,
    flush: async () => {},
    shutdown: async () => {},
  };
}

function requestsServed(sim: Simulator): number {
  return Object.values(sim.stats().requests).reduce((a, b) => a + b, 0);
}

test("counts agree with the run: rows, windows, requests, retries by code, splits", async () => {
  const h = await startHarness({
    sim: {
      clock: createManualClock(T0),
      seed: 44,
      backfill: "PT3H",
      rowsPerSecond: 1,
      tables: ["AppRequests"],
      limits: { maxRows: 500 },
      faults: { seed: 5, probabilities: { "429": 0.1, "503": 0.1, "500": 0.1, reset: 0.1 }, retryAfterSeconds: 0, resetFraction: 0.4 },
    },
    config: { window: { size: "PT15M", lag: "PT1M", start: "PT2H", minSize: "PT1M" }, source: { idleTimeout: "PT1S", maxRetries: 8 } },
  });
  try {
    const metrics = recordingMetrics();
    const report = await h.exportOnce({ withDeps: (deps) => void (deps.metrics = metrics) });
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    const seen = metrics.seen;
    const files = await readQueryRows(h.exportDir, "requests");
    const success = seen.rows.filter((r) => r.result.outcome === "success");
    assert.equal(success.reduce((a, r) => a + r.n, 0), files.length, "rows counted as exported = rows in the files");
    assert.ok(files.length > 0);
    assert.deepEqual(new Set(success.map((r) => `${r.labels.query}/${r.labels.sink}/${r.labels.format}`)), new Set(["requests/filesystem/ndjson"]));
    assert.equal(seen.committed.length, report.summary.queries.requests!.windows, "one committed-window count per committed part");
    assert.equal(seen.committed.reduce((a, c) => a + c.rows, 0), files.length);
    assert.ok(seen.bytes > 0);
    assert.equal(seen.requests.length, requestsServed(h.sim), "one request record per HTTP request served");
    const failedRequests = seen.requests.filter((r) => r.error !== undefined);
    assert.ok(failedRequests.length >= 3, `faults were met: ${JSON.stringify(h.sim.stats().faultsInjected)}`);
    assert.equal(seen.retries.length, failedRequests.length, "every failed request was retried (the run succeeded)");
    for (const r of seen.retries) assert.ok((RETRY_CODES as readonly string[]).includes(r.code), `retry code ${r.code}`);
    const codes = new Set(seen.retries.map((r) => r.code));
    assert.ok(codes.has("429") || codes.has("503") || codes.has("500"), `status codes among ${[...codes].join(", ")}`);
    assert.equal(seen.splits, h.sim.stats().truncatedResults, "one split per truncated result");
    assert.ok(seen.splits > 0);
    assert.equal(seen.watermarks.get("requests")?.getTime(), (await h.watermark("requests"))!.watermark, "the lag gauge's watermark is the committed one");
    assert.deepEqual(seen.dropped, []);
  } finally {
    await h.close();
  }
});

test("a query the service refuses is counted as dropped with its drop code; the good one as exported", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 45, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"] },
    config: {
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "broken", table: "AppRequests", transform: "where NoSuchColumn > 1" },
      ],
      window: { size: "PT15M", lag: "PT1M", start: "PT1H" },
    },
  });
  try {
    const metrics = recordingMetrics();
    const report = await h.exportOnce({ withDeps: (deps) => void (deps.metrics = metrics) });
    assert.equal(report.errors.size, 1);
    const dropped = metrics.seen.dropped;
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]!.labels.query, "broken");
    assert.equal(dropped[0]!.code, "400");
    assert.ok(dropped[0]!.windows >= 1);
    assert.ok(metrics.seen.committed.every((c) => c.labels.query === "requests") && metrics.seen.committed.length > 0);
  } finally {
    await h.close();
  }
});

test("rows written but discarded when a commit fails are counted as dropped, by drop code; nothing else is", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 46, backfill: "PT2H", rowsPerSecond: 0.5, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT1H" }, concurrency: 4 },
  });
  try {
    const metrics = recordingMetrics();
    let discardedRows = 0;
    let commits = 0;
    const report = await h.exportOnce({
      withDeps: (deps) => {
        deps.metrics = metrics;
        const sink = deps.destination.sink;
        deps.destination = {
          ...deps.destination,
          sink: {
            ...sink,
            start: sink.start.bind(sink),
            shutdown: sink.shutdown.bind(sink),
            probe: sink.probe.bind(sink),
            recover: sink.recover.bind(sink),
            windowCounts: sink.windowCounts.bind(sink),
            openWindow: async (target) => {
              const inner = await sink.openWindow(target);
              let rows = 0;
              const writer: WindowWriter = {
                write: async (batch) => {
                  rows += batch.length;
                  await inner.write(batch);
                },
                end: () => inner.end(),
                // the third commit fails as a full disk would: the windows fetched ahead are discarded
                commit: async (next, previous) => {
                  if (++commits === 3) throw new SinkError("SINK_WRITE", "no space left on device (ENOSPC)");
                  return inner.commit(next, previous);
                },
                abort: async () => {
                  discardedRows += rows;
                  rows = 0;
                  await inner.abort();
                },
              };
              return writer;
            },
          },
        };
      },
    });
    assert.equal(report.errors.size, 1);
    const dropped = metrics.seen.rows.filter((r) => r.result.outcome === "dropped");
    assert.ok(discardedRows > 0, "rows were written ahead and discarded");
    assert.equal(dropped.reduce((n, r) => n + r.n, 0), discardedRows, "dropped rows = rows of the discarded writers");
    assert.ok(dropped.every((r) => r.result.outcome === "dropped" && r.result.code === metrics.seen.dropped[0]!.code));
    assert.equal(metrics.seen.committed.length, 2, "the two windows before the failure were committed");
    assert.equal(metrics.seen.dropped.length, 1);
  } finally {
    await h.close();
  }
});
