/**
 * Test support for the SQL sink tests (not a test itself): reaches the real servers, gives each
 * run unique table prefixes, reads tables back through a connection of its own, kills
 * connections, and drops what the run created.
 *
 *   PostgreSQL  MONITORLIFT_PG_URL     default postgres://postgres@127.0.0.1:5432/test (then root@)
 *   MariaDB     MONITORLIFT_MYSQL_URL  default mysql://root@127.0.0.1:3306/test
 *   MONITORLIFT_REQUIRE_SERVICES=1     an unreachable server fails the tests instead of skipping them
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Writable } from "node:stream";
import mysql from "mysql2/promise";
import pg from "pg";
import { pino } from "pino";
import { sqlSinkSchema, type SqlSinkConfig } from "../../src/config/sinks.ts";
import type { Logger } from "../../src/telemetry/logger.ts";
import type { Destination, StateKey } from "../../src/sinks/sink.ts";
import { advisoryKey, lockDigest } from "../../src/sinks/sql/lock-keys.ts";
import { dollarPlaceholders } from "../../src/sinks/sql/postgres/postgres-session.ts";
import { createSqlSink } from "../../src/sinks/sql/sql-sink.ts";

export type DialectName = "postgres" | "mysql" | "sqlite";

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

/** A debug-level logger whose lines are kept for assertions. */
export function captureLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

export interface Harness {
  readonly dialect: DialectName;
  /** Unique per test run. */
  readonly prefix: string;
  config(extra?: Record<string, unknown>): SqlSinkConfig;
  sink(logger?: Logger, extra?: Record<string, unknown>): Destination;
  /** The quoted name of a query's table (or a metadata table: pass the full name with `raw`). */
  table(query: string, raw?: boolean): string;
  quote(identifier: string): string;
  /** Rows of any SELECT (placeholders `?`). */
  select(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  count(query: string): Promise<number>;
  columnsOf(query: string): Promise<string[]>;
  /** Kill the server connection a "sql window opened" log line named (postgres, mysql). */
  killConnection?(connectionId: string): Promise<void>;
  /** Kill the connection holding the lock of `key` (postgres, mysql). */
  killLockHolder?(key: StateKey): Promise<void>;
  cleanup(): Promise<void>;
}

const requireServices = process.env.MONITORLIFT_REQUIRE_SERVICES === "1";

/** The harness of a dialect, or why its server is unreachable. */
export async function openHarness(dialect: DialectName): Promise<Harness | { unavailable: string; required: boolean }> {
  const prefix = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}_`;
  try {
    if (dialect === "postgres") return await postgresHarness(prefix);
    if (dialect === "mysql") return await mysqlHarness(prefix);
    return sqliteHarness(prefix);
  } catch (err) {
    const reason = `${dialect} server not reachable (${(err as Error).message})`;
    if (!requireServices) console.log(`# NOTICE: ${reason}; its SQL sink tests are skipped. Set MONITORLIFT_REQUIRE_SERVICES=1 to make this a failure.`);
    return { unavailable: reason, required: requireServices };
  }
}

function baseConfig(dialect: DialectName, prefix: string, connection: Record<string, unknown>, extra: Record<string, unknown> = {}): SqlSinkConfig {
  return sqlSinkSchema.parse({ type: "sql", dialect, tablePrefix: prefix, ...connection, ...extra });
}


async function postgresHarness(prefix: string): Promise<Harness> {
  const candidates = process.env.MONITORLIFT_PG_URL
    ? [process.env.MONITORLIFT_PG_URL]
    : ["postgres://postgres@127.0.0.1:5432/test", "postgres://root@127.0.0.1:5432/test"];
  let admin: pg.Client | undefined;
  let url = "";
  let lastError: unknown;
  for (const candidate of candidates) {
    const client = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      admin = client;
      url = candidate;
      break;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
    }
  }
  if (!admin) throw lastError;
  const client = admin;
  client.on("error", () => undefined);
  await client.query("SET TimeZone = 'UTC'");
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const select = async (sql: string, params: unknown[] = []) => (await client.query(dollarPlaceholders(sql), params)).rows as Array<Record<string, unknown>>;
  return {
    dialect: "postgres",
    prefix,
    config: (extra) => baseConfig("postgres", prefix, { url }, extra),
    sink: (logger, extra) => createSqlSink(baseConfig("postgres", prefix, { url }, extra), { logger: logger ?? pino({ level: "silent" }), env: {}, baseDir: tmpdir() }),
    table: (query, raw) => `public.${q(raw ? query : prefix + query)}`,
    quote: q,
    select,
    count: async (query) => Number((await select(`SELECT count(*) AS n FROM public.${q(prefix + query)}`))[0]!.n),
    columnsOf: async (query) =>
      (await select("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position", [prefix + query])).map(
        (r) => String(r.column_name),
      ),
    async killConnection(connectionId) {
      const pid = Number(/backend pid (\d+)/.exec(connectionId)?.[1]);
      const r = await select("SELECT pg_terminate_backend(?) AS killed", [pid]);
      if (r[0]!.killed !== true) throw new Error(`could not terminate backend ${pid}`);
    },
    async killLockHolder(key) {
      const k = BigInt.asUintN(64, advisoryKey(["monitorlift", "public", prefix, key.query, key.scope]));
      const r = await select(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = CAST(? AS bigint)::oid AND objid = CAST(? AS bigint)::oid AND objsubid = 1",
        [(k >> 32n).toString(), (k & 0xffffffffn).toString()],
      );
      if (r.length !== 1) throw new Error("no lock holder found");
    },
    async cleanup() {
      const tables = await select("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND starts_with(tablename, ?)", [prefix]);
      for (const t of tables) await client.query(`DROP TABLE IF EXISTS public.${q(String(t.tablename))}`);
      await client.end();
    },
  };
}

