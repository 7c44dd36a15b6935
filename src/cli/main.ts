/** The CLI entry point and its one top-level catch: errors → exit codes and one-paragraph messages. */
import { describeError, exitCodeFor, EXIT_OK } from "./exit.ts";
import { createProgram } from "./program.ts";

// A reader that went away (`monitorlift --help | head -2`) is not an error: stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
}

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
