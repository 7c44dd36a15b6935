/**
 * Which telemetry backends to start, decided once from the configuration and the environment.
 * Pure: the environment is passed in, nothing is opened here.
 *
 * Rules
 *  - MONITORLIFT_TELEMETRY=off (or false/0/no), or `telemetry.enabled: false` in the config, turns
 *    off every outbound signal: no exporter, no socket. OTEL_SDK_DISABLED=true turns off the
 *    OpenTelemetry exporters only (StatsD stays as configured).
 *  - Nothing configured means nothing started. Unlike the OpenTelemetry SDK default, an unset
 *    OTEL_METRICS_EXPORTER does not mean "otlp to localhost": OTLP starts only when an OTLP
 *    endpoint is given or OTEL_METRICS_EXPORTER names it.
 *  - A config value wins over the environment variable of the same knob (as explicit options win
 *    over OTEL_* variables in the OpenTelemetry SDKs).
 *  - A value that cannot be used is reported in `warnings` and that backend is left off; telemetry
 *    never fails a run.
 */

export type OtlpProtocol = "http/protobuf" | "http/json";
export type StatsdTagFormat = "dogstatsd" | "telegraf" | "none";

/** The `telemetry` block of the configuration file (every key optional). */
export interface TelemetryConfig {
  enabled?: boolean;
  /** Upper bound of flush() and shutdown(), in ms (default 5000). */
  flushTimeoutMs?: number;
  metrics?: {
    /** Like OTEL_METRICS_EXPORTER: any of otlp, prometheus, console; or none. */
    exporters?: readonly string[];
    exportIntervalMs?: number;
    otlp?: { endpoint?: string; protocol?: OtlpProtocol; headers?: Readonly<Record<string, string>> };
    prometheus?: { host?: string; port?: number };
  };
  /** Spans per run, query and window; like the metrics' OTLP block, OTEL_TRACES_EXPORTER = otlp | console | none. */
  traces?: {
    exporters?: readonly string[];
    otlp?: { endpoint?: string; protocol?: OtlpProtocol; headers?: Readonly<Record<string, string>> };
  };
  azureMonitor?: { connectionString?: string };
  statsd?: {
    enabled?: boolean;
    host?: string;
    port?: number;
    protocol?: "udp" | "tcp";
    prefix?: string;
    tagFormat?: StatsdTagFormat;
    /** Lines kept while the agent is unreachable (default 10000); beyond it lines are dropped and counted. */
    queueSize?: number;
  };
  serviceName?: string;
  /** false: no run-complete event leaves the process (the local log line stays). */
  runEvent?: boolean;
  /** OTLP/HTTP logs endpoint for the run-complete event (default OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, or the generic endpoint + /v1/logs). */
  otlpLogsEndpoint?: string;
}

export interface OtlpSettings {
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
}

export interface StatsdSettings {
  host: string;
  port: number;
  protocol: "udp" | "tcp";
  prefix: string;
  tagFormat: StatsdTagFormat;
  queueSize: number;
}

export interface TelemetrySettings {
  /** False when MONITORLIFT_TELEMETRY=off or telemetry.enabled is false. */
  enabled: boolean;
  flushTimeoutMs: number;
  exportIntervalMs: number;
  otlp?: OtlpSettings;
  /** Where the run-complete event goes as an OTLP log record. */
  otlpLogs?: OtlpSettings;
  /** False when the run-complete event must not leave the process. */
  runEvent: boolean;
  /** Where spans go over OTLP/HTTP (undefined: no OTLP traces). */
  otlpTraces?: OtlpSettings;
  /** Spans printed on stdout (OTEL_TRACES_EXPORTER=console). */
  consoleTraces: boolean;
  prometheus?: { host: string; port: number };
  console: boolean;
  azureMonitor?: { connectionString: string };
  statsd?: StatsdSettings;
  serviceName: string;
  /** Raw OTEL_RESOURCE_ATTRIBUTES (key=value,…), parsed by resourceAttributes(). */
  resourceAttributes: Record<string, string>;
  warnings: string[];
}

export const DEFAULT_FLUSH_TIMEOUT_MS = 5_000;
export const DEFAULT_EXPORT_INTERVAL_MS = 60_000;
export const DEFAULT_STATSD_QUEUE = 10_000;
const OFF = new Set(["off", "false", "0", "no", "disabled"]);
const ON = new Set(["on", "true", "1", "yes", "enabled"]);

type Env = Readonly<Record<string, string | undefined>>;

/** True when nothing at all may leave the process (the local log line excepted). */
export function telemetryOff(env: Env, config: TelemetryConfig = {}): boolean {
  const v = env.MONITORLIFT_TELEMETRY?.trim().toLowerCase();
  return config.enabled === false || (v !== undefined && OFF.has(v));
}

