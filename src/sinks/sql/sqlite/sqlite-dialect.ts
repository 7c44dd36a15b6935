/**
 * The SQLite dialect (node:sqlite DatabaseSync, no native addon), for a local file.
 *
 * Type mapping (STRICT tables; see sqlite-columns.ts):
 *
 *   Log Analytics | SQLite                                 | notes
 *   --------------|----------------------------------------|----------------------------------------------
 *   bool          | INTEGER 0/1                            |
 *   int, long     | INTEGER                                | 64-bit exact
 *   real          | REAL                                   | NaN → NULL (warned), ±Infinity kept
 *   decimal       | TEXT                                   | exact decimal text
 *   string, guid  | TEXT                                   |
 *   datetime      | TEXT "YYYY-MM-DDTHH:MM:SS.fffffffZ"    | exact to 100 ns, fixed width (sorts as time)
 *   timespan      | TEXT + <col>__ticks INTEGER            | text as sent; exact ticks
 *   dynamic       | TEXT CHECK (json_valid(col))           |
 *   (all tables)  | _window_start, _window_end TEXT        | ISO with ms, + index
 *
 * The file runs in WAL mode with synchronous=FULL (a commit survives power loss). A window's rows
 * are staged in a TEMP table of this connection (not in the database file, no write lock held);
 * commit moves them under BEGIN IMMEDIATE together with the state. One connection per sink is
 * shared through an async mutex; no transaction ever spans an await on something else.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { SinkError } from "../../../errors.ts";
import type { SqlSinkConfig } from "../../../config/sinks.ts";
import type { Column, RawRow } from "../../../table.ts";
import type { SinkDeps, StateKey } from "../../sink.ts";
import { cellError, CellWarnings } from "../cell-text.ts";
import { resolveSqlitePath } from "../connection-settings.ts";
import type { ColumnDef, Dialect, ErrorClass, HeldLock, MetadataTables, SqlSession, StageContext, WindowWork } from "../dialect.ts";
import { WINDOW_END, WINDOW_START } from "../identifiers.ts";
import { insertIfAbsentSql, upsertSql } from "../on-conflict.ts";
import { sqliteColumnDefs, sqliteEncoder, stageType, type SqliteEncoder } from "./sqlite-columns.ts";
import { STALE_MS, acquireSqliteLock } from "./sqlite-lock.ts";
import { SqliteConnection, isBusy, quoteSqlite, type SqliteSession } from "./sqlite-session.ts";

const BUSY_TIMEOUT_MS = 60_000;
/** SQLite keeps identifiers of any length; this bound only keeps names sane. */
const MAX_IDENTIFIER = 255;

