/**
 * Run summaries and the ONE definition of "the last run of query Q": among the stored summaries
 * that mention Q, the one with the latest `finishedAt`; equal times are decided by the larger runId
 * (run ids start with the run's start time). Every store (filesystem `_runs/`, blob `_runs/`, the SQL
 * runs table) decodes with runSummarySchema and picks with latestRunPerQuery().
 *
 * A rewind (`monitorlift rewind`) is kept in the same history as a summary of command "rewind", but it is
 * never a query's last *run*: the last run says how the query's exports fare (status --check fails on a
 * failed one), and a rewind exports nothing, so it would hide a failed export behind an "ok". The latest
 * rewind of each query is picked on its own, by the same definition, and shown beside the last run.
 */
import { randomUUID } from "node:crypto";
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
  /** A rewind (command "rewind"): the watermark moved back from `from` to `to` (epoch ms), removing these committed windows and rows. */
  rewound?: RewindRecord;
}

/** What one rewind removed: the live watermark moved back from `from` to `to`. */
export interface RewindRecord {
  from: number;
  to: number;
  windows: number;
  rows: number;
}

/** The command of a rewind's summary. */
export const REWIND_COMMAND = "rewind";

/** What a finished run did, per query: kept by the destination so `status` can show the last outcome. */
export interface RunSummary {
  runId: string;
  /** "export", "backfill", or "rewind" (REWIND_COMMAND: never a last run, see above). */
  command: string;
  startedAt: string;
  finishedAt: string;
  queries: Record<string, QueryRunOutcome>;
}

/** Per query name: its last run (rewinds aside) and its latest rewind, by the one definition above. */
export interface LastRuns {
  runs: Map<string, RunSummary>;
  rewinds: Map<string, RunSummary>;
}

export interface RunHistory {
  record(summary: RunSummary): Promise<void>;
  /** The last run and the latest rewind of each query (see the definition above). */
  lastRuns(): Promise<LastRuns>;
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
      rewound: z.object({ from: z.number(), to: z.number(), windows: z.number(), rows: z.number() }).optional(),
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

/** The last run (rewinds aside) and the latest rewind of each query among `summaries`. */
export function latestRunPerQuery(summaries: Iterable<RunSummary>): LastRuns {
  const last: LastRuns = { runs: new Map(), rewinds: new Map() };
  for (const summary of summaries) {
    const latest = summary.command === REWIND_COMMAND ? last.rewinds : last.runs;
    for (const query of Object.keys(summary.queries)) {
      const seen = latest.get(query);
      if (!seen || isLaterRun(summary, seen)) latest.set(query, summary);
    }
  }
  return last;
}

/** A new run id: the start time (compact UTC, so ids sort by start) and a random suffix. */
export function newRunId(startedAt: number): string {
  return `${new Date(startedAt).toISOString().replace(/[-:.]/g, "")}-${randomUUID().slice(0, 8)}`;
}
