/**
 * The Azure Monitor exporter posting to a local Application Insights ingestion endpoint named in
 * the connection string (IngestionEndpoint=http://127.0.0.1:PORT; the exporter upgrades it to
 * https, so the endpoint serves TLS with a throw-away certificate the child process trusts through
 * NODE_EXTRA_CA_CERTS). The envelopes are decoded and checked; the exporter's control-plane poller
 * is stopped, and nothing but the configured endpoint is contacted.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { haveOpenssl, startAzureIngestion } from "./support/telemetry-receivers.ts";
import { runScenarioChild, SCENARIO } from "./support/telemetry-scenario.ts";

test("Azure Monitor: metric envelopes reach the ingestion endpoint of the connection string", { timeout: 60_000, skip: !haveOpenssl() && "needs the openssl command" }, async () => {
  const ingestion = await startAzureIngestion();
  try {
    const result = await runScenarioChild(
      { APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString },
      { processEnv: { NODE_EXTRA_CA_CERTS: ingestion.caFile } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.pollerStopped, true, "the OneSettings poller (a Microsoft endpoint) is stopped");
    const posts = ingestion.requests.filter((r) => r.method === "POST");
    assert.ok(posts.length >= 1, `posts: ${ingestion.requests.map((r) => r.path).join(", ")}`);
    assert.ok(posts.every((r) => r.path.endsWith("/v2.1/track")), posts.map((r) => r.path).join(", "));

    const envelopes = ingestion.envelopes();
    assert.ok(envelopes.length > 0);
    for (const e of envelopes) assert.equal(e.iKey, "00000000-0000-0000-0000-000000000000");
    const events = envelopes.filter((e) => e.data.baseType === "EventData");
    assert.equal(events.length, 1, "one customEvent: the run-complete event");
    assert.equal(events[0]!.data.baseData.name, "monitorlift.run.complete");
    assert.equal(events[0]!.data.baseData.properties?.["monitorlift.rows"], String(SCENARIO.rowsCommitted));
    assert.equal(events[0]!.data.baseData.properties?.["monitorlift.outcome"], "ok");
    assert.match(events[0]!.data.baseData.properties?.["monitorlift.queries.detail"] ?? "", /"queryHash":"[0-9a-f]{16}"/);
    assert.ok(!JSON.stringify(envelopes).includes("do-not-send"), "the query text is never sent");
    assert.ok(envelopes.filter((e) => e.data.baseType !== "EventData").every((e) => e.data.baseType === "MetricData"));
    const find = (name: string, props: Record<string, string>) =>
      envelopes.find(
        (e) => e.data.baseData.metrics?.[0]?.name === name && Object.entries(props).every(([k, v]) => e.data.baseData.properties?.[k] === v),
      )?.data.baseData.metrics?.[0];
    const sink = { "monitorlift.query": "requests", "monitorlift.sink.type": "filesystem", "monitorlift.format": "parquet" };
    assert.equal(find("monitorlift.rows.exported", { ...sink, "monitorlift.outcome": "success" })?.value, SCENARIO.rowsCommitted);
    assert.equal(find("monitorlift.rows.exported", { ...sink, "monitorlift.outcome": "dropped", "monitorlift.drop.code": "sink_capacity" })?.value, SCENARIO.rowsDropped);
    assert.equal(find("monitorlift.windows.dropped", { "monitorlift.drop.code": "sink_capacity" })?.value, 1);
    assert.equal(find("monitorlift.retries", { "monitorlift.retry.code": "429" })?.value, 1);
    const duration = find("monitorlift.source.request.duration", { "http.response.status_code": "200" });
    assert.equal(duration?.count, 3, "a histogram arrives as an aggregated metric with its count");
    const lag = find("monitorlift.export.lag", { "monitorlift.query": "requests" });
    assert.ok(lag && Math.abs(lag.value - SCENARIO.lagSeconds) < 30, `lag ${lag?.value}`);
    assert.ok(!JSON.stringify(envelopes).includes("statsbeat"), "no statsbeat envelopes");
  } finally {
    await ingestion.close();
  }
});