export function createSqliteDialect(config: SqlSinkConfig, deps: SinkDeps): Dialect {
  const path = resolveSqlitePath(config);
  const logger = deps.logger;
  let connection: SqliteConnection | undefined;
  let stageCounter = 0;
  const q = quoteSqlite;
  const table = (name: string) => q(name);

  function conn(): SqliteConnection {
    if (!connection) throw new SinkError("INTERNAL", "sql sink: the SQLite database is not open (start() was not called)");
    return connection;
  }

  const dialect: Dialect = {
    name: "sqlite",
    description: `sql sqlite ${config.path}`,
    identifiers: { maxLength: MAX_IDENTIFIER, lengthUnit: "chars", caseInsensitive: true, bmpOnly: false },
    quote: q,
    table,
    location: (name) => `${config.path}:${name}`,

    exists: () => connection !== undefined || existsSync(path),

    async open() {
      if (connection) return;
      mkdirSync(dirname(path), { recursive: true });
      const db = new DatabaseSync(path, { timeout: 0 });
      // Setting WAL mode needs a moment's lock: a replica opening the file while another one does gets
      // SQLITE_BUSY (busy_timeout is 0), so it waits asynchronously and tries again, as beginImmediate does.
      const deadline = Date.now() + BUSY_TIMEOUT_MS;
      for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
        try {
          db.exec("PRAGMA journal_mode = WAL");
          db.exec("PRAGMA synchronous = FULL");
          db.exec("PRAGMA temp_store = FILE");
          break;
        } catch (err) {
          if (!isBusy(err) || Date.now() >= deadline) {
            db.close();
            throw err;
          }
          await sleep(delay);
        }
      }
      connection = new SqliteConnection(db, BUSY_TIMEOUT_MS);
    },

    async close() {
      const c = connection;
      connection = undefined;
      if (c && c.db.isOpen) {
        const s = await c.session();
        try {
          c.db.close();
        } finally {
          await s.release();
        }
      }
    },

    connect: (signal) => conn().session(signal),

    metadataDdl(t: MetadataTables) {
      const now = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
      return [
        `CREATE TABLE IF NOT EXISTS ${table(t.state)} (query TEXT NOT NULL, scope TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL,
           updated_at TEXT NOT NULL, PRIMARY KEY (query, scope)) STRICT`,
        `CREATE TABLE IF NOT EXISTS ${table(t.columns)} (table_name TEXT NOT NULL, column_name TEXT NOT NULL, la_type TEXT NOT NULL,
           added_at TEXT NOT NULL DEFAULT ${now}, PRIMARY KEY (table_name, column_name)) STRICT`,
        `CREATE TABLE IF NOT EXISTS ${table(t.runs)} (run_id TEXT NOT NULL, query TEXT NOT NULL, command TEXT NOT NULL, started_at TEXT NOT NULL,
           finished_at TEXT NOT NULL, outcome TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (run_id, query)) STRICT`,
        `CREATE TABLE IF NOT EXISTS ${table(t.locks)} (query TEXT NOT NULL, scope TEXT NOT NULL, owner TEXT NOT NULL, host TEXT NOT NULL,
           pid INTEGER NOT NULL, acquired_at TEXT NOT NULL, heartbeat_ms INTEGER NOT NULL, PRIMARY KEY (query, scope)) STRICT`,
      ];
    },

    columnDefs: (column: Column) => sqliteColumnDefs(column),

    createTableSql(name, defs) {
      const cols = defs.map((d) => `${q(d.name)} ${d.type}`);
      cols.push(`${q(WINDOW_START)} TEXT NOT NULL`, `${q(WINDOW_END)} TEXT NOT NULL`);
      return [`CREATE TABLE ${table(name)} (${cols.join(", ")}) STRICT`, `CREATE INDEX ${q(`${name}__window`)} ON ${table(name)} (${q(WINDOW_START)}, ${q(WINDOW_END)})`];
    },

    addColumnSql: (name, def) => `ALTER TABLE ${table(name)} ADD COLUMN ${q(def.name)} ${def.type}`,

    async physicalColumns(session, name) {
      const exists = await session.query("SELECT 1 AS present FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE", [name]);
      if (exists.rows.length === 0) return undefined;
      const cols = await session.query("SELECT name FROM pragma_table_info(?)", [name]);
      return cols.rows.map((r) => String(r.name));
    },

    async withSchemaLock(session, _name, fn) {
      const s = session as SqliteSession;
      await s.beginImmediate();
      try {
        const result = await fn();
        s.querySync("COMMIT");
        return result;
      } catch (err) {
        if (s.inTransaction) s.querySync("ROLLBACK");
        throw err;
      }
    },

    async begin(session, signal) {
      await (session as SqliteSession).beginImmediate(signal);
    },

    timestampParam: (ms) => new Date(ms).toISOString(),
    readTimestamp: (value) => Date.parse(String(value)),
    timestampExpr: "?",

    async insertIfAbsent(session, name, columns, params) {
      const r = await session.query(insertIfAbsentSql(table(name), columns, q), params);
      return r.rowCount === 1;
    },

    upsertSql: (name, columns, keys) => upsertSql(table(name), columns, keys, q),

    async openWindow(defs, context, signal) {
      const c = conn();
      const stage = `_monitorlift_stage_${++stageCounter}`;
      const s = await c.session(signal);
      try {
        s.querySync(`CREATE TEMP TABLE ${q(stage)} (${defs.map((d) => `${q(d.name)} ${stageType(d)}`).join(", ")})`);
      } finally {
        await s.release();
      }
      return new SqliteWindow(c, stage, defs, context);
    },

    acquireLock(key: StateKey, tables: MetadataTables, signal?: AbortSignal): Promise<HeldLock> {
      return acquireSqliteLock(conn(), tables, key, logger, signal);
    },
    lockLapseMs: STALE_MS,

    async probePermissions(session: SqlSession) {
      const s = session as SqliteSession;
      await s.beginImmediate();
      try {
        const probe = table("_monitorlift_probe");
        s.querySync(`CREATE TABLE ${probe} (x INTEGER)`);
        s.querySync(`INSERT INTO ${probe} (x) VALUES (?)`, [1]);
        s.querySync(`ALTER TABLE ${probe} ADD COLUMN y INTEGER`);
      } finally {
        s.querySync("ROLLBACK");
      }
    },

    classify(err: unknown): ErrorClass {
      const code = (err as { errcode?: unknown }).errcode;
      const primary = typeof code === "number" ? code & 0xff : -1;
      // SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB
      const unavailable = [10, 11, 13, 14, 26].includes(primary);
      return { unavailable, transient: isBusy(err) };
    },
  };
  return dialect;
}

