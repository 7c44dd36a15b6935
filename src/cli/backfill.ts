/** `monitorlift backfill`: export an explicit range without touching the live watermark. */
import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { resolveBackfillRanges } from "../runner/backfill-query.ts";
import { resolveFillRanges } from "../runner/fill-holes.ts";
import { runOnce } from "../runner/run.ts";
import type { RunDeps } from "../runner/export-query.ts";
import { LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import { createProgress } from "../telemetry/progress.ts";
import { reportRun } from "../telemetry/run-event.ts";
import { createMetrics, querySources, runEventContext } from "../telemetry/telemetry.ts";
import type { FillRange } from "../window/coverage.ts";
import { formatWindow } from "../window/window.ts";
import { lowerThreadPoolPriority, threadPoolNice } from "./thread-pool-priority.ts";
import { openContext, type Context, type GlobalOptions } from "./context.ts";
import { EXIT_OK, exitCodeForRun } from "./exit.ts";
import { addLockOptions, lockingFrom, type LockFlags } from "./lock-options.ts";
import { formatRunReport } from "./report.ts";
import { queryLogFields } from "../runner/query-job.ts";
import { isStopCancellation, shutdownSignal } from "./signals.ts";
import { isRelativeArg, parseInstantArg } from "./time-arg.ts";

export function backfillCommand(globals: () => GlobalOptions): Command {
  return addLockOptions(new Command("backfill"))
    .description("Export the explicit range [--from, --to) with its own resumable cursor; the live watermark is never touched.")
    .option("--from <time>", "start (inclusive): ISO timestamp or a duration before now (P30D, aligned down to the window grid)")
    .option("--to <time>", "end (exclusive): ISO timestamp or a duration before now (aligned down); at or before the live export's origin")
    .option("--fill-holes", "export every hole in the coverage (see status) as a backfill range of exactly its bounds, and resume unfinished backfill ranges")
    .option("--list", "list each query's backfill ranges and their progress (from, to, watermark, rows, done), run nothing")
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift backfill --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z
  monitorlift backfill --from P30D --to P1D --query requests
  monitorlift backfill --list
  monitorlift backfill --fill-holes --query requests

Re-running the same command resumes an interrupted backfill. A range is identified by its
query and its exact [from, to): timestamps are taken as given; durations before now are
aligned down to the query's window grid, and a re-run whose range overlaps exactly one
earlier range of the query with both ends within one window of it resumes that range.
Windows run in parallel (concurrency) and commit as they finish; ranges of one query may
not overlap each other or the live export.

--fill-holes exports every hole that \`status\` reports (ingestion time no backfill range and
not the live export owns, between the earliest range and the live watermark): each hole
becomes a backfill range of exactly its bounds, so no row is exported twice. It also
resumes every unfinished backfill range, with its exact bounds, so a killed --fill-holes
re-run continues where it stopped. Afterwards \`status\` shows no hole.

Exit codes: 0 ok (also nothing to fill), 1 a query failed, 2 usage error (--to later than now − window.lag, an
overlapping range, bad times): nothing runs and no run is recorded; 3 authentication failed.
Stopped by SIGTERM/SIGINT: the windows being committed finish; exit as the runs did, the
stop's own cancellations left out (0 unless a query failed otherwise); re-run the same
command to resume.`,
    )
    .action(async (opts: BackfillFlags) => {
      const g = globals();
      checkFlags(opts);
      if (opts.list) return listBackfills(g, opts.query);
      const locking = lockingFrom(opts);
      const resolve = roundsResolver(opts, Date.now());
      const poolNice = threadPoolNice(process.env);
      const ctx = await openContext(g, process.env, { queries: opts.query });
      await lowerThreadPoolPriority(poolNice, ctx.logger);
      const stop = shutdownSignal((name) => ctx.logger.warn(`${name}: finishing committed windows, then stopping (re-run to resume)`));
      const metrics = await createMetrics({ env: process.env, config: ctx.config.telemetry, logger: ctx.logger, querySources: querySources(ctx.config) });
      let rounds: Round[];
      try {
        await ctx.destination.sink.start(stop.signal);
        rounds = await resolve(ctx);
      } catch (err) {
        stop.dispose();
        await ctx.destination.shutdown().catch(() => undefined);
        await metrics.shutdown();
        if (!isStopCancellation(err, stop.signal)) throw err;
        process.exitCode = EXIT_OK; // stopped by a signal before any range ran: a clean stop
        return;
      }
      logRounds(ctx, rounds);
      if (opts.fillHoles && rounds.length === 0) process.stdout.write("no holes and no unfinished backfill ranges: nothing to fill\n");
      const progress = createProgress({
        totalMs: rounds.reduce((sum, round) => sum + [...round.values()].reduce((n, r) => n + (r.to - r.from), 0), 0),
        label: "backfill",
        logger: ctx.logger,
        tty: Boolean(process.stderr.isTTY) && ctx.logPretty, // no bar under --log-format json
        logLines: ctx.logLines,
      });
      try {
        const deps = { ...ctx.runDeps(stop.signal, Date.now, metrics), locking, ...(progress.bar ? { windowLogLevel: "debug" as const } : {}) };
        deps.onCommitted = (_query, p) => progress.advance(p.window.end - p.window.start, p.rows);
        const { reports, out } = await runRounds(ctx, rounds, deps, { signal: stop.signal, fillHoles: Boolean(opts.fillHoles), verbose: Boolean(g.verbose) });
        progress.stop();
        // the run-complete events once the bar is gone (an INFO line each)
        for (const report of reports) reportRun(report.summary, { metrics, logger: ctx.logger, errors: report.errors, ...runEventContext(ctx.config) });
        if (out.length > 0) process.stdout.write(`${out.join("\n")}\n`);
        // after a clean stop, as without it but over the failures that are not the stop's own cancellations
        process.exitCode = exitCodeForRun(reports.flatMap((r) => [...r.errors.values()]), { stopped: stop.signal.aborted });
      } finally {
        progress.stop();
        stop.dispose();
        try {
          await ctx.destination.shutdown();
        } finally {
          await metrics.shutdown(); // bounded; never throws, never changes the exit code
        }
      }
    });
}

