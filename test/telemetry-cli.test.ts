/**
 * The real CLI with telemetry configured by the environment: `export --once` against the local
 * workspace flushes its metrics and the run-complete event before it exits (the lag gauge agrees
 * with the watermark the sink committed; rows exported, over OTLP and StatsD, equal the rows the run
 * wrote to the sink), and a collector that hangs changes neither the exit code
 * nor the report, and holds the exit at most the flush bound (5 s).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import type { RunEvent } from "../src/telemetry/run-event.ts";
import { CLI } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { findPoint } from "./support/otlp-decode.ts";
import { readQueryRows } from "./support/read-export.ts";
import { startHangingServer, startOtlpReceiver, startStatsdUdp, waitUntil } from "./support/telemetry-receivers.ts";

let h: Harness;
before(async () => {
  h = await startHarness({
    sim: { seed: 7, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"], settleJitterMs: 200 },
    config: { queries: [{ name: "requests", table: "AppRequests" }], window: { size: "PT30M", lag: "PT5S", start: "PT1H" }, log: { level: "warn" } },
  });
});
after(() => h?.close());

/** Runs the CLI; `reportToExitMs` is from the run report on stdout to the process's exit. */
function runExport(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; reportToExitMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "export", "--once", "--config", h.configPath, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    let reportAt = 0;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      reportAt ||= Date.now();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, reportToExitMs: Date.now() - reportAt });
    });
  });
}

test("export --once pushes its metrics to the collector and the StatsD agent before it exits", { timeout: 120_000 }, async () => {
  const otlp = await startOtlpReceiver();
  const statsd = await startStatsdUdp();
  try {
    const before = Date.now() / 1000;
    const rowsBefore = (await readQueryRows(h.exportDir, "requests")).length;
    const r = await runExport({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, STATSD_HOST: "127.0.0.1", STATSD_PORT: String(statsd.port) }, ["--log-level", "info", "--log-format", "json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const last = findPoint(otlp.decoded(), "monitorlift.run.last_success.time", { "monitorlift.command": "export" });
    assert.ok(last?.value !== undefined && last.value >= before && last.value <= Date.now() / 1000, `last success ${last?.value}`);
    await waitUntil(() => statsd.lines.some((l) => l.startsWith("monitorlift.run.last_success.time.export:")), 5000, "the StatsD gauge");

    // Rows exported (success) as the collector and the StatsD agent count them = the rows this run wrote to the sink.
    const written = (await readQueryRows(h.exportDir, "requests")).length - rowsBefore;
    assert.ok(written > 0, "the run wrote rows");
    const success = { "monitorlift.query": "requests", "monitorlift.outcome": "success" };
    const otlpRows = otlp
      .decoded()
      .at(-1)!
      .metrics.filter((m) => m.name === "monitorlift.rows.exported")
      .flatMap((m) => m.points)
      .filter((p) => Object.entries(success).every(([k, v]) => p.attributes[k] === v))
      .reduce((n, p) => n + (p.value ?? 0), 0);
    assert.equal(otlpRows, written, "OTLP monitorlift.rows.exported{outcome=success} (cumulative: the last push)");
    const statsdRows = statsd.lines
      .map((l) => /^monitorlift\.rows\.exported\.requests\.[^.:]+\.[^.:]+\.success:(\d+)\|c$/.exec(l))
      .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
    assert.equal(statsdRows, written, `StatsD rows.exported success lines: ${statsd.lines.filter((l) => l.startsWith("monitorlift.rows.")).join(" ")}`);

    // The run-complete event: the JSON log line and the OTLP log record carry the same object.
    const line = r.stderr.split("\n").filter((l) => l.includes('"runComplete"')).map((l) => JSON.parse(l) as { runComplete: RunEvent });
    assert.equal(line.length, 1, r.stderr);
    const event = line[0]!.runComplete;
    const records = otlp.decodedLogs().flatMap((l) => l.records);
    assert.equal(records.length, 1);
    assert.deepEqual(records[0]!.body, JSON.parse(JSON.stringify(event)));
    assert.equal(event.outcome, "ok");
    const wm = await h.watermark("requests");
    assert.ok(wm, "the sink has a watermark");
    const q = event.queries.find((x) => x.name === "requests")!;
    assert.ok(q.rows > 0 && q.windows > 0, JSON.stringify(q));
    // The lag gauge is now − the watermark the sink committed: at least the event's lag at the end of the run.
    const lag = findPoint(otlp.decoded(), "monitorlift.export.lag", { "monitorlift.query": "requests" })?.value;
    const expected = (Date.parse(event.finishedAt) - wm.watermark) / 1000;
    assert.ok(lag !== undefined && lag >= expected - 0.001 && lag < expected + 10, `lag ${lag}, expected about ${expected}`);
    assert.equal(q.lagSeconds, Math.round(expected));
  } finally {
    await Promise.all([otlp.close(), statsd.close()]);
  }
});

test("a hanging collector: same exit code and report, exit held at most the 5 s bound", { timeout: 120_000 }, async () => {
  const hanging = await startHangingServer();
  try {
    const r = await runExport({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${hanging.port}` });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /requests/);
    assert.ok(hanging.hits() > 0, "the collector was contacted");
    assert.ok(r.reportToExitMs < 5000 + 2500, `exit came ${r.reportToExitMs} ms after the report`);
    assert.match(r.stderr, /telemetry: shutdown: did not finish within 5000 ms/);
  } finally {
    await hanging.close();
  }
});

test("the config's telemetry block: an OTLP endpoint set there is used; enabled: false silences the environment's", { timeout: 120_000 }, async () => {
  const viaConfig = await startOtlpReceiver();
  const viaEnv = await startOtlpReceiver();
  try {
    await h.writeConfig({ telemetry: { metrics: { otlp: { endpoint: `${viaConfig.url}/v1/metrics`, protocol: "http/json" } } } });
    const on = await runExport({});
    assert.equal(on.code, 0, on.stdout + on.stderr);
    assert.ok(viaConfig.requests.length > 0 && viaConfig.requests.every((r) => r.headers["content-type"] === "application/json"));
    assert.ok(findPoint(viaConfig.decoded(), "monitorlift.run.last_success.time", { "monitorlift.command": "export" }));

    await h.writeConfig({ telemetry: { enabled: false } });
    const off = await runExport({ OTEL_EXPORTER_OTLP_ENDPOINT: viaEnv.url });
    assert.equal(off.code, 0, off.stdout + off.stderr);
    assert.deepEqual(viaEnv.requests, []);
  } finally {
    await h.writeConfig({ telemetry: undefined });
    await Promise.all([viaConfig.close(), viaEnv.close()]);
  }
});

test("validate says where the metrics go (never a secret) and warns about unusable telemetry settings", { timeout: 60_000 }, async () => {
  const r = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "validate", "--config", h.configPath], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { PATH: process.env.PATH ?? "", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.example:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key=SECRET", STATSD_HOST: "127.0.0.1", STATSD_PROTOCOL: "quic" },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout }));
  });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /telemetry: metrics go to OTLP http\/protobuf http:\/\/collector\.example:4318/);
  assert.match(r.stdout, /warning: telemetry: STATSD_PROTOCOL 'quic' is not tcp or udp; StatsD is off\./);
  assert.doesNotMatch(r.stdout, /SECRET/);
});
