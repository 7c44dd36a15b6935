/**
 * Maps a non-200 response of the query API to a typed SourceError carrying the service's own message,
 * with a hint that names what to fix (the role and its scope for a 403).
 */
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

/** What the query was asked of, for hints: the workspace ID or the resource ID. */
export type QueryScope = { kind: "workspace"; id: string } | { kind: "resource"; id: string };

/** Which role to grant on what (logs/api/errors.md, logs/api/azure-resource-queries.md). */
export function roleHint(scope: QueryScope | undefined): string {
  const on =
    scope?.kind === "resource"
      ? `on the resource ${scope.id} (and read access to the workspace holding its logs)`
      : scope?.kind === "workspace"
        ? `on the workspace ${scope.id}`
        : "on the workspace or resource";
  return `Grant the identity monitorlift runs as the Log Analytics Reader role ${on}. A new role assignment can take up to an hour to apply; until then the service keeps answering 403. Not retried: the next run tries again.`;
}

/**
 * `identity` (the auth method and its IDs, src/source/credential.ts) is named in a 401/403: the token
 * was had, and the service refused it.
 */
export function serviceErrorFromBody(status: number, text: string, retryAfter?: string | null, scope?: QueryScope, identity?: string): SourceError {
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
  const refused = (hint: string) =>
    new SourceError("SOURCE_AUTH", `The query API refused the token${identity ? ` of ${identity}` : ""} (HTTP ${status}): ${said}`, { ...base, retryable: false, hint });
  if (status === 400) return make("SOURCE_REQUEST_INVALID", false, "Fix the query (its table, transform or .kql file); other queries carry on.");
  if (status === 401) {
    return refused(
      "A token was obtained but the service did not accept it: check source.auth (tenant, client ID, secret or managed identity) and, in a sovereign cloud, source.audience. Not retried.",
    );
  }
  if (status === 403) {
    if (serviceCode === "InvalidAuthenticationTokenAudience" || serviceCode === "InvalidAuthenticationToken") {
      return refused("The token is not valid for this endpoint: check source.audience and source.endpoint (same cloud). Not retried.");
    }
    return refused(roleHint(scope));
  }
  if (status === 404) return make("SOURCE_NOT_FOUND", false, "Check source.workspaceId / source.resourceId and source.endpoint.");
  if (status === 429) return make("SOURCE_THROTTLED", true);
  if (status >= 500 || status === 408) return make("SOURCE_UNAVAILABLE", true);
  return make("SOURCE_REQUEST_INVALID", false);
}
