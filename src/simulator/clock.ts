/**
 * The simulator's clock: a function returning epoch milliseconds. Real time by
 * default; tests use a manual clock they move instantly with set/advance.
 */

export type Clock = () => number;

export interface ManualClock {
  (): number;
  readonly manual: true;
  /** Jump to an absolute instant (epoch ms). */
  set(ms: number): void;
  /** Move forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
}

export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to; starts at `startMs` (default: now, rounded down to the second). */
export function createManualClock(startMs: number = Math.floor(Date.now() / 1000) * 1000): ManualClock {
  let current = checkInstant(startMs);
  const clock = (() => current) as ManualClock;
  Object.defineProperties(clock, {
    manual: { value: true, enumerable: true },
    set: {
      value: (ms: number) => {
        current = checkInstant(ms);
      },
    },
    advance: {
      value: (ms: number) => {
        current = checkInstant(current + ms);
      },
    },
  });
  return clock;
}

export function isManualClock(clock: Clock): clock is ManualClock {
  return (clock as Partial<ManualClock>).manual === true && typeof (clock as Partial<ManualClock>).advance === "function";
}

function checkInstant(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`clock instant must be a finite number of epoch milliseconds, got ${ms}`);
  return Math.trunc(ms);
}
