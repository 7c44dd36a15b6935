/**
 * The one place errors become exit codes and messages: 0 ok, 1 a query (or the run) failed,
 * 2 usage or configuration error, 130 a second SIGINT/SIGTERM stopped it at once. The exit code
 * follows the error's category (src/errors.ts), never a list of codes. No stack trace unless --verbose.
 */
import { ConfigError, MonitorliftError, type ErrorCategory } from "../errors.ts";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** A second signal during a graceful stop (128 + SIGINT), see signals.ts. */
export const EXIT_INTERRUPTED = 130;

/**
 * The exit code of an error that reaches the top-level catch, by its category. A graceful stop that still
 * ends in an error (ABORTED, category permanent) exits 1 like any failed run; a second signal exits 130.
 */
export const EXIT_CODE_BY_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  usage: EXIT_USAGE,
  config: EXIT_USAGE,
  transient: EXIT_FAILED,
  permanent: EXIT_FAILED,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof MonitorliftError) return EXIT_CODE_BY_CATEGORY[err.category];
  // commander's own parse errors (unknown option, missing argument) are usage errors
  const commanderCode = (err as { code?: string } | null | undefined)?.code;
  if (typeof commanderCode === "string" && commanderCode.startsWith("commander.")) return EXIT_USAGE;
  return EXIT_FAILED;
}

/** A one-paragraph message: what failed, the problems, what to do. */
export function describeError(err: unknown, verbose: boolean): string {
  const lines: string[] = [];
  if (err instanceof ConfigError) {
    lines.push(`error: ${err.file ? `${err.file}: ` : ""}${err.message}`);
    for (const p of err.problems) lines.push(`  - ${p}`);
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
