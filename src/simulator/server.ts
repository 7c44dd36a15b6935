/**
 * The simulator's HTTP server (node:http, no framework): a Log Analytics
 * query API on /v1 plus test/demo control endpoints on /_control/.
 *
 *   POST|GET /v1/workspaces/{workspaceId}/query
 *   POST|GET /v1/{resourceId}/query      resource-centric, /v1/subscriptions/… (the documented and recorded form);
 *                                        /v1//subscriptions/… (what @azure/monitor-query-logs 1.0.0 sends) is
 *                                        answered 404 PathNotFoundError: no recording shows the service accepting it
 *   POST     /v1/$batch                  {"requests":[{id, body, workspace, headers?, path?, method?}]}
 *   …        /_control/…                 see control.ts (never faulted)
 *
 * Like the service (see the README, "Against the real service"), on the query routes:
 *  - a workspace with no data at all answers 204 No Content with an empty body (logs/api/errors.md);
 *  - identical requests are answered from a 2-minute cache with an `Age` header unless the request
 *    says `Cache-Control: no-cache` (response-cache.ts, logs/api/cache.md);
 *  - resource-centric queries drop rows the identity may not read, silently, and report them only
 *    under `Prefer: include-permissions=true` (access.ts);
 *  - the size limit is the engine's, so a body at the cut is larger than the limit (wire/query-body.ts).
 * $batch has none of these four (it is not used by monitorlift).
 *
 * Auth decision: the simulator serves plain HTTP on loopback and requires no
 * token; an Authorization header, if present, is ignored. The exporter talks to
 * it with an explicit `auth: {method: "none"}` mode that is accepted only for
 * loopback endpoints and removes the SDK's bearer-token policy (the SDK refuses
 * to send tokens over plain http anyway).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AccessModel, permissionsSection, restrictedCatalog, restricts } from "./access.ts";
import type { Clock } from "./clock.ts";
import { type ControlDeps, handleControl } from "./control.ts";
import type { Fault, FaultController } from "./faults.ts";
import { acceptsGzip, BodyTooLargeError, readBody, sendError, sleepUnlessGone } from "./http-util.ts";
import { parsePrefer, type Preferences } from "./prefer.ts";
import { type ExecEnv, type Executed, executeQueryBody, queryTextOf } from "./query-exec.ts";
import { parseCacheControl, ResponseCache } from "./response-cache.ts";
import {
  authenticationFailed,
  badRequest,
  type ErrorResponse,
  gatewayTimeout,
  insufficientAccess,
  internalError,
  methodNotAllowed,
  pathNotFound,
  resourceNotFound,
  throttled,
  unavailable,
  workspaceNotFound,
} from "./service-errors.ts";
import type { StatsRecorder } from "./stats.ts";
import { ChunkWriter, ClientGoneError } from "./wire/chunk-writer.ts";
import { type BodyPlan, writeQueryBody } from "./wire/query-body.ts";
import type { RowJsonCache } from "./wire/row-cache.ts";

export interface ServerDeps extends ControlDeps {
  workspaceId: string;
  /** Resource IDs accepted by resource-centric queries (compared case-insensitively). */
  resourceIds: readonly string[];
  clock: Clock;
  exec: ExecEnv;
  faults: FaultController;
  stats: StatsRecorder;
  /** Row JSON cache (undefined: encode every row every time). */
  rowCache: RowJsonCache | undefined;
  /** JSON bytes of rows allowed per byte of the engine's size limit (wire/query-body.ts). */
  engineSizeRatio: number;
  /** What the identity may read in resource-centric queries (changed at runtime through /_control/access). */
  access: AccessModel;
  /** The query API's 2-minute response cache. */
  responseCache: ResponseCache;
}

type Route =
  | { kind: "workspace"; workspaceId: string }
  | { kind: "resource"; resourceId: string }
  | { kind: "batch" }
  | { kind: "control"; path: string }
  | { kind: "none" };

function normalizeResourceId(id: string): string {
  return id.replace(/^\/+/, "").replace(/\/+$/, "").toLowerCase();
}

