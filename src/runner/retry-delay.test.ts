import { test } from "node:test";
import assert from "node:assert/strict";
import { RETRY_AFTER_CAP_MS, RETRY_AFTER_JITTER_MS, retryDelay, shouldRetry } from "./retry-delay.ts";

/** mulberry32: a small seeded generator in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("full jitter: delay within [0, min(max, base·2^(attempt-1))) and spread over that range", () => {
  const random = seeded(42);
  for (let attempt = 1; attempt <= 10; attempt++) {
    const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    const samples = Array.from({ length: 400 }, () => retryDelay({ attempt, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random }));
    assert.ok(samples.every((d) => Number.isInteger(d) && d >= 0 && d < ceiling), `attempt ${attempt}`);
    // full jitter: both low and high parts of the range are used
    assert.ok(Math.min(...samples) < ceiling * 0.1, `attempt ${attempt} min`);
    assert.ok(Math.max(...samples) > ceiling * 0.9, `attempt ${attempt} max`);
  }
});

test("bounds: random 0 gives 0, random just below 1 gives just below the ceiling", () => {
  assert.equal(retryDelay({ attempt: 3, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random: () => 0 }), 0);
  assert.equal(retryDelay({ attempt: 3, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random: () => 0.999999 }), 3999);
  assert.equal(retryDelay({ attempt: 30, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random: () => 0.999999 }), 59_999);
  assert.equal(retryDelay({ attempt: 5000, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random: () => 0.5 }), 30_000);
  // a broken random source cannot push the delay out of range
  assert.equal(retryDelay({ attempt: 2, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random: () => 7 }), 1999);
  assert.equal(retryDelay({ attempt: 2, retryDelayMs: 1000, maxRetryDelayMs: 60_000, random: () => Number.NaN }), 0);
});

test("Retry-After wins over the exponential delay, plus a small jitter", () => {
  const random = seeded(7);
  for (let i = 0; i < 200; i++) {
    const d = retryDelay({ attempt: 1, retryDelayMs: 1000, maxRetryDelayMs: 2000, retryAfterMs: 30_000, random });
    assert.ok(d >= 30_000 && d < 30_000 + RETRY_AFTER_JITTER_MS, String(d));
  }
});

test("Retry-After: 0 (the gateway's) does not cancel the exponential back-off: at least half of each step", () => {
  for (const random of [() => 0, () => 0.5, () => 0.999999]) {
    let total = 0;
    for (let attempt = 1; attempt <= 6; attempt++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      const d = retryDelay({ attempt, retryDelayMs: 1000, maxRetryDelayMs: 60_000, retryAfterMs: 0, random });
      assert.ok(d >= ceiling / 2 && d < ceiling + RETRY_AFTER_JITTER_MS, `attempt ${attempt}: ${d}`);
      total += d;
    }
    // the default budget (6 retries, retryDelay 1 s) lasts at least half a minute, not a second
    assert.ok(total >= 31_500, String(total));
  }
  // a Retry-After shorter than the back-off is a floor, not the delay
  assert.ok(retryDelay({ attempt: 4, retryDelayMs: 1000, maxRetryDelayMs: 60_000, retryAfterMs: 1000, random: () => 0 }) >= 4000);
});

test("Retry-After is capped at a sane bound", () => {
  assert.equal(retryDelay({ attempt: 1, retryDelayMs: 1000, maxRetryDelayMs: 2000, retryAfterMs: 86_400_000, random: () => 0 }), RETRY_AFTER_CAP_MS);
  // negative or non-finite values are ignored: back to exponential
  assert.equal(retryDelay({ attempt: 2, retryDelayMs: 1000, maxRetryDelayMs: 60_000, retryAfterMs: -5, random: () => 0.5 }), 1000);
  assert.equal(retryDelay({ attempt: 2, retryDelayMs: 1000, maxRetryDelayMs: 60_000, retryAfterMs: Number.NaN, random: () => 0.5 }), 1000);
});

test("retryDelay rejects a bad attempt number", () => {
  assert.throws(() => retryDelay({ attempt: 0, retryDelayMs: 1, maxRetryDelayMs: 1, random: Math.random }), RangeError);
  assert.throws(() => retryDelay({ attempt: 1.5, retryDelayMs: 1, maxRetryDelayMs: 1, random: Math.random }), RangeError);
});

test("shouldRetry: stops after maxRetries retries and at maxRetryElapsedMs", () => {
  const budget = { maxRetries: 2, maxRetryElapsedMs: 10_000 };
  assert.equal(shouldRetry(1, 0, budget), true);
  assert.equal(shouldRetry(2, 9_999, budget), true);
  assert.equal(shouldRetry(3, 0, budget), false);
  assert.equal(shouldRetry(1, 10_000, budget), false);
  assert.equal(shouldRetry(1, 0, { maxRetries: 0, maxRetryElapsedMs: 10_000 }), false);
});
