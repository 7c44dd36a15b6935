/**
 * The MySQL / MariaDB dialect (driver mysql2/promise; also Azure Database for MySQL).
 *
 * Type mapping (see mysql-columns.ts for the encoders):
 *
 *   Log Analytics | MySQL / MariaDB                                | notes
 *   --------------|------------------------------------------------|--------------------------------------
 *   bool          | BOOLEAN (TINYINT(1))                           |
 *   int           | INT                                            |
 *   long          | BIGINT                                         | exact beyond 2^53
 *   real          | DOUBLE                                         | NaN/±Infinity → NULL (warned)
 *   decimal       | DECIMAL(65,30) + <col>__text VARCHAR(255)      | __text exact
 *   string        | LONGTEXT (utf8mb4_bin)                         |
 *   guid          | CHAR(36)                                       |
 *   datetime      | DATETIME(6) UTC (µs, truncated) + <col>__text  | __text exact "…SS.fffffffZ"
 *   timespan      | VARCHAR(32) (as sent) + <col>__ticks BIGINT    | TIME cannot span days
 *   dynamic       | JSON                                           | MariaDB: LONGTEXT + JSON_VALID check
 *   (all tables)  | _window_start, _window_end DATETIME(3)         | + index
 *
 * Sessions run with time_zone '+00:00' and a strict sql_mode (a value that does not fit is an
 * error, never silently cut). MySQL DDL commits implicitly, so schema changes run outside any
 * transaction under a GET_LOCK; a window stages its rows in a TEMPORARY table and commits in one
 * READ COMMITTED transaction.
 *
 * Staging memory is bounded by one statement, not by the window: rows are sent in prepared
 * multi-row INSERTs of at most batchRows rows, STATEMENT_PLACEHOLDERS placeholders and about
 * STATEMENT_BYTES of cell text, and write() awaits each INSERT before taking more rows. mysql2
 * keeps a definition object per placeholder for every statement it has prepared on a connection
 * (about 200 bytes each, until the statement is closed), so statements stay small, a statement
 * of another row count (the last one of a window, or one cut short by STATEMENT_BYTES) is closed
 * right after it ran, and the window's full-size statement is closed with the window.
 */
import mysql from "mysql2/promise";
import { ConfigError, SinkError } from "../../../errors.ts";
import type { SqlSinkConfig } from "../../../config/sinks.ts";
import type { Column, RawRow } from "../../../table.ts";
import type { SinkDeps, StateKey } from "../../sink.ts";
import { cellError, CellWarnings } from "../cell-text.ts";
import { resolveServerSettings, tlsOptions } from "../connection-settings.ts";
import type { ColumnDef, Dialect, ErrorClass, HeldLock, MetadataTables, SqlSession, StageContext, WindowWork } from "../dialect.ts";
import { WINDOW_END, WINDOW_START } from "../identifiers.ts";
import { lockDigest } from "../lock-keys.ts";
import { mysqlColumnDefs, mysqlEncoder, type MysqlEncoder, type MysqlValue } from "./mysql-columns.ts";
import { acquireMysqlLock } from "./mysql-lock.ts";
import { MysqlSession, quoteMysql } from "./mysql-session.ts";

const STAGE = "_monitorlift_stage";
const POOL_SIZE = 20;
const TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
const SESSION_SETUP =
  "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', lock_wait_timeout = 60";
/**
 * Placeholders per staging INSERT. The protocol allows 65,535, but mysql2 holds ~200 bytes per
 * placeholder for each statement prepared on a connection, and the statement's values are all
 * alive while it runs; past a few hundred rows per statement throughput no longer improves.
 */
const STATEMENT_PLACEHOLDERS = 8_192;
/** Cell text per staging INSERT (raw JSON text, a close proxy for the packet): large cells send fewer rows at once. */
const STATEMENT_BYTES = 1024 * 1024;

const UNAVAILABLE_CODES = new Set([
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
]);
const UNAVAILABLE_ERRNOS = new Set([1040, 1053, 1927, 2002, 2003, 2006, 2013]);
const TRANSIENT_ERRNOS = new Set([1205, 1213]);

/** Longest wait for a free pooled connection (each open window holds one until commit or abort). */
const ACQUIRE_TIMEOUT_MS = 60_000;

