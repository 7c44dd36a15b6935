/**
 * Streams one query result as the service's JSON body:
 *   {"tables":[{"name":"PrimaryResult","columns":[{"name":…,"type":…}],"rows":[[…],…]}]
 *    [,"statistics":{…}] [,"error":{"code":"PartialError",…}]}
 * enforcing the result limits like the service: past the record or size limit
 * the rows that fit are returned with a PartialError after "tables".
 *
 * The size limit is the engine's (64,000,000 bytes by default), which does not count the JSON
 * text: on the service the body at the cut is larger (a recorded cut at 64,000,000 engine bytes
 * came with a ~73 MB body). Modelled as a ratio: the rows may take `engineSizeRatio` JSON bytes per
 * engine byte (default 73/64), counted as the UTF-8 bytes of the `rows` array content (row texts
 * and the commas between them); the PartialError still names the engine's limit.
 */
import type { Column } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import { enginePartialError, partialError, type TruncationReason } from "../service-errors.ts";
import { rowKeyOf } from "../row-key.ts";
import type { ChunkWriter } from "./chunk-writer.ts";
import type { RowJsonCache } from "./row-cache.ts";
import { rowEncoder } from "./row-encoder.ts";

export interface QueryResultData {
  columns: readonly Column[];
  rows: readonly (readonly SimValue[])[];
  /** Where column i's value sits in a row, when rows also hold hidden values (kql/execute.ts KqlResult). */
  select?: readonly number[];
}

/** JSON bytes of rows per byte the engine counts against its size limit: 73 MB body / 64,000,000 (recorded). */
export const DEFAULT_ENGINE_SIZE_RATIO = 73 / 64;

export interface BodyPlan {
  maxRows: number;
  /** The engine's size limit (named in the PartialError). */
  maxBytes: number;
  /** JSON bytes of rows allowed per engine byte (default 1: the JSON is the engine's measure). */
  engineSizeRatio?: number;
  /** Fault "partial": keep only this many rows and report a PartialError (record variant). */
  partialRows?: number;
  /** Fault "engine": keep only this many rows and report a PartialError that is not a limit. */
  engineErrorRows?: number;
  /** Fault "reset": stop after this share of the rows; the caller then cuts the connection. */
  cutAfterFraction?: number;
  /** Include a `statistics` object (Prefer: include-statistics=true). */
  statistics?: { executionSeconds: number };
  /** A `permissions` section (Prefer: include-permissions=true on a resource-centric query). */
  permissions?: Record<string, unknown>;
  /** The workspace's row JSON cache: remembered rows are copied from it, stored rows are remembered in it. */
  cache?: RowJsonCache;
}

export interface BodyOutcome {
  rows: number;
  rowBytes: number;
  truncated?: TruncationReason;
  /** True when the body stopped early for a reset fault (the caller must cut). */
  cut: boolean;
}

const COMMA = 0x2c;
/** Copy pending cached ranges at least this often, so backpressure is honoured. */
const RANGE_FLUSH_BYTES = 256 * 1024;

