/** What the runner needs to know about one configured query (built from the config by the CLI). */
import type { QueryRequest } from "../source/logs-source.ts";
import type { TimeWindow } from "../window/window.ts";

export interface QueryJob {
  name: string;
  /** The source it reads: a key of RunDeps.sources (DEFAULT_SOURCE_NAME with a single top-level `source`). */
  source: string;
  /**
   * The source's name as logs, metrics, traces and reports show it: set only when the config names its
   * sources (`sources`), so a single-source config reports exactly as before.
   */
  sourceLabel?: string;
  /** KQL text and timespan for one window (src/window/query-text.ts). */
  buildQuery(w: TimeWindow): QueryRequest;
  /** KQL counting the rows of every window in `range`, binned on the window grid (src/window/count-query.ts), for verify. */
  buildCountQuery(range: TimeWindow): QueryRequest;
  sizeMs: number;
  lagMs: number;
  /** Each export re-verifies (and repairs) the windows committed this long behind the watermark; 0: off. */
  reverifyMs: number;
  minSizeMs: number;
  maxWindowsPerRun: number;
  /** Where a query without a watermark begins. */
  start: { at: number } | { ago: number };
}

/** The fields naming a query in its log lines: the query, and its source when the config names its sources. */
export function queryLogFields(job: Pick<QueryJob, "name" | "sourceLabel">): { query: string; source?: string } {
  return job.sourceLabel === undefined ? { query: job.name } : { query: job.name, source: job.sourceLabel };
}
