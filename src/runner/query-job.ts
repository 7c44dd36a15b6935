/** What the runner needs to know about one configured query (built from the config by the CLI). */
import type { QueryRequest } from "../source/logs-source.ts";
import type { TimeWindow } from "../window/window.ts";

export interface QueryJob {
  name: string;
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
