/**
 * `monitorlift status`: per query the watermark, how far it lags behind now, the last run, and the latest
 * rewind (shown beside the last run, never as it: src/state/run-history.ts).
 * `--check` turns it into an alerting probe for cron-style monitoring without a metrics stack: exit 1
 * when an enabled query's last run failed or, with `--max-lag`, it lags more than that (or has no
 * watermark yet), each problem named on stderr.
 */
import { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import { messageOf, UsageError } from "../errors.ts";
import type { CursorState, CursorStore, RunSummary, StateKey } from "../sinks/sink.ts";
import { EXIT_FAILED, EXIT_OK } from "./exit.ts";
import { LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { formatSpan } from "../runner/export-query.ts";
import { queryCoverage } from "../runner/fill-holes.ts";
import type { Coverage } from "../window/coverage.ts";
import type { TimeWindow } from "../window/window.ts";

export interface QueryStatus {
  query: string;
  /** The source it reads, when the config names its sources (`sources`). */
  source?: string;
  enabled: boolean;
  watermark: string | null;
  /** now − watermark, in seconds. */
  lagSeconds: number | null;
  rows: number;
  windows: number;
  lastRun: { runId: string; command: string; finishedAt: string; outcome: string; rows: number; error?: { code: string; message: string }; heldBy?: string } | null;
  /**
   * The latest `monitorlift rewind` of the query, kept in the run history but never its last run (a rewind
   * exports nothing; --check judges the last run): when, the watermark it moved back from and to, and the
   * committed windows and rows it removed. null when none is in the history.
   */
  lastRewind: { runId: string; finishedAt: string; from: string; to: string; windows: number; rows: number } | null;
  backfills: Array<{ scope: string; watermark: string; rows: number; done: boolean }>;
  /**
   * Ingestion time the query's cursors account for (src/window/coverage.ts): exported (covered), owned by an
   * unfinished backfill (pending), and owned by no cursor (holes: never exported; backfill --fill-holes).
   * null when a stored cursor does not decode (the ranges are then unknown).
   */
  coverage: { covered: StatusRange[]; pending: StatusRange[]; holes: StatusRange[] } | null;
  /** A stored cursor of this query that does not decode (STATE_CORRUPT), naming where: the others are still shown. */
  stateError?: string;
}

/** An ingestion-time range [from, to) in ISO form, with its length. */
export interface StatusRange {
  from: string;
  to: string;
  seconds: number;
}

export function statusCommand(globals: () => GlobalOptions): Command {
  return new Command("status")
    .description("Show each query's watermark, its lag behind now, the last run's outcome and rows, backfills, and the ingestion time covered (and any hole).")
    .option("--json", "print JSON instead of a table")
    .option("--check", "exit 1 when an enabled query's last run failed, has a hole in its coverage, or lags more than --max-lag")
    .option("--max-lag <duration>", "with --check: the most lag allowed, an ISO 8601 duration (PT30M)")
    .addHelpText(
      "after",
      "\nExamples:\n  monitorlift status\n  monitorlift status --json | jq '.[] | select(.lagSeconds > 900)'\n  monitorlift status --check --max-lag PT30M   # exit 1 (and say why) when a query is late or failing",
    )
    .action(async (opts: { json?: boolean; check?: boolean; maxLag?: string }) => {
      const maxLagSeconds = parseMaxLag(opts);
      const ctx = await openContext(globals(), process.env);
      try {
        const { sink, cursors, runs: history } = ctx.destination;
        await sink.start();
        const { states, corrupt } = await readStates(cursors);
        // The last run of each query: the one definition in src/state/run-history.ts.
        const { runs, rewinds } = await history.lastRuns();
        const now = Date.now();
        const rows: QueryStatus[] = ctx.config.queries.map((q) => {
          const live = states.find((s) => s.key.query === q.name && s.key.scope === LIVE_SCOPE)?.state;
          const run = runs.get(q.name);
          const outcome = run?.queries[q.name];
          return {
            query: q.name,
            ...(ctx.config.namedSources ? { source: q.source } : {}),
            enabled: q.enabled,
            watermark: live ? new Date(live.watermark).toISOString() : null,
            lagSeconds: live ? Math.round((now - live.watermark) / 1000) : null,
            rows: live?.rows ?? 0,
            windows: live?.windows ?? 0,
            lastRun:
              run && outcome
                ? { runId: run.runId, command: run.command, finishedAt: run.finishedAt, outcome: outcome.outcome, rows: outcome.rows, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.heldBy ? { heldBy: outcome.heldBy } : {}) }
                : null,
            lastRewind: rewindOf(rewinds.get(q.name), q.name),
            backfills: states
              .filter((s) => s.key.query === q.name && s.key.scope !== LIVE_SCOPE)
              .map((s) => ({
                scope: s.key.scope,
                watermark: new Date(s.state.watermark).toISOString(),
                rows: s.state.rows,
                done: parseScopeRange(s.key.scope)?.to === s.state.watermark,
              })),
            // unknown only for a query with a corrupt cursor (its ranges are not all known); the others' holes are shown
            coverage: corrupt.has(q.name) ? null : coverageOf(queryCoverage(q.name, states)),
            ...(corrupt.has(q.name) ? { stateError: corrupt.get(q.name)! } : {}),
          };
        });
        for (const r of rows) if (r.stateError) process.stderr.write(`error [STATE_CORRUPT]: ${r.query}: ${r.stateError}\n`);
        process.stdout.write(`${opts.json ? JSON.stringify(rows, null, 2) : formatStatusTable(rows)}\n`);
        // A hole is data that will never be exported unless someone acts: said on stderr too, even without --check.
        if (!opts.check) for (const r of rows) for (const h of r.coverage?.holes ?? []) process.stderr.write(`warning: ${holeProblem(r.query, h)}\n`);
        if (opts.check) {
          const problems = statusProblems(rows, maxLagSeconds);
          for (const p of problems) process.stderr.write(`check failed: ${p}\n`);
          process.exitCode = problems.length > 0 ? EXIT_FAILED : EXIT_OK;
        }
        // A corrupt state needs a human: exit 1 even without --check (the other queries are still shown).
        if (rows.some((r) => r.stateError)) process.exitCode = EXIT_FAILED;
      } finally {
        await ctx.destination.shutdown();
      }
    });
}

/**
 * Every cursor (cursors.list()); one that does not decode (STATE_CORRUPT: live or a backfill range's) is
 * left out and reported for its query, so the other queries — their watermark, ranges and coverage — are
 * still shown.
 */
async function readStates(cursors: CursorStore): Promise<{ states: Array<{ key: StateKey; state: CursorState }>; corrupt: Map<string, string> }> {
  const corrupt = new Map<string, string>();
  const states = await cursors.list({
    onCorrupt: (key, err) => {
      const said = corrupt.get(key.query);
      corrupt.set(key.query, said === undefined ? messageOf(err) : `${said}; ${messageOf(err)}`);
    },
  });
  return { states, corrupt };
}

function parseMaxLag(opts: { check?: boolean; maxLag?: string }): number | undefined {
  if (opts.maxLag === undefined) return undefined;
  if (!opts.check) throw new UsageError("--max-lag goes with --check (monitorlift status --check --max-lag PT30M).");
  const ms = parseDuration(opts.maxLag);
  if (ms === undefined || ms <= 0) throw new UsageError(`--max-lag '${opts.maxLag}' is not a positive ISO 8601 duration (PT30M, PT2H).`);
  return ms / 1000;
}

/**
 * What `status --check` fails on, one line per problem: an enabled query whose last run failed (with its
 * error code) or that has a hole in its coverage (each hole), and with `maxLagSeconds` one that lags more
 * than that or has no watermark yet. Pure.
 */
export function statusProblems(rows: readonly QueryStatus[], maxLagSeconds?: number): string[] {
  const problems: string[] = [];
  for (const r of rows) {
    if (r.stateError) problems.push(`${r.query}: its stored state is corrupt (STATE_CORRUPT): ${r.stateError}`);
    if (!r.enabled) continue;
    if (r.lastRun?.outcome === "failed") problems.push(`${r.query}: the last run (${r.lastRun.finishedAt}) failed${r.lastRun.error ? ` with ${r.lastRun.error.code}` : ""}`);
    for (const h of r.coverage?.holes ?? []) problems.push(holeProblem(r.query, h));
    if (maxLagSeconds === undefined) continue;
    if (r.lagSeconds === null) {
      if (!r.stateError) problems.push(`${r.query}: no watermark yet (nothing exported)`);
    }
    else if (r.lagSeconds > maxLagSeconds) problems.push(`${r.query}: lags ${humanSeconds(r.lagSeconds)} behind now, more than the ${humanSeconds(maxLagSeconds)} allowed`);
  }
  return problems;
}

/** The status table; a SOURCE column after QUERY when the config names its sources. */
export function formatStatusTable(rows: readonly QueryStatus[]): string {
  const withSource = rows.some((r) => r.source !== undefined);
  const header = ["QUERY", ...(withSource ? ["SOURCE"] : []), "WATERMARK", "LAG", "ROWS", "LAST RUN", "OUTCOME"];
  const body = rows.map((r) => [
    r.enabled ? r.query : `${r.query} (disabled)`,
    ...(withSource ? [r.source ?? "-"] : []),
    r.stateError ? "STATE CORRUPT" : (r.watermark ?? "-"),
    r.lagSeconds === null ? "-" : humanSeconds(r.lagSeconds),
    String(r.rows),
    r.lastRun ? `${r.lastRun.finishedAt} (${r.lastRun.command})` : "-",
    r.lastRun
      ? r.lastRun.heldBy
        ? `skipped (held by ${r.lastRun.heldBy})`
        : r.lastRun.error
          ? `${r.lastRun.outcome}: ${r.lastRun.error.code}`
          : `${r.lastRun.outcome}, ${r.lastRun.rows} rows`
      : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [line(header), ...body.map(line)];
  for (const r of rows) {
    if (r.lastRewind) out.push(`  ${r.query} ${rewindText(r.lastRewind)}${r.lastRun && Date.parse(r.lastRun.finishedAt) > Date.parse(r.lastRewind.finishedAt) ? "" : "; no run since"}`);
    for (const b of r.backfills) out.push(`  ${r.query} ${b.scope}: up to ${b.watermark}, ${b.rows} rows${b.done ? " (done)" : ""}`);
    const c = r.coverage;
    if (!c || c.covered.length + c.pending.length + c.holes.length === 0) continue;
    out.push(`  ${r.query} covered: ${c.covered.length > 0 ? c.covered.map(rangeText).join(", ") : "nothing yet"}`);
    for (const p of c.pending) out.push(`  ${r.query} pending ${rangeText(p)}: an unfinished backfill range owns it (re-run that backfill, or backfill --fill-holes)`);
    for (const h of c.holes) out.push(`  ${r.query} HOLE ${rangeText(h)} (${formatSpan(h.seconds * 1000)}): ${HOLE_TEXT} (monitorlift backfill --fill-holes --query ${r.query})`);
  }
  return out.join("\n");
}

/** The latest rewind of `query` in the status' form, or null. */
function rewindOf(summary: RunSummary | undefined, query: string): QueryStatus["lastRewind"] {
  const r = summary?.queries[query]?.rewound;
  if (!summary || !r) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  return { runId: summary.runId, finishedAt: summary.finishedAt, from: iso(r.from), to: iso(r.to), windows: r.windows, rows: r.rows };
}

function rewindText(r: NonNullable<QueryStatus["lastRewind"]>): string {
  return `rewound ${r.finishedAt}: watermark ${r.from} → ${r.to}, ${r.windows} committed ${r.windows === 1 ? "window" : "windows"} and ${r.rows} ${r.rows === 1 ? "row" : "rows"} removed`;
}

const HOLE_TEXT = "no backfill range and not the live export owns it, so rows ingested there were never exported";

function holeProblem(query: string, h: StatusRange): string {
  return `${query}: HOLE in coverage ${rangeText(h)}: ${HOLE_TEXT}; run monitorlift backfill --fill-holes --query ${query}`;
}

function rangeText(r: StatusRange): string {
  return `${r.from}–${r.to}`;
}

function coverageOf(c: Coverage): NonNullable<QueryStatus["coverage"]> {
  const range = (w: TimeWindow): StatusRange => ({ from: new Date(w.start).toISOString(), to: new Date(w.end).toISOString(), seconds: (w.end - w.start) / 1000 });
  return { covered: c.covered.map(range), pending: c.pending.map(range), holes: c.holes.map(range) };
}

function humanSeconds(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
