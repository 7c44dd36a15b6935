/**
 * The one door every sink has: the runner calls only this interface. A sink
 * author writes the push/commit functions; retries, deadlines, metrics and the
 * order of commits are the runner's business (src/runner/).
 *
 * Life cycle: start() → (readState / acquireLock / recover / openWindow → write* → commit | abort)* → shutdown().
 * shutdown() is safe without start() and safe to call twice.
 */
import type { Column, RawRow } from "../table.ts";
import type { TimeWindow } from "../window/window.ts";
import type { Logger } from "../telemetry/logger.ts";

/** Which cursor a piece of work moves: the live export of a query, or one backfill job of it. */
export interface StateKey {
  /** The query's name (validated: [A-Za-z][A-Za-z0-9_-]{0,63}). */
  readonly query: string;
  /** "live", or "backfill-<from>-<to>" with compact UTC timestamps (see src/sinks/layout.ts). */
  readonly scope: string;
}

/** A small typed record per query and scope, stored by the sink next to the data it describes. */
export interface CursorState {
  /** Every window ending at or before this instant (epoch ms) has been delivered. */
  watermark: number;
  /** Where this cursor began (epoch ms): live: the first window's start; backfill: --from. */
  origin: number;
  /** Backfill only: committed windows beyond the contiguous watermark (parallel windows commit out of order). */
  completed?: TimeWindow[];
  /** Columns of the last committed window. */
  columns?: Column[];
  /** Rows and windows committed under this cursor so far. */
  rows: number;
  windows: number;
  /** ISO time of the last commit. */
  updatedAt: string;
  /** Opaque optimistic-concurrency token set by the sink (ETag, row version); never set by the runner. */
  version?: string;
}

export interface WindowTarget {
  readonly key: StateKey;
  readonly window: TimeWindow;
  readonly columns: readonly Column[];
  readonly signal: AbortSignal;
}

export interface CommitResult {
  rows: number;
  bytes: number;
  /** Where the data landed, for logs (a path, a blob name, a table name); never a secret. */
  location: string;
  /** The stored state's new version, when the sink knows it; otherwise the runner re-reads the state. */
  version?: string;
}

/** One window being written. Nothing is visible to readers until commit(). */
export interface WindowWriter {
  /** Append a batch of rows (raw cells, in `columns` order). */
  write(rows: readonly RawRow[]): Promise<void>;
  /**
   * Make the window's rows durable and visible, then record `next` as the cursor of `key`
   * (in one transaction where the sink can, else data first and state second).
   * `previous` is the state this commit builds on: a sink that finds another stored version
   * throws SinkError("STATE_CONFLICT") and leaves the state untouched.
   * Re-committing the same window replaces its rows: never a duplicate.
   */
  commit(next: CursorState, previous: CursorState | undefined): Promise<CommitResult>;
  /** Discard everything written so far. Safe after a failure and safe to call twice. */
  abort(): Promise<void>;
}

export interface SinkLock {
  /** Aborted when the lock is lost (lease expired, lock file taken over): stop writing at once. */
  readonly signal: AbortSignal;
  release(): Promise<void>;
}

/** What a finished run did, per query: kept by the sink so `status` can show the last outcome. */
export interface RunSummary {
  runId: string;
  /** "export", "backfill" or "validate". */
  command: string;
  startedAt: string;
  finishedAt: string;
  queries: Record<string, QueryRunOutcome>;
}

export interface QueryRunOutcome {
  outcome: "ok" | "failed" | "skipped";
  scope: string;
  rows: number;
  windows: number;
  /** Watermark after the run (epoch ms), when the query has one. */
  watermark?: number;
  error?: { code: string; message: string };
}

/** What every sink factory receives besides its own config. */
export interface SinkDeps {
  logger: Logger;
  /** Environment to read secrets from (process.env in the CLI). */
  env: Readonly<Record<string, string | undefined>>;
  /** Folder that relative paths in the config are relative to (the config file's folder). */
  baseDir: string;
}

export interface Sink {
  /** For logs and status, never containing a secret: "filesystem ./export", "blob https://acct.../container". */
  readonly description: string;
  start(signal?: AbortSignal): Promise<void>;
  shutdown(): Promise<void>;
  /** Check the target exists (or can be created) and is writable; for `validate --connect`. */
  probe(signal?: AbortSignal): Promise<void>;
  readState(key: StateKey): Promise<CursorState | undefined>;
  /** All cursors stored in this sink, for `status`. */
  listStates(): Promise<Array<{ key: StateKey; state: CursorState }>>;
  /** Single writer per key: throws SinkError("LOCK_HELD") when a live holder has it; recovers stale locks. */
  acquireLock(key: StateKey, signal?: AbortSignal): Promise<SinkLock>;
  /**
   * Remove leftovers of killed runs for `key.query` inside [from, to): temporary files, and
   * chunks for which isCommitted(window) is false. Returns how many were removed.
   */
  recover(key: StateKey, from: number, to: number, isCommitted: (w: TimeWindow) => boolean): Promise<number>;
  openWindow(target: WindowTarget): Promise<WindowWriter>;
  /** Keep a run summary (metadata area of the sink: `_runs/` files or a `_monitorlift_runs` table). */
  recordRun(summary: RunSummary): Promise<void>;
  /** The most recent summary that mentions each query, keyed by query name. */
  lastRuns(): Promise<Map<string, RunSummary>>;
}
