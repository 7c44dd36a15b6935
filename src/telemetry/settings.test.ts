import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveTelemetry, telemetryOff } from "./settings.ts";

test("nothing configured: enabled, but no backend at all (no OTLP-to-localhost default)", () => {
  const s = resolveTelemetry({});
  assert.equal(s.enabled, true);
  assert.equal(s.otlp, undefined);
  assert.equal(s.prometheus, undefined);
  assert.equal(s.console, false);
  assert.equal(s.azureMonitor, undefined);
  assert.equal(s.statsd, undefined);
  assert.deepEqual(s.warnings, []);
});

test("MONITORLIFT_TELEMETRY=off and telemetry.enabled=false turn every backend off", () => {
  const all = {
    OTEL_METRICS_EXPORTER: "otlp,prometheus,console",
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
    APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=00000000-0000-0000-0000-000000000000",
    STATSD_HOST: "agent",
  };
  for (const value of ["off", "OFF", "false", "0"]) {
    const s = resolveTelemetry({ ...all, MONITORLIFT_TELEMETRY: value });
    assert.equal(s.enabled, false, value);
    assert.ok(!s.otlp && !s.prometheus && !s.console && !s.azureMonitor && !s.statsd, value);
  }
  assert.equal(resolveTelemetry(all, { enabled: false }).enabled, false);
  assert.equal(telemetryOff({ MONITORLIFT_TELEMETRY: "on" }), false);
  assert.equal(resolveTelemetry({ ...all, MONITORLIFT_TELEMETRY: "on" }).statsd?.host, "agent");
});

test("OTLP from the standard variables: generic endpoint + /v1/metrics, the signal's own as is, protocol, headers", () => {
  const a = resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b,x=1" });
  assert.deepEqual(a.otlp, { url: "http://collector:4318/v1/metrics", protocol: "http/protobuf", headers: { "api-key": "a b", x: "1" } });
  const b = resolveTelemetry({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "https://collector/custom/path",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x=2",
    OTEL_EXPORTER_OTLP_HEADERS: "x=1,y=1",
    OTEL_METRIC_EXPORT_INTERVAL: "15000",
  });
  assert.deepEqual(b.otlp, { url: "https://collector/custom/path", protocol: "http/json", headers: { x: "2", y: "1" } });
  assert.equal(b.exportIntervalMs, 15000);
  const c = resolveTelemetry({ OTEL_METRICS_EXPORTER: "otlp" });
  assert.equal(c.otlp?.url, "http://localhost:4318/v1/metrics", "naming otlp explicitly uses the spec's default endpoint");
});

