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
import { createRequestGate } from "../runner/request-gate.ts";
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
  /** Created on first use: `status` needs no source. */
  source(): LogsSource;
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
  let source: LogsSource | undefined;
  const newSource = () =>
    new LogsSource({
      endpoint: config.source.endpoint,
      workspaceId: config.source.workspaceId,
      resourceId: config.source.resourceId,
      auth: config.source.auth,
      audience: config.source.audience,
      env,
      serverTimeoutMs: config.source.serverTimeoutMs,
      requestTimeoutMs: config.source.requestTimeoutMs,
      idleTimeoutMs: config.source.idleTimeoutMs,
      maxRows: config.window.maxRows,
      maxBytes: config.window.maxBytes,
    });
  const getSource = () => {
    try {
      return (source ??= newSource());
    } catch (err) {
      throw namingFile(err, config.configPath);
    }
  };
  const gate = createRequestGate({
    maxConcurrent: Math.min(config.concurrency, config.source.maxConcurrentRequests),
    maxPer30s: config.source.maxRequestsPer30s,
  });
  return {
    config,
    logger,
    logPretty,
    logLines,
    destination,
    jobs: queries.map(jobFor),
    source: getSource,
    runDeps: (signal, clock = Date.now, metrics = noopMetrics) => ({
      source: getSource(),
      destination,
      gate,
      logger,
      clock,
      random: Math.random,
      retry: {
        maxRetries: config.source.maxRetries,
        retryDelayMs: config.source.retryDelayMs,
        maxRetryDelayMs: config.source.maxRetryDelayMs,
        maxRetryElapsedMs: config.source.maxRetryElapsedMs,
      },
      lookAhead: config.concurrency,
      signal,
      metrics,
      sinkKind: config.sink,
    }),
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

export function jobFor(q: ResolvedQuery): QueryJob {
  return {
    name: q.name,
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
