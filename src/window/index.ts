export { formatWindow, type TimeWindow } from "./window.ts";
export { planWindows, initialWatermark, splitWindow, nextGridLine, gridFloor, windowsBehind, type PlanInput } from "./plan.ts";
export { computeCoverage, planFillRanges, type Coverage, type CoverageInput, type FillRange, type LiveCursorRange, type BackfillCursorRange } from "./coverage.ts";
export { WindowTally } from "./window-tally.ts";
export { SplitMemory, DEFAULT_RELAX_AFTER, DEFAULT_MAX_RELAX_AFTER, type SplitMemoryOptions, type SplitMemoryState } from "./split-memory.ts";
export { planBackfill, advanceCursor, isCovered, mergeWindows, resolveBackfillRange, type BackfillInput, type CursorProgress, type KnownRange } from "./backfill.ts";
export {
  buildWindowQuery,
  checkQueryText,
  tableQueryText,
  windowFilter,
  windowTimespan,
  kqlDatetime,
  WINDOW_MACRO,
  TIMESPAN_MARGIN_MS,
  type WindowQuery,
  type WindowQuerySource,
  type WindowFilterSettings,
  type QueryTextProblem,
} from "./query-text.ts";
