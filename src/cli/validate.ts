/** `monitorlift validate`: check the configuration; with --connect, each query and the sink too. */
import { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import { isMonitorliftError, messageOf, UsageError } from "../errors.ts";
import { drain } from "../source/logs-source.ts";
import { resolveTelemetry } from "../telemetry/settings.ts";
import { describeBackends } from "../telemetry/telemetry.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { describeError, EXIT_AUTH, EXIT_FAILED } from "./exit.ts";
import { missingItemIdWarning } from "../window/query-text.ts";

export function validateCommand(globals: () => GlobalOptions): Command {
  return new Command("validate")
    .description("Check the configuration; with --connect also run each query on an empty window and check the sink is writable.")
    .option("--connect", "also talk to the workspace and the sink")
    .option("--timeout <duration>", "with --connect: the longest wait for the workspace's answer, an ISO 8601 duration (no retries)", "PT15S")
    .addHelpText(
      "after",
      "\nExamples:\n  monitorlift validate --config monitorlift.json\n  monitorlift validate --connect\n  monitorlift validate --connect --timeout PT1M   # a slow network or a slow first query\n\nExit codes: 0 ok, 1 --connect found a problem, 2 the configuration is invalid, 3 --connect got no access token or the service refused it.",
    )
    .action(async (opts: { connect?: boolean; timeout: string }) => {
      const g = globals();
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === undefined || timeoutMs < 1) throw new UsageError(`--timeout '${opts.timeout}' is not a positive ISO 8601 duration (PT15S, PT1M).`);
      const ctx = await openContext(g, process.env, { logWarnings: false }); // the warnings are in the report below, once
      const out: string[] = [`config ${ctx.config.configPath}: ok (${ctx.config.queries.length} ${ctx.config.queries.length === 1 ? "query" : "queries"}, sink ${ctx.destination.sink.description})`];
      for (const w of ctx.config.warnings) out.push(`warning: ${w}`);
      const telemetry = resolveTelemetry(process.env, ctx.config.telemetry);
      out.push(`telemetry: ${telemetry.enabled ? `metrics go to ${describeBackends(telemetry)}` : "off"}`);
      for (const w of telemetry.warnings) out.push(`warning: ${w}`);
      let failed = false;
      let authFailed = false;
      if (opts.connect) {
        try {
          await ctx.destination.sink.start();
          await ctx.destination.sink.probe();
          out.push(`sink: writable`);
        } catch (err) {
          failed = true;
          out.push(`sink: ${describeError(err, Boolean(g.verbose))}`);
        }
        const source = ctx.source();
        const waitMs = Math.min(timeoutMs, ctx.config.source.requestTimeoutMs);
        const origin = new URL(ctx.config.source.endpoint).origin;
        let unreachable = false;
        let noToken = false;
        for (const job of ctx.jobs) {
          if (unreachable || noToken) {
            out.push(`query ${job.name}: not tried (${noToken ? "no access token" : "the workspace did not answer"})`);
            continue;
          }
          // A half-open window [t, t) is empty by construction: the query compiles and runs, no rows.
          const t = Date.now() - job.lagMs;
          // Bounded, no retries: validate answers in seconds, not after the export's retry budget.
          const signal = AbortSignal.timeout(waitMs);
          try {
            const result = await source.query(job.buildQuery({ start: t, end: t }), signal);
            await drain(result);
            out.push(`query ${job.name}: ok (${result.columns.length} columns)`);
            const q = ctx.config.queries.find((x) => x.name === job.name);
            const noItemId = q === undefined ? undefined : missingItemIdWarning(q, result.columns.map((c) => c.name));
            if (noItemId !== undefined) out.push(`warning: ${noItemId}`);
          } catch (err) {
            failed = true;
            const code = isMonitorliftError(err) ? err.code : undefined;
            if (isMonitorliftError(err) && err.category === "auth") authFailed = true;
            if (code === "SOURCE_CREDENTIAL") noToken = true;
            if (signal.aborted || code === "SOURCE_TIMEOUT") {
              unreachable = true;
              out.push(`query ${job.name}: error [SOURCE_TIMEOUT]: no answer from ${origin} within ${waitMs / 1000}s — the endpoint is unreachable or very slow; check source.endpoint, DNS, proxy and firewall (validate does not retry; --timeout waits longer)`);
            } else if (code === "SOURCE_CONNECTION") {
              unreachable = true;
              out.push(`query ${job.name}: error [SOURCE_CONNECTION]: ${messageOf(err)} — check source.endpoint, DNS, proxy and firewall (validate does not retry)`);
            } else out.push(`query ${job.name}: ${describeError(err, Boolean(g.verbose))}`);
          }
        }
        await ctx.destination.shutdown().catch((err: unknown) => out.push(`sink shutdown: ${messageOf(err)}`));
      }
      process.stdout.write(`${out.join("\n")}\n`);
      if (failed) process.exitCode = authFailed ? EXIT_AUTH : EXIT_FAILED;
    });
}
