/**
 * The one layout every file-like sink shares (filesystem, blob). Names are
 * deterministic from query + window, and can be parsed back, so a re-run
 * replaces what a killed run left instead of duplicating it.
 *
 *   <query>/date=YYYY-MM-DD/hour=HH/<start>_<end><ext>       data, partitioned by window start (UTC)
 *   <query>/date=YYYY-MM-DD/hour=HH/_tmp.<start>_<end>.<id>   a chunk being written
 *   _state/<query>/<scope>.json                              cursor (watermark) of a query and scope
 *   _locks/<query>/<scope>.lock                              single-writer lock
 *   _runs/<YYYY-MM-DD>/<runId>.json                          run summaries
 *   _rows/<query>/date=…/hour=…/<start>_<end>                the row count of a committed chunk
 *                                                            (filesystem; blob keeps it in the chunk's metadata)
 *
 * <start>/<end> are compact UTC instants with milliseconds: 20261122T030000.000Z.
 * Everything that is not data starts with "_" so Spark, Synapse, Fabric and DuckDB skip it.
 */
import type { StateKey } from "./sink.ts";
import type { TimeWindow } from "../window/window.ts";
import { QUERY_NAME_PATTERN } from "../config/query-name.ts";

export { QUERY_NAME_PATTERN };
export const LIVE_SCOPE = "live";

const COMPACT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/;

/** 2026-11-22T03:00:00.000Z → 20261122T030000.000Z */
export function compactInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}Z`;
}

export function parseCompactInstant(text: string): number | undefined {
  const m = COMPACT.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
  return compactInstant(ms) === text ? ms : undefined;
}

export function isValidQueryName(name: string): boolean {
  return QUERY_NAME_PATTERN.test(name);
}

export function backfillScope(from: number, to: number): string {
  return `backfill-${compactInstant(from)}-${compactInstant(to)}`;
}

/** The [from, to) range of a "backfill-<from>-<to>" scope, or undefined for other scopes. */
export function parseScopeRange(scope: string): { from: number; to: number } | undefined {
  if (!scope.startsWith("backfill-") || scope.length !== 9 + 20 + 1 + 20) return undefined;
  const from = parseCompactInstant(scope.slice(9, 29));
  const to = parseCompactInstant(scope.slice(30));
  return from !== undefined && to !== undefined && scope[29] === "-" ? { from, to } : undefined;
}

export function liveKey(query: string): StateKey {
  return { query, scope: LIVE_SCOPE };
}

/** "<query>/date=2026-11-22/hour=03" for the window's start. */
export function partitionPath(query: string, windowStart: number): string {
  const iso = new Date(windowStart).toISOString();
  return `${query}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}

/** "20261122T030000.000Z_20261122T030500.000Z" */
export function chunkStem(w: TimeWindow): string {
  return `${compactInstant(w.start)}_${compactInstant(w.end)}`;
}

/** "<query>/date=…/hour=…/<start>_<end><extension>", the final name of a window's data. */
export function chunkPath(query: string, w: TimeWindow, extension: string): string {
  return `${partitionPath(query, w.start)}/${chunkStem(w)}${extension}`;
}

/** A temporary name beside the final one; `id` makes concurrent attempts distinct. */
export function tempChunkPath(query: string, w: TimeWindow, id: string): string {
  return `${partitionPath(query, w.start)}/_tmp.${chunkStem(w)}.${id}`;
}

/** The window a data or temporary chunk's base name stands for, or undefined for other names. */
export function parseChunkName(baseName: string): { window: TimeWindow; temporary: boolean } | undefined {
  const temporary = baseName.startsWith("_tmp.");
  const rest = temporary ? baseName.slice(5) : baseName;
  const start = parseCompactInstant(rest.slice(0, 20));
  const end = rest[20] === "_" ? parseCompactInstant(rest.slice(21, 41)) : undefined;
  if (start === undefined || end === undefined || end <= start) return undefined;
  return { window: { start, end }, temporary };
}

/** "_rows/<query>/date=…/hour=…/<start>_<end>": where a filesystem chunk's row count is recorded. */
export function rowCountPath(query: string, w: TimeWindow): string {
  return `_rows/${partitionPath(query, w.start)}/${chunkStem(w)}`;
}

export function statePath(key: StateKey): string {
  return `_state/${key.query}/${key.scope}.json`;
}

export function lockPath(key: StateKey): string {
  return `_locks/${key.query}/${key.scope}.lock`;
}

export function runSummaryPath(runId: string, startedAt: number): string {
  return `_runs/${new Date(startedAt).toISOString().slice(0, 10)}/${runId}.json`;
}

/** The "date=…/hour=…" partitions a window range touches, first to last (for listing during recovery). */
export function partitionsBetween(query: string, from: number, to: number): string[] {
  const hour = 3_600_000;
  const out: string[] = [];
  for (let t = Math.floor(from / hour) * hour; t < to; t += hour) out.push(partitionPath(query, t));
  return out;
}
