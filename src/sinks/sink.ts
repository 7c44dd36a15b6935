/**
 * The seam between the runner and a destination. A destination kind's factory returns a
 * `Destination`: the narrow data `Sink` (this file) plus the state pieces from src/state/ —
 * cursors (CursorStore), locks (Locks) and run history (RunHistory). A sink author writes the
 * data path only; the order of commits, retries, deadlines and locks are handled outside it.
 *
 * Life cycle: sink.start() → (locks.acquire / cursors.read / sink.recover / sink.openWindow →
 * write* → commit | abort)* → destination.shutdown() (aborts open writers, releases held locks).
 * shutdown() is safe without start() and safe to call twice.
 */
import type { RowBatch } from "../row-batch.ts";
import type { Column } from "../table.ts";
import type { TimeWindow } from "../window/window.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { CursorState, StateKey } from "../state/cursor.ts";
import type { CursorStore } from "../state/cursor-store.ts";
import type { Locks } from "../state/locks.ts";
import type { RunHistory } from "../state/run-history.ts";

export type { CursorState, StateKey } from "../state/cursor.ts";
export type { CursorStore } from "../state/cursor-store.ts";
export type { HeldLock, Locks } from "../state/locks.ts";
export type { QueryRunOutcome, RunHistory, RunSummary } from "../state/run-history.ts";

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
  /** The stored cursor's new version. */
  version: string;
}

/** One window being written. Nothing is visible to readers until commit(). */
export interface WindowWriter {
  /** Append a batch of rows (raw cells, in `columns` order: exactly one cell per column, checked once by the source's parser). */
  write(batch: RowBatch): Promise<void>;
  /**
   * No more rows: finish what the writer still holds for them (file-like sinks: the encoder's last
   * bytes and the staged chunk sealed, so its encoder's memory — a compressor's state, a Parquet row
   * group — is released while the window waits for its turn to commit; SQL: the COPY ended, a pending
   * INSERT sent). Called once the window's rows are all written; commit() does it itself when it was
   * not. No write() after it.
   */
  end(): Promise<void>;
  /**
   * Make the window's rows durable and visible and record `next` as the cursor of the target's key,
   * conditional on the stored cursor still being `previous` (else SinkError STATE_CONFLICT, and the
   * data is not left visible). SQL: one transaction; file-like sinks: src/sinks/file-commit.ts.
   * Re-committing the same window replaces its rows: never a duplicate. Does not mutate its arguments.
   */
  commit(next: CursorState, previous: CursorState | undefined): Promise<CommitResult>;
  /** Discard everything written so far. Safe after a failure and safe to call twice. */
  abort(): Promise<void>;
}

/**
 * The rows a commit recorded for one committed window (or window part, after a split), read from
 * the sink's metadata — never by reading the data back: file-like sinks keep it with the chunk
 * (blob: the chunk's metadata, set by the same commit; filesystem: a "_rows.<chunk>" file written
 * right after the chunk), SQL counts the rows tagged with the window (the same transaction).
 * `rows: undefined` means the count is unknown (a run died between chunk and count): treat as a mismatch.
 */
export interface WindowCount {
  window: TimeWindow;
  rows: number | undefined;
}

/** What every destination factory receives besides its own config. */
export interface SinkDeps {
  logger: Logger;
  /** Environment to read secrets from (process.env in the CLI). */
  env: Readonly<Record<string, string | undefined>>;
  /** Folder that relative paths in the config are relative to (the config file's folder). */
  baseDir: string;
}

/** The data path of a destination. */
export interface Sink {
  /** For logs and status, never containing a secret: "filesystem ./export", "blob https://acct.../container". */
  readonly description: string;
  start(signal?: AbortSignal): Promise<void>;
  /** Aborts open writers; safe without start() and twice. */
  shutdown(): Promise<void>;
  /** Check the target exists (or can be created) and is writable; for `validate --connect`. */
  probe(signal?: AbortSignal): Promise<void>;
  openWindow(target: WindowTarget): Promise<WindowWriter>;
  /**
   * Remove leftovers of killed runs for `key.query` inside [from, to): temporary files, and
   * data of windows for which isCommitted(window) is false. Returns how many were removed.
   */
  recover(key: StateKey, from: number, to: number, isCommitted: (w: TimeWindow) => boolean): Promise<number>;
  /**
   * The committed windows of `query` lying wholly inside [from, to) with the row count each commit
   * recorded (`monitorlift verify`), in no particular order. Windows whose data the sink holds but no
   * cursor counts are listed too: the caller filters by its cursor.
   */
  windowCounts(query: string, from: number, to: number, signal?: AbortSignal): Promise<WindowCount[]>;
  /**
   * `monitorlift rewind`: store `next` as the cursor of `key` (its watermark earlier than
   * `previous.watermark`), conditional on the stored version still being `previous`'s (else
   * STATE_CONFLICT, nothing changed), and remove the data of every window starting at or after
   * `next.watermark` through the sink's recovery step. SQL: rows and cursor in one transaction;
   * file-like sinks: the cursor first, then the chunks (src/sinks/file-commit.ts rewindChunks), so a
   * crash in between leaves only chunks no cursor counts, which the next run's recovery removes.
   * The caller holds the key's lock and passes its `signal` (aborted with LOCK_LOST when the lock is
   * lost): once it fires nothing more is removed and the rewind fails with its reason (file-like sinks
   * also stop when the cursor they wrote was moved on by another run). Returns what was removed, in
   * recover()'s unit (rows or chunks).
   */
  rewind(key: StateKey, next: CursorState, previous: CursorState, signal: AbortSignal): Promise<number>;
}

/** What a destination kind's factory returns (the registry hands it to the CLI and the runner). */
export interface Destination {
  readonly sink: Sink;
  readonly cursors: CursorStore;
  readonly locks: Locks;
  readonly runs: RunHistory;
  /** sink.shutdown() (aborts open writers), then releases every lock still held. Safe without start and twice. */
  shutdown(): Promise<void>;
}

/**
 * Options every file-like destination factory (filesystem, blob) accepts besides its own: a seam to
 * wrap the cursor store the commit step writes through (tests use it to fail or stall the cursor
 * write after the data was published, as a crash or a full disk would).
 */
export interface FileDestinationOptions {
  wrapCursors?(store: CursorStore): CursorStore;
}
