/**
 * The configuration file's schema (zod v4). Strict objects everywhere: an unknown key is an error.
 * This schema only checks the shape of each value; durations stay ISO 8601 text here so that
 * config.schema.json (generated from it) stays clean. Turning durations into milliseconds and paths
 * into absolute ones is normalise.ts's job; rules that tie several keys together live in rules.ts.
 */
import { z } from "zod";
import { validateDetailed } from "node-cron";
import { SINK_SCHEMAS, sinkKindList } from "../sinks/registry.ts";
import { ISO_DURATION_PATTERN, badDurationMessage } from "./duration.ts";
import { QUERY_NAME_PATTERN } from "./query-name.ts";
import { envNameSchema as envName } from "./sink-kit.ts";

/** KQL identifiers accepted for table and column names. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RESOURCE_ID_PATTERN = /^\/subscriptions\/[^/]+\/resource[Gg]roups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+(\/[^/]+\/[^/]+)*$/;
const TIMESTAMP_SOURCE = String.raw`\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?`;
/** An ISO 8601 timestamp with a zone (or a bare date, read as UTC midnight). */
export const TIMESTAMP_PATTERN = new RegExp(`^${TIMESTAMP_SOURCE}$`);
const START_PATTERN = new RegExp(`^(?:${TIMESTAMP_SOURCE}|${ISO_DURATION_PATTERN.source.slice(1, -1)})$`);

export const SERVICE_MAX_ROWS = 500_000;
export const SERVICE_MAX_BYTES = 100 * 1024 * 1024;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function duration() {
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : badDurationMessage(iss.input)) })
    .regex(ISO_DURATION_PATTERN, { error: (iss) => badDurationMessage(iss.input) });
}

function startMessage(value: unknown): string {
  const example = `write an ISO 8601 timestamp such as "2026-11-01T00:00:00Z" or a duration before now such as "PT3H" or "P7D"`;
  if (typeof value !== "string") return `must be a string — ${example}`;
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) return `${JSON.stringify(value)} has no time zone — add "Z" for UTC (e.g. "${value}Z")`;
  if (/^P/i.test(value)) return badDurationMessage(value);
  return `${JSON.stringify(value)} is neither a timestamp nor a duration — ${example}`;
}

function cronMessage(value: unknown): string {
  if (typeof value !== "string") return "must be a cron expression string such as \"*/5 * * * *\"";
  const detail = validateDetailed(value).errors.map((e) => (e.field === "expression" ? e.message : `${e.field}: ${e.message}`));
  return `${JSON.stringify(value)} is not a valid cron expression${detail.length ? ` (${detail.join("; ")})` : ""} — use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "*/5 * * * *"`;
}

function identifier(what: string) {
  return z.string().regex(IDENTIFIER_PATTERN, `must be a ${what}: letters, digits and "_", not starting with a digit`);
}

// ---------------------------------------------------------------- source

const authSchema = z
  .discriminatedUnion("method", [
    z
      .strictObject({
        method: z.literal("default").describe("DefaultAzureCredential."),
        authorityHost: z.url().optional().describe("Microsoft Entra authority for sovereign clouds, e.g. https://login.chinacloudapi.cn (default: public cloud)."),
      })
      .describe("DefaultAzureCredential: environment variables, workload identity, managed identity, Azure CLI, in that order."),
    z
      .strictObject({
        method: z.literal("clientSecret").describe("A service principal with a client secret."),
        tenantId: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "must be a tenant ID (GUID) or domain such as contoso.onmicrosoft.com")
          .describe("Directory (tenant) ID or domain."),
        clientId: z.string().regex(GUID_PATTERN, "must be an application (client) ID: a GUID").describe("Application (client) ID."),
        secretEnv: envName
          .default("AZURE_CLIENT_SECRET")
          .describe("Environment variable holding the client secret; the secret itself never goes in this file."),
        authorityHost: z.url().optional().describe("Microsoft Entra authority for sovereign clouds (default: public cloud)."),
      })
      .describe("A service principal (app registration) and its client secret, read from an environment variable."),
    z
      .strictObject({
        method: z.literal("managedIdentity").describe("An Azure managed identity."),
        clientId: z
          .string()
          .regex(GUID_PATTERN, "must be the client ID (GUID) of a user-assigned managed identity")
          .optional()
          .describe("Client ID of a user-assigned identity; omit for the system-assigned identity."),
      })
      .describe("The managed identity of the VM, container or function running monitorlift."),
    z
      .strictObject({ method: z.literal("none").describe("No token at all.") })
      .describe("No authentication: only for a local simulator on a loopback endpoint (127.0.0.1, ::1, localhost)."),
  ])
  .default({ method: "default" })
  .describe("How to obtain the access token for the Log Analytics query API.");