function route(path: string): Route {
  if (path.startsWith("/_control/")) return { kind: "control", path: path.slice("/_control/".length) };
  if (!path.startsWith("/v1/")) return { kind: "none" };
  const rest = path.slice(4);
  if (rest === "$batch" || rest.toLowerCase() === "%24batch") return { kind: "batch" };
  const ws = /^workspaces\/([^/]+)\/query$/.exec(rest);
  if (ws) return { kind: "workspace", workspaceId: safeDecode(ws[1] ?? "") };
  if (rest.endsWith("/query") && /^subscriptions\//i.test(rest)) {
    return { kind: "resource", resourceId: safeDecode(rest.slice(0, -"/query".length)) };
  }
  return { kind: "none" };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createSimulatorServer(deps: ServerDeps): Server {
  const resourceIds = new Set(deps.resourceIds.map(normalizeResourceId));
  const server = createServer({ keepAliveTimeout: 5000, requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof ClientGoneError) return;
      if (!res.headersSent) sendError(res, internalError(`The simulator failed: ${err instanceof Error ? err.message : String(err)}`));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const params = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    const r = route(path);
    if (r.kind === "control") {
      await handleControl(req, res, r.path, params, deps);
      return;
    }
    const reply = (e: ErrorResponse) => {
      deps.stats.request(e.status);
      sendError(res, e);
    };
    if (r.kind === "none") return reply(pathNotFound());
    if (req.method !== "POST" && !(req.method === "GET" && r.kind !== "batch")) return reply(methodNotAllowed(req.method ?? ""));

    let body: unknown;
    if (req.method === "GET") {
      body = {
        query: params.get("query") ?? undefined,
        timespan: params.get("timespan") ?? undefined,
        workspaces: params.get("workspaces")?.split(",").filter((s) => s !== "") ?? undefined,
      };
    } else {
      let text: string;
      try {
        text = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLargeError) return reply(badRequest("RequestTooLarge", err.message));
        throw err;
      }
      try {
        body = JSON.parse(text);
      } catch {
        return reply(badRequest("InvalidJson", "The request body is not valid JSON."));
      }
    }
    const prefs = parsePrefer(req.headers["prefer"]);
    if (r.kind === "batch") return handleBatch(req, res, body, prefs);

    const fault = deps.faults.next([queryTextOf(body)]);
    if (!(await applyPreFaults(res, fault, prefs.waitSeconds, reply, r.kind === "resource"))) return;
    if (r.kind === "workspace" && !deps.exec.isKnownWorkspace(r.workspaceId)) return reply(workspaceNotFound(r.workspaceId));
    if (r.kind === "resource" && !resourceIds.has(normalizeResourceId(r.resourceId))) return reply(resourceNotFound(r.resourceId));
    if (r.kind === "workspace" && workspaceIsEmpty()) {
      // logs/api/errors.md, "No data in workspace": 204 No Content, empty body.
      deps.stats.request(204);
      res.writeHead(204, { "x-ms-request-id": randomUUID() });
      res.end();
      return;
    }
    const cacheControl = parseCacheControl(req.headers["cache-control"]);
    const cacheKey = ResponseCache.key(path, body);
    const now = deps.clock();
    const cached = deps.responseCache.get(cacheKey, now, cacheControl);
    let ex: Executed;
    let permissions: Record<string, unknown> | undefined;
    if (cached !== undefined) {
      ex = cached.ex;
      permissions = cached.permissions;
    } else {
      let env = deps.exec;
      let touched: Set<string> | undefined;
      if (r.kind === "resource" && restricts(deps.access)) {
        const view = restrictedCatalog(deps.exec.catalog, deps.access);
        env = { ...deps.exec, catalog: view.catalog };
        touched = view.touched;
      }
      ex = executeQueryBody(body, env);
      deps.stats.query();
      if (r.kind === "resource") permissions = permissionsSection(`/${r.resourceId}`, deps.access, touched ?? new Set());
      if (ex.ok) deps.responseCache.put(cacheKey, ex, permissions, now, cacheControl);
    }
    if (!ex.ok) return reply(ex.error);

    const gzip = acceptsGzip(req);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      vary: "Accept-Encoding",
      "x-ms-request-id": randomUUID(),
      ...(cached !== undefined ? { age: String(cached.ageSeconds) } : {}),
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    const w = new ChunkWriter(res, gzip);
    const plan = bodyPlan(ex, fault, prefs);
    if (permissions !== undefined && prefs.includePermissions) plan.permissions = permissions;
    const out = await writeQueryBody(w, ex.result, plan);
    deps.stats.served(out.rows, out.rowBytes, out.truncated !== undefined);
    if (out.cut) {
      deps.stats.request("reset");
      await w.cut();
      return;
    }
    await w.end();
    deps.stats.request(200);
  }

  function bodyPlan(ex: Extract<Executed, { ok: true }>, fault: Fault, prefs: Preferences): BodyPlan {
    const plan: BodyPlan = { maxRows: ex.maxRows, maxBytes: ex.maxBytes, engineSizeRatio: deps.engineSizeRatio };
    if (deps.rowCache !== undefined) plan.cache = deps.rowCache;
    if (fault.kind === "partial") plan.partialRows = fault.rows ?? Math.floor(ex.result.rows.length / 2);
    if (fault.kind === "engine") plan.engineErrorRows = fault.rows ?? Math.floor(ex.result.rows.length / 2);
    if (fault.kind === "reset") plan.cutAfterFraction = fault.fraction;
    if (prefs.includeStatistics) plan.statistics = { executionSeconds: ex.seconds };
    return plan;
  }

  /** True when no table holds any row yet: the service's "no data in workspace". */
  function workspaceIsEmpty(): boolean {
    return Object.values(deps.data.rowCounts()).every((n) => n === 0);
  }

  /** Applies 429/503/500/401/403/slow. Returns false when the request was answered (or the client left). */
  async function applyPreFaults(
    res: ServerResponse,
    fault: Fault,
    waitSeconds: number,
    reply: (e: ErrorResponse) => void,
    resourceMode = false,
  ): Promise<boolean> {
    switch (fault.kind) {
      case "401":
        reply(authenticationFailed());
        return false;
      case "403":
        reply(insufficientAccess(resourceMode));
        return false;
      case "429":
        reply(throttled(fault.retryAfterSeconds));
        return false;
      case "503":
        reply(unavailable(fault.retryAfterSeconds));
        return false;
      case "500":
        reply(internalError());
        return false;
      case "slow": {
        const waitMs = waitSeconds * 1000;
        if (fault.delayMs >= waitMs) {
          if (await sleepUnlessGone(res, waitMs)) reply(gatewayTimeout(waitSeconds));
          return false;
        }
        return sleepUnlessGone(res, fault.delayMs);
      }
      default:
        return true;
    }
  }

  async function handleBatch(req: IncomingMessage, res: ServerResponse, body: unknown, prefs: Preferences): Promise<void> {
    const reply = (e: ErrorResponse) => {
      deps.stats.request(e.status);
      sendError(res, e);
    };
    const requests = (body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      return reply(badRequest("InvalidBatch", "The batch body must be {\"requests\":[{id, body, workspace, …}, …]} with at least one request."));
    }
    const subs = requests.map((raw: unknown) => {
      const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
      const headers = (typeof o["headers"] === "object" && o["headers"] !== null ? o["headers"] : {}) as Record<string, unknown>;
      const preferHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === "prefer")?.[1];
      return {
        id: typeof o["id"] === "string" || typeof o["id"] === "number" ? String(o["id"]) : "",
        body: o["body"],
        workspace: typeof o["workspace"] === "string" ? o["workspace"] : "",
        path: typeof o["path"] === "string" ? o["path"] : "/query",
        method: typeof o["method"] === "string" ? o["method"].toUpperCase() : "POST",
        prefs: typeof preferHeader === "string" ? parsePrefer(preferHeader) : prefs,
      };
    });
    const fault = deps.faults.next(subs.map((s) => queryTextOf(s.body)));
    // 429/503/500 answer the whole batch; a slow fault delays it and times out the queries whose wait is shorter.
    let delayMs = 0;
    if (fault.kind === "slow") {
      delayMs = Math.min(fault.delayMs, Math.max(...subs.map((s) => s.prefs.waitSeconds * 1000)));
      if (!(await sleepUnlessGone(res, delayMs))) return;
    } else if (!(await applyPreFaults(res, fault, prefs.waitSeconds, reply))) return;

    const gzip = acceptsGzip(req);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      vary: "Accept-Encoding",
      "x-ms-request-id": randomUUID(),
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    const w = new ChunkWriter(res, gzip);
    w.text('{"responses":[');
    let first = true;
    for (const sub of subs) {
      if (!first) w.text(",");
      first = false;
      const head = (status: number, headers: Record<string, string> = {}) =>
        w.text(`{"id":${JSON.stringify(sub.id)},"status":${status},"headers":${JSON.stringify(headers)},"body":`);
      let error: ErrorResponse | undefined;
      if (fault.kind === "slow" && fault.delayMs >= sub.prefs.waitSeconds * 1000) error = gatewayTimeout(sub.prefs.waitSeconds);
      else if (sub.path.replace(/^\/+/, "") !== "query" || sub.method !== "POST") error = pathNotFound();
      else if (!deps.exec.isKnownWorkspace(sub.workspace)) error = workspaceNotFound(sub.workspace);
      if (error === undefined) {
        const ex = executeQueryBody(sub.body, deps.exec);
        deps.stats.query();
        if (!ex.ok) error = ex.error;
        else {
          head(200);
          const out = await writeQueryBody(w, ex.result, bodyPlan(ex, fault, sub.prefs));
          deps.stats.served(out.rows, out.rowBytes, out.truncated !== undefined);
          if (out.cut) {
            deps.stats.request("reset");
            await w.cut();
            return;
          }
          w.text("}");
          if (w.backpressured) await w.drained();
          continue;
        }
      }
      head(error.status, error.headers);
      w.text(`${JSON.stringify(error.body)}}`);
    }
    w.text("]}");
    await w.end();
    deps.stats.request(200);
  }

  return server;
}
