/**
 * The health of a long-running (scheduled) export, as /healthz and /readyz report it. Pure: it is
 * fed events (a scheduler tick, a run that starts or ends, shutdown) and a clock, and answers.
 *
 *  - Liveness (/healthz): the process answers and the scheduler ticks. Each tick (a run started or a
 *    tick skipped because the previous run is still going) records when the schedule fires next; the
 *    check fails once that moment is more than `tickSlackMs` in the past without a new tick.
 *  - Readiness (/readyz): the configuration is loaded, the process is not stopping, and the last
 *    finished run did not fail permanently: no query of it failed with an error whose category
 *    (src/errors.ts) is permanent, auth, config or usage. ABORTED (a shutdown) does not count; transient
 *    errors (throttling, 5xx, timeouts after the retries) do not either: the next run may succeed.
 *    An error that is not a MonitorliftError is unexpected and counts as permanent (INTERNAL).
 *    Readiness comes back when a later run finishes without a permanent failure.
 *
 * Bodies carry only fixed words, timestamps, query names and error codes and categories: never an
 * error message (a message may quote a query, a URL or a service answer).
 */
import { isMonitorliftError, type ErrorCategory } from "../errors.ts";

export const DEFAULT_TICK_SLACK_MS = 60_000;

export interface HealthReport {
  ok: boolean;
  body: Record<string, unknown>;
}

export interface FailedQuery {
  query: string;
  code: string;
  category: ErrorCategory;
}

const PERMANENT: ReadonlySet<ErrorCategory> = new Set(["permanent", "config", "usage", "auth"]);

/** The code and category of a query's error, without its message. */
export function classify(err: unknown): { code: string; category: ErrorCategory } {
  if (isMonitorliftError(err)) return { code: err.code, category: err.category };
  return { code: "INTERNAL", category: "permanent" };
}

/** Whether a query's error makes the run a permanent failure (see the module comment). */
export function isPermanentFailure(err: unknown): boolean {
  const { code, category } = classify(err);
  return code !== "ABORTED" && PERMANENT.has(category);
}

export class HealthState {
  private readonly now: () => number;
  private readonly tickSlackMs: number;
  private readonly startedAt: number;
  private configLoaded = false;
  private stopping = false;
  private lastTickAt: number | undefined;
  private nextTickAt: number | undefined;
  private runningSince: number | undefined;
  private lastRun: { finishedAt: number; permanent: FailedQuery[]; other: FailedQuery[] } | undefined;

  constructor(options: { now?: () => number; tickSlackMs?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.tickSlackMs = options.tickSlackMs ?? DEFAULT_TICK_SLACK_MS;
    this.startedAt = this.now();
  }

  markConfigLoaded(): void {
    this.configLoaded = true;
  }

  /** The scheduler ticked (or was armed); `nextAt` is when it fires next (epoch ms), if it knows. */
  tick(nextAt: number | undefined): void {
    this.lastTickAt = this.now();
    this.nextTickAt = nextAt;
  }

  runStarted(): void {
    this.runningSince = this.now();
  }

  /** A run ended; `errors` maps each failed query to its error. */
  runFinished(errors: ReadonlyMap<string, unknown>): void {
    const permanent: FailedQuery[] = [];
    const other: FailedQuery[] = [];
    for (const [query, err] of errors) (isPermanentFailure(err) ? permanent : other).push({ query, ...classify(err) });
    this.runningSince = undefined;
    this.lastRun = { finishedAt: this.now(), permanent, other };
  }

  markStopping(): void {
    this.stopping = true;
  }

  /** The moment after which, without a new tick, the scheduler counts as stuck. */
  private tickDeadline(): number | undefined {
    if (this.lastTickAt === undefined) return this.startedAt + this.tickSlackMs; // armed within the slack
    if (this.nextTickAt === undefined) return undefined; // a schedule that never fires again
    return this.nextTickAt + this.tickSlackMs;
  }

  liveness(): HealthReport {
    const now = this.now();
    const deadline = this.tickDeadline();
    const ticking = this.stopping || deadline === undefined || now <= deadline;
    return {
      ok: ticking,
      body: {
        status: ticking ? "ok" : "failing",
        scheduler: ticking ? "ticking" : "stalled",
        lastTickAt: iso(this.lastTickAt),
        nextTickAt: iso(this.nextTickAt),
        tickSlackSeconds: this.tickSlackMs / 1000,
        running: this.runningSince !== undefined,
        ...(this.runningSince === undefined ? {} : { runningSince: iso(this.runningSince) }),
      },
    };
  }

  readiness(): HealthReport {
    const failed = this.lastRun?.permanent ?? [];
    const reasons: string[] = [];
    if (!this.configLoaded) reasons.push("config not loaded");
    if (this.stopping) reasons.push("stopping");
    if (failed.length > 0) reasons.push("last run failed permanently");
    const ok = reasons.length === 0;
    return {
      ok,
      body: {
        status: ok ? "ok" : "failing",
        ...(ok ? {} : { reasons }),
        configLoaded: this.configLoaded,
        lastRun:
          this.lastRun === undefined
            ? null
            : {
                finishedAt: iso(this.lastRun.finishedAt),
                outcome: failed.length > 0 ? "failed-permanently" : this.lastRun.other.length > 0 ? "failed-transiently" : "ok",
                failedQueries: [...failed, ...this.lastRun.other],
              },
      },
    };
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