export const sourceSchema = z
  .strictObject({
    workspaceId: z
      .string()
      .regex(GUID_PATTERN, "must be the workspace ID (a GUID, shown as 'Workspace ID' on the workspace's overview page)")
      .optional()
      .describe("Log Analytics workspace ID (a GUID). Give exactly one of workspaceId and resourceId."),
    resourceId: z
      .string()
      .regex(RESOURCE_ID_PATTERN, "must be an Azure resource ID such as /subscriptions/<id>/resourceGroups/<rg>/providers/microsoft.insights/components/<name>")
      .optional()
      .describe("Azure resource ID for resource-centric queries (e.g. an Application Insights component). Give exactly one of workspaceId and resourceId."),
    endpoint: z
      .url({ error: "must be an absolute URL such as https://api.loganalytics.azure.com/v1" })
      .default("https://api.loganalytics.azure.com/v1")
      .describe("Base URL of the query API including /v1. https is required except for loopback hosts (a local simulator)."),
    audience: z
      .url({ error: "must be a URL such as https://api.loganalytics.io" })
      .optional()
      .describe("Token audience for sovereign clouds, e.g. https://api.loganalytics.azure.cn (default: https://api.loganalytics.io)."),
    auth: authSchema,
    requestTimeout: duration().default("PT5M").describe("Client-side deadline of one query request, ISO 8601 duration. Should exceed serverTimeout."),
    serverTimeout: duration().default("PT3M").describe("How long the service may run one query (sent as 'Prefer: wait=…'), at most PT10M."),
    maxRetries: z.number().int().min(0).max(30).default(6).describe("Retries of a failed request (throttling, 5xx, connection errors) after the first attempt."),
    retryDelay: duration().default("PT1S").describe("Base delay of the exponential back-off with full jitter."),
    maxRetryDelay: duration().default("PT1M").describe("Largest delay between two attempts (a server Retry-After may ask for more, up to 10 minutes)."),
    maxRetryElapsed: duration().default("PT10M").describe("Stop retrying one request once this much time has passed since its first attempt."),
    idleTimeout: duration()
      .default("PT1M")
      .describe("Give up on a response body that sends nothing for this long (a connection reset part-way through a gzip body otherwise never ends); the window is retried."),
    maxConcurrentRequests: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(5)
      .describe("Query requests in flight at once, across all queries (the service allows 5 concurrent queries per user)."),
    maxRequestsPer30s: z
      .number()
      .int()
      .min(1)
      .max(200)
      .default(200)
      .describe("Query requests started in any 30-second span (the service allows 200 per user)."),
  })
  .describe("Where to read from: the Azure Monitor Log Analytics query API (or a local simulator).");

// ---------------------------------------------------------------- window

