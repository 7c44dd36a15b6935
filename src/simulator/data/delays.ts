/**
 * How late rows arrive: the delay from the event (TimeGenerated) to ingestion,
 * and the settle jitter from ingestion to query visibility.
 *
 * Shape: most rows within a minute; a tail of minutes; rare rows hours late (up
 * to 48 h); a very few ingested 48–60 h after their TimeGenerated; a few whose
 * TimeGenerated is AHEAD of their ingestion time (client clock skew).
 *
 * The 48–60 h edge is the service's: TimeGenerated may be up to two days before
 * the time the record was received, else the service replaces it with the receipt
 * time (azure-monitor-docs logs/data-ingestion-time.md, log-standard-columns.md),
 * and ingestion can follow receipt by hours (under ingestion-rate limiting the
 * service retries for up to 12 h). So a record can become queryable up to ~60 h
 * after its TimeGenerated. Every delay is at least `minMs` (>= 1 s), which the lazy
 * generator relies on: an event second is generated once the clock has passed
 * its end, and no row of it can be visible before that.
 */
import type { Rng } from "./prng.ts";

export interface DelayModel {
  /** Smallest event→ingestion delay; at least 1000 ms. Default 1000. */
  minMs: number;
  /** Mean extra delay of the common case (exponential). Default 8000. */
  fastMeanMs: number;
  /** Cap of the common case. Default 60000. */
  fastMaxMs: number;
  /** Share of rows delayed by minutes (log-uniform in [1 min, tailMaxMs]). Default 0.04. */
  tailFraction: number;
  tailMaxMs: number;
  /** Share of rows delayed by hours (uniform in [1 h, lateMaxMs]). Default 0.002. */
  lateFraction: number;
  lateMaxMs: number;
  /** Share of rows delayed past the two-day acceptance bound (uniform in [edgeMinMs, edgeMaxMs]). Default 0.0005. */
  edgeFraction: number;
  edgeMinMs: number;
  edgeMaxMs: number;
  /** Share of rows whose TimeGenerated is ahead of ingestion by up to skewMaxMs. Default 0.005. */
  skewFraction: number;
  skewMaxMs: number;
}

export const DEFAULT_DELAYS: DelayModel = {
  minMs: 1000,
  fastMeanMs: 8000,
  fastMaxMs: 60_000,
  tailFraction: 0.04,
  tailMaxMs: 30 * 60_000,
  lateFraction: 0.002,
  lateMaxMs: 48 * 3_600_000,
  edgeFraction: 0.0005,
  edgeMinMs: 48 * 3_600_000,
  edgeMaxMs: 60 * 3_600_000,
  skewFraction: 0.005,
  skewMaxMs: 3_600_000,
};

export const DEFAULT_SETTLE_JITTER_MS = 20_000;

export function resolveDelays(partial: Partial<DelayModel> | undefined): DelayModel {
  const m: DelayModel = { ...DEFAULT_DELAYS, ...partial };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(m)) {
    if (!Number.isFinite(value) || value < 0) problems.push(`${key} must be a non-negative number (got ${value})`);
  }
  if (m.minMs < 1000) problems.push(`minMs must be at least 1000 (got ${m.minMs})`);
  if (m.fastMaxMs < m.minMs) problems.push(`fastMaxMs (${m.fastMaxMs}) must be >= minMs (${m.minMs})`);
  if (m.tailMaxMs < 60_000) problems.push(`tailMaxMs must be at least 60000 (got ${m.tailMaxMs})`);
  if (m.lateMaxMs < 3_600_000) problems.push(`lateMaxMs must be at least 3600000 (got ${m.lateMaxMs})`);
  if (m.edgeMinMs < 3_600_000) problems.push(`edgeMinMs must be at least 3600000 (got ${m.edgeMinMs})`);
  if (m.edgeMaxMs < m.edgeMinMs) problems.push(`edgeMaxMs (${m.edgeMaxMs}) must be >= edgeMinMs (${m.edgeMinMs})`);
  if (m.tailFraction + m.lateFraction + m.edgeFraction > 1) problems.push("tailFraction + lateFraction + edgeFraction must be <= 1");
  if (m.skewFraction > 1) problems.push("skewFraction must be <= 1");
  if (problems.length > 0) throw new RangeError(`invalid simulator delay model: ${problems.join("; ")}`);
  return m;
}

/** Event→ingestion delay in (fractional) milliseconds. */
export function sampleDelayMs(m: DelayModel, rng: Rng): number {
  const u = rng.float();
  if (u < m.lateFraction) return 3_600_000 + rng.float() * (m.lateMaxMs - 3_600_000);
  if (u < m.lateFraction + m.tailFraction) return 60_000 * Math.pow(m.tailMaxMs / 60_000, rng.float());
  // The edge takes the top of the draw, so the other rows keep the delays they had without it.
  if (u >= 1 - m.edgeFraction) return m.edgeMinMs + rng.float() * (m.edgeMaxMs - m.edgeMinMs);
  return Math.min(m.minMs + rng.exponential(m.fastMeanMs), m.fastMaxMs);
}

/** How far TimeGenerated is ahead of ingestion (ms), or 0 for the usual row. */
export function sampleSkewMs(m: DelayModel, rng: Rng): number {
  return rng.chance(m.skewFraction) ? 1 + rng.float() * (m.skewMaxMs - 1) : 0;
}
