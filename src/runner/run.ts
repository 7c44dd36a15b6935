/**
 * One run over the selected queries: every query runs concurrently (the request gate keeps
 * the service's limits), a failing query does not stop the others, and the run's summary
 * is kept in the destination's run history for `status`.
 */
import { randomUUID } from "node:crypto";
import { messageOf } from "../errors.ts";
import type { RunSummary } from "../sinks/sink.ts";
import { backfillQuery, type BackfillRange } from "./backfill-query.ts";
import { exportQuery, type QueryResult, type RunDeps } from "./export-query.ts";
import type { QueryJob } from "./query-job.ts";

export interface RunReport {
  summary: RunSummary;
  /** The typed error of each failed query. */
  errors: Map<string, unknown>;
}

export async function runOnce(
  command: "export" | "backfill",
  jobs: readonly QueryJob[],
  deps: RunDeps,
  range?: BackfillRange,
): Promise<RunReport> {
  const startedAt = deps.clock();
  const runId = `${new Date(startedAt).toISOString().replace(/[-:.]/g, "")}-${randomUUID().slice(0, 8)}`;
  const results = await Promise.all(
    jobs.map(async (job): Promise<[string, QueryResult]> => [job.name, command === "backfill" ? await backfillQuery(job, range!, deps) : await exportQuery(job, deps)]),
  );
  const summary: RunSummary = {
    runId,
    command,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(deps.clock()).toISOString(),
    queries: Object.fromEntries(results.map(([name, r]) => [name, r.outcome])),
  };
  const errors = new Map(results.filter(([, r]) => r.error !== undefined).map(([name, r]) => [name, r.error]));
  for (const [name, err] of errors) deps.logger.error({ query: name, err: messageOf(err), code: (err as { code?: string }).code }, "query failed");
  try {
    await deps.destination.runs.record(summary);
  } catch (err) {
    deps.logger.warn({ err: messageOf(err) }, "could not record the run summary");
  }
  return { summary, errors };
}
