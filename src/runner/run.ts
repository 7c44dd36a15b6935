/**
 * One run over the selected queries: every query runs concurrently (the request gate keeps
 * the service's limits), a failing query does not stop the others, and the run's summary
 * is kept in the destination's run history for `status`.
 */
import { messageOf } from "../errors.ts";
import type { RunSummary } from "../sinks/sink.ts";
import { newRunId } from "../state/run-history.ts";
import { backfillQuery, type BackfillRange } from "./backfill-query.ts";
import { exportQuery, type Behind, type QueryResult, type RunDeps } from "./export-query.ts";
import { queryLogFields, type QueryJob } from "./query-job.ts";
import { ATTR } from "../telemetry/metrics.ts";
import { noopTracing, SPAN, SPAN_ATTR, spanFailure, type TraceSpan } from "../telemetry/tracing.ts";

export interface RunReport {
  summary: RunSummary;
  /** The typed error of each failed query. */
  errors: Map<string, unknown>;
  /** Live queries that stopped at window.maxWindowsPerRun and are still behind. */
  behind: Map<string, Behind>;
}

export async function runOnce(
  command: "export" | "backfill",
  jobs: readonly QueryJob[],
  deps: RunDeps,
  /** backfill: one range for every query, or each query's own (relative ranges align to each query's window grid). */
  range?: BackfillRange | ((job: QueryJob) => BackfillRange),
): Promise<RunReport> {
  const startedAt = deps.clock();
  const runId = newRunId(startedAt);
  const run = (deps.metrics.tracing ?? noopTracing).root(SPAN.run, { [ATTR.command]: command, [SPAN_ATTR.runId]: runId, [SPAN_ATTR.queries]: jobs.length });
  const results = await Promise.all(
    jobs.map(async (job): Promise<[string, QueryResult]> => {
      const span = run.child(SPAN.query, { [ATTR.query]: job.name, ...(job.sourceLabel === undefined ? {} : { [ATTR.source]: job.sourceLabel }) });
      const q = { ...deps, span };
      const result = command === "backfill" ? await backfillQuery(job, typeof range === "function" ? range(job) : range!, q) : await exportQuery(job, q);
      endQuerySpan(span, result, deps.signal);
      return [job.name, result];
    }),
  );
  const summary: RunSummary = {
    runId,
    command,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(deps.clock()).toISOString(),
    queries: Object.fromEntries(results.map(([name, r]) => [name, r.outcome])),
  };
  const errors = new Map(results.filter(([, r]) => r.error !== undefined).map(([name, r]) => [name, r.error]));
  run.set({ [ATTR.outcome]: errors.size === 0 ? "success" : "failed", [SPAN_ATTR.failedQueries]: errors.size });
  run.end();
  const byName = new Map(jobs.map((j) => [j.name, j]));
  for (const [name, err] of errors) deps.logger.error({ ...queryLogFields(byName.get(name) ?? { name }), err: messageOf(err), code: (err as { code?: string }).code }, "query failed");
  try {
    await deps.destination.runs.record(summary);
  } catch (err) {
    deps.logger.warn({ err: messageOf(err) }, "could not record the run summary");
  }
  const behind = new Map(results.flatMap(([name, r]) => (r.behind ? [[name, r.behind] as const] : [])));
  return { summary, errors, behind };
}

/** The query span's end: its scope, rows and windows committed, and for a failed query its codes. */
function endQuerySpan(span: TraceSpan, result: QueryResult, signal: AbortSignal): void {
  const o = result.outcome;
  span.set({ [SPAN_ATTR.scope]: o.scope, [SPAN_ATTR.rows]: o.rows, [SPAN_ATTR.windows]: o.windows, [ATTR.outcome]: result.error === undefined ? "success" : "failed" });
  span.end(result.error === undefined ? undefined : spanFailure(result.error, { shuttingDown: signal.aborted }));
}