/** pool.getConnection with a deadline: mysql2 would otherwise queue forever. */
function acquire(pool: mysql.Pool): Promise<mysql.PoolConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(
        new SinkError("SINK_UNAVAILABLE", `sql sink: no MySQL connection became free within ${ACQUIRE_TIMEOUT_MS / 1000} s (${POOL_SIZE} are in use by open windows)`, {
          retryable: true,
          hint: "Lower concurrency or look-ahead, or raise the server's connection limit.",
        }),
      );
    }, ACQUIRE_TIMEOUT_MS);
    pool.getConnection().then(
      (conn) => {
        clearTimeout(timer);
        if (late) conn.release();
        else resolve(conn);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function mysqlTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

export function createMysqlDialect(config: SqlSinkConfig, deps: SinkDeps): Dialect {
  const settings = resolveServerSettings(config, deps);
  if (settings.database === undefined) {
    throw new ConfigError("sql sink (mysql): no database given; set sink.database or put it in the URL (mysql://host:3306/<database>).", [
      "sink.database: required for mysql",
    ]);
  }
  const database = settings.database;
  const logger = deps.logger;
  const ssl = tlsOptions(settings.tls, settings.host);
  const options: mysql.ConnectionOptions = {
    host: settings.host,
    port: settings.port,
    database,
    ...(settings.user !== undefined ? { user: settings.user } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(ssl ? { ssl } : {}),
    timezone: "Z",
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    charset: "utf8mb4_bin",
    connectTimeout: 15_000,
    enableKeepAlive: true,
    maxPreparedStatements: 64,
    multipleStatements: false,
  };
  let pool: mysql.Pool | undefined;
  const prepared = new WeakSet<object>();
  const q = quoteMysql;
  const table = (name: string) => q(name);

  async function connect(signal?: AbortSignal): Promise<MysqlSession> {
    signal?.throwIfAborted();
    if (!pool) throw new SinkError("INTERNAL", "sql sink: the MySQL pool is not open (start() was not called)");
    const conn = await acquire(pool);
    const core = (conn as unknown as { connection: { on(event: string, fn: (err: Error) => void): void } }).connection;
    if (!prepared.has(core)) {
      try {
        await conn.query(SESSION_SETUP);
      } catch (err) {
        conn.destroy();
        throw err;
      }
      // The pool listens only once; a second error on an unlistened connection would crash the process.
      core.on("error", (err) => logger.debug({ err: err.message }, "MySQL connection closed"));
      prepared.add(core);
    }
    return new MysqlSession(conn);
  }

  const dialect: Dialect = {
    name: "mysql",
    description: settings.description,
    identifiers: { maxLength: 64, lengthUnit: "chars", caseInsensitive: true, bmpOnly: true },
    quote: q,
    table,
    location: (name) => `${database}.${name}`,

    async open() {
      if (pool) return;
      const created = mysql.createPool({ ...options, connectionLimit: POOL_SIZE, maxIdle: POOL_SIZE, idleTimeout: 30_000, waitForConnections: true });
      pool = created;
      try {
        const s = await connect();
        await s.release();
      } catch (err) {
        pool = undefined;
        await created.end().catch(() => undefined);
        throw err;
      }
    },

    async close() {
      const p = pool;
      pool = undefined;
      await p?.end();
    },

    connect,

    metadataDdl(t: MetadataTables) {
      return [
        `CREATE TABLE IF NOT EXISTS ${table(t.state)} (query VARCHAR(64) NOT NULL, scope VARCHAR(128) NOT NULL, state LONGTEXT NOT NULL,
           version BIGINT NOT NULL, updated_at DATETIME(3) NOT NULL, PRIMARY KEY (query, scope)) ${TABLE_OPTIONS}`,
        `CREATE TABLE IF NOT EXISTS ${table(t.columns)} (table_name VARCHAR(128) NOT NULL, column_name VARCHAR(64) NOT NULL, la_type VARCHAR(16) NOT NULL,
           added_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), PRIMARY KEY (table_name, column_name)) ${TABLE_OPTIONS}`,
        `CREATE TABLE IF NOT EXISTS ${table(t.runs)} (run_id VARCHAR(128) NOT NULL, query VARCHAR(64) NOT NULL, command VARCHAR(32) NOT NULL,
           started_at DATETIME(3) NOT NULL, finished_at DATETIME(3) NOT NULL, outcome VARCHAR(16) NOT NULL, summary LONGTEXT NOT NULL,
           PRIMARY KEY (run_id, query)) ${TABLE_OPTIONS}`,
      ];
    },

    columnDefs: (column: Column) => mysqlColumnDefs(column),

    createTableSql(name, defs) {
      const cols = defs.map((d) => `${q(d.name)} ${d.type}`);
      cols.push(`${q(WINDOW_START)} DATETIME(3) NOT NULL`, `${q(WINDOW_END)} DATETIME(3) NOT NULL`, `KEY ${q("_window")} (${q(WINDOW_START)}, ${q(WINDOW_END)})`);
      return [`CREATE TABLE ${table(name)} (${cols.join(", ")}) ${TABLE_OPTIONS}`];
    },

    addColumnSql: (name, def) => `ALTER TABLE ${table(name)} ADD COLUMN ${q(def.name)} ${def.type}`,

    async physicalColumns(session, name) {
      const exists = await session.query("SELECT 1 AS present FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", [name]);
      if (exists.rows.length === 0) return undefined;
      const cols = await session.query(
        "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        [name],
      );
      return cols.rows.map((r) => String(r.name));
    },

    async withSchemaLock(session, name, fn) {
      // DDL commits implicitly in MySQL: serialize with a named lock instead of a transaction.
      const lockName = `monitorlift-schema:${lockDigest([database, name], 40)}`;
      const got = await session.query("SELECT GET_LOCK(?, 60) AS got", [lockName]);
      if (Number(got.rows[0]?.got) !== 1) {
        throw new SinkError("SINK_UNAVAILABLE", `sql sink: another process kept the schema of ${database}.${name} locked for 60 s`, { retryable: true });
      }
      try {
        return await fn();
      } finally {
        await session.query("SELECT RELEASE_LOCK(?) AS released", [lockName]).catch(() => undefined);
      }
    },

    async begin(session) {
      await session.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
      await session.query("START TRANSACTION");
    },

    timestampParam: mysqlTimestamp,
    readTimestamp: (value) => Date.parse(`${String(value).replace(" ", "T")}Z`),
    timestampExpr: "CAST(? AS DATETIME(3))",

    async insertIfAbsent(session, name, columns, params) {
      try {
        const r = await session.query(`INSERT INTO ${table(name)} (${columns.map(q).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`, params);
        return r.rowCount === 1;
      } catch (err) {
        if ((err as { errno?: number }).errno === 1062) return false; // ER_DUP_ENTRY
        throw err;
      }
    },

    upsertSql(name, columns, keys) {
      const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${q(c)} = VALUES(${q(c)})`);
      return `INSERT INTO ${table(name)} (${columns.map(q).join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ON DUPLICATE KEY UPDATE ${updates.join(", ")}`;
    },

    async openWindow(defs, context, signal) {
      const session = await connect(signal);
      try {
        await session.query(`DROP TEMPORARY TABLE IF EXISTS ${q(STAGE)}`);
        await session.query(`CREATE TEMPORARY TABLE ${q(STAGE)} (${defs.map((d) => `${q(d.name)} ${d.type}`).join(", ")}) ${TABLE_OPTIONS}`);
      } catch (err) {
        await session.release(true);
        throw err;
      }
      return new MysqlWindow(session, defs, context, config.batchRows);
    },

    acquireLock(key: StateKey, _tables: MetadataTables, signal?: AbortSignal): Promise<HeldLock> {
      return acquireMysqlLock(options, [database, config.tablePrefix], key, logger, signal);
    },

    async probePermissions(session: SqlSession) {
      // DDL cannot be rolled back in MySQL: the probe table is real, emptied, and dropped when allowed.
      const probe = table(`${config.tablePrefix}_monitorlift_probe`);
      await session.query(`CREATE TABLE IF NOT EXISTS ${probe} (x INT) ${TABLE_OPTIONS}`);
      await session.query("START TRANSACTION");
      try {
        await session.query(`INSERT INTO ${probe} (x) VALUES (?)`, [1]);
      } finally {
        await session.query("ROLLBACK");
      }
      await session.query(`ALTER TABLE ${probe} ADD COLUMN y INT`);
      await session.query(`ALTER TABLE ${probe} DROP COLUMN y`);
      await session.query(`DROP TABLE ${probe}`).catch((err: unknown) => {
        logger.info({ err: (err as Error).message }, `the probe table ${probe} stays (no DROP permission); it is empty and can be removed`);
      });
    },

    classify(err: unknown): ErrorClass {
      const e = err as { code?: unknown; errno?: unknown; fatal?: unknown; message?: unknown };
      const code = typeof e.code === "string" ? e.code : "";
      const errno = typeof e.errno === "number" ? e.errno : -1;
      const message = typeof e.message === "string" ? e.message : "";
      const unavailable =
        UNAVAILABLE_CODES.has(code) || UNAVAILABLE_ERRNOS.has(errno) || e.fatal === true || /closed state|Pool is closed|connection is closed/i.test(message);
      return { unavailable, transient: TRANSIENT_ERRNOS.has(errno) };
    },
  };
  return dialect;
}

/** One window staged by batched multi-row INSERTs into a TEMPORARY table of its connection (see the header for the bounds). */
class MysqlWindow implements WindowWork {
  readonly stageTable = quoteMysql(STAGE);
  readonly connectionId: string;
  private readonly session: MysqlSession;
  private readonly context: StageContext;
  private readonly encoders: MysqlEncoder[];
  private readonly warners: Array<(problem: string) => void>;
  private readonly warnings = new CellWarnings();
  private readonly columnList: string;
  private readonly rowPlaceholders: string;
  private readonly rowsPerStatement: number;
  private readonly fullInsert: string;
  private pending: MysqlValue[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private staged = 0;
  private state: "staging" | "committing" | "done" = "staging";
  private broken = false;
  /** No more rows will come (the pending INSERT was sent). */
  private ended = false;

  constructor(session: MysqlSession, defs: readonly ColumnDef[], context: StageContext, batchRows: number) {
    this.session = session;
    this.context = context;
    this.connectionId = `connection ${session.threadId}`;
    this.encoders = context.columns.map((c) => mysqlEncoder(c.type));
    this.warners = context.columns.map((c) => (problem: string) => this.warnings.note(c.name, problem));
    this.columnList = defs.map((d) => quoteMysql(d.name)).join(", ");
    this.rowPlaceholders = `(${defs.map(() => "?").join(", ")})`;
    this.rowsPerStatement = Math.max(1, Math.min(batchRows, Math.floor(STATEMENT_PLACEHOLDERS / defs.length)));
    this.fullInsert = this.insertSql(this.rowsPerStatement);
  }

  private insertSql(rows: number): string {
    return `INSERT INTO ${this.stageTable} (${this.columnList}) VALUES ${Array(rows).fill(this.rowPlaceholders).join(", ")}`;
  }

  async write(rows: readonly RawRow[]): Promise<void> {
    if (this.state !== "staging" || this.ended) throw new SinkError("INTERNAL", "sql sink: write() after the staging ended, commit or abort");
    const encoders = this.encoders;
    const warners = this.warners;
    const n = encoders.length;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const before = this.pending.length;
      let c = 0;
      let bytes = 0;
      try {
        for (; c < n; c++) {
          const raw = row[c]!;
          bytes += raw.length;
          encoders[c]!(raw, this.pending, warners[c]!);
        }
      } catch (err) {
        this.pending.length = before; // drop the partly encoded row
        throw cellError(err, this.context.query, this.context.columns[c], r);
      }
      this.pendingRows++;
      this.pendingBytes += bytes;
      if (this.pendingRows === this.rowsPerStatement || this.pendingBytes >= STATEMENT_BYTES) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingRows === 0) return;
    const full = this.pendingRows === this.rowsPerStatement;
    const sql = full ? this.fullInsert : this.insertSql(this.pendingRows);
    const values = this.pending;
    const count = this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
    try {
      await this.session.query(sql, values);
    } catch (err) {
      this.broken = true;
      throw err;
    }
    // A statement of another size is unlikely to come again on this connection: do not let it pile up.
    if (!full) this.session.closeStatement(sql);
    this.staged += count;
  }

  async endStaging(): Promise<void> {
    if (this.state !== "staging") throw new SinkError("INTERNAL", "sql sink: the staging ended after commit or abort");
    if (this.ended) return;
    await this.flush();
    this.ended = true;
  }

  async beginCommit(): Promise<{ session: SqlSession; staged: number }> {
    if (this.state !== "staging") throw new SinkError("INTERNAL", "sql sink: commit() twice or after abort");
    await this.endStaging();
    this.state = "committing";
    await this.session.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    await this.session.query("START TRANSACTION");
    this.warnings.flush(this.context.warn);
    return { session: this.session, staged: this.staged };
  }

  async commit(): Promise<void> {
    await this.session.query("COMMIT");
    this.state = "done";
    await this.cleanUp();
  }

  async rollback(): Promise<void> {
    if (this.state === "done") return;
    const inTransaction = this.state === "committing";
    this.state = "done";
    if (inTransaction && !this.broken) {
      try {
        await this.session.query("ROLLBACK");
      } catch {
        this.broken = true;
      }
    }
    await this.cleanUp();
  }

  private async cleanUp(): Promise<void> {
    if (!this.broken) {
      this.session.closeStatement(this.fullInsert);
      try {
        await this.session.query(`DROP TEMPORARY TABLE IF EXISTS ${this.stageTable}`);
      } catch {
        this.broken = true;
      }
    }
    await this.session.release(this.broken);
  }
}