/** A window staged in a TEMP table of the shared connection, one short transaction per write(). */
class SqliteWindow implements WindowWork {
  readonly stageTable: string;
  private readonly connection: SqliteConnection;
  private readonly insertSql: string;
  private readonly encoders: SqliteEncoder[];
  private readonly warners: Array<(problem: string) => void>;
  private readonly context: StageContext;
  private readonly warnings = new CellWarnings();
  private readonly stage: string;
  private staged = 0;
  private commitSession: SqliteSession | undefined;
  private done = false;
  private ended = false;

  constructor(connection: SqliteConnection, stage: string, defs: readonly ColumnDef[], context: StageContext) {
    this.connection = connection;
    this.stage = stage;
    this.stageTable = `temp.${quoteSqlite(stage)}`;
    this.context = context;
    this.insertSql = `INSERT INTO ${this.stageTable} (${defs.map((d) => quoteSqlite(d.name)).join(", ")}) VALUES (${defs.map(() => "?").join(", ")})`;
    this.encoders = context.columns.map((c) => sqliteEncoder(c.type));
    this.warners = context.columns.map((c) => (problem: string) => this.warnings.note(c.name, problem));
  }

  async write(rows: readonly RawRow[]): Promise<void> {
    if (this.done || this.commitSession || this.ended) throw new SinkError("INTERNAL", "sql sink: write() after the staging ended, commit or abort");
    if (rows.length === 0) return;
    const s = await this.connection.session();
    try {
      const stmt: StatementSync = this.connection.statement(this.insertSql);
      const encoders = this.encoders;
      const warners = this.warners;
      const n = encoders.length;
      const values: Array<string | number | bigint | null> = [];
      // The staging table is in the temp database: this transaction takes no lock on the file.
      s.querySync("BEGIN");
      try {
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r]!;
          values.length = 0;
          let c = 0;
          try {
            for (; c < n; c++) encoders[c]!(row[c]!, values, warners[c]!);
          } catch (err) {
            throw cellError(err, this.context.query, this.context.columns[c], r);
          }
          stmt.run(...values);
        }
        s.querySync("COMMIT");
      } catch (err) {
        s.querySync("ROLLBACK");
        throw err;
      }
      this.staged += rows.length;
    } finally {
      await s.release();
    }
  }

  /** Each write() staged its rows already: nothing is buffered. */
  async endStaging(): Promise<void> {
    if (this.done || this.commitSession) throw new SinkError("INTERNAL", "sql sink: the staging ended after commit or abort");
    this.ended = true;
  }

  async beginCommit(signal?: AbortSignal): Promise<{ session: SqlSession; staged: number }> {
    if (this.done || this.commitSession) throw new SinkError("INTERNAL", "sql sink: commit() twice or after abort");
    const s = await this.connection.session(signal);
    this.commitSession = s;
    await s.beginImmediate(signal);
    this.warnings.flush(this.context.warn);
    return { session: s, staged: this.staged };
  }

  async commit(): Promise<void> {
    const s = this.commitSession!;
    s.querySync("COMMIT");
    this.done = true;
    s.querySync(`DROP TABLE IF EXISTS ${this.stageTable}`);
    await s.release();
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const s = this.commitSession ?? (await this.connection.session());
    try {
      // A closed connection took its transaction and TEMP tables with it.
      if (this.connection.db.isOpen) {
        if (s.inTransaction) s.querySync("ROLLBACK");
        s.querySync(`DROP TABLE IF EXISTS ${this.stageTable}`);
      }
    } finally {
      await s.release();
    }
  }

  toString(): string {
    return this.stage;
  }
}