export function resolveTelemetry(env: Env, config: TelemetryConfig = {}): TelemetrySettings {
  const warnings: string[] = [];
  const base: TelemetrySettings = {
    enabled: false,
    flushTimeoutMs: positive(config.flushTimeoutMs, DEFAULT_FLUSH_TIMEOUT_MS),
    exportIntervalMs: positive(config.metrics?.exportIntervalMs ?? num(env.OTEL_METRIC_EXPORT_INTERVAL), DEFAULT_EXPORT_INTERVAL_MS),
    console: false,
    consoleTraces: false,
    runEvent: false,
    serviceName: config.serviceName ?? nonEmpty(env.OTEL_SERVICE_NAME) ?? "monitorlift",
    resourceAttributes: parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES, "OTEL_RESOURCE_ATTRIBUTES", warnings),
    warnings,
  };
  if (telemetryOff(env, config)) return base;
  const eventFlag = env.MONITORLIFT_RUN_EVENT?.trim().toLowerCase();
  const settings: TelemetrySettings = { ...base, enabled: true, runEvent: config.runEvent ?? !(eventFlag !== undefined && OFF.has(eventFlag)) };

  const otelOff = ON.has(env.OTEL_SDK_DISABLED?.trim().toLowerCase() ?? "");
  if (!otelOff) {
    const otlpEndpoint = config.metrics?.otlp?.endpoint ?? metricsEndpoint(env);
    const listed = config.metrics?.exporters ?? splitList(env.OTEL_METRICS_EXPORTER);
    const exporters = new Set(listed ?? (otlpEndpoint ? ["otlp"] : []));
    if (exporters.has("none")) exporters.clear();
    for (const name of exporters) {
      if (name === "otlp") {
        const protocol = config.metrics?.otlp?.protocol ?? nonEmpty(env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? "http/protobuf";
        if (protocol !== "http/protobuf" && protocol !== "http/json") {
          warnings.push(`telemetry: OTLP protocol '${protocol}' is not supported (use http/protobuf or http/json); OTLP metrics are off.`);
          continue;
        }
        const url = otlpEndpoint ?? "http://localhost:4318/v1/metrics";
        if (!isHttpUrl(url)) {
          warnings.push(`telemetry: the OTLP endpoint '${url}' is not an http(s) URL; OTLP metrics are off.`);
          continue;
        }
        const headers = config.metrics?.otlp?.headers
          ? { ...config.metrics.otlp.headers }
          : { ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS", warnings), ...parseKeyValues(env.OTEL_EXPORTER_OTLP_METRICS_HEADERS, "OTEL_EXPORTER_OTLP_METRICS_HEADERS", warnings) };
        settings.otlp = { url, protocol, headers };
      } else if (name === "prometheus") {
        const port = config.metrics?.prometheus?.port ?? num(env.OTEL_EXPORTER_PROMETHEUS_PORT) ?? 9464;
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          warnings.push(`telemetry: the Prometheus port '${port}' is not a port number; the Prometheus endpoint is off.`);
          continue;
        }
        settings.prometheus = { host: config.metrics?.prometheus?.host ?? nonEmpty(env.OTEL_EXPORTER_PROMETHEUS_HOST) ?? "0.0.0.0", port };
      } else if (name === "console") {
        settings.console = true;
      } else {
        warnings.push(`telemetry: unknown metrics exporter '${name}' (expected otlp, prometheus, console or none); ignored.`);
      }
    }
    resolveTraces(env, config, settings, warnings);
    const logs = resolveOtlpLogs(env, config, warnings);
    if (logs && settings.runEvent) settings.otlpLogs = logs;
    const connectionString = config.azureMonitor?.connectionString ?? nonEmpty(env.APPLICATIONINSIGHTS_CONNECTION_STRING);
    if (connectionString) {
      if (/InstrumentationKey=/i.test(connectionString)) settings.azureMonitor = { connectionString };
      else warnings.push("telemetry: APPLICATIONINSIGHTS_CONNECTION_STRING has no InstrumentationKey=; Azure Monitor is off.");
    }
  }

  const statsd = resolveStatsd(env, config.statsd ?? {}, warnings);
  if (statsd) settings.statsd = statsd;
  return settings;
}

/**
 * Where spans go, like the metrics: OTEL_TRACES_EXPORTER (or telemetry.traces.exporters) lists otlp and/or
 * console, or none; unset, OTLP starts only when a traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, as
 * is; or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; or telemetry.traces.otlp.endpoint) is given.
 */
function resolveTraces(env: Env, config: TelemetryConfig, settings: TelemetrySettings, warnings: string[]): void {
  const c = config.traces;
  const generic = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const endpoint = c?.otlp?.endpoint ?? nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? (generic ? `${generic.replace(/\/+$/, "")}/v1/traces` : undefined);
  const exporters = new Set(c?.exporters ?? splitList(env.OTEL_TRACES_EXPORTER) ?? (endpoint ? ["otlp"] : []));
  if (exporters.has("none")) exporters.clear();
  for (const name of exporters) {
    if (name === "console") {
      settings.consoleTraces = true;
      continue;
    }
    if (name !== "otlp") {
      warnings.push(`telemetry: unknown traces exporter '${name}' (expected otlp, console or none); ignored.`);
      continue;
    }
    const protocol = c?.otlp?.protocol ?? nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? "http/protobuf";
    if (protocol !== "http/protobuf" && protocol !== "http/json") {
      warnings.push(`telemetry: OTLP traces protocol '${protocol}' is not supported (use http/protobuf or http/json); OTLP traces are off.`);
      continue;
    }
    const url = endpoint ?? "http://localhost:4318/v1/traces";
    if (!isHttpUrl(url)) {
      warnings.push(`telemetry: the OTLP traces endpoint '${url}' is not an http(s) URL; OTLP traces are off.`);
      continue;
    }
    const headers = c?.otlp?.headers
      ? { ...c.otlp.headers }
      : { ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS", warnings), ...parseKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", warnings) };
    settings.otlpTraces = { url, protocol, headers };
  }
}

