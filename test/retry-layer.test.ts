/**
 * The one retry layer, end to end against the simulator: every HTTP request is one attempt of the
 * runner's loop (the SDK pipeline does not retry), every attempt passes the request gate, and the
 * loop honours Retry-After. Rows are pulled: a slow sink does not trip the idle watchdog, and a
 * sink's error reaches the report as the sink raised it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { SinkError } from "../src/errors.ts";
import type { RunDeps } from "../src/runner/export-query.ts";
import type { RequestGate } from "../src/runner/request-gate.ts";
import type { Sink, WindowWriter } from "../src/sinks/sink.ts";
import { createManualClock, type Simulator } from "../src/simulator/index.ts";
import { assertLiveExactlyOnce, startHarness } from "./support/harness.ts";
import { RowBatch } from "../src/row-batch.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

function requestsServed(sim: Simulator): number {
  return Object.values(sim.stats().requests).reduce((a, b) => a + b, 0);
}

/** Wraps the run's gate: counts the attempts that passed it and when each one started. */
function countingGate(deps: RunDeps): { starts: number[] } {
  const seen = { starts: [] as number[] };
  for (const connection of deps.sources.values()) {
    const inner: RequestGate = connection.gate;
    connection.gate = {
      run: (work) =>
        inner.run(() => {
          seen.starts.push(performance.now());
          return work();
        }),
    };
  }
  return seen;
}

