/**
 * Typed errors with a stable machine `code`, a `cause`, and whether retrying
 * the same work can succeed. The CLI's single top-level catch maps them to exit
 * codes and one-paragraph messages (see src/cli/exit.ts).
 */

export type ErrorCode =
  // configuration and usage (exit 2)
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "USAGE"
  // source (Log Analytics query API)
  | "SOURCE_REQUEST_INVALID" // 400 SemanticError / BadArgumentError
  | "SOURCE_AUTH" // 401 / 403
  | "SOURCE_NOT_FOUND" // 404 unknown workspace / resource
  | "SOURCE_THROTTLED" // 429
  | "SOURCE_UNAVAILABLE" // 5xx, 504
  | "SOURCE_CONNECTION" // reset, refused, DNS, TLS
  | "SOURCE_TIMEOUT" // our own per-request deadline
  | "SOURCE_PROTOCOL" // a response body we cannot understand
  | "SOURCE_TRUNCATED" // PartialError or a limit reached
  | "SOURCE_INSECURE_ENDPOINT"
  // windows
  | "WINDOW_UNSPLITTABLE"
  // sinks and state
  | "SINK_WRITE"
  | "SINK_UNAVAILABLE"
  | "SINK_SCHEMA"
  | "STATE_CONFLICT"
  | "STATE_CORRUPT" // a stored cursor that cannot be decoded (category: permanent)
  | "LOCK_HELD"
  | "LOCK_LOST"
  | "BACKFILL_OVERLAP"
  // life cycle
  | "ABORTED"
  | "INTERNAL";

export interface ErrorOptions {
  cause?: unknown;
  /** True when the same work may succeed if tried again later. */
  retryable?: boolean;
  /** A server-given delay before retrying, in milliseconds (Retry-After). */
  retryAfterMs?: number;
  /** What the user can do about it; printed after the message. */
  hint?: string;
}

export class MonitorliftError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MonitorliftError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.hint = options.hint;
  }
}

/** Invalid configuration file or values: exit code 2. */
export class ConfigError extends MonitorliftError {
  /** Each problem as "dot.path: message". */
  readonly problems: readonly string[];
  readonly file: string | undefined;
  constructor(message: string, problems: readonly string[] = [], options: ErrorOptions & { file?: string } = {}) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigError";
    this.problems = problems;
    this.file = options.file;
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends MonitorliftError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("USAGE", message, options);
    this.name = "UsageError";
  }
}

/** A failure talking to the Log Analytics query API. */
export class SourceError extends MonitorliftError {
  readonly status: number | undefined;
  /** The service's own error code, e.g. "BadArgumentError" or "SEM0100". */
  readonly serviceCode: string | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options: ErrorOptions & { status?: number; serviceCode?: string } = {},
  ) {
    super(code, message, options);
    this.name = "SourceError";
    this.status = options.status;
    this.serviceCode = options.serviceCode;
  }
}

/** A sink could not write or commit. */
export class SinkError extends MonitorliftError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
    this.name = "SinkError";
  }
}

/** Work stopped because shutdown was requested or a deadline passed. */
export class AbortedError extends MonitorliftError {
  constructor(message = "aborted", options: ErrorOptions = {}) {
    super("ABORTED", message, options);
    this.name = "AbortedError";
  }
}

export function isMonitorliftError(err: unknown): err is MonitorliftError {
  return err instanceof MonitorliftError;
}

/** The message of any thrown value, for logs. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