const windowDescriptions = {
  mode: "ingestion: windows over ingestion_time(), so records that arrive late are still exported exactly once (recommended); time: windows over the time column, which misses records arriving after the window was exported.",
  size: "Length of one export window, ISO 8601 duration. Windows are aligned to a UTC grid of this size (PT5M → :00, :05, …).",
  lag: "How far behind now the newest window must end, so records still being ingested or becoming visible are not cut off. Default PT15M (ingestion_time() is approximate: rows can become visible minutes after it).",
  reverify: "Each export run re-counts the windows committed in this span behind the watermark against the service (one count query per query) and re-exports those that miss rows that became visible late; PT0S turns it off. Default PT1H.",
  lookback: "Ingestion mode: how much older than the window the time column of a record may be (late-arriving data). Bounds the scan. Default P3D: the service accepts TimeGenerated up to two days before receipt and may ingest hours later (up to ~60 h in all). In time mode with a timeColumn other than TimeGenerated: how much later than it TimeGenerated (the receipt time) may be (the timespan sent covers it).",
  future: "Ingestion mode: how much newer than the window the time column of a record may be (skewed clocks). Bounds the scan. In time mode with a timeColumn other than TimeGenerated: how much earlier than it TimeGenerated may be (the timespan sent covers it).",
  start: "Where the first run starts when there is no watermark yet: an ISO 8601 timestamp (\"2026-11-01T00:00:00Z\") or a duration before now (\"PT3H\").",
  timeColumn: "The record time column (TimeGenerated in workspace tables; timestamp in classic Application Insights).",
  maxRows: "A window returning this many rows is split in two and retried (the service returns at most 500000 rows).",
  maxBytes: "A window whose response body (uncompressed) reaches this many bytes is split in two and retried, PartialError or not. Default: the query API's documented ~100 MiB; the engine's own 64000000-byte cut comes with a PartialError and a body of ~73 MB.",
  minSize: "Windows are not split below this length; a smaller window that is still too large fails with WINDOW_UNSPLITTABLE.",
  maxWindowsPerRun: "At most this many windows per query in one run; the rest waits for the next run.",
} as const;

const windowBase = {
  mode: z.enum(["ingestion", "time"]),
  size: duration(),
  lag: duration(),
  reverify: duration(),
  lookback: duration(),
  future: duration(),
  start: z.string().regex(START_PATTERN, { error: (iss) => startMessage(iss.input) }),
  timeColumn: identifier("column name"),
  maxRows: z.number().int().min(1).max(SERVICE_MAX_ROWS),
  maxBytes: z.number().int().min(1024).max(SERVICE_MAX_BYTES),
  minSize: duration(),
  maxWindowsPerRun: z.number().int().min(1).max(1_000_000),
};
const D = windowDescriptions;

export const windowSchema = z
  .strictObject({
    mode: windowBase.mode.default("ingestion").describe(D.mode),
    size: windowBase.size.default("PT5M").describe(D.size),
    lag: windowBase.lag.optional().describe(D.lag),
    reverify: windowBase.reverify.default("PT1H").describe(D.reverify),
    lookback: windowBase.lookback.default("P3D").describe(D.lookback),
    future: windowBase.future.default("P1D").describe(D.future),
    start: windowBase.start.default("PT1H").describe(D.start),
    timeColumn: windowBase.timeColumn.default("TimeGenerated").describe(D.timeColumn),
    maxRows: windowBase.maxRows.default(SERVICE_MAX_ROWS).describe(D.maxRows),
    maxBytes: windowBase.maxBytes.default(SERVICE_MAX_BYTES).describe(D.maxBytes),
    minSize: windowBase.minSize.default("PT1S").describe(D.minSize),
    maxWindowsPerRun: windowBase.maxWindowsPerRun.default(288).describe(D.maxWindowsPerRun),
  })
  .describe("How time is cut into export windows.");

export const queryWindowSchema = z
  .strictObject({
    mode: windowBase.mode.optional().describe(D.mode),
    size: windowBase.size.optional().describe(D.size),
    lag: windowBase.lag.optional().describe(D.lag),
    reverify: windowBase.reverify.optional().describe(D.reverify),
    lookback: windowBase.lookback.optional().describe(D.lookback),
    future: windowBase.future.optional().describe(D.future),
    start: windowBase.start.optional().describe(D.start),
    timeColumn: windowBase.timeColumn.optional().describe(D.timeColumn),
    maxRows: windowBase.maxRows.optional().describe(D.maxRows),
    maxBytes: windowBase.maxBytes.optional().describe(D.maxBytes),
    minSize: windowBase.minSize.optional().describe(D.minSize),
    maxWindowsPerRun: windowBase.maxWindowsPerRun.optional().describe(D.maxWindowsPerRun),
  })
  .describe("Overrides of the top-level window settings for this query only.");

// ---------------------------------------------------------------- queries