/** Wraps the run's sink so that each window writer's write goes through `write` first. */
function wrapWrites(deps: RunDeps, write: (batch: RowBatch, inner: WindowWriter) => Promise<void>): void {
  const sink = deps.destination.sink;
  deps.destination = { ...deps.destination, sink: new Proxy(sink, {
    get(target, prop) {
      if (prop === "openWindow") {
        return async (t: Parameters<Sink["openWindow"]>[0]) => {
          const w = await target.openWindow(t);
          return { write: (batch: RowBatch) => write(batch, w), end: w.end.bind(w), commit: w.commit.bind(w), abort: w.abort.bind(w) } satisfies WindowWriter;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) };
}


for (const status of ["503", "429"] as const) {
  test(`a persistent ${status} costs exactly maxRetries + 1 requests per window, all through the gate, and the watermark stays`, async () => {
    const clock = createManualClock(T0);
    const h = await startHarness({
      sim: { clock, seed: 41, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"] },
      // one window at a time (concurrency 1: no look-ahead), so the failing window is the only one asked
      config: { window: { size: "PT5M", lag: "PT1M", start: "PT30M" }, concurrency: 1, source: { maxRetries: 3, retryDelay: "PT0.01S", maxRetryDelay: "PT0.05S" } },
    });
    try {
      const first = await h.exportOnce();
      assert.equal(first.errors.size, 0, [...first.errors.values()].map(String).join("\n"));
      const before = await h.watermark("requests");
      assert.ok(before);

      clock.advance(30 * 60_000);
      h.sim.faults.set(status === "503" ? { probabilities: { "503": 1 } } : { probabilities: { "429": 1 }, retryAfterSeconds: 0 });
      const servedBefore = requestsServed(h.sim);
      let gate: { starts: number[] } | undefined;
      const report = await h.exportOnce({ withDeps: (deps) => void (gate = countingGate(deps)) });

      const err = report.errors.get("requests") as { code?: string; status?: number; retryable?: boolean };
      assert.equal(err?.code, status === "503" ? "SOURCE_UNAVAILABLE" : "SOURCE_THROTTLED");
      assert.equal(err.status, Number(status));
      assert.equal(err.retryable, true);
      assert.equal(report.summary.queries.requests!.outcome, "failed");
      const served = requestsServed(h.sim) - servedBefore;
      assert.equal(h.sim.stats().requests[status], served, `every request of the second run got ${status}`);
      assert.equal(served, 3 + 1, "maxRetries + 1 requests for the one window asked");
      assert.equal(gate!.starts.length, served, "each request passed the gate");
      assert.deepEqual(await h.watermark("requests"), before, "the watermark did not move");
    } finally {
      await h.close();
    }
  });
}

test("every request passes the gate: faults, retries and splits, one gate pass per HTTP request", async () => {
  const h = await startHarness({
    sim: {
      clock: createManualClock(T0),
      seed: 42,
      backfill: "PT3H",
      rowsPerSecond: 1,
      tables: ["AppRequests"],
      limits: { maxRows: 500 },
      faults: { seed: 3, probabilities: { "429": 0.1, "503": 0.1, "500": 0.1, reset: 0.1, partial: 0.05 }, retryAfterSeconds: 0, resetFraction: 0.4 },
    },
    config: { window: { size: "PT15M", lag: "PT1M", start: "PT2H", minSize: "PT1M" }, source: { idleTimeout: "PT1S", maxRetries: 8 } },
  });
  try {
    let gate: { starts: number[] } | undefined;
    const report = await h.exportOnce({ withDeps: (deps) => void (gate = countingGate(deps)) });
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    const stats = h.sim.stats();
    const injected = Object.values(stats.faultsInjected).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 5, `faults were injected: ${JSON.stringify(stats.faultsInjected)}`);
    assert.ok(stats.truncatedResults > 0, "some results were truncated (and split)");
    assert.equal(gate!.starts.length, requestsServed(h.sim), `gate passes vs requests ${JSON.stringify(stats.requests)}`);
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
  } finally {
    await h.close();
  }
});

test("Retry-After is honoured by the one loop: each retry starts no earlier than the server asked", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 43, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"] },
    // the computed back-off would be at most 20 ms: any longer wait comes from Retry-After
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT10M" }, concurrency: 1, source: { maxRetries: 4, retryDelay: "PT0.01S", maxRetryDelay: "PT0.02S" } },
  });
  try {
    h.sim.faults.enqueue(["503:1", "429:1"]);
    let gate: { starts: number[] } | undefined;
    const report = await h.exportOnce({ withDeps: (deps) => void (gate = countingGate(deps)) });
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    assert.deepEqual(
      { 503: h.sim.stats().requests["503"], 429: h.sim.stats().requests["429"] },
      { 503: 1, 429: 1 },
      "one request each: the pipeline did not retry them itself",
    );
    const [a, b, c] = gate!.starts as [number, number, number];
    assert.ok(b - a >= 1000, `the retry after the 503 waited ${Math.round(b - a)} ms (Retry-After: 1)`);
    assert.ok(c - b >= 1000, `the retry after the 429 waited ${Math.round(c - b)} ms (Retry-After: 1)`);
    assert.equal(gate!.starts.length, requestsServed(h.sim));
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
  } finally {
    await h.close();
  }
});

test("a sink write slower than idleTimeout does not trip the idle watchdog (it watches the network only)", async () => {
  const h = await startHarness({
    // ~3000 rows per window, over 1 MB of body text: more than one batch, so writes happen while the body is still open
    sim: { clock: createManualClock(T0), seed: 44, backfill: "PT1H", rowsPerSecond: 10, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT10M" }, concurrency: 1, source: { idleTimeout: "PT0.3S", maxRetries: 0 } },
  });
  try {
    let writes = 0;
    const report = await h.exportOnce({
      withDeps: (deps) =>
        wrapWrites(deps, async (rows, inner) => {
          if (writes++ === 0) await sleep(1000); // the first batch: more than 3 × idleTimeout
          await inner.write(rows);
        }),
    });
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    assert.ok(writes >= 2, `the window came in ${writes} batches`);
    assert.equal(requestsServed(h.sim), report.summary.queries.requests!.windows, "one request per window: nothing was retried");
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
  } finally {
    await h.close();
  }
});

for (const kind of ["SinkError", "driver error"] as const) {
  test(`a sink's error (${kind}) surfaces as the sink raised it, not through the source's classifier`, async () => {
    const h = await startHarness({
      sim: { clock: createManualClock(T0), seed: 45, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"] },
      config: { window: { size: "PT5M", lag: "PT1M", start: "PT10M" }, concurrency: 1 },
    });
    try {
      // a driver's own error (here shaped like Node's fs errors) would look like a connection error to the source's classifier
      const thrown =
        kind === "SinkError"
          ? new SinkError("SINK_SCHEMA", "the table's columns do not match", { retryable: false })
          : Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
      const report = await h.exportOnce({ withDeps: (deps) => wrapWrites(deps, async () => Promise.reject(thrown)) });
      assert.equal(report.errors.get("requests"), thrown, "the very error the sink threw");
      assert.equal(requestsServed(h.sim), 1, "a permanent sink error is not retried");
      assert.equal(await h.watermark("requests"), undefined);
    } finally {
      await h.close();
    }
  });
}
