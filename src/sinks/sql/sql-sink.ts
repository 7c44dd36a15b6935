/**
 * The SQL sink: one table per query (tablePrefix + query name), rows tagged with the window they
 * came from, and the cursor in `<prefix>_monitorlift_state`, moved in the SAME transaction that
 * makes the window's rows visible. A crash at any point leaves the whole window or none of it.
 *
 *   openWindow  table created/widened (schema-sync.ts); rows staged on a connection of their own
 *   write       rows go into the private staging table (COPY / multi-row INSERT / prepared INSERT)
 *   commit      one transaction: DELETE rows of every overlapping window (a re-run replaces, never
 *               duplicates) → INSERT … SELECT the staged rows → optimistic state update
 *               (version must match `previous`, else STATE_CONFLICT) → lock fence → COMMIT
 *   abort       ROLLBACK, staging dropped, connection released
 *
 * The dialect modules (postgres/, mysql/, sqlite/) supply connections, DDL, staging and locks.
 */
import { AbortedError, MonitorliftError, SinkError, messageOf } from "../../errors.ts";
import type { SqlSinkConfig } from "../../config/sinks.ts";
import type { RowBatch } from "../../row-batch.ts";
import type { Column, RawRow } from "../../table.ts";
import type { TimeWindow } from "../../window/window.ts";
import { formatWindow } from "../../window/window.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { CommitResult, CursorState, Destination, RunSummary, Sink, SinkDeps, StateKey, WindowCount, WindowTarget, WindowWriter } from "../sink.ts";
import { decodeCursor, encodeCursor } from "../../state/cursor.ts";
import { checkRewind, readForList, type CursorStore, type ListOptions } from "../../state/cursor-store.ts";
import { LockHeldError, type HeldLock as Lock, type Locks } from "../../state/locks.ts";
import { decodeRunSummary, latestRunPerQuery, REWIND_COMMAND, type LastRuns, type RunHistory } from "../../state/run-history.ts";
import type { Dialect, HeldLock, MetadataTables, SqlSession, WindowWork } from "./dialect.ts";
import { WINDOW_END, WINDOW_START, metadataTables, queryTableName } from "./identifiers.ts";
import { keyLabel } from "./lock-keys.ts";
import { createMysqlDialect } from "./mysql/mysql-dialect.ts";
import { createPostgresDialect } from "./postgres/postgres-dialect.ts";
import { SchemaSync } from "./schema-sync.ts";
import { createSqliteDialect } from "./sqlite/sqlite-dialect.ts";

const LABELS = { postgres: "PostgreSQL", mysql: "MySQL", sqlite: "SQLite" } as const;

function createDialect(config: SqlSinkConfig, deps: SinkDeps): Dialect {
  switch (config.dialect) {
    case "postgres":
      return createPostgresDialect(config, deps);
    case "mysql":
      return createMysqlDialect(config, deps);
    case "sqlite":
      return createSqliteDialect(config, deps);
  }
}

export function createSqlSink(config: SqlSinkConfig, deps: SinkDeps): Destination {
  const logger = deps.logger.child({ sink: "sql", dialect: config.dialect });
  const dialect = createDialect(config, { ...deps, logger });
  const sql = new SqlSink(config, dialect, logger);
  const sink: Sink = {
    description: sql.description,
    start: (signal) => sql.start(signal),
    shutdown: () => sql.shutdown(),
    probe: (signal) => sql.probe(signal),
    openWindow: (target) => sql.openWindow(target),
    recover: (key, from, to, isCommitted) => sql.recover(key, from, to, isCommitted),
    windowCounts: (query, from, to, signal) => sql.windowCounts(query, from, to, signal),
    rewind: (key, next, previous, signal) => sql.rewind(key, next, previous, signal),
  };
  const cursors: CursorStore = {
    read: (key) => sql.readState(key),
    list: (options) => sql.listStates(options),
    write: (key, next, previous) => sql.writeState(key, next, previous),
    locationOf: (key) => `${dialect.location(sql.tables.state)} (query ${key.query}, scope ${key.scope})`,
  };
  const locks: Locks = { acquire: (key, signal) => sql.acquireLock(key, signal), lapseMs: dialect.lockLapseMs ?? 0 };
  const runs: RunHistory = { record: (summary) => sql.recordRun(summary), lastRuns: () => sql.lastRuns() };
  // The sink's shutdown already rolls back open windows, releases held locks and closes the pool.
  return { sink, cursors, locks, runs, shutdown: () => sql.shutdown() };
}

