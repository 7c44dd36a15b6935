/**
 * Traces, end to end: the real CLI (`export --once`) against the simulator, with a loopback OTLP/HTTP
 * receiver decoding protobuf and JSON. The run → query → window span tree arrives, its attributes
 * agree with what the sink holds, retries and splits are events of their window, and every request the
 * simulator received carries a W3C traceparent naming the run's trace and a window span. With telemetry
 * off (or nothing configured) no span leaves, no traceparent is sent and no socket is opened.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { test } from "node:test";
import { noopMetrics } from "../src/telemetry/metrics.ts";
import { createMetrics } from "../src/telemetry/telemetry.ts";
import { SPAN } from "../src/telemetry/tracing.ts";
import { CLI } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import type { OtlpSpan } from "./support/otlp-decode.ts";
import { readQueryRows } from "./support/read-export.ts";
import { startOtlpReceiver, type OtlpReceiver } from "./support/telemetry-receivers.ts";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

interface Scene {
  h: Harness;
  /** Headers of every query request the simulator received. */
  seen: IncomingHttpHeaders[];
}

async function scene(): Promise<Scene> {
  const seen: IncomingHttpHeaders[] = [];
  const h = await startHarness({
    sim: {
      seed: 11,
      backfill: "PT1H",
      rowsPerSecond: 0.3,
      tables: ["AppRequests"],
      settleJitterMs: 200,
      onRequest: (req) => {
        if (req.url?.includes("/query")) seen.push(req.headers);
      },
    },
    config: { queries: [{ name: "requests", table: "AppRequests" }], window: { size: "PT30M", lag: "PT5S", start: "PT1H" }, log: { level: "warn" } },
  });
  return { h, seen };
}

function runExport(h: Harness, env: Record<string, string>, args: string[] = ["export", "--once"]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, "--config", h.configPath], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

function spansOf(otlp: OtlpReceiver): OtlpSpan[] {
  return otlp.decodedTraces().flatMap((t) => t.spans);
}

/** Checks the span tree of one `export --once` run and the traceparent headers; returns the window spans. */
async function checkTree(s: Scene, otlp: OtlpReceiver): Promise<OtlpSpan[]> {
  const spans = spansOf(otlp);
  const runs = spans.filter((x) => x.name === SPAN.run);
  assert.equal(runs.length, 1, JSON.stringify(spans.map((x) => x.name)));
  const run = runs[0]!;
  assert.equal(run.parentSpanId, "", "the run span is the root");
  assert.equal(run.attributes["monitorlift.command"], "export");
  assert.equal(run.attributes["monitorlift.outcome"], "success");
  assert.equal(run.attributes["monitorlift.queries"], 1);

  const queries = spans.filter((x) => x.name === SPAN.query);
  assert.equal(queries.length, 1);
  const query = queries[0]!;
  assert.equal(query.parentSpanId, run.spanId);
  assert.equal(query.attributes["monitorlift.query"], "requests");
  assert.equal(query.attributes["monitorlift.scope"], "live");
  assert.equal(query.attributes["monitorlift.outcome"], "success");

  const windows = spans.filter((x) => x.name === SPAN.window);
  assert.ok(windows.length >= 2, `windows: ${windows.length}`);
  for (const w of windows) {
    assert.equal(w.parentSpanId, query.spanId);
    assert.equal(w.attributes["monitorlift.query"], "requests");
    assert.equal(w.attributes["monitorlift.outcome"], "success");
    assert.ok(Date.parse(String(w.attributes["monitorlift.window.start"])) < Date.parse(String(w.attributes["monitorlift.window.end"])));
    assert.ok(w.startNs >= run.startNs && w.endNs <= run.endNs, "a window span lies within its run");
  }
  for (const x of spans) {
    assert.equal(x.traceId, run.traceId, "one trace");
    assert.equal(x.statusCode, 0, `${x.name} status`);
  }
  assert.deepEqual(otlp.decodedTraces()[0]!.resource["service.name"], "monitorlift");

  // Rows: window spans → query span → the rows actually in the sink.
  const rowsInSink = (await readQueryRows(s.h.exportDir, "requests")).length;
  assert.ok(rowsInSink > 0);
  assert.equal(windows.reduce((n, w) => n + Number(w.attributes["monitorlift.rows"]), 0), rowsInSink);
  assert.equal(query.attributes["monitorlift.rows"], rowsInSink);
  assert.equal(query.attributes["monitorlift.windows"], windows.reduce((n, w) => n + Number(w.attributes["monitorlift.window.parts"]), 0));

  // Every query request carried the traceparent of its window's span, in the run's trace.
  assert.ok(s.seen.length >= windows.length, `requests: ${s.seen.length}`);
  const windowIds = new Set(windows.map((w) => w.spanId));
  const used = new Set<string>();
  for (const headers of s.seen) {
    const m = TRACEPARENT.exec(String(headers.traceparent ?? ""));
    assert.ok(m, `traceparent: ${headers.traceparent}`);
    assert.equal(m[1], run.traceId);
    assert.ok(windowIds.has(m[2]!), `the parent ${m[2]} is a window span`);
    used.add(m[2]!);
  }
  assert.equal(used.size, windows.length, "each window span's requests carried its id");

  // Never data values, query text or secrets in a span.
  const text = JSON.stringify(spans, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
  assert.doesNotMatch(text, /AppRequests|where|TimeGenerated|SECRET/);
  return windows;
}

test("export --once: the run → query → window spans arrive over OTLP protobuf, and the query requests carry their traceparent", { timeout: 120_000 }, async () => {
  const s = await scene();
  const otlp = await startOtlpReceiver();
  try {
    // A throttled request and a truncated result: a retry and a split, events of their window's span.
    s.h.sim.faults.enqueue(["429:0", "partial"]);
    const r = await runExport(s.h, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_EXPORTER_OTLP_HEADERS: "api-key=SECRET" });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const traceRequests = otlp.requests.filter((x) => x.path === "/v1/traces");
    assert.ok(traceRequests.length > 0 && traceRequests.every((x) => x.headers["content-type"] === "application/x-protobuf" && x.headers["api-key"] === "SECRET"));
    assert.deepEqual(otlp.requests.filter((x) => x.path !== "/v1/traces"), [], "only traces were configured");
    const windows = await checkTree(s, otlp);
    const events = windows.flatMap((w) => w.events);
    const retry = events.find((e) => e.name === "retry");
    assert.ok(retry, "a retry event");
    assert.equal(retry.attributes["monitorlift.retry.code"], "429");
    assert.equal(retry.attributes["monitorlift.stage"], "source");
    assert.ok(events.some((e) => e.name === "split"), "a split event");
    assert.ok(windows.some((w) => Number(w.attributes["monitorlift.window.splits"]) >= 1 && Number(w.attributes["monitorlift.window.parts"]) >= 2));
  } finally {
    await Promise.all([otlp.close(), s.h.close()]);
  }
});

