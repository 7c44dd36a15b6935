/**
 * The one SQLite connection of a sink (node:sqlite, synchronous) shared by all its work through an
 * async mutex: a session is exclusive use of the connection, so no statement of another task can
 * slip into an open transaction. Waits for other processes' write locks are async retries
 * (busy_timeout stays 0): a synchronous busy wait would freeze the whole process.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { SinkError } from "../../../errors.ts";
import { AsyncMutex } from "../async-mutex.ts";
import type { QueryResult, SqlSession } from "../dialect.ts";

export function quoteSqlite(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

export function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === "number" && ((code & 0xff) === SQLITE_BUSY || (code & 0xff) === SQLITE_LOCKED);
}

const CACHE_SIZE = 200;

export class SqliteConnection {
  readonly db: DatabaseSync;
  private readonly mutex = new AsyncMutex();
  private readonly statements = new Map<string, StatementSync>();
  /** Longest wait for another process's write transaction before giving up (retryable). */
  readonly busyTimeoutMs: number;

  constructor(db: DatabaseSync, busyTimeoutMs: number) {
    this.db = db;
    this.busyTimeoutMs = busyTimeoutMs;
  }

  /** A cached prepared statement (small LRU: staging tables give many one-off statements). */
  statement(sql: string): StatementSync {
    let stmt = this.statements.get(sql);
    if (stmt) {
      this.statements.delete(sql);
    } else {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  async session(signal?: AbortSignal): Promise<SqliteSession> {
    const unlock = await this.mutex.lock(signal);
    return new SqliteSession(this, unlock);
  }
}

export class SqliteSession implements SqlSession {
  readonly connection: SqliteConnection;
  private unlock: (() => void) | undefined;

  constructor(connection: SqliteConnection, unlock: () => void) {
    this.connection = connection;
    this.unlock = unlock;
  }

  private check(): SqliteConnection {
    if (!this.unlock) throw new SinkError("INTERNAL", "sql sink: SQLite session used after release");
    return this.connection;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    return this.querySync(sql, params);
  }

  querySync(sql: string, params: readonly unknown[] = []): QueryResult {
    const stmt = this.check().statement(sql);
    const args = params as Array<string | number | bigint | null>;
    if (stmt.columns().length > 0) {
      const rows = stmt.all(...args) as Array<Record<string, unknown>>;
      return { rows, rowCount: rows.length };
    }
    const r = stmt.run(...args);
    return { rows: [], rowCount: Number(r.changes) };
  }

  /** BEGIN IMMEDIATE (take the write lock now), retrying while another connection writes. */
  async beginImmediate(signal?: AbortSignal, timeoutMs = this.connection.busyTimeoutMs): Promise<void> {
    const db = this.check().db;
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return;
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (Date.now() >= deadline) {
          throw new SinkError("SINK_UNAVAILABLE", `sql sink: the SQLite database stayed locked by another writer for ${Math.round(timeoutMs / 1000)} s`, {
            cause: err,
            retryable: true,
          });
        }
        await sleep(delay, undefined, signal ? { signal } : undefined);
      }
    }
  }

  get inTransaction(): boolean {
    return this.connection.db.isTransaction;
  }

  async release(): Promise<void> {
    const unlock = this.unlock;
    this.unlock = undefined;
    if (!unlock) return;
    // Never hand the connection on inside a transaction.
    if (this.connection.db.isOpen && this.connection.db.isTransaction) {
      try {
        this.connection.db.exec("ROLLBACK");
      } catch {
        // nothing more to do
      }
    }
    unlock();
  }
}
