/**
 * One run's worth of metric calls with known totals, as the runner will make them, and a child
 * process that records it and shuts the metrics down (for what needs a fresh process: trusting a
 * test CA through NODE_EXTRA_CA_CERTS, measuring how long the process takes to exit).
 */
import { spawn } from "node:child_process";
import type { Metrics } from "../../src/telemetry/metrics.ts";
import { buildRunEvent, type RunEvent } from "../../src/telemetry/run-event.ts";

export const SCENARIO = {
  labels: { query: "requests", sink: "filesystem", format: "parquet" },
  windows: [500, 700, 300],
  rowsCommitted: 1500,
  bytesCommitted: 48_000,
  rowsRetried: 200,
  rowsDropped: 120,
  /** The watermark is this many seconds behind the clock. */
  lagSeconds: 90,
} as const;

/** The query text of the scenario: hashed into the run-complete event, never sent. */
export const SCENARIO_KQL = "AppRequests\n| $window\n| where Secret == 'do-not-send'";

/** The run-complete event of the scenario's run, ended at `now`. */
export function scenarioEvent(now: number): RunEvent {
  return buildRunEvent(
    {
      command: "export",
      startedAt: new Date(now - 12_000).toISOString(),
      finishedAt: new Date(now).toISOString(),
      queries: { requests: { outcome: "ok", rows: SCENARIO.rowsCommitted, windows: SCENARIO.windows.length, watermark: now - SCENARIO.lagSeconds * 1000 } },
    },
    { queryTexts: { requests: SCENARIO_KQL }, sink: SCENARIO.labels.sink },
  );
}

/** Three committed windows, one 429 retry, one split, one window dropped for a full disk, then the run-complete event. */
export function recordScenario(metrics: Metrics, now = Date.now()): void {
  const L = SCENARIO.labels;
  for (const rows of SCENARIO.windows) {
    metrics.sourceRequest(L.query, 0.25, { status: 200 });
    metrics.rows(L, { outcome: "success" }, rows);
    metrics.bytes(L, { outcome: "success" }, (rows / SCENARIO.rowsCommitted) * SCENARIO.bytesCommitted);
    metrics.windowCommitted(L, rows);
  }
  metrics.sourceRequest(L.query, 1.5, { status: 429, error: "429" });
  metrics.retry(L.query, "source", "429");
  metrics.rows(L, { outcome: "retry", code: "sink_unavailable" }, SCENARIO.rowsRetried);
  metrics.retry(L.query, "sink", "sink_unavailable");
  metrics.windowSplit(L.query);
  metrics.rows(L, { outcome: "dropped", code: "sink_capacity" }, SCENARIO.rowsDropped);
  metrics.windowDropped(L, "sink_capacity");
  metrics.watermark(L.query, new Date(now - SCENARIO.lagSeconds * 1000));
  metrics.runSucceeded("export", new Date(now));
  metrics.runComplete(scenarioEvent(now));
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From "shutdown starts" to the process's exit, measured by the parent. */
  exitAfterShutdownMs: number;
  /** What the child measured around `await metrics.shutdown()`. */
  shutdownMs: number;
  pollerStopped?: boolean;
}

const CHILD = `
import { createMetrics } from ${JSON.stringify(new URL("../../src/telemetry/telemetry.ts", import.meta.url).href)};
import { recordScenario } from ${JSON.stringify(new URL("./telemetry-scenario.ts", import.meta.url).href)};
const { env, config } = JSON.parse(process.argv[1]);
const warnings = [];
const metrics = await createMetrics({ env, config, logger: { warn: (m) => warnings.push(m), debug: () => {} } });
recordScenario(metrics);
let pollerStopped;
if (env.APPLICATIONINSIGHTS_CONNECTION_STRING) {
  const entry = import.meta.resolve("@azure/monitor-opentelemetry-exporter");
  const { ConfigurationManager } = await import(new URL("./_configuration/configurationManager.js", entry).href);
  pollerStopped = ConfigurationManager.getInstance().worker === undefined;
}
process.stdout.write("SHUTDOWN\\n");
const t0 = Date.now();
await metrics.shutdown();
process.stdout.write(JSON.stringify({ shutdownMs: Date.now() - t0, pollerStopped, warnings }) + "\\n");
`;

/** Runs the scenario in a fresh node process with exactly `env` as telemetry environment. */
export function runScenarioChild(
  telemetryEnv: Record<string, string>,
  options: { config?: unknown; processEnv?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, JSON.stringify({ env: telemetryEnv, config: options.config })], {
      cwd: new URL("../..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", ...options.processEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let shutdownAt = 0;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!shutdownAt && stdout.includes("SHUTDOWN\n")) shutdownAt = Date.now();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(guard);
      const last = stdout.trim().split("\n").pop() ?? "";
      let parsed: { shutdownMs?: number; pollerStopped?: boolean } = {};
      try {
        parsed = JSON.parse(last) as typeof parsed;
      } catch {
        // the child failed before printing: code and stderr say why
      }
      resolve({
        code,
        stdout,
        stderr,
        exitAfterShutdownMs: shutdownAt ? Date.now() - shutdownAt : NaN,
        shutdownMs: parsed.shutdownMs ?? NaN,
        ...(parsed.pollerStopped !== undefined ? { pollerStopped: parsed.pollerStopped } : {}),
      });
    });
  });
}