async function mysqlHarness(prefix: string): Promise<Harness> {
  const url = process.env.MONITORLIFT_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";
  const conn = await mysql.createConnection({ uri: url, connectTimeout: 3000, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  conn.on("error", () => undefined);
  await conn.query("SET time_zone = '+00:00'");
  const database = String(((await conn.query("SELECT DATABASE() AS db"))[0] as Array<Record<string, unknown>>)[0]!.db);
  const q = (s: string) => `\`${s.replaceAll("`", "``")}\``;
  const select = async (sql: string, params: unknown[] = []) => (await conn.execute(sql, params as Array<string | number | null>))[0] as Array<Record<string, unknown>>;
  return {
    dialect: "mysql",
    prefix,
    config: (extra) => baseConfig("mysql", prefix, { url }, extra),
    sink: (logger, extra) => createSqlSink(baseConfig("mysql", prefix, { url }, extra), { logger: logger ?? pino({ level: "silent" }), env: {}, baseDir: tmpdir() }),
    table: (query, raw) => q(raw ? query : prefix + query),
    quote: q,
    select,
    count: async (query) => Number((await select(`SELECT count(*) AS n FROM ${q(prefix + query)}`))[0]!.n),
    columnsOf: async (query) =>
      (
        await select("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", [
          prefix + query,
        ])
      ).map((r) => String(r.c)),
    async killConnection(connectionId) {
      const id = Number(/connection (\d+)/.exec(connectionId)?.[1]);
      if (!Number.isSafeInteger(id)) throw new Error(`no connection id in ${connectionId}`);
      await conn.query(`KILL ${id}`);
    },
    async killLockHolder(key) {
      const name = `monitorlift:${lockDigest(["monitorlift", database, prefix, key.query, key.scope], 40)}`;
      const r = await select("SELECT IS_USED_LOCK(?) AS id", [name]);
      const id = Number(r[0]!.id);
      if (!Number.isSafeInteger(id) || id === 0) throw new Error("no lock holder found");
      await conn.query(`KILL ${id}`);
    },
    async cleanup() {
      const tables = await select("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, ?) = ?", [
        prefix.length,
        prefix,
      ]);
      for (const t of tables) await conn.query(`DROP TABLE IF EXISTS ${q(String(t.t))}`);
      await conn.end();
    },
  };
}

function sqliteHarness(prefix: string): Harness {
  const dir = mkdtempSync(join(tmpdir(), "monitorlift-sql-"));
  const path = join(dir, "export.db");
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  let db: DatabaseSync | undefined;
  const open = () => {
    db ??= new DatabaseSync(path, { timeout: 5000, readBigInts: true });
    return db;
  };
  const select = async (sql: string, params: unknown[] = []) =>
    open()
      .prepare(sql)
      .all(...(params as Array<string | number | bigint | null>)) as Array<Record<string, unknown>>;
  return {
    dialect: "sqlite",
    prefix,
    config: (extra) => baseConfig("sqlite", prefix, { path }, extra),
    sink: (logger, extra) => createSqlSink(baseConfig("sqlite", prefix, { path }, extra), { logger: logger ?? pino({ level: "silent" }), env: {}, baseDir: dir }),
    table: (query, raw) => q(raw ? query : prefix + query),
    quote: q,
    select,
    count: async (query) => Number((await select(`SELECT count(*) AS n FROM ${q(prefix + query)}`))[0]!.n),
    columnsOf: async (query) => (await select("SELECT name FROM pragma_table_info(?)", [prefix + query])).map((r) => String(r.name)),
    async cleanup() {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
