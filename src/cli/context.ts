/**
 * Builds what a command needs from the configuration: the logger, the source, the sink, the
 * query jobs and the runner's dependencies. Environment fallbacks live here and in the
 * command files only.
 */
import { loadConfigOrThrow } from "../config/load.ts";
import type { ResolvedConfig, ResolvedQuery } from "../config/types.ts";
import { ConfigError, UsageError } from "../errors.ts";
import type { RunDeps } from "../runner/export-query.ts";
import type { QueryJob } from "../runner/query-job.ts";
import { createRequestGate, type RequestGate } from "../runner/request-gate.ts";
import type { SourceConnection } from "../runner/source-connection.ts";
import { formatPath } from "../config/path.ts";
import { limitsByIdentity } from "../source/identity.ts";
import { createSink } from "../sinks/registry.ts";
import type { Destination } from "../sinks/sink.ts";
import { LogsSource } from "../source/logs-source.ts";
import { createLogger, LogLines, type Logger } from "../telemetry/logger.ts";
import { noopMetrics, type Metrics } from "../telemetry/metrics.ts";
import { buildWindowQuery } from "../window/query-text.ts";
import { buildCountQuery } from "../window/count-query.ts";

export interface GlobalOptions {
  config: string;
  verbose?: boolean;
  logLevel?: string;
  logFormat?: "json" | "pretty";
}

export interface Context {
  config: ResolvedConfig;
  logger: Logger;
  /** Readable log lines (a TTY, or --log-format pretty) go through `logLines`; JSON lines go straight to stderr. */
  logPretty: boolean;
  /** The stream readable log lines are written to, which a progress bar diverts above itself. */
  logLines: LogLines;
  destination: Destination;
  jobs: QueryJob[];
  /** The client of source `name` (a key of config.sources), created on first use: `status` needs none. */
  source(name: string): LogsSource;
  runDeps(signal: AbortSignal, clock?: () => number, metrics?: Metrics): RunDeps;
}

export const DEFAULT_CONFIG_FILE = "monitorlift.json";

export function configPathFrom(options: GlobalOptions, env: NodeJS.ProcessEnv): string {
  return options.config ?? env.MONITORLIFT_CONFIG ?? DEFAULT_CONFIG_FILE;
}

export async function openContext(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
  select: { queries?: readonly string[]; /** false: the caller reports the config's warnings itself (validate). */ logWarnings?: boolean } = {},
): Promise<Context> {
  const config = await loadConfigOrThrow(configPathFrom(options, env), env);
  const format = options.logFormat ?? (config.log.format === "auto" ? undefined : config.log.format);
  const logPretty = format ? format === "pretty" : Boolean(process.stderr.isTTY);
  const logLines = new LogLines(process.stderr);
  const logger = createLogger({
    level: options.logLevel ?? (options.verbose ? "debug" : config.log.level),
    pretty: logPretty,
    destination: logLines,
  });
  if (select.logWarnings !== false) for (const w of config.warnings) logger.warn({ config: config.configPath }, w); // each once, naming the file
  const queries = selectQueries(config.queries, select.queries);
  const destination = await createSink(config.sink, { logger, env, baseDir: config.baseDir }).catch((err: unknown) => {
    throw namingFile(err, config.configPath);
  });
  const clients = new Map<string, LogsSource>();
  const getSource = (name: string): LogsSource => {
    let client = clients.get(name);
    if (client === undefined) {
      try {
        client = createSource(config, name, env);
      } catch (err) {
        throw namingFile(err, config.configPath);
      }
      clients.set(name, client);
    }
    return client;
  };
  // One request gate per identity: the service's limits count per identity, not per workspace.
  const gates = new Map<string, RequestGate>();
  for (const group of limitsByIdentity(config.sources, config.concurrency)) {
    const gate = createRequestGate({ maxConcurrent: group.maxConcurrent, maxPer30s: group.maxPer30s });
    for (const name of group.sources) gates.set(name, gate);
  }
  const jobs = queries.map((q) => jobFor(q, config.namedSources));
  return {
    config,
    logger,
    logPretty,
    logLines,
    destination,
    jobs,
    source: getSource,
    runDeps: (signal, clock = Date.now, metrics = noopMetrics) => ({
      // The sources of the selected queries only: a source no query of this run reads is not opened.
      sources: new Map([...new Set(jobs.map((j) => j.source))].map((name) => [name, connectionFor(config, name, getSource(name), gates.get(name)!)])),
      destination,
      logger,
      clock,
      random: Math.random,
      lookAhead: config.concurrency,
      signal,
      metrics,
      sinkKind: config.sink,
    }),
  };
}

