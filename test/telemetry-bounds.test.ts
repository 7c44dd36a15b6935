/**
 * A metrics backend that hangs or refuses never holds the exit past the flush bound and never
 * fails: each case runs a fresh process that records a run's metrics and shuts them down, and the
 * parent measures from "shutdown starts" to the process's exit.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort, startHangingServer } from "./support/telemetry-receivers.ts";
import { runScenarioChild } from "./support/telemetry-scenario.ts";

const BOUND_MS = 1000;
/** Process teardown on a loaded, shared 2-core machine. */
const SLACK_MS = 1500;

test("hanging OTLP collector, hanging Azure ingestion, refused OTLP and refused StatsD TCP: exit within the bound, exit code 0", { timeout: 90_000 }, async () => {
  const hanging = await startHangingServer();
  const closed = await freePort();
  try {
    const cases: [string, Record<string, string>][] = [
      ["hanging OTLP (protobuf)", { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${hanging.port}` }],
      ["hanging OTLP (json)", { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${hanging.port}`, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }],
      ["hanging Azure Monitor ingestion", { APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${hanging.port}` }],
      ["refused OTLP", { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}` }],
      ["refused StatsD over TCP", { STATSD_HOST: "127.0.0.1", STATSD_PORT: String(closed), STATSD_PROTOCOL: "tcp" }],
      [
        "all of them at once",
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${hanging.port}`,
          APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${hanging.port}`,
          STATSD_HOST: "127.0.0.1",
          STATSD_PORT: String(closed),
          STATSD_PROTOCOL: "tcp",
        },
      ],
    ];
    for (const [name, env] of cases) {
      const hitsBefore = hanging.hits();
      const r = await runScenarioChild(env, { config: { flushTimeoutMs: BOUND_MS } });
      assert.equal(r.code, 0, `${name}: exit code\n${r.stderr}`);
      assert.ok(r.shutdownMs <= BOUND_MS + 300, `${name}: shutdown() took ${r.shutdownMs} ms`);
      assert.ok(r.exitAfterShutdownMs <= BOUND_MS + SLACK_MS, `${name}: the process exited ${r.exitAfterShutdownMs} ms after shutdown started`);
      if (name.startsWith("hanging")) assert.ok(hanging.hits() > hitsBefore, `${name}: the hanging backend was really contacted`);
    }
  } finally {
    await hanging.close();
  }
});