type BackfillFlags = { from?: string; to?: string; list?: boolean; fillHoles?: boolean; query?: string[] } & LockFlags;

/** The flags that go together (before anything is opened): a UsageError otherwise. */
function checkFlags(opts: BackfillFlags): void {
  if (opts.fillHoles && (opts.from !== undefined || opts.to !== undefined || opts.list)) {
    throw new UsageError("--fill-holes chooses its own ranges (the holes, and unfinished backfill ranges): leave out --from/--to and --list.");
  }
  if (!opts.list && !opts.fillHoles && (opts.from === undefined || opts.to === undefined)) throw new UsageError("backfill needs --from and --to (or --fill-holes, or --list).");
}

/**
 * How the rounds are found once the sink is open: --fill-holes' holes and unfinished ranges, or the one
 * --from/--to range of every query (its times checked now, before anything is opened).
 */
function roundsResolver(opts: BackfillFlags, now: number): (ctx: Context) => Promise<Round[]> {
  if (opts.fillHoles) return async (ctx) => fillRounds(await resolveFillRanges(ctx.jobs, ctx.destination.cursors, now));
  const from = parseInstantArg("--from", opts.from!, now);
  const to = parseInstantArg("--to", opts.to!, now);
  if (!(from < to)) throw new UsageError(`--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()}).`);
  const relative = { from: isRelativeArg(opts.from!), to: isRelativeArg(opts.to!) };
  return async (ctx) => {
    const ranges = await resolveBackfillRanges(ctx.jobs, { from, to, relative }, ctx.destination.cursors, now);
    return [new Map([...ranges].map(([query, r]) => [query, { from: r.from, to: r.to, label: r.resumed ? "resuming backfill range" : "backfill range" }]))];
  };
}

/** One log line per query and range, before anything runs. */
function logRounds(ctx: Context, rounds: readonly Round[]): void {
  for (const round of rounds) {
    for (const [query, r] of round) ctx.logger.info({ ...queryLogFields(ctx.jobs.find((j) => j.name === query) ?? { name: query }), from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() }, r.label);
  }
}

type RunReport = Awaited<ReturnType<typeof runOnce>>;

/**
 * One recorded run per round: a query's ranges run one after the other, the queries of a round
 * concurrently. Stops starting rounds once `signal` is aborted. Returns the reports and the lines to print.
 */
async function runRounds(
  ctx: Context,
  rounds: readonly Round[],
  deps: RunDeps,
  options: { signal: AbortSignal; fillHoles: boolean; verbose: boolean },
): Promise<{ reports: RunReport[]; out: string[] }> {
  const reports: RunReport[] = [];
  const out: string[] = [];
  for (const [i, round] of rounds.entries()) {
    if (options.signal.aborted) {
      out.push(`stopped before ${rounds.length - i} more range${rounds.length - i === 1 ? "" : "s"}: re-run to continue`);
      break;
    }
    const jobs = ctx.jobs.filter((j) => round.has(j.name));
    const report = await runOnce("backfill", jobs, deps, (job) => round.get(job.name)!);
    if (options.fillHoles) for (const [query, r] of round) out.push(`fill ${query}: ${r.label} ${formatWindow({ start: r.from, end: r.to })}`);
    out.push(formatRunReport(report, options.verbose, querySources(ctx.config)));
    reports.push(report);
  }
  return { reports, out };
}

/** Each query's range for one run, with what it is (for the log and, with --fill-holes, the report). */
type Round = Map<string, { from: number; to: number; label: string }>;

/** --fill-holes: round i holds each query's i-th range (oldest first). */
function fillRounds(ranges: Map<string, FillRange[]>): Round[] {
  const rounds: Round[] = [];
  for (const [query, list] of ranges) {
    list.forEach((r, i) => {
      rounds[i] ??= new Map();
      rounds[i].set(query, { from: r.from, to: r.to, label: r.reason === "hole" ? "hole" : "resuming unfinished backfill range" });
    });
  }
  return rounds;
}

/** `backfill --list`: every backfill range of the selected queries with its progress. */
async function listBackfills(g: GlobalOptions, queries: string[] | undefined): Promise<void> {
  const ctx = await openContext(g, process.env, { queries });
  try {
    await ctx.destination.sink.start();
    const names = new Set(ctx.jobs.map((j) => j.name));
    const iso = (ms: number) => new Date(ms).toISOString();
    const lines = ["QUERY\tFROM\tTO\tWATERMARK\tROWS\tWINDOWS\tDONE"];
    for (const { key, state } of await ctx.destination.cursors.list()) {
      const range = key.scope === LIVE_SCOPE ? undefined : parseScopeRange(key.scope);
      if (!range || !names.has(key.query)) continue;
      const done = state.watermark >= range.to;
      const pct = Math.floor((100 * (Math.min(state.watermark, range.to) - range.from)) / (range.to - range.from));
      lines.push([key.query, iso(range.from), iso(range.to), iso(state.watermark), state.rows, state.windows, done ? "yes" : `no (${pct}%)`].join("\t"));
    }
    process.stdout.write(lines.length === 1 ? "no backfill ranges\n" : `${lines.join("\n")}\n`);
  } finally {
    await ctx.destination.shutdown();
  }
}
