/**
 * Rows that become visible late: the gap between a row's ingestion_time() and the moment queries
 * can see it. Microsoft documents ingestion_time() as approximate (azure-monitor-docs
 * logs/data-ingestion-time.md: data "may take several minutes" to become available after the
 * ingestion time it carries), so a window [start, end) over ingestion_time() can still gain rows
 * minutes after `end`, and — rarely — much later.
 *
 * Model (default ON, like the service): on top of the settle jitter (seconds), a share `fraction`
 * of rows becomes visible `minMs`..`maxMs` (log-uniform) after its ingestion time, and a smaller
 * share `longFraction` up to `longMaxMs`. The draws come from their own PRNG stream per event
 * slot (seed, table, slot, VISIBILITY_STREAM), so turning the tail on or off never changes the
 * rows themselves, only when they appear.
 */
import { hash32, Rng } from "./prng.ts";

export interface VisibilityTail {
  /** Share of rows visible minMs..maxMs after their ingestion time (default 0.005 = 0.5 %). */
  fraction: number;
  minMs: number;
  maxMs: number;
  /** Share of rows visible maxMs..longMaxMs after their ingestion time (default 0.0005). */
  longFraction: number;
  longMaxMs: number;
}

export const DEFAULT_VISIBILITY_TAIL: VisibilityTail = {
  fraction: 0.005,
  minMs: 2 * 60_000,
  maxMs: 15 * 60_000,
  longFraction: 0.0005,
  longMaxMs: 60 * 60_000,
};

/** No tail: every row is visible within the settle jitter of its ingestion time. */
export const NO_VISIBILITY_TAIL: VisibilityTail = { ...DEFAULT_VISIBILITY_TAIL, fraction: 0, longFraction: 0 };

const VISIBILITY_STREAM = 0x7a11;

/** `false` turns the tail off; a partial model overrides the defaults. Throws RangeError on nonsense. */
export function resolveVisibilityTail(partial: Partial<VisibilityTail> | false | undefined): VisibilityTail {
  if (partial === false) return NO_VISIBILITY_TAIL;
  const m: VisibilityTail = { ...DEFAULT_VISIBILITY_TAIL, ...partial };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(m)) {
    if (!Number.isFinite(value) || value < 0) problems.push(`${key} must be a non-negative number (got ${value})`);
  }
  if (m.maxMs < m.minMs) problems.push(`maxMs (${m.maxMs}) must be >= minMs (${m.minMs})`);
  if (m.longMaxMs < m.maxMs) problems.push(`longMaxMs (${m.longMaxMs}) must be >= maxMs (${m.maxMs})`);
  if (m.minMs < 1) problems.push(`minMs must be at least 1`);
  if (m.fraction + m.longFraction > 1) problems.push("fraction + longFraction must be <= 1");
  if (problems.length > 0) throw new RangeError(`invalid simulator visibility tail: ${problems.join("; ")}`);
  return m;
}

/** The largest extra visibility delay the model can produce (0 when off). */
export function maxVisibilityDelayMs(m: VisibilityTail): number {
  if (m.longFraction > 0) return m.longMaxMs;
  return m.fraction > 0 ? m.maxMs : 0;
}

/**
 * Extra visibility delays (integer ms) for the rows of one event slot, drawn from the slot's own
 * stream; undefined when the tail is off (no draws at all).
 */
export function slotVisibilityDelays(m: VisibilityTail, seed: number, table: number, slot: number): ((row: number) => number) | undefined {
  if (m.fraction <= 0 && m.longFraction <= 0) return undefined;
  const rng = new Rng(hash32(seed, table, slot, VISIBILITY_STREAM));
  return () => {
    const u = rng.float();
    if (u < m.longFraction) return Math.round(m.maxMs + rng.float() * (m.longMaxMs - m.maxMs));
    if (u < m.longFraction + m.fraction) return Math.round(m.minMs * Math.pow(m.maxMs / m.minMs, rng.float()));
    return 0;
  };
}
