/**
 * Second pass after the schema: durations → milliseconds (the key's name plus "Ms"), `start` →
 * {at}|{ago}, relative paths → absolute (against the config file's folder), and each query's
 * effective window settings. The `sink` block is normalised by its kind's config module (through
 * src/sinks/registry.ts). Pure: no I/O, no clock.
 */
import { sinkKindOf } from "../sinks/registry.ts";
import { parseDuration } from "./duration.ts";
import { TIMESTAMP_PATTERN, type ParsedConfigFile } from "./schema.ts";
import { absolutePath as absolute } from "./sink-kit.ts";
import type { TelemetryConfig } from "../telemetry/settings.ts";
import { formatPath } from "./path.ts";
import { DEFAULT_SOURCE_NAME, type MonitorliftConfig, type NormalisedQuery, type SinkConfig, type SourceSettings, type StartSpec, type WindowSettings } from "./types.ts";

/** Lag used when none is configured: records take a little while to become queryable. */
/**
 * PT15M in both modes. Ingestion mode: ingestion_time() is approximate ("the ingestion process may
 * take several minutes to complete", Kusto's ingestion_time() reference), so rows can become visible
 * minutes after the ingestion time they carry; 15 minutes covers that tail, and the rarer rows later
 * still are caught by window.reverify (README: "Rows that become visible late").
 */
export const DEFAULT_LAG_MS = { ingestion: 15 * 60_000, time: 15 * 60_000 } as const;

type RawWindow = ParsedConfigFile["window"];
type RawWindowOverride = NonNullable<ParsedConfigFile["queries"][number]["window"]>;

/**
 * Epoch ms of an ISO 8601 timestamp with a zone ("2026-11-01T00:00:00Z", "…+02:00") or a bare date
 * (UTC midnight); undefined when it is malformed or names a day that does not exist.
 */
export function parseTimestamp(text: string): number | undefined {
  if (!TIMESTAMP_PATTERN.test(text)) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  if (m[9] === undefined) return local;
  const offsetH = Number(m[10]);
  const offsetM = Number(m[11]);
  if (offsetH > 23 || offsetM > 59) return undefined;
  const offset = (offsetH * 60 + offsetM) * 60_000;
  return m[9] === "+" ? local - offset : local + offset;
}

function msOf(text: string, path: string, errors: string[]): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    errors.push(`${path}: ${JSON.stringify(text)} is too long a duration`);
    return 0;
  }
  return ms;
}

function startOf(text: string, path: string, errors: string[]): StartSpec {
  if (text.startsWith("P")) return { ago: msOf(text, path, errors) };
  const at = parseTimestamp(text);
  if (at === undefined) {
    errors.push(`${path}: ${JSON.stringify(text)} is not a valid date and time (check the day, month, hour and offset)`);
    return { at: 0 };
  }
  return { at };
}

/** The effective window of a query: its overrides over the top-level block, each reported at the path it came from. */
function effectiveWindow(global: RawWindow, override: RawWindowOverride | undefined, overridePath: string, errors: string[]): WindowSettings {
  const pick = <K extends keyof RawWindowOverride>(key: K): { value: RawWindow[K] | RawWindowOverride[K]; path: string } =>
    override?.[key] !== undefined
      ? { value: override[key], path: `${overridePath}.${key}` }
      : { value: global[key], path: `window.${key}` };
  const dur = (key: "size" | "lookback" | "future" | "minSize" | "reverify"): number => {
    const p = pick(key);
    return msOf(p.value as string, p.path, errors);
  };
  const mode = pick("mode").value as WindowSettings["mode"];
  const lag = pick("lag");
  const start = pick("start");
  return {
    mode,
    sizeMs: dur("size"),
    lagMs: lag.value === undefined ? DEFAULT_LAG_MS[mode] : msOf(lag.value, lag.path, errors),
    reverifyMs: dur("reverify"),
    lookbackMs: dur("lookback"),
    futureMs: dur("future"),
    start: startOf(start.value as string, start.path, errors),
    timeColumn: pick("timeColumn").value as string,
    maxRows: pick("maxRows").value as number,
    maxBytes: pick("maxBytes").value as number,
    minSizeMs: dur("minSize"),
    maxWindowsPerRun: pick("maxWindowsPerRun").value as number,
  };
}

/** The sink block, normalised by its kind's config module (paths absolute, derived values). */
function normaliseSink(sink: ParsedConfigFile["sink"], baseDir: string): SinkConfig {
  const kind = sinkKindOf(sink.type);
  return kind ? (kind.config.normalise(sink as never, { baseDir }) as SinkConfig) : { ...sink };
}

/** Strip a leading "|" and surrounding blanks from a transform. */
export function normaliseTransform(transform: string): string {
  return transform.trim().replace(/^\|\s*/, "").trim();
}