/** Where source `name` is in the config file, for messages: "source", or "sources.<name>". */
export function sourceConfigKey(config: Pick<ResolvedConfig, "namedSources">, name: string): string {
  return config.namedSources ? formatPath(["sources", name]) : "source";
}

function createSource(config: ResolvedConfig, name: string, env: NodeJS.ProcessEnv): LogsSource {
  const s = config.sources[name]!;
  return new LogsSource({
    endpoint: s.endpoint,
    workspaceId: s.workspaceId,
    resourceId: s.resourceId,
    auth: s.auth,
    audience: s.audience,
    env,
    serverTimeoutMs: s.serverTimeoutMs,
    requestTimeoutMs: s.requestTimeoutMs,
    idleTimeoutMs: s.idleTimeoutMs,
    maxRows: config.window.maxRows,
    maxBytes: config.window.maxBytes,
    configKey: sourceConfigKey(config, name),
  });
}

function connectionFor(config: ResolvedConfig, name: string, source: LogsSource, gate: RequestGate): SourceConnection {
  const s = config.sources[name]!;
  return {
    source,
    gate,
    retry: { maxRetries: s.maxRetries, retryDelayMs: s.retryDelayMs, maxRetryDelayMs: s.maxRetryDelayMs, maxRetryElapsedMs: s.maxRetryElapsedMs },
  };
}

/**
 * A configuration problem found while building from the loaded file (a sink URL or secret variable read
 * at run time, an unset client-secret variable) names the file, as the loader's own problems do.
 */
function namingFile(err: unknown, file: string): unknown {
  if (!(err instanceof ConfigError) || err.file !== undefined) return err;
  return new ConfigError(err.message, err.problems, { file, category: err.category, ...(err.hint ? { hint: err.hint } : {}), ...(err.cause !== undefined ? { cause: err.cause } : {}) });
}

function selectQueries(all: readonly ResolvedQuery[], names: readonly string[] | undefined): ResolvedQuery[] {
  if (!names || names.length === 0) return all.filter((q) => q.enabled);
  const byName = new Map(all.map((q) => [q.name, q]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`--query ${unknown.map((n) => `'${n}'`).join(", ")}: no such query in the configuration (known: ${all.map((q) => q.name).join(", ")}).`);
  }
  return names.map((n) => byName.get(n)!);
}

/** The runner's view of query `q`; `namedSources`: the config names its sources, so reports show the query's. */
export function jobFor(q: ResolvedQuery, namedSources = false): QueryJob {
  return {
    name: q.name,
    source: q.source,
    ...(namedSources ? { sourceLabel: q.source } : {}),
    buildQuery: (w) => ({ ...buildWindowQuery(q, w, q.window), maxRows: q.window.maxRows, maxBytes: q.window.maxBytes }),
    buildCountQuery: (range) => buildCountQuery(q, range, q.window),
    sizeMs: q.window.sizeMs,
    lagMs: q.window.lagMs,
    reverifyMs: q.window.reverifyMs,
    minSizeMs: q.window.minSizeMs,
    maxWindowsPerRun: q.window.maxWindowsPerRun,
    start: q.window.start,
  };
}