const lockId = (key: StateKey) => `${key.query}\u0000${key.scope}`;

/** The SQL destination: data, cursors (state table), locks and runs share one dialect and pool. */
class SqlSink {
  readonly description: string;
  private readonly config: SqlSinkConfig;
  private readonly dialect: Dialect;
  private readonly logger: Logger;
  readonly tables: MetadataTables;
  private readonly schema: SchemaSync;
  private readonly locks = new Map<string, HeldLock>();
  /** Windows opened and not yet committed or aborted: shutdown rolls them back before closing the pool. */
  readonly openWriters = new Set<SqlWindowWriter>();
  private opening: Promise<void> | undefined;

  constructor(config: SqlSinkConfig, dialect: Dialect, logger: Logger) {
    this.config = config;
    this.dialect = dialect;
    this.logger = logger;
    this.description = dialect.description;
    this.tables = metadataTables(config.tablePrefix);
    this.schema = new SchemaSync(dialect, this.tables);
  }

  /** A SinkError for a driver error: SINK_UNAVAILABLE (retryable) when the database went away, else SINK_WRITE. */
  failure(err: unknown, action: string): MonitorliftError {
    if (err instanceof MonitorliftError) return err;
    const kind = this.dialect.classify(err);
    const label = LABELS[this.dialect.name];
    if (kind.unavailable) {
      return new SinkError("SINK_UNAVAILABLE", `${this.description}: ${action} failed, ${label} is not reachable: ${messageOf(err)}`, {
        cause: err,
        retryable: true,
      });
    }
    return new SinkError("SINK_WRITE", `${this.description}: ${action} failed: ${label} says: ${messageOf(err)}`, {
      cause: err,
      retryable: kind.transient,
    });
  }

  private ensureOpen(signal?: AbortSignal): Promise<void> {
    this.opening ??= (async () => {
      await this.dialect.open(signal);
      await this.withSession(signal, "creating the metadata tables", async (s) => {
        await this.dialect.withSchemaLock(s, "\u0000metadata", async () => {
          for (const sql of this.dialect.metadataDdl(this.tables)) await s.query(sql);
        });
      });
    })().catch(async (err: unknown) => {
      this.opening = undefined;
      await this.dialect.close().catch(() => undefined);
      throw this.failure(err, "connecting");
    });
    return this.opening;
  }

  /**
   * Whether the metadata tables exist, creating nothing when start() was not called: a cursor read on a
   * fresh database (`rewind --dry-run`, which only reads) finds no state rather than creating the tables —
   * or, for SQLite, the file. After start() (every command that writes) they exist.
   */
  private async hasMetadata(signal?: AbortSignal): Promise<boolean> {
    if (this.opening) {
      await this.opening;
      return true;
    }
    if (this.dialect.exists?.() === false) return false;
    try {
      await this.dialect.open(signal);
    } catch (err) {
      await this.dialect.close().catch(() => undefined);
      throw this.failure(err, "connecting");
    }
    return this.withSession(signal, "looking for the metadata tables", async (s) => (await this.dialect.physicalColumns(s, this.tables.state)) !== undefined);
  }

  private async withSession<T>(signal: AbortSignal | undefined, action: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    let session: SqlSession;
    try {
      session = await this.dialect.connect(signal);
    } catch (err) {
      throw this.failure(err, action);
    }
    let broken = false;
    try {
      return await fn(session);
    } catch (err) {
      broken = !(err instanceof MonitorliftError) && this.dialect.classify(err).unavailable;
      throw this.failure(err, action);
    } finally {
      await session.release(broken).catch(() => undefined);
    }
  }