export const querySchema = z
  .strictObject({
    name: z
      .string()
      .regex(QUERY_NAME_PATTERN, "must start with a letter and contain only letters, digits, '_' and '-' (at most 64 characters)")
      .describe("Unique name; names the output folder or table and the query's cursor. Renaming it starts a new export."),
    description: z.string().optional().describe("Free text shown by `monitorlift status`."),
    enabled: z.boolean().default(true).describe("Set to false to skip this query without deleting it."),
    table: identifier("table name")
      .optional()
      .describe("Export this table (e.g. AppRequests). Give exactly one of table and file."),
    transform: z
      .string()
      .min(1)
      .optional()
      .describe("KQL pipe stages applied after the window filter, e.g. \"where DurationMs > 1000 | project TimeGenerated, Name\". Only with table."),
    file: z
      .string()
      .min(1)
      .optional()
      .describe("A .kql file (relative to this config file) of the form \"<Table> | $window | …\": $window is replaced by the window filter."),
    hiddenColumns: z
      .array(identifier("column name"))
      .optional()
      .describe(
        "Hidden standard columns a table query exports: the service leaves _ItemId, _BilledSize, _IsBillable and _SubscriptionId out of results unless the query names them. Default [\"_ItemId\"] (the record's unique id); [] for none. Only with table (a .kql file names them in its own project).",
      ),
    window: queryWindowSchema.optional(),
  })
  .describe("One exported query.");

// ---------------------------------------------------------------- the whole file

export const sinkSchema = z
  .discriminatedUnion("type", SINK_SCHEMAS)
  .describe(`Where exported windows go: ${sinkKindList()}.`);

export const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default("info").describe("Least severe level written."),
    format: z
      .enum(["auto", "json", "pretty"])
      .default("auto")
      .describe("json: one JSON object per line; pretty: readable lines; auto: pretty on a terminal, json otherwise."),
  })
  .describe("Logging (to stderr).");

const portSchema = z.number().int().min(0).max(65535);

