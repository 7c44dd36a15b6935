/**
 * Typed errors with a stable machine `code`, a `name`, a `cause`, and a `category`:
 *  - usage      the command line is wrong (fix the arguments);
 *  - config     the configuration is wrong (fix the file or the environment it names);
 *  - transient  the same work may succeed if tried again (`retryable`);
 *  - permanent  trying the same work again will not help: this query (or the run) fails;
 *  - auth       the directory refused the configured identity or nothing usable is configured
 *               (SOURCE_CREDENTIAL; a token service down or unreachable is SOURCE_TOKEN_UNAVAILABLE,
 *               transient), or the query API
 *               refused it (SOURCE_AUTH, HTTP 401/403): never retried, a human must fix the identity or
 *               its role assignment (exit 3).
 * Each code has a default category (CATEGORY_BY_CODE below: a code added to ErrorCode needs its line
 * there, in the same hunk); a constructor option may override it where the code alone cannot say,
 * e.g. an HTTP status or a body cut mid-stream versus an unreadable one. `retryable` is true exactly
 * when the category is transient unless given explicitly. The CLI's single top-level catch maps the
 * category, never a list of codes, to exit codes and one-paragraph messages (see src/cli/exit.ts).
 */

export type ErrorCode =
  // configuration and usage (exit 2)
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "USAGE"
  // source (Log Analytics query API)
  | "SOURCE_REQUEST_INVALID" // 400 SemanticError / BadArgumentError
  | "SOURCE_AUTH" // 401 / 403: the query API refused the token
  | "SOURCE_CREDENTIAL" // no token could be obtained for source.auth (nothing was sent to the query API)
  | "SOURCE_TOKEN_UNAVAILABLE" // the token service answered 5xx/429 or could not be reached (category: transient)
  | "SOURCE_NOT_FOUND" // 404 unknown workspace / resource
  | "SOURCE_THROTTLED" // 429
  | "SOURCE_UNAVAILABLE" // 5xx, 504
  | "SOURCE_CONNECTION" // reset, refused, DNS, TLS
  | "SOURCE_TIMEOUT" // our own per-request deadline
  | "SOURCE_PROTOCOL" // a response body we cannot understand
  | "SOURCE_TRUNCATED" // PartialError or a limit reached
  | "SOURCE_QUERY_FAILED" // a PartialError that is not a result limit (another engine error)
  | "SOURCE_PERMISSIONS" // resource-centric: the service dropped rows the identity may not read
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

export type ErrorCategory = "usage" | "config" | "transient" | "permanent" | "auth";

/** The default category of each code. */
export const CATEGORY_BY_CODE: Readonly<Record<ErrorCode, ErrorCategory>> = {
  CONFIG_INVALID: "config",
  CONFIG_NOT_FOUND: "config",
  USAGE: "usage",
  SOURCE_REQUEST_INVALID: "permanent",
  SOURCE_AUTH: "auth", // the service refused the token: asking again gets the same answer
  SOURCE_CREDENTIAL: "auth", // the directory refused the identity, or nothing usable is configured: asking again gets the same answer
  SOURCE_TOKEN_UNAVAILABLE: "transient", // the token service was down or unreachable, also after the identity library's retries
  SOURCE_NOT_FOUND: "permanent",
  SOURCE_THROTTLED: "transient",
  SOURCE_UNAVAILABLE: "transient",
  SOURCE_CONNECTION: "transient",
  SOURCE_TIMEOUT: "transient",
  SOURCE_PROTOCOL: "permanent", // an unreadable body; a body cut mid-stream is created with retryable: true
  SOURCE_TRUNCATED: "permanent", // the same request truncates again: split the window instead
  SOURCE_QUERY_FAILED: "transient", // may pass when run again; after maxRetries the query fails with the service's message
  SOURCE_PERMISSIONS: "permanent", // a role or table access is missing: asking again returns the same filtered rows
  SOURCE_INSECURE_ENDPOINT: "config",
  WINDOW_UNSPLITTABLE: "permanent",
  SINK_WRITE: "permanent", // a write that can succeed again (e.g. EAGAIN) is created with retryable: true
  SINK_UNAVAILABLE: "transient",
  SINK_SCHEMA: "permanent",
  STATE_CONFLICT: "permanent", // another writer moved the cursor: this attempt must not overwrite it
  STATE_CORRUPT: "permanent", // a stored cursor that does not decode: a human must repair or remove it
  LOCK_HELD: "permanent", // another exporter is running: this run leaves the query to it
  LOCK_LOST: "permanent",
  BACKFILL_OVERLAP: "usage", // the --from/--to given overlaps a range another cursor owns
  ABORTED: "permanent", // shutdown or a deadline: nothing more is tried in this run
  INTERNAL: "permanent",
};

export interface ErrorOptions {
  cause?: unknown;
  /**
   * Overrides the code's default category (CATEGORY_BY_CODE), when something other than the code
   * decides (an HTTP status, how a body ended).
   */
  category?: ErrorCategory;
  /**
   * True when the same work may succeed if tried again later. Default: category is transient. Given
   * without `category`, it also sets the category: true → transient; false → the code's category,
   * or permanent if that is transient.
   */
  retryable?: boolean;
  /** A server-given delay before retrying, in milliseconds (Retry-After). */
  retryAfterMs?: number;
  /** What the user can do about it; printed after the message. */
  hint?: string;
}

export class MonitorliftError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MonitorliftError";
    this.code = code;
    this.category = options.category ?? categoryFor(code, options.retryable);
    this.retryable = options.retryable ?? this.category === "transient";
    this.retryAfterMs = options.retryAfterMs;
    this.hint = options.hint;
  }
}

/** Invalid configuration file or values (category config). */
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

/** Bad command-line usage (category usage). */
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

/** The category of `code`, adjusted by an explicit `retryable` (see ErrorOptions.retryable). */
export function categoryFor(code: ErrorCode, retryable?: boolean): ErrorCategory {
  const category = CATEGORY_BY_CODE[code];
  if (retryable === true) return "transient";
  if (retryable === false && category === "transient") return "permanent";
  return category;
}

/** True for work stopped by shutdown or a deadline (code ABORTED), whatever class carries it. */
export function isAborted(err: unknown): boolean {
  return err instanceof MonitorliftError && err.code === "ABORTED";
}

export function isMonitorliftError(err: unknown): err is MonitorliftError {
  return err instanceof MonitorliftError;
}

/** The message of any thrown value, for logs. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
