/**
 * The bench's data set, described once: which windows hold the rows, how the exporter's window query
 * reads, and what the replay server wrote down about what it serves (manifest.json), so every
 * pipeline asks for the same windows and every output is checked against the same truth.
 */
import { buildWindowQuery } from "../../src/window/index.ts";
import type { TimeWindow } from "../../src/window/window.ts";
import type { Column, RawRow } from "../../src/table.ts";

export const HOUR = 3_600_000;
export const TABLE = "AppRequests";
export const QUERY_NAME = "requests";
/** The window filter settings of the exporter's defaults (ingestion mode, lookback P3D, future P1D). */
export const FILTER = { mode: "ingestion" as const, timeColumn: "TimeGenerated", lookbackMs: 3 * 24 * HOUR, futureMs: 24 * HOUR };

export interface Manifest {
  /** The data's windows: one hour each, `windowRows` rows on average. */
  windows: { start: number; end: number; rows: number; bytes: number }[];
  rows: number;
  /** Uncompressed response JSON bytes of the windows served whole. */
  bytes: number;
  columns: Column[];
  /** Every `sampleStep`-th row as its raw wire cells (JSON text per cell): the truth round-trips are checked against. */
  sample: RawRow[];
  sampleStep: number;
  workspaceId: string;
  blocksPerWindow: number;
}

/** The exporter's query for window `w` (the replay server reads the window back from it). */
export function windowRequest(w: TimeWindow): { query: string; timespan: string } {
  return buildWindowQuery({ name: QUERY_NAME, table: TABLE }, w, FILTER);
}

const FILTER_RE = /ingestion_time\(\) >= datetime\(([^)]+)\) and ingestion_time\(\) < datetime\(([^)]+)\)/;

/** The ingestion-time window a window query selects, or undefined when it has no such filter. */
export function windowOfQuery(query: string): TimeWindow | undefined {
  const m = FILTER_RE.exec(query);
  if (!m) return undefined;
  return { start: Date.parse(m[1]!), end: Date.parse(m[2]!) };
}