test("OTEL_METRICS_EXPORTER: prometheus, console, none, unknown names and grpc", () => {
  const p = resolveTelemetry({ OTEL_METRICS_EXPORTER: "prometheus, console", OTEL_EXPORTER_PROMETHEUS_PORT: "9999", OTEL_EXPORTER_PROMETHEUS_HOST: "127.0.0.1" });
  assert.deepEqual(p.prometheus, { host: "127.0.0.1", port: 9999 });
  assert.equal(p.console, true);
  assert.equal(resolveTelemetry({ OTEL_METRICS_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).otlp, undefined);
  const u = resolveTelemetry({ OTEL_METRICS_EXPORTER: "zipkin" });
  assert.match(u.warnings.join("\n"), /unknown metrics exporter 'zipkin'/);
  const g = resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
  assert.equal(g.otlp, undefined);
  assert.match(g.warnings.join("\n"), /'grpc' is not supported/);
  const d = resolveTelemetry({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", STATSD_HOST: "agent" });
  assert.equal(d.otlp, undefined, "OTEL_SDK_DISABLED turns the OpenTelemetry exporters off");
  assert.equal(d.statsd?.host, "agent", "but not StatsD");
});

test("the config wins over the environment", () => {
  const s = resolveTelemetry(
    { OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318", STATSD_HOST: "env-agent", STATSD_PORT: "1" },
    { metrics: { otlp: { endpoint: "http://cfg:4318/v1/metrics", protocol: "http/json" } }, statsd: { host: "cfg-agent", port: 8126, protocol: "tcp" } },
  );
  assert.equal(s.otlp?.url, "http://cfg:4318/v1/metrics");
  assert.equal(s.otlp?.protocol, "http/json");
  assert.deepEqual([s.statsd?.host, s.statsd?.port, s.statsd?.protocol], ["cfg-agent", 8126, "tcp"]);
});

test("StatsD: STATSD_ENABLED, HOST, PORT, PREFIX, PROTOCOL, tag format; bad values leave it off with a warning", () => {
  assert.equal(resolveTelemetry({ STATSD_PORT: "8125" }).statsd, undefined, "no host and no STATSD_ENABLED: off");
  assert.deepEqual(resolveTelemetry({ STATSD_ENABLED: "true" }).statsd, { host: "127.0.0.1", port: 8125, protocol: "udp", prefix: "", tagFormat: "none", queueSize: 10000 });
  assert.equal(resolveTelemetry({ STATSD_ENABLED: "false", STATSD_HOST: "agent" }).statsd, undefined);
  const s = resolveTelemetry({ STATSD_HOST: "agent", STATSD_PORT: "9125", STATSD_PREFIX: "prod", STATSD_PROTOCOL: "TCP", STATSD_TAG_FORMAT: "dogstatsd" });
  assert.deepEqual(s.statsd, { host: "agent", port: 9125, protocol: "tcp", prefix: "prod.", tagFormat: "dogstatsd", queueSize: 10000 });
  const bad = resolveTelemetry({ STATSD_HOST: "agent", STATSD_PROTOCOL: "uds" });
  assert.equal(bad.statsd, undefined);
  assert.match(bad.warnings.join("\n"), /STATSD_PROTOCOL 'uds'/);
  assert.equal(resolveTelemetry({ STATSD_HOST: "agent", STATSD_PORT: "http" }).statsd, undefined);
});

test("Azure Monitor from APPLICATIONINSIGHTS_CONNECTION_STRING; resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES", () => {
  const cs = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";
  const s = resolveTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: cs, OTEL_SERVICE_NAME: "exporter-eu", OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,team=data%20platform" });
  assert.equal(s.azureMonitor?.connectionString, cs);
  assert.equal(s.serviceName, "exporter-eu");
  assert.deepEqual(s.resourceAttributes, { "deployment.environment": "prod", team: "data platform" });
  const bad = resolveTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: "garbage" });
  assert.equal(bad.azureMonitor, undefined);
  assert.match(bad.warnings.join("\n"), /no InstrumentationKey/);
});

test("the run-complete event over OTLP: the logs endpoint, or the generic one + /v1/logs; OTEL_LOGS_EXPORTER=none and MONITORLIFT_RUN_EVENT=off keep it local", () => {
  assert.equal(resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).otlpLogs?.url, "http://c:4318/v1/logs");
  const own = resolveTelemetry({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "https://logs/v1/logs", OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_LOGS_HEADERS: "k=v" });
  assert.deepEqual(own.otlpLogs, { url: "https://logs/v1/logs", protocol: "http/json", headers: { k: "v" } });
  assert.equal(own.otlp, undefined, "a logs endpoint alone starts no metrics exporter");
  assert.equal(resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_LOGS_EXPORTER: "none" }).otlpLogs, undefined);
  const off = resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", MONITORLIFT_RUN_EVENT: "off" });
  assert.equal(off.otlpLogs, undefined);
  assert.equal(off.runEvent, false);
  assert.ok(off.otlp, "metrics unchanged");
  assert.equal(resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, { runEvent: false }).otlpLogs, undefined);
  assert.equal(resolveTelemetry({}).otlpLogs, undefined);
});

test("traces: off unless configured; the generic endpoint + /v1/traces, the signal's own as is, protocol, headers; the config wins; none, off", () => {
  assert.equal(resolveTelemetry({}).otlpTraces, undefined);
  assert.equal(resolveTelemetry({}).consoleTraces, false);
  const a = resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_EXPORTER_OTLP_HEADERS: "api-key=k" });
  assert.deepEqual(a.otlpTraces, { url: "http://collector:4318/v1/traces", protocol: "http/protobuf", headers: { "api-key": "k" } });
  const b = resolveTelemetry({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://collector/t",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x=2",
  });
  assert.deepEqual(b.otlpTraces, { url: "https://collector/t", protocol: "http/json", headers: { x: "2" } });
  assert.equal(b.otlp?.url, "http://ignored:4318/v1/metrics", "the metrics keep their own endpoint");
  const c = resolveTelemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://env/t" }, { traces: { otlp: { endpoint: "http://config/t", headers: { h: "1" } } } });
  assert.deepEqual(c.otlpTraces, { url: "http://config/t", protocol: "http/protobuf", headers: { h: "1" } });
  assert.equal(resolveTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" }).otlpTraces, undefined);
  assert.equal(resolveTelemetry({ OTEL_TRACES_EXPORTER: "console" }).consoleTraces, true);
  assert.equal(resolveTelemetry({ OTEL_TRACES_EXPORTER: "otlp" }).otlpTraces?.url, "http://localhost:4318/v1/traces", "named explicitly: the SDK default");
  assert.equal(resolveTelemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/t", MONITORLIFT_TELEMETRY: "off" }).otlpTraces, undefined);
  assert.equal(resolveTelemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/t", OTEL_SDK_DISABLED: "true" }).otlpTraces, undefined);
  const bad = resolveTelemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/t", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc", OTEL_TRACES_EXPORTER: "otlp,zipkin" });
  assert.equal(bad.otlpTraces, undefined);
  assert.equal(bad.warnings.length, 2, bad.warnings.join("\n"));
});
