/**
 * StatsD to real sockets on loopback: UDP and TCP receivers decode the line protocol. Covers the
 * three tag styles (DogStatsD tags, Telegraf tags, folded into the path), units (timers in ms),
 * STATSD_PREFIX, and the TCP agent being down: lines are queued without slowing the caller and
 * delivered in order once it is up; a full queue drops and counts the overflow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics } from "../src/telemetry/telemetry.ts";
import { freePort, startStatsdTcp, startStatsdUdp, waitUntil } from "./support/telemetry-receivers.ts";
import { recordScenario } from "./support/telemetry-scenario.ts";

const Q = "monitorlift.query:requests";
const SINK = `${Q},monitorlift.sink.type:filesystem,monitorlift.format:parquet`;

test("UDP with DogStatsD tags and a prefix: counters, timers in ms, histograms, gauges", { timeout: 20_000 }, async () => {
  const agent = await startStatsdUdp();
  try {
    const now = Date.now();
    const metrics = await createMetrics({
      env: { STATSD_HOST: "127.0.0.1", STATSD_PORT: String(agent.port), STATSD_PREFIX: "prod", STATSD_TAG_FORMAT: "dogstatsd" },
      now: () => now,
    });
    recordScenario(metrics, now);
    await metrics.flush();
    await waitUntil(() => agent.lines.some((l) => l.startsWith("prod.monitorlift.run.last_success.time")), 5000, "the gauges");
    const lines = agent.lines;
    for (const expected of [
      `prod.monitorlift.rows.exported:500|c|#${SINK},monitorlift.outcome:success`,
      `prod.monitorlift.rows.exported:200|c|#${SINK},monitorlift.outcome:retry,monitorlift.retry.code:sink_unavailable`,
      `prod.monitorlift.rows.exported:120|c|#${SINK},monitorlift.outcome:dropped,monitorlift.drop.code:sink_capacity`,
      `prod.monitorlift.bytes.exported:16000|c|#${SINK},monitorlift.outcome:success`,
      `prod.monitorlift.source.request.duration:250|ms|#${Q},http.response.status_code:200`,
      `prod.monitorlift.source.request.duration:1500|ms|#${Q},http.response.status_code:429,error.type:429`,
      `prod.monitorlift.window.rows:700|h|#${Q}`,
      `prod.monitorlift.windows.committed:1|c|#${Q},monitorlift.sink.type:filesystem`,
      `prod.monitorlift.windows.split:1|c|#${Q}`,
      `prod.monitorlift.retries:1|c|#${Q},monitorlift.stage:source,monitorlift.retry.code:429`,
      `prod.monitorlift.windows.dropped:1|c|#${Q},monitorlift.sink.type:filesystem,monitorlift.drop.code:sink_capacity`,
      `prod.monitorlift.export.lag:90|g|#${Q}`,
      `prod.monitorlift.run.last_success.time:${now / 1000}|g|#monitorlift.command:export`,
    ]) {
      assert.ok(lines.includes(expected), `expected ${expected}\ngot:\n${lines.join("\n")}`);
    }
    await metrics.shutdown();
  } finally {
    await agent.close();
  }
});

test("UDP with Telegraf tags, and with tags folded into the path (plain StatsD)", { timeout: 20_000 }, async () => {
  const agent = await startStatsdUdp();
  try {
    const telegraf = await createMetrics({ env: { STATSD_HOST: "127.0.0.1", STATSD_PORT: String(agent.port), STATSD_TAG_FORMAT: "telegraf" } });
    telegraf.windowSplit("requests");
    telegraf.sourceRequest("requests", 0.02, { status: 200 });
    await telegraf.shutdown();
    const plain = await createMetrics({ env: { STATSD_ENABLED: "true", STATSD_PORT: String(agent.port) } });
    plain.rows({ query: "app requests", sink: "blob", format: "jsonl" }, { outcome: "dropped", code: "403" }, 7);
    plain.windowCommitted({ query: "requests", sink: "blob", format: "jsonl" }, 42);
    await plain.shutdown();
    await waitUntil(() => agent.lines.length >= 5, 5000, "five lines");
    assert.ok(agent.lines.includes("monitorlift.windows.split,monitorlift.query=requests:1|c"), agent.lines.join("\n"));
    assert.ok(agent.lines.includes("monitorlift.source.request.duration,monitorlift.query=requests,http.response.status_code=200:20|ms"), agent.lines.join("\n"));
    assert.ok(agent.lines.includes("monitorlift.rows.exported.app_requests.blob.jsonl.dropped.403:7|c"), agent.lines.join("\n"));
    assert.ok(agent.lines.includes("monitorlift.windows.committed.requests.blob:1|c"), agent.lines.join("\n"));
    assert.ok(agent.lines.includes("monitorlift.window.rows.requests:42|ms"), "plain StatsD has no histogram type: a timer carries the distribution");
  } finally {
    await agent.close();
  }
});

test("TCP: lines made while the agent is down are queued, the caller is not slowed, and they arrive in order once it is up", { timeout: 30_000 }, async () => {
  const port = await freePort();
  const metrics = await createMetrics({ env: { STATSD_HOST: "127.0.0.1", STATSD_PORT: String(port), STATSD_PROTOCOL: "tcp" } });
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) metrics.windowSplit(`q${i}`);
  const spent = performance.now() - t0;
  assert.ok(spent < 500, `200 calls with the agent down took ${spent.toFixed(1)} ms`);
  await new Promise((r) => setTimeout(r, 400)); // a few refused connection attempts
  const agent = await startStatsdTcp(port);
  try {
    await metrics.flush();
    await waitUntil(() => agent.lines.length >= 200, 10_000, "the queued lines");
    assert.deepEqual(
      agent.lines.slice(0, 200),
      Array.from({ length: 200 }, (_, i) => `monitorlift.windows.split.q${i}:1|c`),
      "every queued line, in the order it was made",
    );
    metrics.windowSplit("after");
    await metrics.flush();
    await waitUntil(() => agent.lines.includes("monitorlift.windows.split.after:1|c"), 5000, "a line sent while connected");
    assert.equal(metrics.statsdDropped(), 0);
    await metrics.shutdown();
  } finally {
    await agent.close();
  }
});

test("TCP: a full queue drops the overflow and counts it; the kept lines and the count arrive when the agent is back", { timeout: 30_000 }, async () => {
  const port = await freePort();
  const warnings: string[] = [];
  const metrics = await createMetrics({
    env: { STATSD_HOST: "127.0.0.1", STATSD_PORT: String(port), STATSD_PROTOCOL: "tcp" },
    config: { statsd: { queueSize: 10 } },
    logger: { warn: (m: string) => warnings.push(m), debug: () => {} } as never,
  });
  for (let i = 0; i < 25; i++) metrics.windowSplit(`q${i}`);
  assert.equal(metrics.statsdDropped(), 15);
  const agent = await startStatsdTcp(port);
  try {
    await metrics.shutdown();
    await waitUntil(() => agent.lines.length >= 11, 10_000, "the kept lines and the drop count");
    assert.deepEqual(agent.lines.slice(0, 10), Array.from({ length: 10 }, (_, i) => `monitorlift.windows.split.q${i}:1|c`));
    assert.ok(agent.lines.includes("monitorlift.telemetry.statsd.dropped:15|c"), agent.lines.join("\n"));
    assert.match(warnings.join("\n"), /15 StatsD lines were not delivered/);
  } finally {
    await agent.close();
  }
});
