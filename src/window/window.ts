/** A half-open time interval [start, end), in epoch milliseconds (UTC). */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** "2026-11-22T03:00:00.000Z/2026-11-22T03:05:00.000Z", for messages and logs. */
export function formatWindow(w: TimeWindow): string {
  return `${new Date(w.start).toISOString()}/${new Date(w.end).toISOString()}`;
}
