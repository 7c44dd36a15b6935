/**
 * Retry codes and drop codes: the small closed vocabularies the metrics report outcomes in, after
 * the Azure Monitor exporter's customer-facing statsbeat (items succeeded, retried by retry code,
 * dropped by drop code). Pure: no I/O, no state.
 *
 * Rules
 *  - A retry code says why one attempt is tried again: the HTTP status the query API answered
 *    (429, 500, 503, 504; 502 and 408 are folded into 503 and timeout), or `timeout`,
 *    `connection_reset`, `body_cut` (a response body cut mid-stream or unreadable but retryable),
 *    `sink_unavailable` (the sink's store did not answer). Anything else transient: `other`.
 *  - A drop code says why a window (and its rows) was not exported in this run. Nothing dropped is
 *    lost: the watermark waits, and the next run starts from the same window. The set is closed and
 *    documented in the README ("Metrics"); `other` catches what no code names (a bug to report).
 *  - The codes are read from the MonitorliftError's `code`, its HTTP `status` and the errno of its
 *    cause chain; never from a message text.
 */
import { MonitorliftError, SourceError } from "../errors.ts";

export const RETRY_CODES = ["429", "500", "503", "504", "timeout", "connection_reset", "body_cut", "sink_unavailable", "other"] as const;
export type RetryCode = (typeof RETRY_CODES)[number];

export const DROP_CODES = [
  "400",
  "401",
  "403",
  "404",
  "unsplittable_truncation",
  "sink_readonly",
  "sink_capacity",
  "sink_exception",
  "lock_lost",
  "lock_held",
  "shutdown",
  "retries_exhausted",
  "other",
] as const;
export type DropCode = (typeof DROP_CODES)[number];

/**
 * The drop codes that need someone to act before the next run can succeed; the others clear by
 * themselves (another exporter finishes, the next run resumes, a retried service recovers).
 */
export const DROP_CODES_NEEDING_A_HUMAN: ReadonlySet<DropCode> = new Set<DropCode>([
  "400",
  "401",
  "403",
  "404",
  "unsplittable_truncation",
  "sink_readonly",
  "sink_capacity",
  "sink_exception",
  "other",
]);

const READONLY_ERRNO = new Set(["EROFS", "EACCES", "EPERM"]);
const CAPACITY_ERRNO = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);
const RESET_ERRNO = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** Storage service error codes meaning "full" (Azure Storage, SQL servers). */
const CAPACITY_SERVICE_CODES = new Set(["AccountQuotaExceeded", "ContainerQuotaExceeded", "ER_RECORD_FILE_FULL", "53100", "ER_DISK_FULL"]);

/** The HTTP status carried by the error itself, or by the first cause that has one. */
export function statusOf(err: unknown): number | undefined {
  for (const e of causeChain(err)) {
    if (e instanceof SourceError && e.status !== undefined) return e.status;
    const s = (e as { status?: unknown; statusCode?: unknown }).status ?? (e as { statusCode?: unknown }).statusCode;
    if (typeof s === "number" && s >= 100 && s < 600) return s;
  }
  return undefined;
}

/** String `code`s found along the cause chain (errno codes, storage service codes), outermost first. */
function causeCodes(err: unknown): string[] {
  const out: string[] = [];
  for (const e of causeChain(err)) {
    if (e instanceof MonitorliftError) continue;
    const c = (e as { code?: unknown; errno?: unknown }).code;
    if (typeof c === "string") out.push(c);
    else if (typeof c === "number") out.push(String(c));
  }
  return out;
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

/** Why an attempt that failed with `err` is retried. */
export function retryCodeOf(err: unknown): RetryCode {
  const status = statusOf(err);
  if (status === 429) return "429";
  if (status === 503 || status === 502) return "503";
  if (status === 504) return "504";
  if (status === 408) return "timeout";
  if (status !== undefined && status >= 500) return "500";
  const code = err instanceof MonitorliftError ? err.code : undefined;
  switch (code) {
    case "SOURCE_THROTTLED":
      return "429";
    case "SOURCE_TIMEOUT":
      return "timeout";
    case "SOURCE_PROTOCOL":
      return "body_cut";
    case "SOURCE_CONNECTION":
      return "connection_reset";
    case "SINK_UNAVAILABLE":
      return "sink_unavailable";
    case "SOURCE_UNAVAILABLE":
    case "SOURCE_TOKEN_UNAVAILABLE": // the token service down or unreachable: its status is not kept by the identity library
      return "503";
    default:
      break;
  }
  const errnos = causeCodes(err);
  if (errnos.some((c) => c === "ETIMEDOUT" || c === "ESOCKETTIMEDOUT")) return "timeout";
  if (errnos.some((c) => RESET_ERRNO.has(c))) return "connection_reset";
  if (code?.startsWith("SINK_") || code === "LOCK_LOST" || code === "STATE_CONFLICT") return "sink_unavailable";
  return "other";
}

export interface DropContext {
  /** True when the run is stopping (a signal or a deadline): whatever was left is `shutdown`. */
  shuttingDown?: boolean;
  /** True when `err` was retryable but the retry budget ran out. */
  retriesExhausted?: boolean;
}

/** Why a window that ended with `err` was not exported in this run. */
export function dropCodeOf(err: unknown, context: DropContext = {}): DropCode {
  if (context.shuttingDown) return "shutdown";
  const code = err instanceof MonitorliftError ? err.code : undefined;
  if (code === "ABORTED") return "shutdown";
  if (code === "LOCK_HELD") return "lock_held";
  if (code === "LOCK_LOST" || code === "STATE_CONFLICT") return "lock_lost";
  if (code === "WINDOW_UNSPLITTABLE" || code === "SOURCE_TRUNCATED") return "unsplittable_truncation";
  if (code === "SOURCE_CREDENTIAL") return "401"; // no token: unauthenticated, whatever status the token endpoint gave
  const status = statusOf(err);
  if (code?.startsWith("SOURCE_") || (code === undefined && status !== undefined)) {
    if (status === 400 || status === 401 || status === 403 || status === 404) return String(status) as DropCode;
    if (code === "SOURCE_REQUEST_INVALID") return "400";
    if (code === "SOURCE_AUTH") return "403";
    if (code === "SOURCE_NOT_FOUND") return "404";
  }
  if (code?.startsWith("SINK_") || code === "INTERNAL" || code === undefined) {
    const errnos = causeCodes(err);
    if (errnos.some((c) => CAPACITY_ERRNO.has(c) || CAPACITY_SERVICE_CODES.has(c))) return "sink_capacity";
    if (errnos.some((c) => READONLY_ERRNO.has(c))) return "sink_readonly";
    if (code?.startsWith("SINK_") && (status === 401 || status === 403)) return "sink_readonly";
    if (code?.startsWith("SINK_") && status === 507) return "sink_capacity";
  }
  if (context.retriesExhausted || (err instanceof MonitorliftError && err.retryable)) return "retries_exhausted";
  if (code?.startsWith("SINK_")) return "sink_exception";
  return "other";
}
