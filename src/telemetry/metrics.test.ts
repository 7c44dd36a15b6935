import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SinkError } from "../errors.ts";
import { DROP_CODES, RETRY_CODES } from "./codes.ts";
import { droppedBecause, FanOutMetrics, sinkLabels, INSTRUMENTS, noopMetrics, retriedBecause, type Attributes, type GaugeReading, type InstrumentKey, type MetricsBackend } from "./metrics.ts";

/** A backend that keeps what it is given (the facade is under test, not a backend). */
class Recording implements MetricsBackend {
  readonly name = "recording";
  readonly calls: [string, InstrumentKey | "gauges", number | GaugeReading[], Attributes?][] = [];
  add(key: InstrumentKey, value: number, attributes: Attributes): void {
    this.calls.push(["add", key, value, attributes]);
  }
  record(key: InstrumentKey, value: number, attributes: Attributes): void {
    this.calls.push(["record", key, value, attributes]);
  }
  gaugesChanged(readings: readonly GaugeReading[]): void {
    this.calls.push(["gauges", "gauges", [...readings]]);
  }
  async flush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const L = { query: "requests", sink: "filesystem", format: "parquet" };

test("calls become instrument updates with the documented attributes", () => {
  const b = new Recording();
  const m = new FanOutMetrics({ backends: [b], flushTimeoutMs: 1000, now: () => 100_000 });
  m.rows(L, { outcome: "success" }, 10);
  m.rows(L, retriedBecause(new SinkError("SINK_UNAVAILABLE", "503", { retryable: true })), 5);
  m.rows(L, droppedBecause(new SinkError("LOCK_HELD", "busy")), 0); // nothing to count: no call
  m.sourceRequest("requests", 0.25, { status: 429, error: "429" });
  m.windowCommitted(L, 10);
  m.watermark("requests", new Date(40_000));
  m.windowDropped(L, "lock_held", 0); // nothing to count: no call
  assert.deepEqual(b.calls.slice(0, 5), [
    ["add", "rowsExported", 10, { "monitorlift.query": "requests", "monitorlift.sink.type": "filesystem", "monitorlift.format": "parquet", "monitorlift.outcome": "success" }],
    ["add", "rowsExported", 5, { "monitorlift.query": "requests", "monitorlift.sink.type": "filesystem", "monitorlift.format": "parquet", "monitorlift.outcome": "retry", "monitorlift.retry.code": "sink_unavailable" }],
    ["record", "requestDuration", 0.25, { "monitorlift.query": "requests", "http.response.status_code": 429, "error.type": "429" }],
    ["add", "windowsCommitted", 1, { "monitorlift.query": "requests", "monitorlift.sink.type": "filesystem" }],
    ["record", "windowRows", 10, { "monitorlift.query": "requests" }],
  ]);
  assert.deepEqual(m.readGauges(), [{ key: "exportLag", value: 60, attributes: { "monitorlift.query": "requests" } }]);
});

test("named sources: every series of a query also carries monitorlift.source; other queries and single-source configs do not", () => {
  const b = new Recording();
  const m = new FanOutMetrics({ backends: [b], flushTimeoutMs: 1000, now: () => 100_000, querySources: { requests: "east" } });
  m.rows(L, { outcome: "success" }, 10);
  m.sourceRequest("requests", 0.25, { status: 200 });
  m.windowCommitted(L, 10);
  m.windowSplit("requests");
  m.retry("requests", "source", "429");
  m.windowDropped(L, "shutdown");
  m.watermark("requests", new Date(40_000));
  m.windowSplit("other"); // a query the map does not name
  const src = { "monitorlift.query": "requests", "monitorlift.source": "east" };
  assert.deepEqual(b.calls.slice(0, 8), [
    ["add", "rowsExported", 10, { ...src, "monitorlift.sink.type": "filesystem", "monitorlift.format": "parquet", "monitorlift.outcome": "success" }],
    ["record", "requestDuration", 0.25, { ...src, "http.response.status_code": 200 }],
    ["add", "windowsCommitted", 1, { ...src, "monitorlift.sink.type": "filesystem" }],
    ["record", "windowRows", 10, src],
    ["add", "windowsSplit", 1, src],
    ["add", "retries", 1, { ...src, "monitorlift.stage": "source", "monitorlift.retry.code": "429" }],
    ["add", "windowsDropped", 1, { ...src, "monitorlift.sink.type": "filesystem", "monitorlift.drop.code": "shutdown" }],
    ["gauges", "gauges", [{ key: "exportLag", value: 60, attributes: src }]],
  ]);
  assert.deepEqual(b.calls[8], ["add", "windowsSplit", 1, { "monitorlift.query": "other" }]);
});

test("a backend that throws or never settles neither throws into the caller nor holds flush/shutdown past the bound", async () => {
  const errors: string[] = [];
  const broken: MetricsBackend = {
    name: "broken",
    add() {
      throw new Error("boom");
    },
    record() {
      throw new Error("boom");
    },
    flush: () => new Promise(() => {}),
    shutdown: () => Promise.reject(new Error("refused")),
  };
  const ok = new Recording();
  const m = new FanOutMetrics({ backends: [broken, ok], flushTimeoutMs: 200, onError: (b, e) => errors.push(`${b}: ${(e as Error).message}`) });
  m.rows(L, { outcome: "success" }, 1);
  m.rows(L, { outcome: "success" }, 1);
  assert.equal(ok.calls.filter((c) => c[0] === "add").length, 2, "the healthy backend still gets every call");
  const t0 = Date.now();
  await m.flush();
  const t1 = Date.now();
  assert.ok(t1 - t0 < 1000, `flush took ${t1 - t0} ms`);
  await m.shutdown();
  assert.ok(Date.now() - t1 < 1000);
  assert.deepEqual(errors, ["broken: boom", "flush: did not finish within 200 ms; left behind", "broken: refused"], "each failure reported once");
  m.rows(L, { outcome: "success" }, 1); // after shutdown: ignored, no throw
});

test("the no-op opens nothing and does nothing", async () => {
  assert.equal(noopMetrics.active, false);
  noopMetrics.rows(L, { outcome: "success" }, 1);
  await noopMetrics.flush();
  await noopMetrics.shutdown();
  assert.equal(noopMetrics.statsdDropped(), 0);
});

test("the README documents every instrument, retry code and drop code", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const metricsSection = readme.slice(readme.indexOf("## Metrics"));
  assert.ok(readme.includes("## Metrics"), "README has a Metrics section");
  for (const spec of Object.values(INSTRUMENTS)) {
    assert.ok(metricsSection.includes(`\`${spec.name}\``), `README documents ${spec.name}`);
    assert.ok(metricsSection.includes(`| ${spec.unit} |`) || metricsSection.includes(`| \`${spec.unit}\` |`), `README gives the unit of ${spec.name}`);
  }
  for (const code of [...RETRY_CODES, ...DROP_CODES]) assert.ok(metricsSection.includes(`\`${code}\``), `README documents the code ${code}`);
});

test("sink labels: the sink type and its file format or SQL dialect", () => {
  assert.deepEqual(sinkLabels("requests", { type: "filesystem", format: "parquet" }), { query: "requests", sink: "filesystem", format: "parquet" });
  assert.deepEqual(sinkLabels("requests", { type: "sql", dialect: "postgres" }), { query: "requests", sink: "sql", format: "postgres" });
  assert.deepEqual(sinkLabels("requests", { type: "custom" }), { query: "requests", sink: "custom", format: "none" });
});
