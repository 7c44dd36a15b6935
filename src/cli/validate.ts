/** `monitorlift validate`: check the configuration; with --connect, each query and the sink too. */
import { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import { isMonitorliftError, messageOf, UsageError } from "../errors.ts";
import { drain } from "../source/logs-source.ts";
import { resolveTelemetry } from "../telemetry/settings.ts";
import { describeBackends } from "../telemetry/telemetry.ts";
import { openContext, sourceConfigKey, type GlobalOptions } from "./context.ts";
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
        // Each source on its own: one that does not answer leaves the queries of the others tried.
        const unreachable = new Set<string>();
        const noToken = new Set<string>();
        for (const job of ctx.jobs) {
          const settings = ctx.config.sources[job.source]!;
          const label = job.sourceLabel === undefined ? `query ${job.name}` : `query ${job.name} (source ${job.sourceLabel})`;
          const key = sourceConfigKey(ctx.config, job.source);
          if (unreachable.has(job.source) || noToken.has(job.source)) {
            out.push(`${label}: not tried (${noToken.has(job.source) ? "no access token" : `the ${job.sourceLabel === undefined ? "workspace" : "source"} did not answer`})`);
            continue;
          }
          const waitMs = Math.min(timeoutMs, settings.requestTimeoutMs);
          const origin = new URL(settings.endpoint).origin;
          // A half-open window [t, t) is empty by construction: the query compiles and runs, no rows.
          const t = Date.now() - job.lagMs;
          // Bounded, no retries: validate answers in seconds, not after the export's retry budget.
          const signal = AbortSignal.timeout(waitMs);
          try {
            const result = await ctx.source(job.source).query(job.buildQuery({ start: t, end: t }), signal);
            await drain(result);
            out.push(`${label}: ok (${result.columns.length} columns)`);
            const q = ctx.config.queries.find((x) => x.name === job.name);
            const noItemId = q === undefined ? undefined : missingItemIdWarning(q, result.columns.map((c) => c.name));
            if (noItemId !== undefined) out.push(`warning: ${noItemId}`);
          } catch (err) {
            failed = true;
            const code = isMonitorliftError(err) ? err.code : undefined;
            if (isMonitorliftError(err) && err.category === "auth") authFailed = true;
            if (code === "SOURCE_CREDENTIAL" || code === "SOURCE_TOKEN_UNAVAILABLE") noToken.add(job.source);
            if (signal.aborted || code === "SOURCE_TIMEOUT") {
              unreachable.add(job.source);
              out.push(`${label}: error [SOURCE_TIMEOUT]: no answer from ${origin} within ${waitMs / 1000}s — the endpoint is unreachable or very slow; check ${key}.endpoint, DNS, proxy and firewall (validate does not retry; --timeout waits longer)`);
            } else if (code === "SOURCE_CONNECTION") {
              unreachable.add(job.source);
              out.push(`${label}: error [SOURCE_CONNECTION]: ${messageOf(err)} — check ${key}.endpoint, DNS, proxy and firewall (validate does not retry)`);
            } else out.push(`${label}: ${describeError(err, Boolean(g.verbose))}`);
          }
        }
        await ctx.destination.shutdown().catch((err: unknown) => out.push(`sink shutdown: ${messageOf(err)}`));
      }
      process.stdout.write(`${out.join("\n")}\n`);
      if (failed) process.exitCode = authFailed ? EXIT_AUTH : EXIT_FAILED;
    });
}
