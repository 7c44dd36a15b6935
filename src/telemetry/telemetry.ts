/**
 * The one place the CLI builds the metrics layer: settings from the config's `telemetry` block and
 * the environment → backends → one `Metrics`. With telemetry off or nothing configured it returns
 * `noopMetrics` without importing any exporter or opening any socket.
 *
 * Usage (a command):
 *   const metrics = await createMetrics({ env: process.env, config: config.telemetry, logger });
 *   try { …run, passing `metrics` down… } finally { await metrics.shutdown(); }  // bounded, never throws
 */
import type { Logger } from "./logger.ts";
import { FanOutMetrics, noopMetrics, type Metrics, type MetricsBackend } from "./metrics.ts";
import { createOtelBackend, otelResource, type OtelBackendOptions } from "./otel.ts";
import { resolveTelemetry, type TelemetryConfig, type TelemetrySettings } from "./settings.ts";
import { StatsdBackend } from "./statsd.ts";
import { createTracing, type Tracing } from "./tracing.ts";

export interface CreateMetricsOptions {
  env: Readonly<Record<string, string | undefined>>;
  config?: TelemetryConfig;
  logger?: Pick<Logger, "warn" | "debug">;
  /** For tests: the clock of the lag gauge. */
  now?: () => number;
  /** Serve Prometheus' /metrics from this listener when the exporter's port is its port (see otel.ts). */
  prometheusOn?: OtelBackendOptions["prometheusOn"];
  /** Each query's source when the config names its sources (querySources(config)): series then carry `monitorlift.source`. */
  querySources?: Readonly<Record<string, string>>;
}

export async function createMetrics(options: CreateMetricsOptions): Promise<Metrics> {
  const settings = resolveTelemetry(options.env, options.config);
  return createMetricsFromSettings(settings, options);
}

export async function createMetricsFromSettings(settings: TelemetrySettings, options: Omit<CreateMetricsOptions, "env" | "config"> = {}): Promise<Metrics> {
  const warn = (message: string) => options.logger?.warn(message);
  for (const w of settings.warnings) warn(w);
  if (!settings.enabled) return noopMetrics;

  const backends: MetricsBackend[] = [];
  let facade: FanOutMetrics | undefined;
  let statsd: StatsdBackend | undefined;
  try {
    const otel = await createOtelBackend({ settings, readGauges: () => facade?.readGauges() ?? [], onWarning: warn, ...(options.prometheusOn ? { prometheusOn: options.prometheusOn } : {}) });
    if (otel) backends.push(otel);
  } catch (err) {
    warn(`telemetry: OpenTelemetry metrics could not start: ${(err as Error).message}`);
  }
  let tracing: Tracing | undefined;
  try {
    const traces = await createTracing(settings, await otelResource(settings));
    if (traces) {
      tracing = traces.tracing;
      backends.push(traces.backend);
    }
  } catch (err) {
    warn(`telemetry: OpenTelemetry traces could not start: ${(err as Error).message}`);
  }
  if (settings.statsd) {
    statsd = new StatsdBackend(settings.statsd);
    backends.push(statsd);
  }
  if (backends.length === 0) return noopMetrics;

  facade = new FanOutMetrics({
    backends,
    flushTimeoutMs: settings.flushTimeoutMs,
    ...(options.now ? { now: options.now } : {}),
    ...(tracing ? { tracing } : {}),
    ...(options.querySources ? { querySources: options.querySources } : {}),
    statsdDropped: () => statsd?.queue.droppedLines ?? 0,
    onError: (backend, err) => warn(`telemetry: ${backend}: ${(err as Error)?.message ?? String(err)} (the export is not affected)`),
    afterShutdown: () => {
      const dropped = statsd?.queue.droppedLines ?? 0;
      if (dropped > 0) {
        warn(`telemetry: ${dropped} StatsD lines were not delivered: the agent at ${settings.statsd?.host}:${settings.statsd?.port} was unreachable (queue bound ${settings.statsd?.queueSize} lines, flush bound ${settings.flushTimeoutMs} ms)`);
      }
    },
  });
  options.logger?.debug(`telemetry: metrics go to ${describeBackends(settings)}`);
  return facade;
}

/** The configured destinations in words, for the debug log and `validate` (never a secret: no headers, no keys). */
export function describeBackends(settings: TelemetrySettings): string {
  const out: string[] = [];
  if (settings.otlp) out.push(`OTLP ${settings.otlp.protocol} ${new URL(settings.otlp.url).origin}`);
  if (settings.prometheus) out.push(`Prometheus on ${settings.prometheus.host}:${settings.prometheus.port}`);
  if (settings.console) out.push("the console");
  if (settings.azureMonitor) out.push("Azure Monitor (Application Insights)");
  if (settings.statsd) out.push(`StatsD ${settings.statsd.protocol} ${settings.statsd.host}:${settings.statsd.port}`);
  const events: string[] = [];
  if (settings.otlpLogs) events.push(`OTLP ${settings.otlpLogs.protocol} ${new URL(settings.otlpLogs.url).origin}`);
  if (settings.azureMonitor && settings.runEvent) events.push("Azure Monitor");
  const traces: string[] = [];
  if (settings.otlpTraces) traces.push(`OTLP ${settings.otlpTraces.protocol} ${new URL(settings.otlpTraces.url).origin}`);
  if (settings.consoleTraces) traces.push("the console");
  return `${out.length > 0 ? out.join(", ") : "nowhere"}; the run-complete event to ${events.length > 0 ? events.join(", ") : "the log only"}${traces.length > 0 ? `; traces to ${traces.join(", ")}` : ""}`;
}

/** Each query's source name when the config names its sources (`sources`); undefined with a single top-level `source`. */
export function querySources(config: { namedSources: boolean; queries: readonly { name: string; source: string }[] }): Record<string, string> | undefined {
  return config.namedSources ? Object.fromEntries(config.queries.map((q) => [q.name, q.source])) : undefined;
}

/** What the run-complete event needs from the configuration: each query's KQL (hashed), its source (named sources only) and the sink type. */
export function runEventContext(config: {
  namedSources: boolean;
  queries: readonly { name: string; kql: string; source: string }[];
  sink: { type: string };
}): { queryTexts: Record<string, string>; sink: string; querySources?: Record<string, string> } {
  const sources = querySources(config);
  return { queryTexts: Object.fromEntries(config.queries.map((q) => [q.name, q.kql])), sink: config.sink.type, ...(sources ? { querySources: sources } : {}) };
}
