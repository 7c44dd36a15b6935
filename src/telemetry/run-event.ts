/**
 * The run-complete event: one small object per run, the same on every path — a JSON log line
 * (always, even with telemetry off), an OpenTelemetry log record when an OTLP logs endpoint is
 * configured, and an Application Insights customEvent when Azure Monitor is configured.
 *
 * Rules
 *  - It holds counts, codes, durations, versions and the platform; each query by its name and a
 *    hash of its text. Never data values, the query text, error messages, hosts, paths or secrets.
 *  - Built from the run summary (any object of RunSummary's shape: the runner's own type is not
 *    imported, so this module does not move when the runner does).
 */
import { createHash } from "node:crypto";
import { VERSION } from "../version.ts";
import { dropCodeOf, type DropCode } from "./codes.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";

export const RUN_EVENT_NAME = "monitorlift.run.complete";

/** What the event is built from: the shape of the runner's RunSummary. */
export interface RunSummaryLike {
  command: string;
  startedAt: string;
  finishedAt: string;
  queries: Readonly<Record<string, { outcome: string; rows: number; windows: number; watermark?: number; error?: { code: string } }>>;
}

export interface RunEventQuery {
  name: string;
  /** The query's source, when the config names its sources. */
  source?: string;
  /** sha256 of the query's KQL text, first 16 hex digits: tells versions of a query apart without showing it. */
  queryHash: string;
  outcome: string;
  rows: number;
  windows: number;
  /** `export` only: seconds from the watermark after the run to its end. */
  lagSeconds?: number;
  errorCode?: string;
  dropCode?: DropCode;
}

export interface RunEvent {
  event: typeof RUN_EVENT_NAME;
  schemaVersion: 1;
  command: string;
  /** ok when every query succeeded (or was skipped), failed otherwise. */
  outcome: "ok" | "failed";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sink: string;
  totals: { queries: number; failedQueries: number; rows: number; windows: number };
  queries: RunEventQuery[];
  versions: { monitorlift: string; node: string };
  platform: { os: string; arch: string };
}

export interface RunEventContext {
  /** Each query's KQL text by name (hashed, never sent). */
  queryTexts: Readonly<Record<string, string>>;
  /** The sink type (filesystem, blob, sql…). */
  sink: string;
  /** Each query's source name, when the config names its sources (absent: no `source` in the event). */
  querySources?: Readonly<Record<string, string>>;
  /** The typed error of each failed query, for its drop code. */
  errors?: ReadonlyMap<string, unknown>;
}

export function buildRunEvent(summary: RunSummaryLike, context: RunEventContext): RunEvent {
  const end = Date.parse(summary.finishedAt);
  const queries: RunEventQuery[] = Object.entries(summary.queries).map(([name, q]) => {
    const source = context.querySources?.[name];
    const out: RunEventQuery = { name, ...(source === undefined ? {} : { source }), queryHash: hashText(context.queryTexts[name] ?? ""), outcome: q.outcome, rows: q.rows, windows: q.windows };
    if (summary.command === "export" && q.watermark !== undefined && Number.isFinite(end)) out.lagSeconds = Math.max(0, Math.round((end - q.watermark) / 1000));
    if (q.error) out.errorCode = q.error.code;
    const err = context.errors?.get(name);
    if (q.outcome === "failed" || err !== undefined) out.dropCode = dropCodeOf(err ?? q.error);
    return out;
  });
  const failed = queries.filter((q) => q.outcome === "failed").length;
  return {
    event: RUN_EVENT_NAME,
    schemaVersion: 1,
    command: summary.command,
    outcome: failed > 0 ? "failed" : "ok",
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    durationMs: Math.max(0, end - Date.parse(summary.startedAt)) || 0,
    sink: context.sink,
    totals: {
      queries: queries.length,
      failedQueries: failed,
      rows: queries.reduce((n, q) => n + q.rows, 0),
      windows: queries.reduce((n, q) => n + q.windows, 0),
    },
    queries,
    versions: { monitorlift: VERSION, node: process.versions.node },
    platform: { os: process.platform, arch: process.arch },
  };
}

/** Scalar attributes of the event, for backends that index attributes (OTLP log records, customDimensions). */
export function runEventAttributes(event: RunEvent): Record<string, string | number> {
  return {
    "monitorlift.command": event.command,
    "monitorlift.outcome": event.outcome,
    "monitorlift.duration_ms": event.durationMs,
    "monitorlift.sink.type": event.sink,
    "monitorlift.queries": event.totals.queries,
    "monitorlift.queries.failed": event.totals.failedQueries,
    "monitorlift.rows": event.totals.rows,
    "monitorlift.windows": event.totals.windows,
    "monitorlift.version": event.versions.monitorlift,
    "monitorlift.queries.detail": JSON.stringify(event.queries),
  };
}

/**
 * What a command does at the end of each run: the run-complete event (log line + outbound), and the
 * gauges the summary can give — each query's watermark (export lag) and, when every query succeeded,
 * the time of the last successful run. Returns the event.
 */
export function reportRun(
  summary: RunSummaryLike,
  context: RunEventContext & { metrics: Metrics; logger: Pick<Logger, "info"> },
): RunEvent {
  const event = buildRunEvent(summary, context);
  // A backfill's cursor is its range's progress, not the live watermark: only `export` sets the lag.
  if (summary.command === "export") {
    for (const [name, q] of Object.entries(summary.queries)) {
      if (q.watermark !== undefined) context.metrics.watermark(name, new Date(q.watermark));
    }
  }
  if (event.outcome === "ok") context.metrics.runSucceeded(summary.command, new Date(summary.finishedAt));
  context.logger.info({ runComplete: event }, "run complete");
  context.metrics.runComplete(event);
  return event;
}

function hashText(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);
}
