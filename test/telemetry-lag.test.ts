/**
 * The export-lag gauge end to end, scraped from the Prometheus endpoint while the real exporter runs
 * against the local workspace on a manual clock: after a run it is between `lag` and `lag + size`; while
 * the exporter is stopped and the workspace keeps producing it rises with the clock, second for second;
 * the next run brings it back down. The rows counter equals the rows the runs wrote.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createManualClock } from "../src/simulator/index.ts";
import { createMetrics } from "../src/telemetry/telemetry.ts";
import { startHarness } from "./support/harness.ts";
import { readQueryRows } from "./support/read-export.ts";
import { freePort, parsePrometheusText } from "./support/telemetry-receivers.ts";

test("the lag gauge rises while the exporter is stopped and falls after a run", { timeout: 60_000 }, async () => {
  const clock = createManualClock(Date.parse("2026-11-25T12:00:00Z"));
  const h = await startHarness({
    sim: { clock, seed: 61, backfill: "PT2H", rowsPerSecond: 0.5, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT1H" } },
  });
  const port = await freePort();
  const metrics = await createMetrics({
    env: { OTEL_METRICS_EXPORTER: "prometheus", OTEL_EXPORTER_PROMETHEUS_HOST: "127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT: String(port) },
    now: clock,
  });
  const scrape = async (name: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    const samples = parsePrometheusText(await res.text()).filter((s) => s.name === name && s.labels.monitorlift_query === "requests");
    return samples.reduce((n, s) => n + s.value, 0);
  };
  const run = async () => {
    const report = await h.exportOnce({ withDeps: (deps) => void (deps.metrics = metrics) });
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  };
  try {
    await run();
    const afterRun = await scrape("monitorlift_export_lag");
    assert.ok(afterRun >= 60 && afterRun <= 360, `after a run the lag is between lag and lag + size: ${afterRun} s`);
    clock.advance(30 * 60_000); // the exporter is stopped; the workspace keeps producing
    assert.equal(await scrape("monitorlift_export_lag"), afterRun + 1800, "the lag rises with the clock");
    await run();
    const caughtUp = await scrape("monitorlift_export_lag");
    assert.ok(caughtUp >= 60 && caughtUp <= 360, `the next run brings it back down: ${caughtUp} s`);
    const rows = (await readQueryRows(h.exportDir, "requests")).length;
    assert.ok(rows > 0);
    const exported = (await scrape("monitorlift_rows_exported_total")) ;
    assert.equal(exported, rows, "rows counted as exported over both runs = rows in the files");
  } finally {
    await metrics.shutdown();
    await h.close();
  }
});
