/**
 * The KQL `monitorlift verify` sends to count a query's rows per window: the export's own text for a
 * whole range (buildWindowQuery: the same window filter, the same transform or .kql stages, the same
 * timespan) followed by one `summarize count()` binned on the window grid, so a day of 5-minute
 * windows is one request and each bin is exactly the rows one window exported.
 *
 * `bin()` on a datetime floors to multiples of the size since 0001-01-01, which is the window grid
 * (multiples since 1970-01-01) when the size divides a day; other sizes cannot be verified this way.
 * The rows must still carry their ingestion time after the transform (filters and extend do; a
 * transform that summarizes or projects may not), the binning column in time mode likewise.
 */
import { UsageError } from "../errors.ts";
import { buildWindowQuery, type WindowFilterSettings, type WindowQuery, type WindowQuerySource } from "./query-text.ts";
import type { TimeWindow } from "./window.ts";

const DAY_MS = 86_400_000;
/** The result columns of a count query. */
export const COUNT_WINDOW_COLUMN = "MonitorliftWindowStart";
export const COUNT_ROWS_COLUMN = "MonitorliftRows";

/** True when windows of `sizeMs` line up with the bins of KQL's bin() (the size divides a day). */
export function isCountableSize(sizeMs: number): boolean {
  return Number.isSafeInteger(sizeMs) && sizeMs > 0 && sizeMs <= DAY_MS && DAY_MS % sizeMs === 0;
}

/** The text and timespan counting the rows of every window of `range` (one row per non-empty window). */
export function buildCountQuery(q: WindowQuerySource, range: TimeWindow, s: WindowFilterSettings & { sizeMs: number }): WindowQuery {
  if (!isCountableSize(s.sizeMs)) {
    throw new UsageError(
      `Query "${q.name ?? "?"}": verify counts rows per window with bin(), which lines up with the window grid only when window.size divides a day (got ${s.sizeMs} ms).`,
    );
  }
  const base = buildWindowQuery(q, range, s);
  const binned = s.mode === "time" ? s.timeColumn : "ingestion_time()";
  return {
    query: `${base.query}\n| summarize ${COUNT_ROWS_COLUMN} = count() by ${COUNT_WINDOW_COLUMN} = bin(${binned}, ${s.sizeMs}ms)`,
    timespan: base.timespan,
  };
}
