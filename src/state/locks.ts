/**
 * Single writer per query and scope: every destination hands out locks through this small
 * interface, and every lock kind (lock file, blob lease, SQLite row, PostgreSQL advisory lock,
 * MySQL GET_LOCK) keeps itself alive with the ONE watchdog below: a beat every `intervalMs`
 * (never two at once, timer unref'd), a beat that hangs past `beatTimeoutMs` or keeps failing for
 * `missedLimitMs` loses the lock, and losing aborts the lock's signal exactly once with a typed
 * LOCK_LOST error. What a beat does (refresh an mtime, renew a lease, ping a session) and what
 * counts as "gone" stay with each lock kind.
 */
import type { MonitorliftError } from "../errors.ts";
import { messageOf } from "../errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { StateKey } from "./cursor.ts";

export interface HeldLock {
  /** Aborted (with a LOCK_LOST error as reason) when the lock is lost: stop writing at once. */
  readonly signal: AbortSignal;
  /** Safe to call twice and after the lock was lost. */
  release(): Promise<void>;
}

export interface Locks {
  /** Single writer per key: throws SinkError("LOCK_HELD") when a live holder has it; takes over stale locks. */
  acquire(key: StateKey, signal?: AbortSignal): Promise<HeldLock>;
}

export interface WatchdogOptions {
  intervalMs: number;
  /** One check or renewal. It may call watchdog.lose(); a throw is a missed beat. */
  beat(watchdog: Watchdog): Promise<void>;
  /** The LOCK_LOST error the signal is aborted with. */
  lostError(reason: string, cause?: unknown): MonitorliftError;
  logger: Logger;
  /** A beat still running after this long loses the lock (a session that no longer answers). */
  beatTimeoutMs?: number;
  timeoutReason?: string;
  /** Missed beats are tolerated while the last good beat is younger than this (default: always tolerated). */
  missedLimitMs?: number;
  /** Why the lock is lost after missed beats (default "it could not be refreshed for N s: …"). */
  missedReason?(sinceMs: number, err: unknown): string;
  /** Log level of a tolerated missed beat (default "warn"). */
  missedLogLevel?: "warn" | "debug";
  /** Called once right after the lock was lost (close the session that held it, say). */
  onLost?(): void;
}

export class Watchdog {
  readonly #o: WatchdogOptions;
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #stopped = false;
  #lastGood = Date.now();

  constructor(options: WatchdogOptions) {
    this.#o = options;
    this.#schedule();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Milliseconds since the last successful beat (or the start). */
  get sinceLastGoodMs(): number {
    return Date.now() - this.#lastGood;
  }

  get active(): boolean {
    return !this.#stopped && !this.#controller.signal.aborted;
  }

  /** The lock is gone: abort the signal once (no-op after stop() or an earlier loss). */
  lose(reason: string, cause?: unknown): void {
    if (!this.active) return;
    this.#clear();
    const err = this.#o.lostError(reason, cause);
    this.#o.logger.error({ reason, code: err.code }, "lock lost");
    this.#controller.abort(err);
    this.#o.onLost?.();
  }

  /**
   * Stops beating; the signal stays as it is. Waits for a beat in flight unless the lock is already
   * lost (a lost lock's beat may hang on a dead session forever).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clear();
    if (!this.#controller.signal.aborted) await this.#beating;
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (!this.active) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#beating = this.#beatOnce().finally(() => {
        this.#beating = undefined;
        this.#schedule();
      });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async #beatOnce(): Promise<void> {
    if (!this.active) return;
    let timeout: NodeJS.Timeout | undefined;
    if (this.#o.beatTimeoutMs !== undefined) {
      const limit = this.#o.beatTimeoutMs;
      timeout = setTimeout(() => this.lose(this.#o.timeoutReason ?? `its check did not answer within ${Math.round(limit / 1000)} s`), limit);
      timeout.unref();
    }
    try {
      await this.#o.beat(this);
      this.#lastGood = Date.now();
    } catch (err) {
      if (!this.active) return;
      const since = this.sinceLastGoodMs;
      if (this.#o.missedLimitMs !== undefined && since > this.#o.missedLimitMs) {
        this.lose(this.#o.missedReason?.(since, err) ?? `it could not be refreshed for ${Math.round(since / 1000)} s: ${messageOf(err)}`, err);
      } else {
        this.#o.logger[this.#o.missedLogLevel ?? "warn"]({ err: messageOf(err) }, "could not refresh the lock; trying again at the next beat");
      }
    } finally {
      if (timeout) clearTimeout(timeout);
    }
  }
}

/** Locks that remember what they handed out, so a destination's shutdown releases every held lock. */
export class TrackedLocks implements Locks {
  readonly #inner: Locks;
  readonly #held = new Set<HeldLock>();

  constructor(inner: Locks) {
    this.#inner = inner;
  }

  async acquire(key: StateKey, signal?: AbortSignal): Promise<HeldLock> {
    const lock = await this.#inner.acquire(key, signal);
    this.#held.add(lock);
    return {
      signal: lock.signal,
      release: async () => {
        this.#held.delete(lock);
        await lock.release();
      },
    };
  }

  async releaseAll(): Promise<void> {
    const held = [...this.#held];
    this.#held.clear();
    await Promise.all(held.map((lock) => lock.release().catch(() => undefined)));
  }
}
