/** `monitorlift export`: the incremental live export, once or on the configured schedule. */
import { Command } from "commander";
import { runOnce } from "../runner/run.ts";
import { runOnSchedule } from "../runner/scheduler.ts";
import { reportRun } from "../telemetry/run-event.ts";
import { createMetrics, querySources, runEventContext } from "../telemetry/telemetry.ts";
import { lowerThreadPoolPriority, threadPoolNice } from "./thread-pool-priority.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { EXIT_OK, exitCodeForRun } from "./exit.ts";
import { addLockOptions, lockingFrom, type LockFlags } from "./lock-options.ts";
import { formatRunReport } from "./report.ts";
import { addServiceOptions, serviceSettings, startService, type ServiceFlags } from "./service.ts";
import { shutdownSignal, unlessStopped } from "./signals.ts";

export function exportCommand(globals: () => GlobalOptions): Command {
  return addServiceOptions(addLockOptions(new Command("export")))
    .description("Export each query's new windows from its watermark, once or on the configured schedule.")
    .option("--once", "run once and exit (default: run on the config's `schedule` until SIGINT/SIGTERM; once when it has none)")
    .option("--catch-up", "with --once: run again while a query stopped at window.maxWindowsPerRun is still behind")
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift export --once --config monitorlift.json
  monitorlift export --config monitorlift.json             # on "schedule" (e.g. every 5 minutes) until stopped
  monitorlift export --once --query requests exceptions
  monitorlift export --once --catch-up                     # past window.maxWindowsPerRun until caught up

Exit codes: 0 ok (a query whose lock a live peer holds is skipped: replicas share the queries),
1 a query failed (the others carried on; also a skipped query under --require-lock), 2 usage or configuration error,
3 authentication failed (no token, or the service refused it: 401/403). Stopped cleanly by SIGTERM/SIGINT: --once exits
as its run did, the stop's own cancellations left out (0 unless a query failed otherwise); on a schedule, 0 (a second signal: 143 / 130).`,
    )
    .action(async (opts: { once?: boolean; catchUp?: boolean; query?: string[] } & LockFlags & ServiceFlags) => {
      const g = globals();
      const locking = lockingFrom(opts);
      const poolNice = threadPoolNice(process.env);
      const ctx = await openContext(g, process.env, { queries: opts.query });
      await lowerThreadPoolPriority(poolNice, ctx.logger);
      const service = serviceSettings(opts, ctx.config);
      const stop = shutdownSignal((name) => ctx.logger.warn(`${name}: finishing the current window, then stopping`));
      // long-running mode: health endpoints and the shutdown grace (src/cli/service.ts)
      const svc =
        !opts.once && ctx.config.schedule
          ? await startService(service, ctx.logger, stop.signal).catch(async (err: unknown) => {
              stop.dispose();
              await ctx.destination.shutdown();
              throw err; // e.g. the health port is taken (exit 2)
            })
          : undefined;
      const metrics = await createMetrics({ env: process.env, config: ctx.config.telemetry, logger: ctx.logger, querySources: querySources(ctx.config), ...(svc?.prometheusOn ? { prometheusOn: svc.prometheusOn } : {}) });
      try {
        if (!(await unlessStopped(() => ctx.destination.sink.start(stop.signal), stop.signal))) {
          process.exitCode = EXIT_OK; // stopped by a signal before any run began: a clean stop
          return;
        }
        const runAll = async () => {
          const report = await runOnce("export", ctx.jobs, { ...ctx.runDeps(stop.signal, Date.now, metrics), locking });
          process.stdout.write(`${formatRunReport(report, Boolean(g.verbose), querySources(ctx.config))}\n`);
          reportRun(report.summary, { metrics, logger: ctx.logger, errors: report.errors, ...runEventContext(ctx.config) });
          return report;
        };
        if (opts.once || !ctx.config.schedule) {
          let report = await runAll();
          while (opts.catchUp && report.errors.size === 0 && report.behind.size > 0 && !stop.signal.aborted) report = await runAll();
          // after a clean stop, as without it but over the failures that are not the stop's own cancellations
          process.exitCode = exitCodeForRun(report.errors.values(), { stopped: stop.signal.aborted });
          return;
        }
        const expression = ctx.config.schedule;
        ctx.logger.info({ schedule: expression, queries: ctx.jobs.map((j) => j.name), sink: ctx.destination.sink.description }, "exporting on schedule (UTC)");
        await runOnSchedule({ expression, logger: ctx.logger, signal: stop.signal, onTick: (next) => svc?.state.tick(next) }, async () => {
          await svc!.track(runAll); // a failed run shows on /readyz and in the log; it is not the exit code
        });
        process.exitCode = EXIT_OK; // a scheduled export's failed runs show on /readyz, in the log and metrics; a stop exits 0
      } finally {
        stop.dispose();
        try {
          await ctx.destination.shutdown();
        } finally {
          await metrics.shutdown(); // bounded; never throws, never changes the exit code
          await svc?.close();
        }
      }
    });
}
