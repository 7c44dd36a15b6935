/**
 * Error responses in the shapes the Log Analytics query API uses (taken from
 * recorded live sessions in Azure/azure-sdk-assets and the API's error docs):
 *
 *   400 {"error":{"message":"The request had some invalid properties","code":"BadArgumentError","correlationId":…,
 *         "innererror":{"code":"SemanticError","message":"A semantic error occurred.",
 *                       "innererror":{"code":"SEM0100","message":"<what failed>"}}}}
 *   400 … "innererror":{"code":"SyntaxError","message":"A recognition error occurred in the query.",
 *                       "innererror":{"code":"SYN0002","message":…,"line":1,"pos":11,"token":"…"}}
 *   404 {"error":{"message":"The requested path does not exist","code":"PathNotFoundError",…}}
 *   504 {"error":{"message":"Gateway timeout","code":"GatewayTimeout",…,
 *                 "innererror":{"code":"GatewayTimeout","message":"ADX query timed out"}}} + Preference-Applied: wait=N
 *   200 + "error":{"code":"PartialError","message":"There were some errors when processing your query.",
 *         "details":[{"code":"EngineError","message":"Something went wrong processing your query on the server.",
 *                     "innererror":{"code":"-2133196797","message":"The results of this query exceed the set limit of …",
 *                                   "severity":2,"severityName":"Error"}}]}
 * The 404-for-workspace, 429, 500 and 503 bodies follow the same shape with codes
 * not confirmed from recordings (WorkspaceNotFoundError, ThrottledError,
 * InternalServerError, ServiceUnavailableError). 401/403 follow logs/api/errors.md and
 * logs/api/azure-resource-queries.md.
 */
import { randomUUID } from "node:crypto";

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: Record<string, unknown> };
}

function response(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): ErrorResponse {
  const { message, code, ...rest } = error;
  return { status, headers, body: { error: { message, code, correlationId: randomUUID(), ...rest } } };
}

/** A KQL error as the service reports it (kind, code and message of the evaluator's KqlError). */
export interface KqlFailure {
  kind: "SyntaxError" | "SemanticError";
  code: string;
  message: string;
  line?: number;
  pos?: number;
  token?: string;
}

export function queryError(f: KqlFailure): ErrorResponse {
  const inner: Record<string, unknown> = { code: f.code, message: f.message };
  if (f.line !== undefined) inner["line"] = f.line;
  if (f.pos !== undefined) inner["pos"] = f.pos;
  if (f.token !== undefined) inner["token"] = f.token;
  return response(400, {
    message: "The request had some invalid properties",
    code: "BadArgumentError",
    innererror: {
      code: f.kind,
      message: f.kind === "SyntaxError" ? "A recognition error occurred in the query." : "A semantic error occurred.",
      innererror: inner,
    },
  });
}

/** 400 for a request the API cannot use (bad JSON, missing query, bad timespan). */
export function badRequest(innerCode: string, detail: string): ErrorResponse {
  return response(400, {
    message: "The request had some invalid properties",
    code: "BadArgumentError",
    innererror: { code: innerCode, message: detail },
  });
}

export function workspaceNotFound(workspaceId: string): ErrorResponse {
  return response(404, {
    message: `The workspace '${workspaceId}' could not be found`,
    code: "WorkspaceNotFoundError",
  });
}

export function resourceNotFound(resourceId: string): ErrorResponse {
  return response(404, { message: `The resource '${resourceId}' could not be found`, code: "ResourceNotFoundError" });
}

export function pathNotFound(): ErrorResponse {
  return response(404, { message: "The requested path does not exist", code: "PathNotFoundError" });
}

export function methodNotAllowed(method: string): ErrorResponse {
  return response(405, { message: `The HTTP method '${method}' is not supported here`, code: "MethodNotAllowed" }, {
    allow: "GET, POST",
  });
}

export function throttled(retryAfterSeconds: number): ErrorResponse {
  return response(
    429,
    { message: "Too many requests; retry after the time in the Retry-After header", code: "ThrottledError" },
    { "retry-after": String(retryAfterSeconds) },
  );
}

export function unavailable(retryAfterSeconds: number | undefined): ErrorResponse {
  return response(
    503,
    { message: "The service is temporarily unavailable", code: "ServiceUnavailableError" },
    retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
  );
}

export function internalError(detail = "An internal error occurred while processing the request"): ErrorResponse {
  return response(500, { message: detail, code: "InternalServerError" });
}

export function gatewayTimeout(waitSeconds: number): ErrorResponse {
  return response(
    504,
    {
      message: "Gateway timeout",
      code: "GatewayTimeout",
      innererror: { code: "GatewayTimeout", message: "ADX query timed out" },
    },
    { "preference-applied": `wait=${waitSeconds}` },
  );
}

export type TruncationReason = { kind: "records"; limit: number } | { kind: "bytes"; limit: number };

/** The `error` member of a 200 response whose rows were cut at a limit. */
export function partialError(reason: TruncationReason): Record<string, unknown> {
  const message =
    reason.kind === "records"
      ? `The results of this query exceed the set limit of ${reason.limit} records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, 0x80DA0003). See https://aka.ms/kustoquerylimits for more information and possible solutions.`
      : `The results of this query exceed the set limit of ${reason.limit} bytes, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, 0x80DA0003, see https://aka.ms/kustoquerylimits for more information and possible solutions).`;
  return partialErrorOf("-2133196797", message);
}

/** The recorded shape of a 200's PartialError: one EngineError detail whose inner error says what failed. */
function partialErrorOf(innerCode: string, innerMessage: string): Record<string, unknown> {
  return {
    code: "PartialError",
    message: "There were some errors when processing your query.",
    details: [
      {
        code: "EngineError",
        message: "Something went wrong processing your query on the server.",
        innererror: { code: innerCode, message: innerMessage, severity: 2, severityName: "Error" },
      },
    ],
  };
}

/** 401 as documented (logs/api/errors.md, "No authentication provided"). */
export function authenticationFailed(): ErrorResponse {
  return response(401, { message: "Authentication failed. The 'Authorization' header is missing.", code: "AuthenticationFailed" });
}

/**
 * 403 as documented: logs/api/errors.md ("Insufficient permissions") for a workspace, and
 * logs/api/azure-resource-queries.md ("No access to resource") with its AuthorizationFailedError
 * inner error for a resource. The docs note a new role assignment can take up to 60 minutes to apply.
 */
export function insufficientAccess(resourceMode: boolean, principal = "00000000-0000-0000-0000-000000000000"): ErrorResponse {
  return response(403, {
    message: "The provided credentials have insufficient access to perform the requested operation",
    code: "InsufficientAccessError",
    ...(resourceMode
      ? { innererror: { code: "AuthorizationFailedError", message: `User '${principal}' does not have access to read logs for this resource` } }
      : {}),
  });
}

/**
 * The `error` member of a 200 whose query failed part-way for a reason other than a result limit.
 * Modelled, not recorded: Kusto's low-memory partial failure, in the shape of the recorded PartialError.
 */
export function enginePartialError(): Record<string, unknown> {
  return partialErrorOf("LowMemoryCondition", "Partial query failure: Low memory condition (E_LOW_MEMORY_CONDITION). (message: 'bad allocation', details: '')");
}
