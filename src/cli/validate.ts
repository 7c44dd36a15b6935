/** `monitorlift validate`: check the configuration; with --connect, each query and the sink too. */
import { Command } from "commander";
import { messageOf } from "../errors.ts";
import { drain } from "../source/logs-source.ts";
import { resolveTelemetry } from "../telemetry/settings.ts";
import { describeBackends } from "../telemetry/telemetry.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { describeError, EXIT_FAILED } from "./exit.ts";
import { missingItemIdWarning } from "../window/query-text.ts";

export function validateCommand(globals: () => GlobalOptions): Command {
  return new Command("validate")
    .description("Check the configuration; with --connect also run each query on an empty window and check the sink is writable.")
    .option("--connect", "also talk to the workspace and the sink")
    .addHelpText("after", "\nExamples:\n  monitorlift validate --config monitorlift.json\n  monitorlift validate --connect")
    .action(async (opts: { connect?: boolean }) => {
      const g = globals();
      const ctx = await openContext(g, process.env);
      const out: string[] = [`config ${ctx.config.configPath}: ok (${ctx.config.queries.length} ${ctx.config.queries.length === 1 ? "query" : "queries"}, sink ${ctx.destination.sink.description})`];
      for (const w of ctx.config.warnings) out.push(`warning: ${w}`);
      const telemetry = resolveTelemetry(process.env, ctx.config.telemetry);
      out.push(`telemetry: ${telemetry.enabled ? `metrics go to ${describeBackends(telemetry)}` : "off"}`);
      for (const w of telemetry.warnings) out.push(`warning: ${w}`);
      let failed = false;
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
        const signal = AbortSignal.timeout(ctx.config.source.requestTimeoutMs);
        for (const job of ctx.jobs) {
          // A half-open window [t, t) is empty by construction: the query compiles and runs, no rows.
          const t = Date.now() - job.lagMs;
          try {
            const result = await source.query(job.buildQuery({ start: t, end: t }), signal);
            await drain(result);
            out.push(`query ${job.name}: ok (${result.columns.length} columns)`);
            const q = ctx.config.queries.find((x) => x.name === job.name);
            const noItemId = q === undefined ? undefined : missingItemIdWarning(q, result.columns.map((c) => c.name));
            if (noItemId !== undefined) out.push(`warning: ${noItemId}`);
          } catch (err) {
            failed = true;
            out.push(`query ${job.name}: ${describeError(err, Boolean(g.verbose))}`);
          }
        }
        await ctx.destination.shutdown().catch((err: unknown) => out.push(`sink shutdown: ${messageOf(err)}`));
      }
      process.stdout.write(`${out.join("\n")}\n`);
      if (failed) process.exitCode = EXIT_FAILED;
    });
}
