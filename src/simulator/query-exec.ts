/**
 * Runs one query request body ({"query", "timespan"?, "workspaces"?}) against
 * the simulated workspace: validates it, resolves the timespan on the simulator
 * clock, applies leading `set truncationmaxrecords=N;` / `set truncationmaxsize=N;`
 * statements (lowering the result limits; `set notruncation;` is accepted and
 * ignored — the API limits stay), and calls the KQL evaluator.
 */
import type { Column } from "../table.ts";
import { type Catalog, msToTicks, type SimValue } from "./catalog.ts";
import type { Clock } from "./clock.ts";
import { badRequest, type ErrorResponse, internalError, queryError, workspaceNotFound } from "./service-errors.ts";
import { parseTimespan, TimespanError } from "./timespan.ts";
import type { QueryResultData } from "./wire/query-body.ts";

export interface KqlContext {
  catalog: Catalog;
  now: bigint;
  timespan?: { start: bigint; end: bigint };
  workspaceIds?: readonly string[];
}

/** The evaluator's signature (src/simulator/kql/index.ts executeKql). */
export type KqlExecutor = (text: string, ctx: KqlContext) => { columns: Column[]; rows: (readonly SimValue[])[]; select?: readonly number[] };

export interface ExecEnv {
  catalog: Catalog;
  clock: Clock;
  execute: KqlExecutor;
  /** True if `id` names the simulated workspace. */
  isKnownWorkspace(id: string): boolean;
  maxRows: number;
  maxBytes: number;
}

export type Executed =
  | { ok: true; result: QueryResultData; seconds: number; maxRows: number; maxBytes: number }
  | { ok: false; error: ErrorResponse };

/** The query text of a body, for fault matching ("" when there is none). */
export function queryTextOf(body: unknown): string {
  if (typeof body === "object" && body !== null && typeof (body as { query?: unknown }).query === "string") {
    return (body as { query: string }).query;
  }
  return "";
}

interface SetOptions {
  text: string;
  /** Characters stripped from the front (to map error positions back). */
  offset: number;
  maxRecords?: number;
  maxSize?: number;
}

const SET_RE = /^\s*set\s+([A-Za-z_][\w]*)\s*(?:=\s*([^;]*?))?\s*;/;

function stripSetStatements(query: string): SetOptions {
  let rest = query;
  let offset = 0;
  const out: SetOptions = { text: query, offset: 0 };
  for (;;) {
    const m = SET_RE.exec(rest);
    if (!m) break;
    const name = (m[1] ?? "").toLowerCase();
    const value = Number((m[2] ?? "").trim());
    if (name === "truncationmaxrecords" && Number.isFinite(value) && value >= 0) out.maxRecords = Math.floor(value);
    if (name === "truncationmaxsize" && Number.isFinite(value) && value >= 0) out.maxSize = Math.floor(value);
    offset += m[0].length;
    rest = rest.slice(m[0].length);
  }
  out.text = rest;
  out.offset = offset;
  return out;
}

interface KqlErrorLike {
  kind: "SyntaxError" | "SemanticError";
  code: string;
  message: string;
  position?: number;
}

function isKqlError(e: unknown): e is KqlErrorLike {
  if (!(e instanceof Error)) return false;
  const k = (e as Partial<KqlErrorLike>).kind;
  return (k === "SyntaxError" || k === "SemanticError") && typeof (e as Partial<KqlErrorLike>).code === "string";
}

/** 1-based line and 0-based position in that line (the service reports "line [1,11]" for offset 11). */
function lineAndPos(text: string, offset: number): { line: number; pos: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, pos: end - lineStart };
}

export function executeQueryBody(body: unknown, env: ExecEnv): Executed {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, error: badRequest("InvalidRequestBody", "The request body must be a JSON object with a 'query' property.") };
  }
  const b = body as { query?: unknown; timespan?: unknown; workspaces?: unknown };
  if (typeof b.query !== "string" || b.query.trim() === "") {
    return { ok: false, error: badRequest("QueryValidationError", "The request body must contain a non-empty 'query' string.") };
  }
  const nowMs = env.clock();
  const now = msToTicks(nowMs);
  let timespan: { start: bigint; end: bigint } | undefined;
  if (b.timespan !== undefined && b.timespan !== null) {
    if (typeof b.timespan !== "string") {
      return { ok: false, error: badRequest("InvalidTimespan", "'timespan' must be an ISO 8601 duration or interval string.") };
    }
    try {
      timespan = parseTimespan(b.timespan, now);
    } catch (err) {
      if (err instanceof TimespanError) return { ok: false, error: badRequest("InvalidTimespan", err.message) };
      throw err;
    }
  }
  const workspaceIds: string[] = [];
  if (b.workspaces !== undefined && b.workspaces !== null) {
    if (!Array.isArray(b.workspaces) || !b.workspaces.every((w) => typeof w === "string")) {
      return { ok: false, error: badRequest("InvalidWorkspaces", "'workspaces' must be an array of workspace ID strings.") };
    }
    for (const id of b.workspaces as string[]) {
      if (!env.isKnownWorkspace(id)) return { ok: false, error: workspaceNotFound(id) };
      workspaceIds.push(id);
    }
  }
  const set = stripSetStatements(b.query);
  const started = performance.now();
  let out: ReturnType<KqlExecutor>;
  try {
    const ctx: KqlContext = { catalog: env.catalog, now };
    if (timespan !== undefined) ctx.timespan = timespan;
    if (workspaceIds.length > 0) ctx.workspaceIds = workspaceIds;
    out = env.execute(set.text, ctx);
  } catch (err) {
    if (isKqlError(err)) {
      const failure: Parameters<typeof queryError>[0] = { kind: err.kind, code: err.code, message: err.message };
      if (err.kind === "SyntaxError" && err.position !== undefined) {
        const where = lineAndPos(b.query, err.position + set.offset);
        failure.line = where.line;
        failure.pos = where.pos;
      }
      return { ok: false, error: queryError(failure) };
    }
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: internalError(`The simulator failed to run the query: ${message}`) };
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    ok: true,
    result: out,
    seconds,
    maxRows: Math.min(env.maxRows, set.maxRecords ?? Infinity),
    maxBytes: Math.min(env.maxBytes, set.maxSize ?? Infinity),
  };
}
