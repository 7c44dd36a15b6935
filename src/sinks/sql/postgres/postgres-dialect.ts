/**
 * The PostgreSQL dialect (driver `pg`, bulk load with `pg-copy-streams`).
 *
 * Type mapping (see postgres-columns.ts for the encoders):
 *
 *   Log Analytics | PostgreSQL                                     | notes
 *   --------------|------------------------------------------------|------------------------------------------
 *   bool          | boolean                                        |
 *   int           | integer                                        |
 *   long          | bigint                                         | exact beyond 2^53
 *   real          | double precision                               | NaN, ±Infinity, -0 kept
 *   decimal       | numeric                                        | exact text, scale kept
 *   string        | text                                           | U+0000 → U+FFFD (warned)
 *   guid          | uuid                                           |
 *   datetime      | timestamptz (µs, truncated) + <col>__text text | __text: exact "YYYY-MM-DDTHH:MM:SS.fffffffZ"
 *   timespan      | interval (µs, toward 0) + <col>__ticks bigint  | __ticks: exact 100 ns ticks
 *   dynamic       | jsonb                                          | semantic JSON; \u0000 escapes → \ufffd (warned)
 *   (all tables)  | _window_start, _window_end timestamptz         | + index (_window_start, _window_end)
 *
 * A window: BEGIN on a pooled connection; CREATE TEMP TABLE … ON COMMIT DROP; COPY FROM STDIN
 * (text format) into it while rows arrive; at commit the shared logic deletes the overlapping
 * windows, INSERT … SELECTs the staged rows and moves the state, then COMMIT. The query's table is
 * only touched inside that short final step, so windows written side by side never wait on each
 * other. Use a direct connection (not a transaction-mode pooler): the lock is a session lock.
 */
import { once } from "node:events";
import pg from "pg";
import { from as copyFrom, type CopyStreamQuery } from "pg-copy-streams";
import { AbortedError, SinkError } from "../../../errors.ts";
import type { SqlSinkConfig } from "../../../config/sinks.ts";
import type { Column, RawRow } from "../../../table.ts";
import type { SinkDeps, StateKey } from "../../sink.ts";
import { cellError, CellWarnings } from "../cell-text.ts";
import { resolveServerSettings, tlsOptions } from "../connection-settings.ts";
import type { ColumnDef, Dialect, ErrorClass, HeldLock, MetadataTables, SqlSession, StageContext, WindowWork } from "../dialect.ts";
import { WINDOW_END, WINDOW_START } from "../identifiers.ts";
import { insertIfAbsentSql, upsertSql } from "../on-conflict.ts";
import { advisoryKey } from "../lock-keys.ts";
import { pgColumnDefs, pgCopyEncoder, type CopyEncoder } from "./postgres-columns.ts";
import { acquirePgLock } from "./postgres-lock.ts";
import { PgSession } from "./postgres-session.ts";

const STAGE = "_monitorlift_stage";
/** Each open window holds one connection until commit or abort; waiting for one ends after connectionTimeoutMillis. */
const POOL_SIZE = 20;
/** Flush COPY data to the socket in pieces of about this many UTF-16 units. */
const COPY_CHUNK = 1 << 20;

export function quotePg(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "53300", "53400", "58000", "58030"]);
const TRANSIENT_CODES = new Set(["40001", "40P01", "55P03", "55006"]);
const NODE_NET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND", "ECONNABORTED"]);

