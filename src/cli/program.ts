/** The commander program: global options and one subcommand per file. */
import { Command, Option } from "commander";
import { LOG_LEVELS } from "../config/schema.ts";
import { backfillCommand } from "./backfill.ts";
import type { GlobalOptions } from "./context.ts";
import { exportCommand } from "./export.ts";
import { simulateCommand } from "./simulate.ts";
import { statusCommand } from "./status.ts";
import { validateCommand } from "./validate.ts";
import { verifyCommand } from "./verify.ts";
import { planCommand } from "./plan.ts";
import { lsCommand } from "./ls.ts";
import { rewindCommand } from "./rewind.ts";
import { initCommand } from "./init.ts";
import { VERSION } from "../version.ts";

export function createProgram(): Command {
  const program = new Command("monitorlift")
    .description("Exactly-once incremental export of Azure Application Insights / Log Analytics telemetry to a data lake, a filesystem or SQL.")
    .version(VERSION, "-V, --version", "print the version and exit")
    .option("-c, --config <file>", "configuration file (default: $MONITORLIFT_CONFIG or ./monitorlift.json)")
    .option("-v, --verbose", "debug logs and stack traces on errors")
    .addOption(new Option("--log-level <level>", "least severe level logged (default: the config's log.level)").choices(LOG_LEVELS))
    .addOption(new Option("--log-format <format>", "json or pretty (default: the config's log.format: pretty on a TTY, JSON lines otherwise)").choices(["json", "pretty"]))
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  monitorlift init --sink filesystem                   # a commented starter monitorlift.json
  monitorlift simulate --backfill PT6H                 # a local Log Analytics workspace to try it on
  monitorlift validate --connect -c monitorlift.json
  monitorlift export --once -c monitorlift.json
  monitorlift backfill --from P30D --to P1D -c monitorlift.json
  monitorlift status --json
  monitorlift verify --since P1D --repair
  monitorlift rewind --query requests --to PT6H --dry-run`,
    );
  const globals = () => program.opts<GlobalOptions>();
  for (const cmd of [exportCommand(globals), backfillCommand(globals), statusCommand(globals), planCommand(globals), lsCommand(globals), rewindCommand(globals), verifyCommand(globals), validateCommand(globals), initCommand(), simulateCommand()]) {
    program.addCommand(cmd.exitOverride());
  }
  return program;
}
