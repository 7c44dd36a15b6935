/**
 * Single writer per query and scope: every destination hands out locks through this small
 * interface, and every lock kind (lock file, blob lease, SQLite row, PostgreSQL advisory lock,
 * MySQL GET_LOCK) keeps itself alive with the ONE watchdog below: a beat every `intervalMs`
 * (never two at once, timer unref'd), a beat that hangs past `beatTimeoutMs` or keeps failing for
 * `missedLimitMs` loses the lock, and losing aborts the lock's signal exactly once with a typed
 * LOCK_LOST error. What a beat does (refresh an mtime, renew a lease, ping a session) and what
 * counts as "gone" stay with each lock kind.
 */
import { AbortedError, SinkError, messageOf, type ErrorOptions, type MonitorliftError } from "../errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { StateKey } from "./cursor.ts";

export interface HeldLock {
  /** Aborted (with a LOCK_LOST error as reason) when the lock is lost: stop writing at once. */
  readonly signal: AbortSignal;
  /** Safe to call twice and after the lock was lost. */
  release(): Promise<void>;
}

export interface Locks {
  /**
   * Single writer per key: takes over a lock whose holder is known to be gone where the lock kind
   * can (a lock file or SQLite row of a dead process on this host, a lapsed lease or heartbeat);
   * otherwise throws LockHeldError describing the holder. acquireOrWait() below decides what to do then.
   */
  acquire(key: StateKey, signal?: AbortSignal): Promise<HeldLock>;
  /** The longest a gone holder's lock can stay in the way (a lease, a heartbeat's stale limit); 0 when it goes with its holder. */
  readonly lapseMs?: number;
}

/** Who holds a lock, as a contender sees it. Never contains a secret. */
export interface LockHolder {
  /** "process 1234@host since …", "PostgreSQL backend pid 42 …": for logs and the `skipped (held by …)` outcome. */
  description: string;
  /**
   * live: known to be alive (its process runs on this host, its database session holds the lock);
   * gone: known to be dead, its lock has not lapsed yet (a lease); unknown: told by whether it renews.
   */
  state: "live" | "gone" | "unknown";
  /** Changes each time the holder renews (an mtime, a heartbeat, an ETag); undefined when renewals cannot be seen. */
  renewal?: string;
  /** How often a live holder renews. */
  renewEveryMs?: number;
}

/** LOCK_HELD, with the holder as the lock kind judged it. */
export class LockHeldError extends SinkError {
  readonly holder: LockHolder;

  constructor(holder: LockHolder, message: string, options: ErrorOptions = {}) {
    super("LOCK_HELD", message, options);
    this.name = "LockHeldError";
    this.holder = holder;
  }
}

export interface AcquireOptions {
  /** How long to wait for a lock whose holder is gone or silent to lapse before failing with LOCK_HELD. */
  waitMs: number;
  signal?: AbortSignal;
  logger: Logger;
  /** How often to look again while waiting (default 1 s). */
  pollMs?: number;
}

/** The lock, or the error naming its live holder (the caller skips the query, or fails under --require-lock). */
export type Acquired = { lock: HeldLock } | { heldBy: LockHeldError };

/**
 * Takes the lock of `key`, waiting (up to `waitMs`) for a holder that is gone or does not renew,
 * and taking over once its lock lapses. A holder known to be live, or seen renewing while we wait,
 * is returned as `heldBy`: a peer is exporting this key. A holder that neither renews nor lets its
 * lock lapse within `waitMs` throws LOCK_HELD. Never logs more than the holder's description.
 */
export async function acquireOrWait(locks: Locks, key: StateKey, options: AcquireOptions): Promise<Acquired> {
  const started = Date.now();
  const pollMs = options.pollMs ?? 1_000;
  let firstRenewal: string | undefined;
  let observed = false;
  let logged = false;
  for (;;) {
    try {
      const lock = await locks.acquire(key, options.signal);
      if (logged) options.logger.warn({ query: key.query, scope: key.scope, waitedMs: Date.now() - started }, "took over the lock after waiting for its previous holder");
      return { lock };
    } catch (err) {
      if (!(err instanceof LockHeldError)) throw err;
      const h = err.holder;
      if (h.state === "live") return { heldBy: err };
      // It renews (even one judged gone: a pid read in another pid namespace): a live peer.
      if (observed && h.renewal !== firstRenewal) return { heldBy: err };
      if (!observed) {
        observed = true;
        firstRenewal = h.renewal;
      }
      const waited = Date.now() - started;
      if (waited >= options.waitMs) {
        const why = h.state === "gone" ? "is gone, but its lock had not lapsed" : "did not renew it, and it had not lapsed";
        throw new SinkError("LOCK_HELD", `${err.message} Its holder ${why} after waiting ${Math.round(waited / 1000)} s (--lock-wait).`, {
          cause: err,
          hint: "Run again with a longer --lock-wait (at least the lease or stale period of the sink), or wait for the lock to lapse.",
        });
      }
      if (!logged) {
        logged = true;
        options.logger.warn(
          {
            query: key.query,
            scope: key.scope,
            holder: h.description,
            waitMs: options.waitMs,
            why: h.state === "gone" ? "its holder is gone; waiting for its lock to lapse" : "waiting to see whether its holder still renews it",
          },
          "lock held: waiting for it",
        );
      }
      await sleep(Math.min(pollMs, Math.max(1, options.waitMs - waited)), options.signal, key);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, key: StateKey): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(`stopped while waiting for the lock of ${key.query} (${key.scope})`, { cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError(`stopped while waiting for the lock of ${key.query} (${key.scope})`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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

  get lapseMs(): number | undefined {
    return this.#inner.lapseMs;
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
