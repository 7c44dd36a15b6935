/** `monitorlift backfill`: export an explicit range without touching the live watermark. */
import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { runOnce } from "../runner/run.ts";
import { createProgress } from "../telemetry/progress.ts";
import { reportRun } from "../telemetry/run-event.ts";
import { createMetrics, runEventContext } from "../telemetry/telemetry.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { EXIT_FAILED, EXIT_OK } from "./exit.ts";
import { addLockOptions, lockingFrom, type LockFlags } from "./lock-options.ts";
import { formatRunReport } from "./report.ts";
import { shutdownSignal } from "./signals.ts";
import { parseInstantArg } from "./time-arg.ts";

export function backfillCommand(globals: () => GlobalOptions): Command {
  return addLockOptions(new Command("backfill"))
    .description("Export the explicit range [--from, --to) with its own resumable cursor; the live watermark is never touched.")
    .requiredOption("--from <time>", "start (inclusive): ISO timestamp or a duration before now (P30D)")
    .requiredOption("--to <time>", "end (exclusive): ISO timestamp or a duration before now; at or before the live export's origin")
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift backfill --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z
  monitorlift backfill --from P30D --to P1D --query requests

Re-running the same command resumes an interrupted backfill. Windows run in parallel
(concurrency) and commit as they finish; ranges of one query may not overlap each other
or the live export.`,
    )
    .action(async (opts: { from: string; to: string; query?: string[] } & LockFlags) => {
      const g = globals();
      const locking = lockingFrom(opts);
      const now = Date.now();
      const from = parseInstantArg("--from", opts.from, now);
      const to = parseInstantArg("--to", opts.to, now);
      if (!(from < to)) throw new UsageError(`--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()}).`);
      const ctx = await openContext(g, process.env, { queries: opts.query });
      const stop = shutdownSignal((name) => ctx.logger.warn(`${name}: finishing committed windows, then stopping (re-run to resume)`));
      const metrics = await createMetrics({ env: process.env, config: ctx.config.telemetry, logger: ctx.logger });
      const progress = createProgress({
        totalMs: (to - from) * ctx.jobs.length,
        label: "backfill",
        logger: ctx.logger,
        tty: Boolean(process.stderr.isTTY),
      });
      try {
        await ctx.destination.sink.start(stop.signal);
        const deps = { ...ctx.runDeps(stop.signal, Date.now, metrics), locking };
        deps.onCommitted = (_query, p) => progress.advance(p.window.end - p.window.start, p.rows);
        const report = await runOnce("backfill", ctx.jobs, deps, { from, to });
        progress.stop();
        process.stdout.write(`${formatRunReport(report, Boolean(g.verbose))}\n`);
        process.exitCode = report.errors.size > 0 ? EXIT_FAILED : EXIT_OK;
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