test("the config's telemetry.traces block: OTLP JSON to the endpoint given there", { timeout: 120_000 }, async () => {
  const s = await scene();
  const otlp = await startOtlpReceiver();
  try {
    await s.h.writeConfig({ telemetry: { traces: { otlp: { endpoint: `${otlp.url}/v1/traces`, protocol: "http/json" } } } });
    const r = await runExport(s.h, {});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(otlp.requests.length > 0 && otlp.requests.every((x) => x.path === "/v1/traces" && x.headers["content-type"] === "application/json"));
    await checkTree(s, otlp);
  } finally {
    await Promise.all([otlp.close(), s.h.close()]);
  }
});

test("OTEL_EXPORTER_OTLP_ENDPOINT: traces go to its /v1/traces with the metrics; a failed query's span carries its codes", { timeout: 120_000 }, async () => {
  const s = await scene();
  const otlp = await startOtlpReceiver();
  try {
    s.h.sim.faults.enqueue(["403"]);
    const r = await runExport(s.h, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
    assert.notEqual(r.code, 0, "the refused query fails the run");
    assert.ok(otlp.requests.some((x) => x.path === "/v1/metrics"));
    const spans = spansOf(otlp);
    const run = spans.find((x) => x.name === SPAN.run)!;
    assert.equal(run.attributes["monitorlift.outcome"], "failed");
    const query = spans.find((x) => x.name === SPAN.query)!;
    assert.equal(query.statusCode, 2);
    assert.equal(query.attributes["monitorlift.drop.code"], "403");
    assert.equal(query.attributes["error.type"], "403");
    assert.equal(typeof query.attributes["monitorlift.error.code"], "string");
    assert.equal(query.statusMessage, query.attributes["monitorlift.error.code"], "the status says the code, not the message");
    const failedWindow = spans.find((x) => x.name === SPAN.window && x.statusCode === 2);
    assert.ok(failedWindow, "the refused window's span failed");
    assert.equal(failedWindow.attributes["monitorlift.outcome"], "dropped");
    assert.equal(failedWindow.attributes["monitorlift.drop.code"], "403");
  } finally {
    await Promise.all([otlp.close(), s.h.close()]);
  }
});

test("backfill: the same tree, command backfill, the backfill's scope, and traceparent on its requests", { timeout: 120_000 }, async () => {
  const s = await scene();
  const otlp = await startOtlpReceiver();
  try {
    const r = await runExport(s.h, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces` }, ["backfill", "--from", "PT2H", "--to", "PT10M"]); // relative ends align down to the 30-minute grid: always ≥ 2 windows
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const spans = spansOf(otlp);
    const run = spans.find((x) => x.name === SPAN.run)!;
    assert.equal(run.attributes["monitorlift.command"], "backfill");
    const query = spans.find((x) => x.name === SPAN.query)!;
    assert.equal(query.parentSpanId, run.spanId);
    assert.match(String(query.attributes["monitorlift.scope"]), /^backfill-/);
    const windows = spans.filter((x) => x.name === SPAN.window);
    assert.ok(windows.length >= 2 && windows.every((w) => w.parentSpanId === query.spanId && w.attributes["monitorlift.scope"] === query.attributes["monitorlift.scope"]));
    const rows = windows.reduce((n, w) => n + Number(w.attributes["monitorlift.rows"]), 0);
    assert.ok(rows > 0);
    assert.equal(query.attributes["monitorlift.rows"], rows);
    const ids = new Set(windows.map((w) => w.spanId));
    assert.ok(s.seen.length > 0);
    for (const headers of s.seen) {
      const m = TRACEPARENT.exec(String(headers.traceparent ?? ""));
      assert.ok(m && m[1] === run.traceId && ids.has(m[2]!), `traceparent: ${headers.traceparent}`);
    }
  } finally {
    await Promise.all([otlp.close(), s.h.close()]);
  }
});

test("MONITORLIFT_TELEMETRY=off, or nothing configured: no span sent, no traceparent on the query requests", { timeout: 120_000 }, async () => {
  for (const env of [{ MONITORLIFT_TELEMETRY: "off" }, undefined]) {
    const s = await scene();
    const otlp = await startOtlpReceiver();
    try {
      const r = await runExport(s.h, env ? { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_TRACES_EXPORTER: "otlp" } : {});
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(otlp.requests, []);
      assert.ok(s.seen.length > 0);
      assert.ok(s.seen.every((h) => h.traceparent === undefined && h.tracestate === undefined), "no trace context sent");
    } finally {
      await Promise.all([otlp.close(), s.h.close()]);
    }
  }
});

const SOCKETS = new Set(["TCPWRAP", "TCPSocketWrap", "TCPServerWrap", "UDPWRAP", "UDPWrap", "TCPConnectWrap", "GetAddrInfoReqWrap"]);
const sockets = () => process.getActiveResourcesInfo().filter((r) => SOCKETS.has(r)).sort();

test("in process: traces configured but telemetry off → the no-op (no tracer provider, no socket); on → spans with a traceparent", { timeout: 30_000 }, async () => {
  const otlp = await startOtlpReceiver();
  try {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_TRACES_EXPORTER: "otlp,console" };
    for (const [label, e, config] of [
      ["MONITORLIFT_TELEMETRY=off", { ...env, MONITORLIFT_TELEMETRY: "off" }, undefined],
      ["telemetry.enabled: false", env, { enabled: false }],
    ] as const) {
      const before = sockets();
      const metrics = await createMetrics({ env: e, config });
      assert.equal(metrics, noopMetrics, label);
      const span = metrics.tracing!.root(SPAN.run);
      assert.equal(span.recording, false);
      assert.deepEqual(span.child(SPAN.query).headers(), {});
      span.end();
      await metrics.shutdown();
      assert.deepEqual(sockets(), before, `${label}: no socket handle was opened`);
    }
    assert.deepEqual(otlp.requests, []);

    // Control: on, the same settings trace and send (OTEL_TRACES_EXPORTER=otlp alone, the console left out).
    const metrics = await createMetrics({ env: { ...env, OTEL_TRACES_EXPORTER: "otlp" } });
    assert.ok(metrics.active && metrics.tracing?.active);
    const run = metrics.tracing!.root(SPAN.run, { "monitorlift.command": "export" });
    const child = run.child(SPAN.window);
    const m = TRACEPARENT.exec(child.headers().traceparent ?? "");
    assert.ok(m);
    child.end();
    run.end();
    await metrics.shutdown();
    const spans = spansOf(otlp);
    assert.deepEqual(spans.map((x) => x.name).sort(), [SPAN.run, SPAN.window].sort());
    assert.equal(spans.find((x) => x.name === SPAN.window)!.spanId, m[2]);
    assert.equal(spans.find((x) => x.name === SPAN.run)!.traceId, m[1]);
  } finally {
    await otlp.close();
  }
});