export function normaliseConfig(parsed: ParsedConfigFile, baseDir: string): { config: MonitorliftConfig; errors: string[] } {
  const errors: string[] = [];
  // Both given is an error the rules report (at "sources"); the named ones are normalised then.
  const namedSources = parsed.sources !== undefined;
  const sources: Record<string, SourceSettings> = {};
  if (parsed.sources !== undefined) {
    for (const [name, s] of Object.entries(parsed.sources)) sources[name] = normaliseSource(s, formatPath(["sources", name]), errors);
  } else if (parsed.source !== undefined) {
    sources[DEFAULT_SOURCE_NAME] = normaliseSource(parsed.source, "source", errors);
  }
  const names = Object.keys(sources);
  const queries: NormalisedQuery[] = parsed.queries.map((q, index) => {
    const out: NormalisedQuery = {
      name: q.name,
      // A query without "source" reads the only source; with several, the rules report it (source "").
      source: namedSources ? (q.source ?? (names.length === 1 ? names[0]! : "")) : DEFAULT_SOURCE_NAME,
      index,
      enabled: q.enabled,
      window: effectiveWindow(parsed.window, q.window, `queries[${index}].window`, errors),
    };
    if (q.description !== undefined) out.description = q.description;
    if (q.table !== undefined) out.table = q.table;
    if (q.transform !== undefined) {
      out.transform = normaliseTransform(q.transform);
      if (out.transform === "") errors.push(`queries[${index}].transform: is empty — remove the key or give pipe stages such as "where Success == false"`);
    }
    if (q.hiddenColumns !== undefined) out.hiddenColumns = [...q.hiddenColumns];
    if (q.file !== undefined) out.file = absolute(baseDir, q.file);
    return out;
  });
  // Report problems of the top-level block once, even when no query uses a setting.
  const windowErrors: string[] = [];
  const window = effectiveWindow(parsed.window, undefined, "window", windowErrors);
  for (const e of windowErrors) if (!errors.includes(e)) errors.unshift(e);

  const config: MonitorliftConfig = {
    sources,
    namedSources,
    queries,
    window,
    sink: normaliseSink(parsed.sink, baseDir),
    ...(parsed.schedule === undefined ? {} : { schedule: parsed.schedule }),
    concurrency: parsed.concurrency,
    log: parsed.log,
    telemetry: normaliseTelemetry(parsed.telemetry, errors),
    ...(parsed.health?.port === undefined ? {} : { health: { port: parsed.health.port, host: parsed.health.host } }),
    shutdownGraceMs: msOf(parsed.shutdownGrace, "shutdownGrace", errors),
  };
  return { config, errors: [...new Set(errors)] };
}

/** One source block at `path` ("source" or "sources.<name>"): durations to milliseconds, URLs without a trailing slash. */
function normaliseSource(s: NonNullable<ParsedConfigFile["source"]>, path: string, errors: string[]): SourceSettings {
  return {
    ...(s.workspaceId === undefined ? {} : { workspaceId: s.workspaceId }),
    ...(s.resourceId === undefined ? {} : { resourceId: s.resourceId }),
    endpoint: s.endpoint.replace(/\/+$/, ""),
    ...(s.audience === undefined ? {} : { audience: s.audience.replace(/\/+$/, "") }),
    auth: s.auth,
    requestTimeoutMs: msOf(s.requestTimeout, `${path}.requestTimeout`, errors),
    serverTimeoutMs: msOf(s.serverTimeout, `${path}.serverTimeout`, errors),
    maxRetries: s.maxRetries,
    retryDelayMs: msOf(s.retryDelay, `${path}.retryDelay`, errors),
    maxRetryDelayMs: msOf(s.maxRetryDelay, `${path}.maxRetryDelay`, errors),
    maxRetryElapsedMs: msOf(s.maxRetryElapsed, `${path}.maxRetryElapsed`, errors),
    idleTimeoutMs: msOf(s.idleTimeout, `${path}.idleTimeout`, errors),
    maxConcurrentRequests: s.maxConcurrentRequests,
    maxRequestsPer30s: s.maxRequestsPer30s,
  };
}

function normaliseTelemetry(t: ParsedConfigFile["telemetry"], errors: string[]): TelemetryConfig {
  const { flushTimeout, metrics, ...rest } = t;
  const out: TelemetryConfig = { ...rest, flushTimeoutMs: msOf(flushTimeout, "telemetry.flushTimeout", errors) };
  if (metrics) {
    const { exportInterval, ...m } = metrics;
    out.metrics = { ...m, ...(exportInterval === undefined ? {} : { exportIntervalMs: msOf(exportInterval, "telemetry.metrics.exportInterval", errors) }) };
  }
  return out;
}