  async start(signal?: AbortSignal): Promise<void> {
    await this.ensureOpen(signal);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.openWriters].map((w) => w.abort()));
    const held = [...this.locks.values()];
    this.locks.clear();
    await Promise.all(held.map((l) => l.release().catch(() => undefined)));
    this.opening = undefined;
    await this.dialect.close();
  }

  async probe(signal?: AbortSignal): Promise<void> {
    await this.ensureOpen(signal);
    await this.withSession(signal, "checking permissions (create, alter, insert)", (s) => this.dialect.probePermissions(s));
  }

  /** A state-table row through the one cursor codec (STATE_CORRUPT names the table and key). */
  private parseState(row: Record<string, unknown>): CursorState {
    const where = `${this.dialect.location(this.tables.state)} (query ${String(row.query)}, scope ${String(row.scope)})`;
    const { version: _ignored, ...state } = decodeCursor(row.state, where);
    return { ...state, version: String(row.version) };
  }

  async readState(key: StateKey): Promise<CursorState | undefined> {
    if (!(await this.hasMetadata())) return undefined;
    return this.withSession(undefined, `reading the state of ${keyLabel(key)}`, async (s) => {
      const r = await s.query(`SELECT query, scope, state, version FROM ${this.dialect.table(this.tables.state)} WHERE query = ? AND scope = ?`, [key.query, key.scope]);
      return r.rows.length === 0 ? undefined : this.parseState(r.rows[0]!);
    });
  }

  async listStates(options?: ListOptions): Promise<Array<{ key: StateKey; state: CursorState }>> {
    await this.ensureOpen();
    const rows = await this.withSession(options?.signal, "listing states", async (s) => {
      const r = await s.query(`SELECT query, scope, state, version FROM ${this.dialect.table(this.tables.state)} ORDER BY query, scope`);
      return r.rows;
    });
    const out: Array<{ key: StateKey; state: CursorState }> = [];
    for (const row of rows) {
      const key = { query: String(row.query), scope: String(row.scope) };
      const state = await readForList(async () => this.parseState(row), key, options);
      if (state) out.push({ key, state });
    }
    return out;
  }

  /** CursorStore.write outside a window: the same conditional update the commit transaction makes. */
  async writeState(key: StateKey, next: CursorState, previous: CursorState | undefined): Promise<string> {
    await this.ensureOpen();
    const d = this.dialect;
    return this.withSession(undefined, `writing the state of ${keyLabel(key)}`, async (s) => {
      await d.begin(s);
      try {
        const version = await saveState(d, s, this.tables, key, next, previous, "the cursor was not written");
        await s.query("COMMIT");
        return String(version);
      } catch (err) {
        await s.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
  }

  async acquireLock(key: StateKey, signal?: AbortSignal): Promise<Lock> {
    await this.ensureOpen(signal);
    const id = lockId(key);
    if (this.locks.has(id)) {
      throw new LockHeldError({ description: `this monitorlift process (pid ${process.pid})`, state: "live" }, `sql sink: ${keyLabel(key)} is already locked by this monitorlift process.`);
    }
    let held: HeldLock;
    try {
      held = await this.dialect.acquireLock(key, this.tables, signal);
    } catch (err) {
      throw this.failure(err, `taking the lock of ${keyLabel(key)}`);
    }
    this.locks.set(id, held);
    this.logger.debug({ query: key.query, scope: key.scope }, "sql lock acquired");
    return {
      signal: held.signal,
      release: async () => {
        if (this.locks.get(id) === held) this.locks.delete(id);
        await held.release();
      },
    };
  }

  async recover(key: StateKey, from: number, to: number, isCommitted: (w: TimeWindow) => boolean): Promise<number> {
    await this.ensureOpen();
    const table = queryTableName(this.config.tablePrefix, key.query, this.dialect.identifiers);
    const d = this.dialect;
    return this.withSession(undefined, `recovering ${keyLabel(key)}`, async (s) => {
      if ((await d.physicalColumns(s, table)) === undefined) return 0;
      const stale = (await windowsIn(d, s, table, from, to)).filter((w) => !isCommitted(w));
      if (stale.length === 0) return 0;
      await d.begin(s);
      let removed: number;
      try {
        removed = await deleteWindows(d, s, table, stale);
        await s.query("COMMIT");
      } catch (err) {
        await s.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
      this.logger.info({ query: key.query, scope: key.scope, windows: stale.length, rows: removed }, "removed rows of uncommitted windows");
      return removed;
    });
  }

  /**
   * Sink.rewind: in ONE transaction, the rows of every window from `next.watermark` on are deleted the
   * way recover() deletes uncommitted windows, the state moves back (conditional on `previous`'s
   * version), and the lock is checked to be still this process's (the commit's fence). Readers see the
   * old watermark with its rows, or the new one without them: never rows no watermark counts. A lost
   * lock (`signal`, or the held lock's own) before COMMIT rolls it all back.
   */
  async rewind(key: StateKey, next: CursorState, previous: CursorState, signal: AbortSignal): Promise<number> {
    checkRewind(key, next, previous);
    throwIfStopped(signal, this.locks.get(lockId(key)));
    await this.ensureOpen(signal);
    const table = queryTableName(this.config.tablePrefix, key.query, this.dialect.identifiers);
    const d = this.dialect;
    return this.withSession(signal, `rewinding ${keyLabel(key)}`, async (s) => {
      const hasTable = (await d.physicalColumns(s, table)) !== undefined;
      await d.begin(s);
      try {
        const windows = hasTable ? await windowsIn(d, s, table, next.watermark, Number.POSITIVE_INFINITY) : [];
        const removed = await deleteWindows(d, s, table, windows);
        await saveState(d, s, this.tables, key, next, previous, "nothing was rewound");
        throwIfStopped(signal, this.locks.get(lockId(key)));
        const lock = this.locks.get(lockId(key));
        if (lock && !(await lock.verify(s))) {
          throw new SinkError("LOCK_LOST", `sql sink: the lock of ${keyLabel(key)} is no longer held by this process; nothing was rewound.`, { retryable: true });
        }
        await s.query("COMMIT");
        this.logger.info({ query: key.query, scope: key.scope, windows: windows.length, rows: removed }, "rewound: removed the rows of the windows after the new watermark");
        return removed;
      } catch (err) {
        await s.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
  }

  /** Rows per committed window: the rows are tagged with their window, and commit replaces them in one transaction. */
  async windowCounts(query: string, from: number, to: number, signal?: AbortSignal): Promise<WindowCount[]> {
    if (!(await this.hasMetadata(signal))) return [];
    const table = queryTableName(this.config.tablePrefix, query, this.dialect.identifiers);
    const d = this.dialect;
    return this.withSession(signal, `counting the rows of query ${query} per window`, async (s) => {
      if ((await d.physicalColumns(s, table)) === undefined) return [];
      const ws = d.quote(WINDOW_START);
      const we = d.quote(WINDOW_END);
      const r = await s.query(`SELECT ${ws} AS ws, ${we} AS we, COUNT(*) AS n FROM ${d.table(table)} WHERE ${ws} >= ? AND ${we} <= ? GROUP BY ${ws}, ${we}`, [
        d.timestampParam(from),
        d.timestampParam(to),
      ]);
      return r.rows.map((row) => ({ window: { start: d.readTimestamp(row.ws), end: d.readTimestamp(row.we) }, rows: Number(row.n) }));
    });
  }

  /**
   * A result without columns (the service's 204 for a workspace with no data) is an empty window: no
   * table is needed, and committing it moves only the cursor (the same conditional write). No rows of
   * this window can exist to replace: a window's rows are only ever committed with a cursor that counts
   * them, and such a window is not committed again empty (verify repairs only windows that gained rows).
   */
  private emptyResultWriter(target: WindowTarget): WindowWriter {
    const { key, window, signal } = target;
    let state: "open" | "closed" = "open";
    const what = `the empty window ${formatWindow(window)} of ${keyLabel(key)}`;
    return {
      write: async (rows) => {
        if (state !== "open") throw new SinkError("INTERNAL", `sql sink: write() on ${what}, already committed or aborted`);
        if (rows.length > 0) throw new SinkError("INTERNAL", `sql sink: ${rows.length} rows arrived for ${what}, a result without columns`);
      },
      end: async () => {
        if (state !== "open") throw new SinkError("INTERNAL", `sql sink: end() on ${what}, already committed or aborted`);
      },
      commit: async (next, previous) => {
        if (state !== "open") throw new SinkError("INTERNAL", `sql sink: commit() on ${what}, already committed or aborted`);
        throwIfStopped(signal, this.locks.get(lockId(key)));
        state = "closed";
        const version = await this.writeState(key, next, previous);
        return { rows: 0, bytes: 0, location: `${this.dialect.location(queryTableName(this.config.tablePrefix, key.query, this.dialect.identifiers))} (empty window, no columns: cursor only)`, version };
      },
      abort: async () => void (state = "closed"),
    };
  }

  async openWindow(target: WindowTarget): Promise<WindowWriter> {
    const { key, window, columns, signal } = target;
    throwIfStopped(signal, this.locks.get(lockId(key)));
    await this.ensureOpen(signal);
    const table = queryTableName(this.config.tablePrefix, key.query, this.dialect.identifiers);
    if (columns.length === 0) return this.emptyResultWriter(target);
    let defs;
    try {
      defs = await this.schema.ensure(table, columns, key.query, signal);
    } catch (err) {
      throw this.failure(err, `preparing table ${this.dialect.location(table)} for query "${key.query}"`);
    }
    const warn = (column: string, problem: string, cells: number) =>
      this.logger.warn({ query: key.query, window: formatWindow(window), column, cells }, `sql sink: ${problem}`);
    let work: WindowWork;
    try {
      work = await this.dialect.openWindow(defs, { columns, query: key.query, warn }, signal);
    } catch (err) {
      throw this.failure(err, `opening window ${formatWindow(window)} of ${keyLabel(key)}`);
    }
    this.logger.debug({ query: key.query, scope: key.scope, window: formatWindow(window), connection: work.connectionId }, "sql window opened");
    const writer = new SqlWindowWriter(this, this.dialect, work, {
      key,
      window,
      columns,
      table,
      columnNames: defs.map((d) => d.name),
      signal,
      lock: () => this.locks.get(lockId(key)),
      tables: this.tables,
      logger: this.logger,
    });
    this.openWriters.add(writer);
    return writer;
  }

  async recordRun(summary: RunSummary): Promise<void> {
    const entries = Object.entries(summary.queries);
    if (entries.length === 0) return;
    await this.ensureOpen();
    const d = this.dialect;
    const sql = d.upsertSql(this.tables.runs, ["run_id", "query", "command", "started_at", "finished_at", "outcome", "summary"], ["run_id", "query"]);
    const json = JSON.stringify(summary);
    await this.withSession(undefined, `recording run ${summary.runId}`, async (s) => {
      await d.begin(s);
      try {
        for (const [query, outcome] of entries) {
          await s.query(sql, [
            summary.runId,
            query,
            summary.command,
            d.timestampParam(Date.parse(summary.startedAt)),
            d.timestampParam(Date.parse(summary.finishedAt)),
            outcome.outcome,
            json,
          ]);
        }
        await s.query("COMMIT");
      } catch (err) {
        await s.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
  }

  async lastRuns(): Promise<LastRuns> {
    await this.ensureOpen();
    return this.withSession(undefined, "reading run summaries", async (s) => {
      const r = await s.query(
        `SELECT query, summary FROM (SELECT query, summary, ROW_NUMBER() OVER (PARTITION BY query, CASE WHEN command = '${REWIND_COMMAND}' THEN 1 ELSE 0 END ORDER BY finished_at DESC, run_id DESC) AS rn
           FROM ${this.dialect.table(this.tables.runs)}) ranked WHERE rn = 1`,
      );
      // ORDER BY finished_at DESC, run_id DESC is the one definition of "last run" (src/state/run-history.ts),
      // applied in SQL so only two rows per query are read (its last run and its latest rewind, which never
      // counts as a run); latestRunPerQuery() keeps ties decided the same way.
      const summaries: RunSummary[] = [];
      for (const row of r.rows) {
        const summary = decodeRunSummary(row.summary);
        if (summary) summaries.push(summary);
        else this.logger.warn({ query: String(row.query) }, "ignoring a damaged run summary");
      }
      return latestRunPerQuery(summaries);
    });
  }
}

function throwIfStopped(signal: AbortSignal, lock: HeldLock | undefined): void {
  for (const s of [lock?.signal, signal]) {
    if (s?.aborted) {
      const reason: unknown = s.reason;
      throw reason instanceof MonitorliftError ? reason : new AbortedError("window aborted", { cause: reason });
    }
  }
}

interface WriterContext {
  key: StateKey;
  window: TimeWindow;
  columns: readonly Column[];
  table: string;
  columnNames: string[];
  signal: AbortSignal;
  lock: () => HeldLock | undefined;
  tables: MetadataTables;
  logger: Logger;
}

class SqlWindowWriter implements WindowWriter {
  private readonly sink: SqlSink;
  private readonly dialect: Dialect;
  private readonly work: WindowWork;
  private readonly ctx: WriterContext;
  private state: "open" | "closed" = "open";
  private ended = false;
  private rows = 0;
  private bytes = 0;

  constructor(sink: SqlSink, dialect: Dialect, work: WindowWork, ctx: WriterContext) {
    this.sink = sink;
    this.dialect = dialect;
    this.work = work;
    this.ctx = ctx;
  }

  private what(): string {
    return `window ${formatWindow(this.ctx.window)} of ${keyLabel(this.ctx.key)}`;
  }

  async write(batch: RowBatch): Promise<void> {
    if (this.state !== "open" || this.ended) throw new SinkError("INTERNAL", `sql sink: write() on a ${this.what()} that was already ended, committed or aborted`);
    try {
      throwIfStopped(this.ctx.signal, this.ctx.lock());
      await this.work.write(batch.rows);
    } catch (err) {
      await this.abort();
      throw this.sink.failure(err, `writing rows of ${this.what()}`);
    }
    this.rows += batch.length;
    this.bytes += batch.cellBytes();
  }

  /** Sends what is buffered and ends the staging (the COPY, a pending INSERT), so a window waiting for its commit holds no rows. */
  async end(): Promise<void> {
    if (this.state !== "open") throw new SinkError("INTERNAL", `sql sink: end() on a ${this.what()} that was already committed or aborted`);
    try {
      throwIfStopped(this.ctx.signal, this.ctx.lock());
      await this.work.endStaging();
    } catch (err) {
      await this.abort();
      throw this.sink.failure(err, `finishing the rows of ${this.what()}`);
    }
    this.ended = true;
  }

  async commit(next: CursorState, previous: CursorState | undefined): Promise<CommitResult> {
    if (this.state !== "open") throw new SinkError("INTERNAL", `sql sink: commit() on a ${this.what()} that was already committed or aborted`);
    const d = this.dialect;
    const { key, window, table } = this.ctx;
    const t = d.table(table);
    const ws = d.quote(WINDOW_START);
    const we = d.quote(WINDOW_END);
    try {
      throwIfStopped(this.ctx.signal, this.ctx.lock());
      const { session, staged } = await this.work.beginCommit(this.ctx.signal);
      const replaced = await session.query(`DELETE FROM ${t} WHERE ${ws} < ? AND ${we} > ?`, [d.timestampParam(window.end), d.timestampParam(window.start)]);
      if (staged > 0) {
        const cols = this.ctx.columnNames.map((c) => d.quote(c)).join(", ");
        const moved = await session.query(
          `INSERT INTO ${t} (${cols}, ${ws}, ${we}) SELECT ${cols}, ${d.timestampExpr}, ${d.timestampExpr} FROM ${this.work.stageTable}`,
          [d.timestampParam(window.start), d.timestampParam(window.end)],
        );
        if (moved.rowCount !== staged) {
          throw new SinkError("INTERNAL", `sql sink: ${this.what()}: ${staged} rows were staged but ${moved.rowCount} were moved into ${d.location(table)}`);
        }
      }
      const version = await saveState(d, session, this.ctx.tables, key, next, previous, `${this.what()} was rolled back`);
      const lock = this.ctx.lock();
      if (lock && !(await lock.verify(session))) {
        throw new SinkError("LOCK_LOST", `sql sink: the lock of ${keyLabel(key)} is no longer held by this process; ${this.what()} was not committed.`, {
          retryable: true,
        });
      }
      await this.work.commit();
      this.state = "closed";
      this.sink.openWriters.delete(this);
      if (replaced.rowCount > 0) {
        this.ctx.logger.info({ query: key.query, window: formatWindow(window), rows: replaced.rowCount }, "replaced rows of earlier overlapping windows");
      }
      return { rows: staged, bytes: this.bytes, location: d.location(table), version: String(version) };
    } catch (err) {
      await this.abort();
      throw this.sink.failure(err, `committing ${this.what()}`);
    }
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "closed";
    this.sink.openWriters.delete(this);
    await this.work.rollback().catch((err: unknown) => this.ctx.logger.warn({ err: messageOf(err) }, "sql sink: rollback failed"));
  }
}

/** The distinct windows of `table`'s rows with start ≥ from and end ≤ to (an infinite bound is open), oldest first. */
async function windowsIn(d: Dialect, s: SqlSession, table: string, from: number, to: number): Promise<TimeWindow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (Number.isFinite(from)) {
    where.push(`${d.quote(WINDOW_START)} >= ?`);
    params.push(d.timestampParam(from));
  }
  if (Number.isFinite(to)) {
    where.push(`${d.quote(WINDOW_END)} <= ?`);
    params.push(d.timestampParam(to));
  }
  const found = await s.query(
    `SELECT DISTINCT ${d.quote(WINDOW_START)} AS ws, ${d.quote(WINDOW_END)} AS we FROM ${d.table(table)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`,
    params,
  );
  return found.rows.map((row) => ({ start: d.readTimestamp(row.ws), end: d.readTimestamp(row.we) })).sort((a, b) => a.start - b.start);
}

/** Deletes the rows of each window (inside the caller's transaction); returns how many rows went. */
async function deleteWindows(d: Dialect, s: SqlSession, table: string, windows: readonly TimeWindow[]): Promise<number> {
  let removed = 0;
  for (const w of windows) {
    const r = await s.query(`DELETE FROM ${d.table(table)} WHERE ${d.quote(WINDOW_START)} = ? AND ${d.quote(WINDOW_END)} = ?`, [d.timestampParam(w.start), d.timestampParam(w.end)]);
    removed += r.rowCount;
  }
  return removed;
}

/**
 * Moves the cursor of `key` inside the caller's transaction (optimistic: the stored version must be
 * `previous`'s, else STATE_CONFLICT); returns the new version. The body is the one cursor codec's.
 */
async function saveState(
  d: Dialect,
  session: SqlSession,
  tables: MetadataTables,
  key: StateKey,
  next: CursorState,
  previous: CursorState | undefined,
  consequence: string,
): Promise<number> {
  const conflict = (why: string) =>
    new SinkError(
      "STATE_CONFLICT",
      `sql sink: the state of ${keyLabel(key)} changed under this run (expected version ${previous?.version ?? "none"}): ${why}. ${consequence}.`,
      { hint: "Another process wrote this query's state; check that only one monitorlift exports it." },
    );
  const json = encodeCursor(next);
  const now = d.timestampParam(Date.now());
  if (previous?.version === undefined) {
    const inserted = await d.insertIfAbsent(session, tables.state, ["query", "scope", "state", "version", "updated_at"], [key.query, key.scope, json, 1, now]);
    if (!inserted) throw conflict("a state already exists although this commit expected none");
    return 1;
  }
  const expected = Number(previous.version);
  if (!Number.isSafeInteger(expected)) throw conflict(`version "${previous.version}" is not a version of this sink`);
  const r = await session.query(`UPDATE ${d.table(tables.state)} SET state = ?, version = ?, updated_at = ? WHERE query = ? AND scope = ? AND version = ?`, [
    json,
    expected + 1,
    now,
    key.query,
    key.scope,
    expected,
  ]);
  if (r.rowCount !== 1) throw conflict("the stored state has another version (or was removed)");
  return expected + 1;
}