/** Writes the body; yields to backpressure. Returns what was written. */
export async function writeQueryBody(w: ChunkWriter, result: QueryResultData, plan: BodyPlan): Promise<BodyOutcome> {
  const cols = result.columns.map((c) => `{"name":${JSON.stringify(c.name)},"type":${JSON.stringify(c.type)}}`).join(",");
  w.text(`{"tables":[{"name":"PrimaryResult","columns":[${cols}],"rows":[`);

  const total = result.rows.length;
  let rowLimit = plan.maxRows;
  let limitReason: TruncationReason = { kind: "records", limit: plan.maxRows };
  if (plan.partialRows !== undefined && plan.partialRows < rowLimit) {
    rowLimit = plan.partialRows;
    limitReason = { kind: "records", limit: plan.partialRows };
  }
  let engineFailed = false;
  if (plan.engineErrorRows !== undefined) {
    rowLimit = Math.min(rowLimit, plan.engineErrorRows);
    engineFailed = true;
  }
  const toWrite = Math.min(total, rowLimit);
  const cutAt = plan.cutAfterFraction === undefined ? -1 : Math.floor(toWrite * plan.cutAfterFraction);
  const enc = rowEncoder(result.columns, result.select);
  const sig = enc.sig;
  const cache = plan.cache;
  const maxBytes = Math.floor(plan.maxBytes * (plan.engineSizeRatio ?? 1));
  const sizeLimit: TruncationReason = { kind: "bytes", limit: plan.maxBytes };
  let truncated: TruncationReason | undefined;
  let rowBytes = 0;
  let written = 0;
  // Remembered rows are copied as byte ranges of the cache; consecutive rows that
  // sit next to each other there (the usual case) become one copy.
  let rangeBlock = -1;
  let rangeStart = 0;
  let rangeEnd = 0;
  const flushRange = () => {
    if (rangeBlock >= 0) {
      w.range((cache as RowJsonCache).block(rangeBlock), rangeStart, rangeEnd);
      rangeBlock = -1;
    }
  };
  for (let i = 0; i < toWrite; i++) {
    if (i === cutAt) {
      flushRange();
      return { rows: written, rowBytes, cut: true };
    }
    const values = result.rows[i] as readonly SimValue[];
    const sep = i === 0 ? 0 : 1;
    const key = rowKeyOf(values);
    let known = key === undefined || cache === undefined ? -1 : cache.length(key, sig);
    if (known < 0) {
      const text = enc.text(values);
      // Worst case 3 bytes per UTF-16 unit; measure exactly only near the limit.
      if (rowBytes + sep + text.length * 3 > maxBytes && rowBytes + sep + Buffer.byteLength(text) > maxBytes) {
        truncated = sizeLimit;
        break;
      }
      // A row remembered in another shape (e.g. without its hidden _ItemId) keeps that entry: shapes
      // that alternate would otherwise re-store the row each time.
      if (cache !== undefined && key !== undefined && !cache.has(key)) known = cache.store(key, sig, text);
      else {
        flushRange();
        if (sep) w.ascii(COMMA);
        rowBytes += sep + w.text(text);
      }
    } else if (rowBytes + sep + known > maxBytes) {
      truncated = sizeLimit;
      break;
    }
    if (known >= 0) {
      const c = cache as RowJsonCache;
      const k = key as number;
      const block = c.blockIndex(k);
      const start = c.start(k);
      if (sep && block === rangeBlock && start - 1 === rangeEnd) rangeEnd = start + known;
      else {
        flushRange();
        rangeBlock = block;
        rangeStart = start - sep; // include the comma stored before the row
        rangeEnd = start + known;
      }
      rowBytes += sep + known;
      if (rangeEnd - rangeStart >= RANGE_FLUSH_BYTES) flushRange();
    }
    written++;
    if (w.backpressured) await w.drained();
  }
  flushRange();
  if (cutAt === toWrite && cutAt >= 0) return { rows: written, rowBytes, cut: true };
  if (truncated === undefined && total > rowLimit && !engineFailed) truncated = limitReason;

  let tail = "]}]";
  if (plan.statistics !== undefined) tail += `,"statistics":${JSON.stringify(statistics(plan.statistics.executionSeconds, written, rowBytes))}`;
  if (plan.permissions !== undefined) tail += `,"permissions":${JSON.stringify(plan.permissions)}`;
  if (truncated !== undefined) tail += `,"error":${JSON.stringify(partialError(truncated))}`;
  else if (engineFailed) tail += `,"error":${JSON.stringify(enginePartialError())}`;
  w.text(tail + "}");
  return truncated === undefined ? { rows: written, rowBytes, cut: false } : { rows: written, rowBytes, truncated, cut: false };
}

function cpuText(seconds: number): string {
  const ticks = Math.round(seconds * 1e7);
  const whole = Math.floor(ticks / 1e7);
  const frac = ticks - whole * 1e7;
  const hh = String(Math.floor(whole / 3600)).padStart(2, "0");
  const mm = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
  const ss = String(whole % 60).padStart(2, "0");
  return `${hh}:${mm}:${ss}${frac === 0 ? "" : "." + String(frac).padStart(7, "0")}`;
}

/** The statistics object (same shape as the service's, with the figures the simulator knows). */
function statistics(executionSeconds: number, rows: number, bytes: number): Record<string, unknown> {
  const cpu = cpuText(executionSeconds);
  return {
    query: {
      executionTime: Math.round(executionSeconds * 1e7) / 1e7,
      resourceUsage: {
        cache: {
          memory: { hits: 0, misses: 0, total: 0 },
          disk: { hits: 0, misses: 0, total: 0 },
          shards: {
            hot: { hitbytes: 0, missbytes: 0, retrievebytes: 0 },
            cold: { hitbytes: 0, missbytes: 0, retrievebytes: 0 },
            bypassbytes: 0,
          },
        },
        cpu: { user: cpu, kernel: "00:00:00", totalCpu: cpu },
        memory: { peakPerNode: 0 },
      },
      datasetStatistics: [{ tableRowCount: rows, tableSize: bytes }],
    },
  };
}
