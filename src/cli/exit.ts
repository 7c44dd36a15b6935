/**
 * The one place errors become exit codes and messages: 0 ok, 1 a query (or the run) failed,
 * 2 usage or configuration error, 3 authentication or authorisation failed (no token, or the service
 * refused it). A command stopped cleanly by SIGTERM/SIGINT exits as its runs did, leaving out the stop's own
 * cancellations (exitCodeForRun with `stopped`); one a second signal stopped at once exits 128 + the
 * signal's number (143 SIGTERM, 130 SIGINT).
 * The exit code follows the error's category (src/errors.ts), never a list of codes. No stack trace
 * unless --verbose.
 */
import { constants } from "node:os";
import { ConfigError, MonitorliftError, isAborted, type ErrorCategory } from "../errors.ts";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** No token could be had for the configured identity, or the query API refused it (category auth). */
export const EXIT_AUTH = 3;

/** The exit code of an error that reaches the top-level catch, by its category. */
export const EXIT_CODE_BY_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  usage: EXIT_USAGE,
  config: EXIT_USAGE,
  transient: EXIT_FAILED,
  permanent: EXIT_FAILED,
  auth: EXIT_AUTH,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof MonitorliftError) return EXIT_CODE_BY_CATEGORY[err.category];
  // commander's own parse errors (unknown option, missing argument) are usage errors
  const commanderCode = (err as { code?: string } | null | undefined)?.code;
  if (typeof commanderCode === "string" && commanderCode.startsWith("commander.")) return EXIT_USAGE;
  return EXIT_FAILED;
}

/**
 * The exit code of a run whose queries ended with `errors` (one per failed query): 0 when none failed,
 * 3 when one failed for authentication or authorisation (a human must fix the identity; the other
 * failures may well be the same cause), else 1.
 *
 * `stopped`: a signal (SIGTERM/SIGINT) stopped the run cleanly — the windows being committed finished,
 * the others were left uncommitted. The stop's own cancellations (ABORTED) are then not failures: nothing
 * is lost and the next run carries on. A failure found before the stop still counts (a permanent or auth
 * failure of another query before a CronJob's deadline is not hidden by it).
 */
export function exitCodeForRun(errors: Iterable<unknown>, options: { stopped?: boolean } = {}): number {
  let code = EXIT_OK;
  for (const err of errors) {
    if (options.stopped && isAborted(err)) continue;
    if (err instanceof MonitorliftError && err.category === "auth") return EXIT_AUTH;
    code = EXIT_FAILED;
  }
  return code;
}

/** 128 + the signal's number: how a shell reports a command a second signal ended at once (SIGTERM 143, SIGINT 130). */
export function exitCodeForSignal(name: NodeJS.Signals): number {
  return 128 + (constants.signals[name] ?? 0);
}

/**
 * A one-paragraph message: what failed, the problems, what to do. A configuration error names its
 * file once, in the first line; with several problems the first line counts them and each follows
 * on its own line, each said once.
 */
export function describeError(err: unknown, verbose: boolean): string {
  const lines: string[] = [];
  if (err instanceof ConfigError) {
    const where = err.file ? `${err.file}: ` : "";
    if (err.problems.length > 1) {
      lines.push(`error: ${where}${err.problems.length} problems in the configuration:`);
      for (const p of err.problems) lines.push(`  - ${p}`);
    } else {
      lines.push(`error: ${where}${err.message}`); // the message says the one problem (in more words)
    }
  } else if (err instanceof MonitorliftError) {
    lines.push(`error [${err.code}]: ${err.message}`);
  } else {
    lines.push(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (err instanceof MonitorliftError && err.hint) lines.push(`  ${err.hint}`);
  if (verbose && err instanceof Error) {
    lines.push(err.stack ?? "");
    let cause = err.cause;
    while (cause) {
      lines.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  } else if (!verbose && !(err instanceof MonitorliftError)) {
    lines.push("  (run with --verbose for details)");
  }
  return lines.join("\n");
}