export const telemetrySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("false turns off every outbound signal (metrics, traces, StatsD); the same as MONITORLIFT_TELEMETRY=off. Each key below wins over its environment variable."),
    runEvent: z
      .boolean()
      .optional()
      .describe("false keeps the run-complete event local (its log line); the same as MONITORLIFT_RUN_EVENT=off."),
    flushTimeout: duration().default("PT5S").describe("Upper bound of the metrics flush at exit: a backend that hangs is abandoned after it."),
    serviceName: z.string().min(1).optional().describe("service.name of the metrics (default OTEL_SERVICE_NAME, else monitorlift)."),
    metrics: z
      .strictObject({
        exporters: z.array(z.enum(["otlp", "prometheus", "console", "none"])).optional().describe("Like OTEL_METRICS_EXPORTER."),
        exportInterval: duration().optional().describe("Push interval (default OTEL_METRIC_EXPORT_INTERVAL, else PT60S)."),
        otlp: z
          .strictObject({
            endpoint: z.url().optional().describe("The OTLP/HTTP metrics URL, used as is (e.g. http://otel-collector:4318/v1/metrics)."),
            protocol: z.enum(["http/protobuf", "http/json"]).optional().describe("OTLP encoding (default OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)."),
            headers: z.record(z.string(), z.string()).optional().describe("Headers sent with each request (use ${env:NAME} for secrets)."),
          })
          .optional()
          .describe("OTLP over HTTP (default OTEL_EXPORTER_OTLP_* variables)."),
        prometheus: z
          .strictObject({
            host: z.string().min(1).optional().describe("Address the scrape endpoint listens on (default OTEL_EXPORTER_PROMETHEUS_HOST, else 0.0.0.0)."),
            port: portSchema.optional().describe("Its port (default OTEL_EXPORTER_PROMETHEUS_PORT, else 9464); the path is /metrics."),
          })
          .optional()
          .describe("The Prometheus scrape endpoint, when exporters names prometheus."),
      })
      .optional()
      .describe("OpenTelemetry metrics; see the README's Metrics section."),
    traces: z
      .strictObject({
        exporters: z.array(z.enum(["otlp", "console", "none"])).optional().describe("Like OTEL_TRACES_EXPORTER."),
        otlp: z
          .strictObject({
            endpoint: z.url().optional().describe("The OTLP/HTTP traces URL, used as is (e.g. http://otel-collector:4318/v1/traces)."),
            protocol: z.enum(["http/protobuf", "http/json"]).optional().describe("OTLP encoding (default OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)."),
            headers: z.record(z.string(), z.string()).optional().describe("Headers sent with each request (use ${env:NAME} for secrets)."),
          })
          .optional()
          .describe("OTLP over HTTP (default OTEL_EXPORTER_OTLP_TRACES_* / OTEL_EXPORTER_OTLP_* variables)."),
      })
      .optional()
      .describe("Spans per run, query and window (OpenTelemetry traces); the query requests carry W3C traceparent. See the README's Traces section."),
    azureMonitor: z
      .strictObject({ connectionString: z.string().min(1).optional().describe("Application Insights connection string (use ${env:NAME}).") })
      .optional()
      .describe("Metrics to Application Insights (default APPLICATIONINSIGHTS_CONNECTION_STRING)."),
    statsd: z
      .strictObject({
        enabled: z.boolean().optional().describe("STATSD_ENABLED: default on when a host is given."),
        host: z.string().min(1).optional().describe("STATSD_HOST (default 127.0.0.1 when enabled)."),
        port: portSchema.min(1).optional().describe("STATSD_PORT (default 8125)."),
        protocol: z.enum(["udp", "tcp"]).optional().describe("STATSD_PROTOCOL (default udp)."),
        prefix: z.string().optional().describe("STATSD_PREFIX, prepended to every name with a dot."),
        tagFormat: z.enum(["dogstatsd", "telegraf", "none"]).optional().describe("STATSD_TAG_FORMAT: tags as DogStatsD or Telegraf tags, or (none) folded into the path."),
        queueSize: z.number().int().min(1).optional().describe("Lines kept while a TCP agent is unreachable (default 10000)."),
      })
      .optional()
      .describe("StatsD; the STATSD_* variables give the same settings."),
  })
  .describe("The exporter's own metrics (OpenTelemetry, Azure Monitor, StatsD). Nothing is sent unless configured here or by the environment.");

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path or URL of config.schema.json, for editor completion; ignored by monitorlift."),
    source: sourceSchema,
    queries: z.array(querySchema).min(1).describe("The queries to export; at least one."),
    window: windowSchema.prefault({}),
    sink: sinkSchema,
    schedule: z
      .string()
      .refine((v) => validateDetailed(v).valid, { error: (iss) => cronMessage(iss.input) })
      .optional()
      .describe("Cron expression (5 fields, or 6 with seconds first) for running the export on a schedule, e.g. \"*/5 * * * *\". Without it, export runs once."),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(4)
      .describe("Windows exported at the same time across all queries (the service allows 5 concurrent queries per user)."),
    log: logSchema.prefault({}),
    telemetry: telemetrySchema.prefault({}),
    health: z
      .strictObject({
        port: portSchema.optional().describe("Port of the HTTP listener serving /healthz and /readyz (and /metrics when the Prometheus exporter uses the same port) while export runs on its schedule; --health-port. Off when unset."),
        host: z.string().min(1).default("127.0.0.1").describe("Address it listens on: 127.0.0.1 (default, loopback only) or 0.0.0.0 in a container whose platform probes it; --health-host."),
      })
      .optional()
      .describe("Health endpoints of a scheduled export (long-running mode). See the README's Health endpoints section."),
    shutdownGrace: duration()
      .default("PT25S")
      .describe("On SIGTERM/SIGINT a scheduled export finishes the window being committed; after this grace (ISO 8601) it abandons it (uncommitted: the next run exports it again) and exits 143 (130 after SIGINT); --shutdown-grace."),
  })
  .describe("monitorlift configuration: export Azure Log Analytics data by KQL over incremental time windows.");

/** What a configuration file may contain (defaults optional). */
export type ConfigFileInput = z.input<typeof configSchema>;
/** The file after schema parsing: defaults applied, durations still ISO 8601 text. */
export type ParsedConfigFile = z.output<typeof configSchema>;
