/**
 * Nothing configured, or telemetry turned off: no exporter starts and no socket is opened. Every
 * backend is pointed at a live receiver on loopback, and the test asserts both that the receivers
 * get nothing and that the process holds no new socket handle.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { noopMetrics } from "../src/telemetry/metrics.ts";
import { createMetrics } from "../src/telemetry/telemetry.ts";
import { freePort, startAzureIngestion, startOtlpReceiver, startStatsdTcp, startStatsdUdp, haveOpenssl } from "./support/telemetry-receivers.ts";
import { recordScenario } from "./support/telemetry-scenario.ts";

const SOCKETS = new Set(["TCPWRAP", "TCPSocketWrap", "TCPServerWrap", "UDPWRAP", "UDPWrap", "TCPConnectWrap", "GetAddrInfoReqWrap"]);
const sockets = () => process.getActiveResourcesInfo().filter((r) => SOCKETS.has(r)).sort();

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

test("nothing configured: the no-op, no socket", async () => {
  const before = sockets();
  const metrics = await createMetrics({ env: {} });
  assert.equal(metrics, noopMetrics);
  recordScenario(metrics);
  await metrics.shutdown();
  assert.deepEqual(sockets(), before);
});

test("MONITORLIFT_TELEMETRY=off or telemetry.enabled=false: every backend configured and live, none contacted, no socket opened", { timeout: 30_000 }, async () => {
  const udp = await startStatsdUdp();
  const tcp = await startStatsdTcp();
  const otlp = await startOtlpReceiver();
  const azure = haveOpenssl() ? await startAzureIngestion() : undefined;
  const promPort = await freePort();
  const everything = {
    OTEL_METRICS_EXPORTER: "otlp,prometheus,console",
    OTEL_TRACES_EXPORTER: "otlp,console",
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_PROMETHEUS_HOST: "127.0.0.1",
    OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
    ...(azure ? { APPLICATIONINSIGHTS_CONNECTION_STRING: azure.connectionString } : {}),
    STATSD_HOST: "127.0.0.1",
    STATSD_PORT: String(udp.port),
  };
  try {
    for (const [label, env, config] of [
      ["MONITORLIFT_TELEMETRY=off", { ...everything, MONITORLIFT_TELEMETRY: "off" }, undefined],
      ["MONITORLIFT_TELEMETRY=off (StatsD over TCP)", { ...everything, STATSD_PORT: String(tcp.port), STATSD_PROTOCOL: "tcp", MONITORLIFT_TELEMETRY: "off" }, undefined],
      ["telemetry.enabled: false", everything, { enabled: false }],
    ] as const) {
      const before = sockets();
      const metrics = await createMetrics({ env, config });
      assert.equal(metrics, noopMetrics, label);
      recordScenario(metrics);
      await metrics.flush();
      assert.deepEqual(sockets(), before, `${label}: no socket handle was opened`);
      assert.equal(await listening(promPort), false, `${label}: no Prometheus endpoint`);
      await metrics.shutdown();
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(udp.lines, []);
    assert.deepEqual(tcp.lines, []);
    assert.deepEqual(otlp.requests, []);
    assert.deepEqual(azure?.requests ?? [], []);
  } finally {
    await Promise.all([udp.close(), tcp.close(), otlp.close(), azure?.close()]);
  }
});

test("control: the same settings with telemetry on do open sockets and reach the receivers", { timeout: 30_000 }, async () => {
  const udp = await startStatsdUdp();
  const otlp = await startOtlpReceiver();
  try {
    const before = sockets();
    const metrics = await createMetrics({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, STATSD_HOST: "127.0.0.1", STATSD_PORT: String(udp.port) } });
    recordScenario(metrics);
    await metrics.flush();
    assert.notDeepEqual(sockets(), before, "the handle check can see a socket");
    await metrics.shutdown();
    assert.ok(udp.lines.length > 0 && otlp.requests.length > 0);
  } finally {
    await Promise.all([udp.close(), otlp.close()]);
  }
});
