/** Maps a non-200 response of the query API to a typed SourceError carrying the service's own message. */
import { SourceError, type ErrorCode } from "../errors.ts";

interface ServiceErrorBody {
  error?: { code?: string; message?: string; innererror?: ServiceInnerError };
}
interface ServiceInnerError {
  code?: string;
  message?: string;
  innererror?: ServiceInnerError;
}

/** Retry-After as seconds or an HTTP date → milliseconds. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function serviceErrorFromBody(status: number, text: string, retryAfter?: string | null): SourceError {
  let body: ServiceErrorBody = {};
  try {
    body = JSON.parse(text) as ServiceErrorBody;
  } catch {
    // not JSON: keep the status alone
  }
  const messages: string[] = [];
  let serviceCode = body.error?.code;
  if (body.error?.message) messages.push(body.error.message);
  for (let inner = body.error?.innererror; inner; inner = inner.innererror) {
    if (inner.message) messages.push(inner.message);
    if (inner.code) serviceCode = inner.code;
  }
  const said = messages.length > 0 ? messages.join(": ") : text.slice(0, 300) || "(no body)";
  const base = { status, serviceCode, retryAfterMs: parseRetryAfter(retryAfter) };
  const make = (code: ErrorCode, retryable: boolean, hint?: string) =>
    new SourceError(code, `The query API answered HTTP ${status}: ${said}`, { ...base, retryable, hint });
  if (status === 400) return make("SOURCE_REQUEST_INVALID", false, "Fix the query (its table, transform or .kql file); other queries carry on.");
  if (status === 401 || status === 403) {
    return make("SOURCE_AUTH", false, "Grant the identity the Log Analytics Reader role on the workspace, and check source.auth.");
  }
  if (status === 404) return make("SOURCE_NOT_FOUND", false, "Check source.workspaceId / source.resourceId and source.endpoint.");
  if (status === 429) return make("SOURCE_THROTTLED", true);
  if (status >= 500 || status === 408) return make("SOURCE_UNAVAILABLE", true);
  return make("SOURCE_REQUEST_INVALID", false);
}
