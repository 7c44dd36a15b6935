/**
 * OTLP over HTTP, protobuf and JSON, to a real receiver on loopback: the requests are decoded (a
 * small protobuf decoder written from the OTLP field numbers) and the metrics, units, attributes,
 * values and resource checked against the calls that were made.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics } from "../src/telemetry/telemetry.ts";
import { findPoint, type OtlpMetrics } from "./support/otlp-decode.ts";
import { startOtlpReceiver } from "./support/telemetry-receivers.ts";
import { recordScenario, SCENARIO, scenarioEvent } from "./support/telemetry-scenario.ts";

for (const protocol of ["http/protobuf", "http/json"] as const) {
  test(`OTLP ${protocol}: the collector receives every metric with its unit, attributes and values`, { timeout: 30_000 }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const now = Date.now();
      const metrics = await createMetrics({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=s3cret%20value",
          OTEL_SERVICE_NAME: "monitorlift-ci",
          OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=ci",
        },
        now: () => now,
      });
      assert.equal(metrics.active, true);
      recordScenario(metrics, now);
      await metrics.shutdown(); // a one-shot run's exit: flushes every exporter

      assert.ok(receiver.requests.some((r) => r.path === "/v1/metrics"), "the collector got a metrics request");
      const req = receiver.requests.find((r) => r.path === "/v1/metrics")!;
      assert.equal(req.method, "POST");
      assert.equal(req.path, "/v1/metrics");
      assert.equal(req.headers["content-type"], protocol === "http/json" ? "application/json" : "application/x-protobuf");
      assert.equal(req.headers["x-api-key"], "s3cret value", "OTEL_EXPORTER_OTLP_HEADERS are sent, percent-decoded");

      const decoded: OtlpMetrics[] = receiver.decoded();
      assert.equal(decoded[0]!.resource["service.name"], "monitorlift-ci");
      assert.equal(decoded[0]!.resource["deployment.environment"], "ci");
      assert.equal(typeof decoded[0]!.resource["service.version"], "string");
      assert.ok(decoded[0]!.scopes.includes("monitorlift"));

      const byName = new Map(decoded.flatMap((d) => d.metrics).map((m) => [m.name, m]));
      const q = { "monitorlift.query": "requests" };
      const sinkAttrs = { ...q, "monitorlift.sink.type": "filesystem", "monitorlift.format": "parquet" };
      assert.equal(byName.get("monitorlift.rows.exported")?.unit, "{row}");
      assert.equal(byName.get("monitorlift.rows.exported")?.kind, "sum");
      assert.equal(byName.get("monitorlift.rows.exported")?.monotonic, true);
      assert.equal(findPoint(decoded, "monitorlift.rows.exported", { ...sinkAttrs, "monitorlift.outcome": "success" })?.value, SCENARIO.rowsCommitted);
      assert.equal(
        findPoint(decoded, "monitorlift.rows.exported", { ...sinkAttrs, "monitorlift.outcome": "retry", "monitorlift.retry.code": "sink_unavailable" })?.value,
        SCENARIO.rowsRetried,
      );
      assert.equal(
        findPoint(decoded, "monitorlift.rows.exported", { ...sinkAttrs, "monitorlift.outcome": "dropped", "monitorlift.drop.code": "sink_capacity" })?.value,
        SCENARIO.rowsDropped,
      );
      assert.equal(byName.get("monitorlift.bytes.exported")?.unit, "By");
      assert.equal(findPoint(decoded, "monitorlift.bytes.exported", { ...sinkAttrs, "monitorlift.outcome": "success" })?.value, SCENARIO.bytesCommitted);

      const duration = byName.get("monitorlift.source.request.duration");
      assert.equal(duration?.unit, "s");
      assert.equal(duration?.kind, "histogram");
      const ok = findPoint(decoded, "monitorlift.source.request.duration", { ...q, "http.response.status_code": 200 });
      assert.equal(ok?.count, 3);
      assert.ok(Math.abs((ok?.sum ?? 0) - 0.75) < 1e-9);
      const throttled = findPoint(decoded, "monitorlift.source.request.duration", { ...q, "http.response.status_code": 429, "error.type": "429" });
      assert.equal(throttled?.count, 1);

      const windowRows = findPoint(decoded, "monitorlift.window.rows", q);
      assert.equal(windowRows?.count, SCENARIO.windows.length);
      assert.equal(windowRows?.sum, SCENARIO.rowsCommitted);
      assert.ok(windowRows?.bounds?.includes(500_000), "rows-per-window buckets reach the 500 000-row result limit");
      assert.equal(findPoint(decoded, "monitorlift.windows.committed", { ...q, "monitorlift.sink.type": "filesystem" })?.value, 3);
      assert.equal(findPoint(decoded, "monitorlift.windows.split", q)?.value, 1);
      assert.equal(findPoint(decoded, "monitorlift.retries", { ...q, "monitorlift.stage": "source", "monitorlift.retry.code": "429" })?.value, 1);
      assert.equal(findPoint(decoded, "monitorlift.retries", { ...q, "monitorlift.stage": "sink", "monitorlift.retry.code": "sink_unavailable" })?.value, 1);
      assert.equal(findPoint(decoded, "monitorlift.windows.dropped", { ...q, "monitorlift.drop.code": "sink_capacity" })?.value, 1);

      assert.equal(byName.get("monitorlift.export.lag")?.kind, "gauge");
      assert.equal(byName.get("monitorlift.export.lag")?.unit, "s");
      assert.equal(findPoint(decoded, "monitorlift.export.lag", q)?.value, SCENARIO.lagSeconds);
      assert.equal(findPoint(decoded, "monitorlift.run.last_success.time", { "monitorlift.command": "export" })?.value, now / 1000);

      // The run-complete event, as one OTLP log record on the same collector (/v1/logs).
      const logRequest = receiver.requests.find((r) => r.path === "/v1/logs");
      assert.ok(logRequest, "the collector got the run-complete event");
      assert.equal(logRequest.headers["x-api-key"], "s3cret value");
      const records = receiver.decodedLogs().flatMap((l) => l.records);
      assert.equal(records.length, 1);
      const record = records[0]!;
      assert.equal(record.eventName, "monitorlift.run.complete");
      assert.equal(record.severityText, "INFO");
      assert.deepEqual(record.body, JSON.parse(JSON.stringify(scenarioEvent(now))), "the body is the event object itself");
      assert.equal(record.attributes["monitorlift.rows"], SCENARIO.rowsCommitted);
      assert.equal(record.attributes["monitorlift.outcome"], "ok");
      assert.ok(!logRequest.body.toString("latin1").includes("do-not-send"), "the query text is never sent");
    } finally {
      await receiver.close();
    }
  });
}