export function createPostgresDialect(config: SqlSinkConfig, deps: SinkDeps): Dialect {
  const settings = resolveServerSettings(config, deps);
  const schema = config.schema ?? "public";
  const logger = deps.logger;
  const clientConfig: pg.ClientConfig = {
    host: settings.host,
    port: settings.port,
    ...(settings.database !== undefined ? { database: settings.database } : {}),
    ...(settings.user !== undefined ? { user: settings.user } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ssl: tlsOptions(settings.tls, settings.host),
    keepAlive: true,
    connectionTimeoutMillis: 30_000,
  };
  let pool: pg.Pool | undefined;

  const q = quotePg;
  const table = (name: string) => `${q(schema)}.${q(name)}`;

  async function connect(signal?: AbortSignal): Promise<PgSession> {
    signal?.throwIfAborted();
    if (!pool) throw new SinkError("INTERNAL", "sql sink: the PostgreSQL pool is not open (start() was not called)");
    return new PgSession(await pool.connect());
  }

  const dialect: Dialect = {
    name: "postgres",
    description: settings.description,
    identifiers: { maxLength: 63, lengthUnit: "bytes", caseInsensitive: false, bmpOnly: false },
    quote: q,
    table,
    location: (name) => `${schema}.${name}`,

    async open() {
      if (pool) return;
      const created = new pg.Pool({ ...clientConfig, application_name: "monitorlift", max: POOL_SIZE, idleTimeoutMillis: 30_000 });
      // Idle clients that die (server restart, network) are dropped by the pool; log instead of crashing.
      created.on("error", (err) => logger.warn({ err: err.message }, "idle PostgreSQL connection closed"));
      // Every client keeps an 'error' listener for life. Between the pool handing out a client (it
      // drops its idle listener) and PgSession adding its own, an error parsed from the same
      // socket read (a backend terminated right after its start-up) would otherwise crash the
      // process. The failure itself still reaches the caller: the client is no longer queryable.
      created.on("connect", (client) => client.on("error", (err) => logger.debug({ err: err.message }, "PostgreSQL connection failed")));
      pool = created;
      try {
        // Fail early and clearly when the server cannot be reached.
        const s = await connect();
        try {
          const r = await s.query("SELECT to_regnamespace(?) IS NOT NULL AS present", [q(schema)]);
          if (r.rows[0]!.present !== true) await s.query(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
        } finally {
          await s.release();
        }
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
        `CREATE TABLE IF NOT EXISTS ${table(t.state)} (query text NOT NULL, scope text NOT NULL, state jsonb NOT NULL, version bigint NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (query, scope))`,
        `CREATE TABLE IF NOT EXISTS ${table(t.columns)} (table_name text NOT NULL, column_name text NOT NULL, la_type text NOT NULL,
           added_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_name, column_name))`,
        `CREATE TABLE IF NOT EXISTS ${table(t.runs)} (run_id text NOT NULL, query text NOT NULL, command text NOT NULL, started_at timestamptz NOT NULL,
           finished_at timestamptz NOT NULL, outcome text NOT NULL, summary jsonb NOT NULL, PRIMARY KEY (run_id, query))`,
      ];
    },

    columnDefs: (column: Column) => pgColumnDefs(column),

    createTableSql(name, defs) {
      const cols = defs.map((d) => `${q(d.name)} ${d.type}`);
      cols.push(`${q(WINDOW_START)} timestamptz NOT NULL`, `${q(WINDOW_END)} timestamptz NOT NULL`);
      return [`CREATE TABLE ${table(name)} (${cols.join(", ")})`, `CREATE INDEX ON ${table(name)} (${q(WINDOW_START)}, ${q(WINDOW_END)})`];
    },

    addColumnSql: (name, def) => `ALTER TABLE ${table(name)} ADD COLUMN ${q(def.name)} ${def.type}`,

    async physicalColumns(session, name) {
      const r = await session.query("SELECT to_regclass(?)::oid AS oid", [table(name)]);
      const oid = r.rows[0]?.oid;
      if (oid === null || oid === undefined) return undefined;
      const cols = await session.query("SELECT attname FROM pg_attribute WHERE attrelid = CAST(? AS oid) AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [
        oid,
      ]);
      return cols.rows.map((row) => String(row.attname));
    },

    async withSchemaLock(session, name, fn) {
      await session.query("BEGIN");
      try {
        await session.query("SET LOCAL lock_timeout = '60s'");
        await session.query("SELECT pg_advisory_xact_lock(CAST(? AS bigint))", [advisoryKey(["monitorlift-schema", schema, name]).toString()]);
        const result = await fn();
        await session.query("COMMIT");
        return result;
      } catch (err) {
        await session.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    },

    async begin(session) {
      await session.query("BEGIN");
    },

    timestampParam: (ms) => new Date(ms).toISOString(),
    readTimestamp: (value) => (value instanceof Date ? value.getTime() : Date.parse(String(value))),
    timestampExpr: "CAST(? AS timestamptz)",

    async insertIfAbsent(session, name, columns, params) {
      const r = await session.query(insertIfAbsentSql(table(name), columns, q), params);
      return r.rowCount === 1;
    },

    upsertSql: (name, columns, keys) => upsertSql(table(name), columns, keys, q),

    async openWindow(defs, context, signal) {
      const session = await connect(signal);
      try {
        await session.query("BEGIN");
        await session.query(`CREATE TEMP TABLE ${q(STAGE)} (${defs.map((d) => `${q(d.name)} ${d.type}`).join(", ")}) ON COMMIT DROP`);
      } catch (err) {
        await session.query("ROLLBACK").catch(() => undefined);
        await session.release(true);
        throw err;
      }
      return new PgWindow(session, defs, context);
    },

    acquireLock(key: StateKey, _tables: MetadataTables, signal?: AbortSignal): Promise<HeldLock> {
      // Advisory locks are per database already; schema and prefix tell exports within it apart.
      const namespace = [schema, config.tablePrefix];
      return acquirePgLock(clientConfig, namespace, key, logger, signal);
    },

    async probePermissions(session: SqlSession) {
      await session.query("BEGIN");
      try {
        const probe = table("_monitorlift_probe");
        await session.query(`CREATE TABLE ${probe} (x integer)`);
        await session.query(`INSERT INTO ${probe} (x) VALUES (?)`, [1]);
        await session.query(`ALTER TABLE ${probe} ADD COLUMN y integer`);
        await session.query(`DELETE FROM ${probe} WHERE x = ?`, [1]);
      } finally {
        await session.query("ROLLBACK");
      }
    },

    classify(err: unknown): ErrorClass {
      const e = err as { code?: unknown; message?: unknown };
      const code = typeof e.code === "string" ? e.code : "";
      const message = typeof e.message === "string" ? e.message : "";
      const unavailable =
        code.startsWith("08") ||
        UNAVAILABLE_CODES.has(code) ||
        NODE_NET_CODES.has(code) ||
        /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended/i.test(message);
      return { unavailable, transient: TRANSIENT_CODES.has(code) };
    },
  };
  return dialect;
}

/** One window staged through COPY into a temporary table, inside the transaction that commits it. */
class PgWindow implements WindowWork {
  readonly stageTable = `pg_temp.${quotePg(STAGE)}`;
  readonly connectionId: string | undefined;
  private readonly session: PgSession;
  private readonly encoders: CopyEncoder[];
  private readonly warners: Array<(problem: string) => void>;
  private readonly columns: readonly Column[];
  private readonly context: StageContext;
  private readonly warnings = new CellWarnings();
  private readonly copySql: string;
  private copy: CopyStreamQuery | undefined;
  private copyError: Error | undefined;
  private state: "staging" | "committing" | "done" = "staging";
  /** Rows the ended COPY staged; undefined while rows may still come. */
  private staged: number | undefined;

  constructor(session: PgSession, defs: readonly ColumnDef[], context: StageContext) {
    this.session = session;
    this.context = context;
    this.columns = context.columns;
    this.encoders = context.columns.map((c) => pgCopyEncoder(c.type));
    this.warners = context.columns.map((c) => (problem: string) => this.warnings.note(c.name, problem));
    this.copySql = `COPY ${this.stageTable} (${defs.map((d) => quotePg(d.name)).join(", ")}) FROM STDIN`;
    this.connectionId = session.processId !== undefined ? `backend pid ${session.processId}` : undefined;
  }

  async write(rows: readonly RawRow[]): Promise<void> {
    if (this.state !== "staging" || this.staged !== undefined) throw new SinkError("INTERNAL", "sql sink: write() after the staging ended, commit or abort");
    if (this.session.lost) throw this.session.lost;
    if (this.copyError) throw this.copyError;
    if (rows.length === 0) return;
    const copy = this.startCopy();
    const encoders = this.encoders;
    const warners = this.warners;
    const n = encoders.length;
    const fields: string[] = [];
    let text = "";
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      fields.length = 0;
      let c = 0;
      try {
        for (; c < n; c++) encoders[c]!(row[c]!, fields, warners[c]!);
      } catch (err) {
        throw cellError(err, this.context.query, this.columns[c], r);
      }
      text += `${fields.join("\t")}\n`;
      if (text.length >= COPY_CHUNK) {
        await this.send(copy, text);
        text = "";
      }
    }
    if (text.length > 0) await this.send(copy, text);
  }

  private startCopy(): CopyStreamQuery {
    if (this.copy) return this.copy;
    const copy = this.session.client.query(copyFrom(this.copySql));
    copy.on("error", (err: Error) => {
      this.copyError ??= err;
    });
    this.copy = copy;
    return copy;
  }

  private async send(copy: CopyStreamQuery, text: string): Promise<void> {
    if (!copy.write(Buffer.from(text, "utf8"))) await once(copy, "drain");
    if (this.copyError) throw this.copyError;
  }

  async endStaging(): Promise<void> {
    if (this.state !== "staging") throw new SinkError("INTERNAL", "sql sink: the staging ended after commit or abort");
    if (this.staged !== undefined) return;
    if (this.session.lost) throw this.session.lost;
    let staged = 0;
    if (this.copy) {
      const copy = this.copy;
      await this.endCopy(copy);
      if (this.copyError) throw this.copyError;
      staged = copy.rowCount;
    }
    this.staged = staged;
  }

  async beginCommit(): Promise<{ session: SqlSession; staged: number }> {
    if (this.state !== "staging") throw new SinkError("INTERNAL", "sql sink: commit() twice or after abort");
    await this.endStaging();
    this.state = "committing";
    if (this.session.lost) throw this.session.lost;
    this.warnings.flush(this.context.warn);
    return { session: this.session, staged: this.staged! };
  }

  /**
   * Ends the COPY and waits until the server has it all. Fails at once when the COPY or its
   * connection failed, even before this call: pg-copy-streams reports a lost connection with a
   * plain 'error' event, after which the stream never finishes (waiting for it would hang).
   */
  private endCopy(copy: CopyStreamQuery): Promise<void> {
    const client = this.session.client;
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        copy.off("finish", onFinish);
        copy.off("error", settle);
        client.off("error", settle);
        client.off("end", onEnd);
        if (err) reject(err);
        else resolve();
      };
      const onFinish = () => settle();
      const onEnd = () => settle(this.session.lost ?? new SinkError("SINK_UNAVAILABLE", "Connection terminated while ending the COPY", { retryable: true }));
      copy.once("finish", onFinish);
      copy.once("error", settle);
      client.once("error", settle);
      client.once("end", onEnd);
      const failed = this.copyError ?? this.session.lost;
      if (failed) settle(failed);
      else copy.end();
    });
  }

  async commit(): Promise<void> {
    await this.session.query("COMMIT");
    this.state = "done";
    await this.session.release();
  }

  async rollback(): Promise<void> {
    if (this.state === "done") return;
    this.state = "done";
    let broken = this.session.lost !== undefined;
    const copy = this.copy;
    // A COPY that failed, or whose connection is gone, is over on the server already: nothing to
    // end, and waiting for the stream to close would wait for a reply that never comes.
    if (copy && !broken && this.copyError === undefined && !copy.writableFinished && !copy.destroyed) {
      // CopyFail ends the COPY on the server; wait for it before ROLLBACK.
      const closed = new Promise<void>((resolve) => {
        copy.once("close", () => resolve());
        setTimeout(resolve, 5_000).unref();
      });
      copy.destroy(new AbortedError("window aborted"));
      await closed;
    }
    if (!broken) {
      try {
        await this.session.query("ROLLBACK");
      } catch {
        broken = true;
      }
    }
    await this.session.release(broken);
  }
}
