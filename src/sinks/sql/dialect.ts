/**
 * What the shared SQL sink logic (sql-sink.ts) needs from a database dialect. One module per
 * dialect implements it (postgres/, mysql/, sqlite/): connections, DDL and the type mapping, the
 * staging of a window's rows, transactions and the single-writer lock.
 *
 * Shared SQL text is written with `?` placeholders; a dialect whose driver wants `$1` converts.
 * Values always travel as parameters, never inside SQL text.
 */
import type { Column, RawRow } from "../../table.ts";
import type { StateKey } from "../sink.ts";

export type DialectName = "postgres" | "mysql" | "sqlite";

export interface QueryResult {
  rows: Array<Record<string, unknown>>;
  /** Rows changed by INSERT/UPDATE/DELETE (matched rows for UPDATE). */
  rowCount: number;
}

/** One connection held for a unit of work. */
export interface SqlSession {
  query(sql: string, params?: readonly unknown[]): Promise<QueryResult>;
  /** Give the connection back; `broken` closes it instead of returning it to the pool. */
  release(broken?: boolean): Promise<void>;
}

/** A physical column: the Log Analytics column itself or one of its companions. */
export interface ColumnDef {
  name: string;
  /** DDL type text, e.g. "timestamptz" or "DATETIME(6)". */
  type: string;
}

/** Names of the metadata tables (prefixed by tablePrefix). */
export interface MetadataTables {
  state: string;
  columns: string;
  runs: string;
  locks: string;
}

export interface IdentifierRules {
  /** Longest identifier the database keeps without truncating. */
  maxLength: number;
  /** What maxLength counts: UTF-8 bytes (PostgreSQL) or characters (MySQL, SQLite). */
  lengthUnit: "bytes" | "chars";
  /** Column names compare case-insensitively (MySQL, SQLite): "Name" and "name" collide. */
  caseInsensitive: boolean;
  /** Only characters of the Basic Multilingual Plane (MySQL identifiers). */
  bmpOnly: boolean;
}

/** Per-window context a stage needs for messages and warnings. */
export interface StageContext {
  /** The Log Analytics columns in row order. */
  columns: readonly Column[];
  /** Query name, for messages. */
  query: string;
  /** Called once per window per (column, problem) with how many cells were affected. */
  warn(column: string, problem: string, cells: number): void;
}

/**
 * A window in progress: rows go into a private staging table (invisible to everyone else and
 * gone with the connection); commit moves them into the query's table in one short transaction.
 */
export interface WindowWork {
  /** Qualified name of the staging table, for INSERT … SELECT. */
  readonly stageTable: string;
  /** The server's id of the connection (backend pid, thread id), for logs. */
  readonly connectionId?: string | undefined;
  write(rows: readonly RawRow[]): Promise<void>;
  /** No more rows: send what is buffered and end the staging (the COPY, a pending INSERT); beginCommit does it when it was not called. */
  endStaging(): Promise<void>;
  /** Finish staging and open the commit transaction; returns its session and how many rows were staged. */
  beginCommit(signal?: AbortSignal): Promise<{ session: SqlSession; staged: number }>;
  /** COMMIT the transaction opened by beginCommit and release everything. */
  commit(): Promise<void>;
  /** Roll back and release everything; safe at any point and twice. */
  rollback(): Promise<void>;
}

/** A held single-writer lock as the dialect sees it. */
export interface HeldLock {
  readonly signal: AbortSignal;
  /** Inside the commit transaction: true while this lock is still ours (a fence against takeovers). */
  verify(session: SqlSession): Promise<boolean>;
  release(): Promise<void>;
}

export interface ErrorClass {
  /** The connection or server went away, or the server is not accepting work now. */
  unavailable: boolean;
  /** A transient conflict (deadlock, lock timeout, busy database): retrying may succeed. */
  transient: boolean;
}

export interface Dialect {
  readonly name: DialectName;
  /** For logs and status, without secrets: "sql postgres host:5432/db". */
  readonly description: string;
  readonly identifiers: IdentifierRules;

  quote(identifier: string): string;
  /** The quoted, schema-qualified name of a table. */
  table(name: string): string;
  /** Where data lands, for CommitResult.location: "public.AppRequests". */
  location(table: string): string;

  open(signal?: AbortSignal): Promise<void>;
  /**
   * False when opening would create the database itself (a SQLite file not there yet): a read then finds
   * no state without opening. Undefined for a server, whose database exists or fails to connect.
   */
  exists?(): boolean;
  close(): Promise<void>;
  /** A connection for a unit of work (sqlite: exclusive use of the one connection). */
  connect(signal?: AbortSignal): Promise<SqlSession>;

  /** CREATE … IF NOT EXISTS statements of the metadata tables (and a PostgreSQL schema). */
  metadataDdl(tables: MetadataTables): string[];
  /** The physical columns holding one Log Analytics column: itself first, then companions. */
  columnDefs(column: Column): ColumnDef[];
  /** CREATE TABLE (with _window_start/_window_end and their index). */
  createTableSql(table: string, defs: readonly ColumnDef[]): string[];
  addColumnSql(table: string, def: ColumnDef): string;
  /** Column names of a table as the database has them, or undefined when there is no such table. */
  physicalColumns(session: SqlSession, table: string): Promise<string[] | undefined>;
  /** Run schema changes of `table` one process at a time (and, where DDL is transactional, atomically). */
  withSchemaLock<T>(session: SqlSession, table: string, fn: () => Promise<T>): Promise<T>;
  /** Open a transaction on `session` for metadata work (recover, runs). */
  begin(session: SqlSession, signal?: AbortSignal): Promise<void>;

  /** A timestamp parameter (window bounds, run times) from epoch ms, and back from what the driver returns. */
  timestampParam(ms: number): unknown;
  readTimestamp(value: unknown): number;
  /** SQL expression for a timestamp parameter in a SELECT list (casts where the database needs one). */
  timestampExpr: string;
  /** INSERT that does nothing when the key exists; true when a row was inserted. */
  insertIfAbsent(session: SqlSession, table: string, columns: readonly string[], params: readonly unknown[]): Promise<boolean>;
  /** INSERT … ON CONFLICT/DUPLICATE KEY UPDATE of every non-key column. */
  upsertSql(table: string, columns: readonly string[], keyColumns: readonly string[]): string;

  /** Start staging a window on a connection of its own. */
  openWindow(defs: readonly ColumnDef[], context: StageContext, signal?: AbortSignal): Promise<WindowWork>;

  /** Single writer per key; throws LockHeldError naming the holder. */
  acquireLock(key: StateKey, tables: MetadataTables, signal?: AbortSignal): Promise<HeldLock>;
  /** The longest a gone holder's lock stays in the way (SQLite: the heartbeat's stale limit); absent when it goes with its session. */
  lockLapseMs?: number;
  /** Rolled-back checks that the user may create, alter and insert. */
  probePermissions(session: SqlSession): Promise<void>;
  classify(err: unknown): ErrorClass;
}
