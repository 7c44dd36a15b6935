/**
 * The Prometheus scrape endpoint, scraped over HTTP and parsed: names (dots → underscores, _total
 * on counters), labels, values; the export lag gauge rising while nothing commits and falling when
 * the watermark moves; the port released at shutdown.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { createMetrics } from "../src/telemetry/telemetry.ts";
import { freePort, parsePrometheusText, type PromSample } from "./support/telemetry-receivers.ts";
import { recordScenario, SCENARIO } from "./support/telemetry-scenario.ts";

function sample(samples: PromSample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test("the Prometheus endpoint serves every metric; the lag gauge follows the clock and the watermark", { timeout: 30_000 }, async () => {
  const port = await freePort();
  let now = Date.now();
  const metrics = await createMetrics({
    env: { OTEL_METRICS_EXPORTER: "prometheus", OTEL_EXPORTER_PROMETHEUS_HOST: "127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT: String(port) },
    now: () => now,
  });
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    return parsePrometheusText(await res.text());
  };
  try {
    recordScenario(metrics, now);
    const s = await scrape();
    const q = { monitorlift_query: "requests" };
    const sink = { ...q, monitorlift_sink_type: "filesystem", monitorlift_format: "parquet" };
    assert.equal(sample(s, "monitorlift_rows_exported_total", { ...sink, monitorlift_outcome: "success" }), SCENARIO.rowsCommitted);
    assert.equal(sample(s, "monitorlift_rows_exported_total", { ...sink, monitorlift_outcome: "dropped", monitorlift_drop_code: "sink_capacity" }), SCENARIO.rowsDropped);
    assert.equal(sample(s, "monitorlift_bytes_exported_total", { ...sink, monitorlift_outcome: "success" }), SCENARIO.bytesCommitted);
    assert.equal(sample(s, "monitorlift_source_request_duration_count", { ...q, http_response_status_code: "200" }), 3);
    assert.equal(sample(s, "monitorlift_source_request_duration_bucket", { ...q, http_response_status_code: "429", le: "1" }), 0);
    assert.equal(sample(s, "monitorlift_source_request_duration_bucket", { ...q, http_response_status_code: "429", le: "2.5" }), 1);
    assert.equal(sample(s, "monitorlift_window_rows_sum", q), SCENARIO.rowsCommitted);
    assert.equal(sample(s, "monitorlift_windows_committed_total", q), 3);
    assert.equal(sample(s, "monitorlift_windows_split_total", q), 1);
    assert.equal(sample(s, "monitorlift_retries_total", { ...q, monitorlift_retry_code: "429", monitorlift_stage: "source" }), 1);
    assert.equal(sample(s, "monitorlift_windows_dropped_total", { ...q, monitorlift_drop_code: "sink_capacity" }), 1);
    assert.equal(sample(s, "monitorlift_export_lag", q), SCENARIO.lagSeconds);
    assert.equal(sample(s, "monitorlift_run_last_success_time", { monitorlift_command: "export" }), now / 1000);

    // The exporter is stopped while data keeps arriving: the lag grows with the clock…
    const watermark = now - SCENARIO.lagSeconds * 1000;
    now += 600_000;
    assert.equal(sample(await scrape(), "monitorlift_export_lag", q), SCENARIO.lagSeconds + 600);
    // …and falls when a run commits and the watermark moves up.
    metrics.watermark("requests", new Date(watermark + 630_000));
    assert.equal(sample(await scrape(), "monitorlift_export_lag", q), 60);
  } finally {
    await metrics.shutdown();
  }
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => (socket.destroy(), resolve(false)));
    socket.on("error", () => resolve(true));
  });
  assert.ok(refused, "shutdown closes the scrape endpoint");
});
