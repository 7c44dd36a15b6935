/**
 * Control endpoints for tests and demos, under /_control/ (never faulted):
 *
 *   GET  /_control/health                        {"ok":true,"workspaceId":…,"resourceId":…,"now":…}
 *   GET  /_control/truth?table=T[&ingestedBefore=X][&ingestedFrom=X]
 *        X = epoch ms or ISO instant → {"table","count","itemIds":[…]} (every generated row, visible or not)
 *   GET  /_control/stats                         requests by status, rows/bytes served, faults injected, rows per table
 *   GET  /_control/faults                        {"config","queued","injected"}
 *   POST /_control/faults  {"mode"?: "merge"|"replace", "config"?: FaultConfig | "429=0.1,…",
 *                           "queue"?: ["429:1","reset","ok"], "match"?: "substring", "clearQueue"?: true}
 *   GET  /_control/clock                         {"now":ms,"iso":…,"manual":bool}
 *   POST /_control/clock   {"advanceMs": n} | {"set": ms | ISO}   (manual clock only; 409 otherwise)
 *   GET  /_control/access                        {"deniedTables":[…],"workspaceDenied":bool} (resource-centric queries)
 *   POST /_control/access  {"deniedTables"?: [..], "workspaceDenied"?: bool}   replaces the model; clears the response cache
 *   POST /_control/cache   {"clear": true}      empties the 2-minute response cache
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessModel } from "./access.ts";
import { type Clock, isManualClock } from "./clock.ts";
import type { WorkspaceData } from "./data/workspace.ts";
import { type FaultConfig, type FaultController, FaultSpecError, parseFaultConfig } from "./faults.ts";
import { readBody, sendJson } from "./http-util.ts";
import type { ResponseCache } from "./response-cache.ts";
import type { StatsRecorder } from "./stats.ts";

export interface ControlDeps {
  data: WorkspaceData;
  clock: Clock;
  faults: FaultController;
  stats: StatsRecorder;
  workspaceId: string;
  resourceId: string;
  access: AccessModel;
  responseCache: ResponseCache;
}

class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function instant(value: string | null, name: string): number | undefined {
  if (value === null || value === "") return undefined;
  const n = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new ControlError(400, `${name} must be epoch milliseconds or an ISO 8601 instant, got '${value}'`);
  return n;
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ControlError(400, "the request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ControlError(400, "the request body must be a JSON object");
  return parsed as Record<string, unknown>;
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  params: URLSearchParams,
  deps: ControlDeps,
): Promise<void> {
  try {
    const method = req.method ?? "GET";
    const now = deps.clock();
    if (path === "health" && method === "GET") {
      sendJson(res, 200, { ok: true, workspaceId: deps.workspaceId, resourceId: deps.resourceId, now, iso: new Date(now).toISOString() });
    } else if (path === "truth" && method === "GET") {
      const table = params.get("table");
      if (table === null || table === "") throw new ControlError(400, "the 'table' query parameter is required");
      if (!deps.data.tableNames().includes(table)) throw new ControlError(404, `unknown table '${table}'`);
      const filter: { ingestedBefore?: number; ingestedFrom?: number } = {};
      const before = instant(params.get("ingestedBefore"), "ingestedBefore");
      const from = instant(params.get("ingestedFrom"), "ingestedFrom");
      if (before !== undefined) filter.ingestedBefore = before;
      if (from !== undefined) filter.ingestedFrom = from;
      const itemIds = deps.data.truth(table, filter);
      sendJson(res, 200, { table, count: itemIds.length, itemIds });
    } else if (path === "stats" && method === "GET") {
      sendJson(res, 200, deps.stats.snapshot(deps.faults.injected(), deps.data.rowCounts()));
    } else if (path === "faults" && method === "GET") {
      sendJson(res, 200, { config: deps.faults.config(), queued: deps.faults.queued(), injected: deps.faults.injected() });
    } else if (path === "faults" && method === "POST") {
      const body = await jsonBody(req);
      try {
        if (body["clearQueue"] === true) deps.faults.clearQueue();
        if (body["config"] !== undefined) {
          const raw = body["config"];
          const config: FaultConfig = typeof raw === "string" ? parseFaultConfig(raw) : (raw as FaultConfig);
          if (body["mode"] === "replace") deps.faults.set(config);
          else deps.faults.merge(config);
        } else if (body["mode"] === "replace") deps.faults.set({});
        if (body["queue"] !== undefined) {
          const queue = body["queue"];
          if (!Array.isArray(queue) || !queue.every((q) => typeof q === "string")) throw new ControlError(400, "'queue' must be an array of fault strings");
          const match = typeof body["match"] === "string" ? body["match"] : undefined;
          deps.faults.enqueue(queue as string[], match === undefined ? {} : { match });
        }
      } catch (err) {
        if (err instanceof FaultSpecError) throw new ControlError(400, err.message);
        throw err;
      }
      sendJson(res, 200, { config: deps.faults.config(), queued: deps.faults.queued() });
    } else if (path === "clock" && method === "GET") {
      sendJson(res, 200, { now, iso: new Date(now).toISOString(), manual: isManualClock(deps.clock) });
    } else if (path === "clock" && method === "POST") {
      const clock = deps.clock;
      if (!isManualClock(clock)) throw new ControlError(409, "the simulator runs on the real clock; start it with a manual clock to move time");
      const body = await jsonBody(req);
      if (typeof body["advanceMs"] === "number") clock.advance(body["advanceMs"]);
      else if (typeof body["set"] === "number" || typeof body["set"] === "string") {
        const to = instant(String(body["set"]), "set");
        if (to === undefined) throw new ControlError(400, "'set' must not be empty");
        clock.set(to);
      } else throw new ControlError(400, "send {\"advanceMs\": n} or {\"set\": epochMs | ISO}");
      const t = clock();
      sendJson(res, 200, { now: t, iso: new Date(t).toISOString(), manual: true });
    } else if (path === "access" && method === "GET") {
      sendJson(res, 200, { deniedTables: deps.access.deniedTables ?? [], workspaceDenied: deps.access.workspaceDenied === true });
    } else if (path === "access" && method === "POST") {
      const body = await jsonBody(req);
      const tables = body["deniedTables"] ?? [];
      if (!Array.isArray(tables) || !tables.every((t) => typeof t === "string")) throw new ControlError(400, "'deniedTables' must be an array of table names");
      if (body["workspaceDenied"] !== undefined && typeof body["workspaceDenied"] !== "boolean") throw new ControlError(400, "'workspaceDenied' must be a boolean");
      deps.access.deniedTables = tables as string[];
      deps.access.workspaceDenied = body["workspaceDenied"] === true;
      deps.responseCache.clear();
      sendJson(res, 200, { deniedTables: deps.access.deniedTables, workspaceDenied: deps.access.workspaceDenied });
    } else if (path === "cache" && method === "POST") {
      const body = await jsonBody(req);
      if (body["clear"] === true) deps.responseCache.clear();
      sendJson(res, 200, { ok: true });
    } else {
      throw new ControlError(404, `no control endpoint ${method} /_control/${path}`);
    }
  } catch (err) {
    if (err instanceof ControlError) sendJson(res, err.status, { error: { code: "ControlError", message: err.message } });
    else throw err;
  }
}
