/**
 * Turns what the Storage SDK throws into the typed errors of src/errors.ts, and keeps
 * secrets (account keys, SAS signatures, connection strings) out of every message.
 * Retrying is the SDK's job (see client.ts); an error that still reaches us after its
 * retries is either permanent or marked retryable for the runner's next attempt.
 */
import { AbortedError, isMonitorliftError, MonitorliftError, SinkError } from "../../errors.ts";

/** Network failures the runner may retry later (the SDK already retried them a few times). */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "REQUEST_SEND_ERROR",
  "UND_ERR_SOCKET",
]);
const UNAVAILABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export const ROLE_HINT =
  "Grant the identity the role \"Storage Blob Data Contributor\" on the container (or, with a SAS token, " +
  "the permissions read, add, create, write, delete and list, and check that it has not expired).";

const CREDENTIAL_HINT =
  "The storage credential was rejected: check the account key, connection string or SAS token (and its expiry), and the machine's clock.";

function authHint(status: number, code: string | undefined): string {
  if (status === 401 || code === "AuthenticationFailed" || code === "InvalidAuthenticationInfo") return CREDENTIAL_HINT;
  if (code === "AuthorizationFailure") {
    return `${CREDENTIAL_HINT} Also check the storage account's firewall and network rules. ${ROLE_HINT}`;
  }
  return ROLE_HINT;
}

/** Removes secrets from a text: the configured secret values and anything shaped like a key or signature. */
export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly string[]): Redactor {
  const known = secrets.filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of known) out = out.split(secret).join("[redacted]");
    return out
      .replace(/(AccountKey|SharedAccessSignature|sig)=[^;&\s"']+/gi, "$1=[redacted]")
      .replace(/(Authorization:\s*)\S+(\s+\S+)?/gi, "$1[redacted]");
  };
}

interface StorageErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
}

export function statusOf(err: unknown): number | undefined {
  const status = (err as StorageErrorLike | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

export function storageCodeOf(err: unknown): string | undefined {
  const code = (err as StorageErrorLike | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The blob does not exist (but its container does: a missing container is an error everywhere). */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && storageCodeOf(err) !== "ContainerNotFound";
}

/** What the storage service answered, kept as a cause: message, storage error code and HTTP status only. */
export class StorageFailure extends Error {
  readonly code: string | undefined;
  readonly statusCode: number | undefined;
  constructor(message: string, options: { name?: string; code?: string; statusCode?: number } = {}) {
    super(message);
    this.name = options.name ?? "StorageFailure";
    this.code = options.code;
    this.statusCode = options.statusCode;
  }
}

/** A copy of the SDK's error that keeps what helps (message, code, status) and drops requests and headers. */
function sanitizedCause(err: unknown, redact: Redactor): Error {
  const e = (err ?? {}) as StorageErrorLike;
  const cause = new StorageFailure(redact(e.message ?? String(err)), { name: e.name, code: e.code, statusCode: e.statusCode });
  const stack = (err as Error | undefined)?.stack;
  if (typeof stack === "string") cause.stack = redact(stack);
  return cause;
}

function retryAfterMs(err: unknown): number | undefined {
  const header = (err as StorageErrorLike).response?.headers?.get("retry-after");
  if (header === undefined) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export interface ErrorContext {
  /** What was being done, e.g. "staging a block of blob data/x.ndjson.gz". */
  action: string;
  /** "<container url>" for messages; never carries a query string. */
  container: string;
  redact: Redactor;
  /** The signal of the work: when it was aborted, its reason wins over the SDK's AbortError. */
  signal?: AbortSignal;
}

/** The typed error for a failure of a storage call. */
export function toSinkError(err: unknown, ctx: ErrorContext): MonitorliftError {
  if (isMonitorliftError(err)) return err;
  if (ctx.signal?.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (isMonitorliftError(reason)) return reason;
    return new AbortedError(`${ctx.action} was aborted`, { cause: sanitizedCause(err, ctx.redact) });
  }
  const e = (err ?? {}) as StorageErrorLike;
  const cause = sanitizedCause(err, ctx.redact);
  const status = statusOf(err);
  const code = storageCodeOf(err);
  const detail = ctx.redact(e.message ?? String(err)).split("\n")[0];
  if (e.name === "AbortError") {
    return new AbortedError(`${ctx.action} was aborted`, { cause });
  }
  if (e.name === "CredentialUnavailableError" || e.name === "AuthenticationError" || e.name === "AggregateAuthenticationError") {
    return new SinkError("SINK_WRITE", `${ctx.action} failed: no Azure credential could get a token for storage (${detail}).`, {
      cause,
      hint: "Sign in (az login), set the AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or workload identity variables, or choose another sink.auth method.",
    });
  }
  if (status === 404 && code === "ContainerNotFound") {
    return new SinkError("SINK_WRITE", `${ctx.action} failed: the container ${ctx.container} does not exist.`, {
      cause,
      hint: "Create the container, or set createContainer: true in the blob sink config.",
    });
  }
  if (status === 401 || status === 403) {
    return new SinkError(
      "SINK_WRITE",
      `${ctx.action} was refused by ${ctx.container} (HTTP ${status}${code ? ` ${code}` : ""}).`,
      { cause, hint: authHint(status, code) },
    );
  }
  if ((status !== undefined && UNAVAILABLE_STATUS.has(status)) || (status === undefined && code !== undefined && NETWORK_CODES.has(code))) {
    const what = status !== undefined ? `HTTP ${status}: ${detail}` : detail?.includes(code!) ? detail : `${code}: ${detail}`;
    return new SinkError(
      "SINK_UNAVAILABLE",
      `${ctx.action} failed: ${ctx.container} is unavailable (${what}), after the storage client's own retries. Trying again later can succeed.`,
      { cause, retryable: true, retryAfterMs: retryAfterMs(err) },
    );
  }
  if (status === undefined && code === undefined && /socket hang up|network|timed? ?out/i.test(detail ?? "")) {
    return new SinkError("SINK_UNAVAILABLE", `${ctx.action} failed: ${ctx.container} is unreachable (${detail}).`, {
      cause,
      retryable: true,
    });
  }
  return new SinkError(
    "SINK_WRITE",
    `${ctx.action} failed (${status !== undefined ? `HTTP ${status}` : "no response"}${code ? ` ${code}` : ""}): ${detail}`,
    { cause },
  );
}
