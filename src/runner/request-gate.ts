/**
 * The service's per-user limits, shared by every query of a run: at most
 * `maxConcurrent` requests at once (p-limit) and `maxPer30s` started per 30 s (p-throttle).
 * The runner's retry loop passes every attempt through it, and an attempt is exactly one HTTP
 * request (the SDK pipeline does not retry), so the gate sees every request the service sees.
 */
import pLimit from "p-limit";
import pThrottle from "p-throttle";

export interface RequestGate {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createRequestGate(options: { maxConcurrent: number; maxPer30s: number }): RequestGate {
  const limit = pLimit(options.maxConcurrent);
  const startSlot = pThrottle({ limit: options.maxPer30s, interval: 30_000, strict: true })(() => undefined);
  return {
    run: (work) =>
      limit(async () => {
        await startSlot();
        return work();
      }),
  };
}
