/** `monitorlift backfill`: export an explicit range without touching the live watermark. */
import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { resolveBackfillRanges } from "../runner/backfill-query.ts";
import { runOnce } from "../runner/run.ts";
import { LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import { createProgress } from "../telemetry/progress.ts";
import { reportRun } from "../telemetry/run-event.ts";
import { createMetrics, runEventContext } from "../telemetry/telemetry.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { exitCodeForRun, exitCodeForSignal } from "./exit.ts";
import { addLockOptions, lockingFrom, type LockFlags } from "./lock-options.ts";
import { formatRunReport } from "./report.ts";
import { shutdownSignal, stoppedBy } from "./signals.ts";
import { isRelativeArg, parseInstantArg } from "./time-arg.ts";

export function backfillCommand(globals: () => GlobalOptions): Command {
  return addLockOptions(new Command("backfill"))
    .description("Export the explicit range [--from, --to) with its own resumable cursor; the live watermark is never touched.")
    .option("--from <time>", "start (inclusive): ISO timestamp or a duration before now (P30D, aligned down to the window grid)")
    .option("--to <time>", "end (exclusive): ISO timestamp or a duration before now (aligned down); at or before the live export's origin")
    .option("--list", "list each query's backfill ranges and their progress (from, to, watermark, rows, done), run nothing")
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift backfill --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z
  monitorlift backfill --from P30D --to P1D --query requests
  monitorlift backfill --list

Re-running the same command resumes an interrupted backfill. A range is identified by its
query and its exact [from, to): timestamps are taken as given; durations before now are
aligned down to the query's window grid, and a re-run whose range overlaps exactly one
earlier range of the query with both ends within one window of it resumes that range.
Windows run in parallel (concurrency) and commit as they finish; ranges of one query may
not overlap each other or the live export.

Exit codes: 0 ok, 1 a query failed, 2 usage error (--to later than now − window.lag, an
overlapping range, bad times): nothing runs and no run is recorded; 3 authentication failed;
143 stopped by SIGTERM (130 SIGINT): re-run the same command to resume.`,
    )
    .action(async (opts: { from?: string; to?: string; list?: boolean; query?: string[] } & LockFlags) => {
      const g = globals();
      if (opts.list) return listBackfills(g, opts.query);
      if (opts.from === undefined || opts.to === undefined) throw new UsageError("backfill needs --from and --to (or --list).");
      const locking = lockingFrom(opts);
      const now = Date.now();
      const from = parseInstantArg("--from", opts.from, now);
      const to = parseInstantArg("--to", opts.to, now);
      if (!(from < to)) throw new UsageError(`--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()}).`);
      const relative = { from: isRelativeArg(opts.from), to: isRelativeArg(opts.to) };
      const ctx = await openContext(g, process.env, { queries: opts.query });
      const stop = shutdownSignal((name) => ctx.logger.warn(`${name}: finishing committed windows, then stopping (re-run to resume)`));
      const metrics = await createMetrics({ env: process.env, config: ctx.config.telemetry, logger: ctx.logger });
      let ranges;
      try {
        await ctx.destination.sink.start(stop.signal);
        ranges = await resolveBackfillRanges(ctx.jobs, { from, to, relative }, ctx.destination.cursors, now);
      } catch (err) {
        stop.dispose();
        await ctx.destination.shutdown().catch(() => undefined);
        await metrics.shutdown();
        throw err;
      }
      for (const [query, r] of ranges) {
        ctx.logger.info({ query, from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() }, r.resumed ? "resuming backfill range" : "backfill range");
      }
      const progress = createProgress({
        totalMs: [...ranges.values()].reduce((sum, r) => sum + (r.to - r.from), 0),
        label: "backfill",
        logger: ctx.logger,
        tty: Boolean(process.stderr.isTTY) && ctx.logPretty, // no bar under --log-format json
        logLines: ctx.logLines,
      });
      try {
        const deps = { ...ctx.runDeps(stop.signal, Date.now, metrics), locking, ...(progress.bar ? { windowLogLevel: "debug" as const } : {}) };
        deps.onCommitted = (_query, p) => progress.advance(p.window.end - p.window.start, p.rows);
        const report = await runOnce("backfill", ctx.jobs, deps, (job) => ranges.get(job.name)!);
        progress.stop();
        process.stdout.write(`${formatRunReport(report, Boolean(g.verbose))}\n`);
        const by = stoppedBy(stop.signal);
        process.exitCode = by ? exitCodeForSignal(by) : exitCodeForRun(report.errors.values());
        reportRun(report.summary, { metrics, logger: ctx.logger, errors: report.errors, ...runEventContext(ctx.config) });
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
