/**
 * The one place errors become exit codes and messages: 0 ok, 1 a query (or the run) failed,
 * 2 usage or configuration error. No stack trace unless --verbose.
 */
import { ConfigError, MonitorliftError, UsageError } from "../errors.ts";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError || err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof MonitorliftError && (err.code === "USAGE" || err.code === "CONFIG_INVALID" || err.code === "CONFIG_NOT_FOUND" || err.code === "SOURCE_INSECURE_ENDPOINT")) {
    return EXIT_USAGE;
  }
  const commanderCode = (err as { code?: string }).code;
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
