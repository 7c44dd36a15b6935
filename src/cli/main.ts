/** The CLI entry point and its one top-level catch: errors → exit codes and one-paragraph messages. */
import { describeError, exitCodeFor, EXIT_OK } from "./exit.ts";
import { createProgram } from "./program.ts";

const program = createProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") {
    process.exitCode = EXIT_OK;
  } else if (typeof code === "string" && code.startsWith("commander.")) {
    // commander already printed its message
    process.exitCode = exitCodeFor(err);
  } else {
    process.stderr.write(`${describeError(err, process.argv.includes("--verbose") || process.argv.includes("-v"))}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