/**
 * The OTLP logs destination of the run-complete event: OTEL_LOGS_EXPORTER=none turns it off; it is on
 * when a logs endpoint is given, or the generic endpoint, or OTEL_LOGS_EXPORTER names otlp.
 */
function resolveOtlpLogs(env: Env, config: TelemetryConfig, warnings: string[]): OtlpSettings | undefined {
  const listed = splitList(env.OTEL_LOGS_EXPORTER);
  if (listed?.includes("none")) return undefined;
  const generic = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const url =
    config.otlpLogsEndpoint ??
    nonEmpty(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) ??
    (generic ? `${generic.replace(/\/+$/, "")}/v1/logs` : listed?.includes("otlp") ? "http://localhost:4318/v1/logs" : undefined);
  if (!url) return undefined;
  if (!isHttpUrl(url)) {
    warnings.push(`telemetry: the OTLP logs endpoint '${url}' is not an http(s) URL; the run-complete event is not sent over OTLP.`);
    return undefined;
  }
  const protocol = nonEmpty(env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL) ?? config.metrics?.otlp?.protocol ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    warnings.push(`telemetry: OTLP logs protocol '${protocol}' is not supported (use http/protobuf or http/json); the run-complete event is not sent over OTLP.`);
    return undefined;
  }
  const headers = {
    ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS", warnings),
    ...parseKeyValues(env.OTEL_EXPORTER_OTLP_LOGS_HEADERS, "OTEL_EXPORTER_OTLP_LOGS_HEADERS", warnings),
  };
  return { url, protocol, headers };
}

function resolveStatsd(env: Env, c: NonNullable<TelemetryConfig["statsd"]>, warnings: string[]): StatsdSettings | undefined {
  const flag = env.STATSD_ENABLED?.trim().toLowerCase();
  const host = c.host ?? nonEmpty(env.STATSD_HOST);
  const enabled = c.enabled ?? (flag !== undefined && flag !== "" ? ON.has(flag) : host !== undefined);
  if (!enabled) return undefined;
  const protocol = (c.protocol ?? nonEmpty(env.STATSD_PROTOCOL)?.toLowerCase() ?? "udp") as string;
  if (protocol !== "udp" && protocol !== "tcp") {
    warnings.push(`telemetry: STATSD_PROTOCOL '${protocol}' is not tcp or udp; StatsD is off.`);
    return undefined;
  }
  const port = c.port ?? num(env.STATSD_PORT) ?? 8125;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    warnings.push(`telemetry: STATSD_PORT '${env.STATSD_PORT ?? port}' is not a port number; StatsD is off.`);
    return undefined;
  }
  const tagFormat = (c.tagFormat ?? nonEmpty(env.STATSD_TAG_FORMAT)?.toLowerCase() ?? "none") as string;
  if (tagFormat !== "dogstatsd" && tagFormat !== "telegraf" && tagFormat !== "none") {
    warnings.push(`telemetry: STATSD_TAG_FORMAT '${tagFormat}' is not dogstatsd, telegraf or none; tags are folded into the metric path.`);
  }
  let prefix = c.prefix ?? env.STATSD_PREFIX ?? "";
  if (prefix !== "" && !prefix.endsWith(".")) prefix += ".";
  return {
    host: host ?? "127.0.0.1",
    port,
    protocol,
    prefix,
    tagFormat: tagFormat === "dogstatsd" || tagFormat === "telegraf" ? tagFormat : "none",
    queueSize: positive(c.queueSize ?? num(env.STATSD_QUEUE_SIZE), DEFAULT_STATSD_QUEUE),
  };
}

/** The OTLP metrics URL from the standard variables: the signal-specific one as is, the generic one + /v1/metrics. */
function metricsEndpoint(env: Env): string | undefined {
  const specific = nonEmpty(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  if (specific) return specific;
  const generic = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  return generic ? `${generic.replace(/\/+$/, "")}/v1/metrics` : undefined;
}

/** `k=v,k2=v2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
export function parseKeyValues(text: string | undefined, name: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) {
      warnings.push(`telemetry: ${name} has an entry without key=value; it is ignored.`);
      continue;
    }
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      warnings.push(`telemetry: ${name} has an entry that is not percent-encoded correctly; it is ignored.`);
    }
  }
  return out;
}

function splitList(text: string | undefined): string[] | undefined {
  const items = text?.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function num(v: string | undefined): number | undefined {
  const t = nonEmpty(v);
  return t === undefined ? undefined : Number(t);
}

function positive(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
