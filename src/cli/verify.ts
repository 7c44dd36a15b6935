/** `monitorlift verify`: compare each committed window's rows with the service's count now; --repair re-exports the ones that miss rows. */
import { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import { UsageError, isAborted } from "../errors.ts";
import { isOpenMismatch, verifyQuery, type VerifyResult } from "../runner/verify-query.ts";
import { formatWindow } from "../window/window.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { EXIT_FAILED, EXIT_OK, describeError, exitCodeFor } from "./exit.ts";
import { shutdownSignal, unlessStopped } from "./signals.ts";

export const DEFAULT_VERIFY_SINCE = "P1D";

export function verifyCommand(globals: () => GlobalOptions): Command {
  return new Command("verify")
    .description("Compare each committed window's row count with the service's count now; list mismatches (exit 1). --repair re-exports exactly those windows.")
    .option("--since <duration>", "check windows ending in the last <duration> (ISO 8601)", DEFAULT_VERIFY_SINCE)
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .option("--repair", "re-export the windows that miss rows, replacing each window's chunk or rows atomically (the watermark does not move)")
    .option("--json", "print JSON instead of lines")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift verify                          # the last day of every query
  monitorlift verify --since P7D --query requests
  monitorlift verify --repair                 # from cron, e.g. hourly

Costs one count query per query and day checked. Exit codes: 0 every window matches (or was repaired),
1 a window still differs or a query failed, 2 usage or configuration error, 3 authentication failed. Stopped cleanly
by SIGTERM/SIGINT: as above over what was found before the stop (the stop's own cancellations are no failure).`,
    )
    .action(async (opts: { since: string; query?: string[]; repair?: boolean; json?: boolean }) => {
      const g = globals();
      const sinceMs = parseDuration(opts.since);
      if (sinceMs === undefined || sinceMs <= 0) throw new UsageError(`--since '${opts.since}' is not a positive ISO 8601 duration (PT6H, P1D, P7D).`);
      const ctx = await openContext(g, process.env, { queries: opts.query });
      const stop = shutdownSignal((name) => ctx.logger.warn(`${name}: finishing the window being repaired, then stopping`));
      try {
        if (!(await unlessStopped(() => ctx.destination.sink.start(stop.signal), stop.signal))) {
          process.exitCode = EXIT_OK; // stopped by a signal before anything was checked: a clean stop
          return;
        }
        const deps = ctx.runDeps(stop.signal);
        const results = await Promise.all(ctx.jobs.map((job) => verifyQuery(job, deps, { sinceMs, repair: Boolean(opts.repair) })));
        process.stdout.write(opts.json ? `${JSON.stringify(results.map(verifyJson), null, 2)}\n` : `${formatVerify(results, Boolean(g.verbose))}\n`);
        process.exitCode = verifyExitCode(results, { stopped: stop.signal.aborted });
      } finally {
        stop.dispose();
        await ctx.destination.shutdown();
      }
    });
}

/**
 * The worst of: a query's error (by its category, src/cli/exit.ts), 1 for a window that still differs, else 0.
 * `stopped`: a signal stopped verify cleanly; its own cancellations (ABORTED) are not failures, the
 * mismatches found before it still are.
 */
export function verifyExitCode(results: readonly VerifyResult[], options: { stopped?: boolean } = {}): number {
  let code = EXIT_OK;
  for (const r of results) {
    if (r.error !== undefined && !(options.stopped && isAborted(r.error))) code = Math.max(code, exitCodeFor(r.error));
    if (r.mismatches.some(isOpenMismatch)) code = Math.max(code, EXIT_FAILED);
  }
  return code;
}

export function formatVerify(results: readonly VerifyResult[], verbose: boolean): string {
  const lines: string[] = [];
  for (const r of results) {
    const range = r.range ? ` ${formatWindow(r.range)}` : "";
    const open = r.mismatches.filter(isOpenMismatch).length;
    const repaired = r.mismatches.length - open;
    const name = r.source === undefined ? r.query : `${r.query} (source ${r.source})`;
    lines.push(
      `${name}:${range} ${r.windows} windows checked, ${r.mismatches.length} differ${repaired ? `, ${repaired} repaired` : ""}${r.error ? ", failed" : ""} (${r.requests} count requests)`,
    );
    for (const m of r.mismatches) {
      const state = m.repairedRows !== undefined ? `repaired: ${m.repairedRows} rows now` : (m.note ?? "not repaired");
      lines.push(`  ${formatWindow(m.window)}  service ${m.service}  committed ${m.committed ?? "unknown"}  ${state}`);
    }
    if (r.error !== undefined) lines.push(describeError(r.error, verbose).replace(/^/gm, "  "));
  }
  return lines.join("\n");
}

/** One query's result as `verify --json` prints it (its source only with named `sources`). */
export function verifyJson(r: VerifyResult): Record<string, unknown> {
  return {
    query: r.query,
    ...(r.source === undefined ? {} : { source: r.source }),
    range: r.range ? formatWindow(r.range) : null,
    windows: r.windows,
    requests: r.requests,
    mismatches: r.mismatches.map((m) => ({
      window: formatWindow(m.window),
      service: m.service,
      committed: m.committed ?? null,
      ...(m.repairedRows !== undefined ? { repairedRows: m.repairedRows } : {}),
      ...(m.note ? { note: m.note } : {}),
    })),
    ...(r.error !== undefined ? { error: describeError(r.error, false) } : {}),
  };
}
