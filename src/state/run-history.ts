/**
 * Run summaries and the ONE definition of "the last run of query Q": among the stored summaries
 * that mention Q, the one with the latest `finishedAt`; equal times are decided by the larger runId
 * (run ids start with the run's start time). Every store (filesystem `_runs/`, blob `_runs/`, the SQL
 * runs table) decodes with runSummarySchema and picks with latestRunPerQuery().
 */
import { z } from "zod";

export interface QueryRunOutcome {
  /** skipped: a live peer held the query's lock, so this run left it to that peer (exit 0 unless --require-lock). */
  outcome: "ok" | "failed" | "skipped";
  scope: string;
  rows: number;
  windows: number;
  /** Watermark after the run (epoch ms), when the query has one. */
  watermark?: number;
  error?: { code: string; message: string };
  /** The lock's holder when skipped ("process 1234@host since …"); never a secret. */
  heldBy?: string;
}

/** What a finished run did, per query: kept by the destination so `status` can show the last outcome. */
export interface RunSummary {
  runId: string;
  /** "export", "backfill" or "validate". */
  command: string;
  startedAt: string;
  finishedAt: string;
  queries: Record<string, QueryRunOutcome>;
}

export interface RunHistory {
  record(summary: RunSummary): Promise<void>;
  /** The last run of each query (see the definition above), keyed by query name. */
  lastRuns(): Promise<Map<string, RunSummary>>;
}

export const runSummarySchema = z.object({
  runId: z.string(),
  command: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  queries: z.record(
    z.string(),
    z.object({
      outcome: z.enum(["ok", "failed", "skipped"]),
      scope: z.string(),
      rows: z.number(),
      windows: z.number(),
      watermark: z.number().optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
      heldBy: z.string().optional(),
    }),
  ),
});

/** A stored summary (JSON text or parsed value), or undefined when it is not one (a damaged entry only affects `status`). */
export function decodeRunSummary(raw: unknown): RunSummary | undefined {
  try {
    const parsed = runSummarySchema.safeParse(typeof raw === "string" ? JSON.parse(raw) : raw);
    return parsed.success ? (parsed.data as RunSummary) : undefined;
  } catch {
    return undefined;
  }
}

/** True when `a` is a later run than `b` by the one definition (finishedAt, then runId). */
export function isLaterRun(a: RunSummary, b: RunSummary): boolean {
  const fa = Date.parse(a.finishedAt) || 0;
  const fb = Date.parse(b.finishedAt) || 0;
  return fa !== fb ? fa > fb : a.runId > b.runId;
}

/** The last run of each query among `summaries`. */
export function latestRunPerQuery(summaries: Iterable<RunSummary>): Map<string, RunSummary> {
  const latest = new Map<string, RunSummary>();
  for (const summary of summaries) {
    for (const query of Object.keys(summary.queries)) {
      const seen = latest.get(query);
      if (!seen || isLaterRun(summary, seen)) latest.set(query, summary);
    }
  }
  return latest;
}
