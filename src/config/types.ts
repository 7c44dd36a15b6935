/**
 * The configuration as the rest of monitorlift sees it: parsed, defaults applied, relative paths
 * made absolute, and each query's effective window settings worked out.
 * One name per knob: a field keeps its config key's name; a duration, once converted to
 * milliseconds, gets the suffix "Ms" (source.retryDelay → retryDelayMs, window.size → sizeMs)
 * and keeps that name in every layer below.
 */
import type { SinkConfig } from "../sinks/registry.ts";
import type { LOG_LEVELS } from "./schema.ts";
import type { TelemetryConfig } from "../telemetry/settings.ts";

export type { BlobSinkConfig, FilesystemSinkConfig, SqlSinkConfig } from "./sinks.ts";
export type { SinkConfig };

export type WindowMode = "ingestion" | "time";

/** Where a query's first run starts: an instant, or a span before now. */
export type StartSpec = { at: number } | { ago: number };

/** Window settings; every duration in milliseconds. */
export interface WindowSettings {
  mode: WindowMode;
  sizeMs: number;
  lagMs: number;
  /** Export re-counts (and repairs) the windows committed this long behind the watermark; 0: off. */
  reverifyMs: number;
  lookbackMs: number;
  futureMs: number;
  start: StartSpec;
  timeColumn: string;
  maxRows: number;
  maxBytes: number;
  minSizeMs: number;
  maxWindowsPerRun: number;
}

export type SourceAuth =
  | { method: "default"; authorityHost?: string }
  | { method: "clientSecret"; tenantId: string; clientId: string; secretEnv: string; authorityHost?: string }
  | { method: "managedIdentity"; clientId?: string }
  | { method: "none" };

/** The query API settings; every duration in milliseconds. */
export interface SourceSettings {
  /** Exactly one of workspaceId and resourceId is set. */
  workspaceId?: string;
  resourceId?: string;
  /** Base URL including /v1, without a trailing slash. */
  endpoint: string;
  audience?: string;
  auth: SourceAuth;
  requestTimeoutMs: number;
  serverTimeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  maxRetryElapsedMs: number;
  /** A response body silent for this long is abandoned (and the window retried). */
  idleTimeoutMs: number;
  maxConcurrentRequests: number;
  maxRequestsPer30s: number;
}

/** The name of the one source of a file with a single top-level `source` (never shown: see MonitorliftConfig.namedSources). */
export const DEFAULT_SOURCE_NAME = "default";

/** One query after normalisation. */
export interface NormalisedQuery {
  name: string;
  /**
   * The source it reads: its `source` key, the only source, or DEFAULT_SOURCE_NAME with a single top-level
   * `source`. (Before the rules passed it may name no configured source: the rules report that.)
   */
  source: string;
  /** Position in the file's `queries` array, for messages ("queries[2]"). */
  index: number;
  enabled: boolean;
  description?: string;
  /** Table query: the table, and the optional pipe stages after the window filter (leading "|" removed). */
  table?: string;
  transform?: string;
  /** Table query: the hidden standard columns to export, as configured (unset: the default of src/window/query-text.ts, ["_ItemId"]). */
  hiddenColumns?: string[];
  /** File query: absolute path of the .kql file. */
  file?: string;
  /** Effective window settings: the query's overrides over the top-level window block. */
  window: WindowSettings;
}

export interface LogSettings {
  level: (typeof LOG_LEVELS)[number];
  format: "auto" | "json" | "pretty";
}

/** The normalised configuration (no I/O needed to build it). */
export interface MonitorliftConfig {
  /** Every source by name: the file's `sources`, or its single `source` as DEFAULT_SOURCE_NAME. */
  sources: Record<string, SourceSettings>;
  /**
   * The file names its sources (`sources`): then logs, metrics, the run event, `status` and `plan` carry
   * each query's source name. With a single `source` they stay exactly as they were.
   */
  namedSources: boolean;
  queries: NormalisedQuery[];
  /** The top-level window block with its defaults (each query's own `window` is what counts). */
  window: WindowSettings;
  /** Paths (filesystem `path`, sqlite `path`, `tls.caFile`) are absolute. */
  sink: SinkConfig;
  schedule?: string;
  concurrency: number;
  log: LogSettings;
  /** Settings of src/telemetry (durations in ms); the environment fills what is not set. */
  telemetry: TelemetryConfig;
  /** The health listener of a scheduled export; absent when health.port is not set. */
  health?: { port: number; host: string };
  /** Grace after SIGTERM before a scheduled export abandons its current window (ms). */
  shutdownGraceMs: number;
}

export interface ResolvedQuery extends NormalisedQuery {
  /**
   * The query body with its "| $window" stage: the .kql file's text, or for a table query
   * "<table>\n| $window" followed by "\n| <transform>" when there is one.
   * Pass the query to buildWindowQuery (src/window/query-text.ts) to get the text to send.
   */
  kql: string;
}

/** What loadConfig returns: the normalised configuration plus where it came from. */
export interface ResolvedConfig extends Omit<MonitorliftConfig, "queries"> {
  /** Absolute path of the configuration file. */
  configPath: string;
  /** Its folder: relative paths in the file are relative to it. */
  baseDir: string;
  queries: ResolvedQuery[];
  /** Non-fatal findings, each "dot.path: message" (also returned by loadConfig). */
  warnings: readonly string[];
}
