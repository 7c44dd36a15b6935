/**
 * Back-off between attempts of a failed request: exponential with full jitter (a uniformly random
 * delay between 0 and c = min(maxRetryDelayMs, retryDelayMs·2^(attempt-1))), so many clients retrying at once spread
 * out.
 *
 * A server's Retry-After is a floor, not a replacement: the delay is the larger of Retry-After
 * (capped at RETRY_AFTER_CAP_MS, plus up to RETRY_AFTER_JITTER_MS so clients told the same instant
 * do not all return together) and the back-off with equal jitter (between c/2 and c). The service's
 * gateway answers 429/503 with `Retry-After: 0`; taken literally it would burn the whole retry budget
 * within a second while the service is throttling, so a throttled request still backs off at least
 * c/2 (the default budget, 6 retries from 1 s, then lasts over 30 s). Pure: the random source is passed in.
 */

/** The longest Retry-After honoured; a longer one is treated as this. */
export const RETRY_AFTER_CAP_MS = 10 * 60_000;
/** Random extra added to a Retry-After delay. */
export const RETRY_AFTER_JITTER_MS = 1_000;

export interface RetryDelayInput {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** The first back-off's ceiling (config `source.retryDelay`). */
  retryDelayMs: number;
  /** No back-off longer than this (config `source.maxRetryDelay`). */
  maxRetryDelayMs: number;
  /** Delay asked by the server (Retry-After / x-ms-retry-after-ms), if any. */
  retryAfterMs?: number;
  /** A number in [0, 1): Math.random, or a seeded generator in tests. */
  random: () => number;
}

function unit(random: () => number): number {
  const r = random();
  if (!Number.isFinite(r) || r < 0) return 0;
  return r >= 1 ? 1 - Number.EPSILON : r;
}

/** Milliseconds to wait before the next attempt. */
export function retryDelay(input: RetryDelayInput): number {
  const { attempt, retryDelayMs, maxRetryDelayMs, retryAfterMs, random } = input;
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (!(retryDelayMs >= 0) || !(maxRetryDelayMs >= 0)) throw new RangeError(`retryDelayMs and maxRetryDelayMs must be ≥ 0`);
  // 2^(attempt-1) overflows to Infinity for huge attempts; min() keeps the cap.
  const ceiling = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(attempt - 1, 1024));
  const r = unit(random);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    const told = Math.min(retryAfterMs, RETRY_AFTER_CAP_MS) + r * RETRY_AFTER_JITTER_MS;
    return Math.floor(Math.max(told, ceiling / 2 + (r * ceiling) / 2));
  }
  return Math.floor(r * ceiling);
}

export interface RetryBudget {
  /** Attempts allowed after the first one (config `source.maxRetries`): at most maxRetries + 1 in all. */
  maxRetries: number;
  /** No new attempt once this much time has passed since the first one started (config `source.maxRetryElapsed`). */
  maxRetryElapsedMs: number;
}

/**
 * Whether to try again after attempt number `attempt` (1-based) failed, `elapsedMs` after the first
 * attempt began. Pass elapsed + the planned delay to also refuse a retry that would start too late.
 */
export function shouldRetry(attempt: number, elapsedMs: number, budget: RetryBudget): boolean {
  return attempt <= budget.maxRetries && elapsedMs < budget.maxRetryElapsedMs;
}
