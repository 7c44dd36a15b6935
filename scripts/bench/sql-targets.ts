/**
 * The SQL servers the bench writes to: a throw-away schema (PostgreSQL) or database (MariaDB) created
 * before and dropped after, a SQLite file in the run's folder, and a plain SELECT for the round trip.
 * A server that cannot be reached is reported and its variants skipped.
 */
import { rm } from "node:fs/promises";

export type Dialect = "postgres" | "mysql" | "sqlite";

export const PG_URL = process.env.MONITORLIFT_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const MYSQL_URL = process.env.MONITORLIFT_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";
export const BENCH_DB = "monitorlift_bench";

export interface SqlTarget {
  dialect: Dialect;
  /** What the exporter and the reference connect to: a URL, or the SQLite file. */
  target: string;
  /** The table `name` as the round trip selects it. */
  table(name: string): string;
  quote(id: string): string;
  select(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Empties the schema / database / file for the next run. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating the schema / database) or returns why it cannot. */
export async function openTarget(dialect: Dialect, sqliteFile: string): Promise<SqlTarget | string> {
  try {
    if (dialect === "postgres") {
      const { default: pg } = await import("pg");
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      const reset = async () => {
        await c.query(`DROP SCHEMA IF EXISTS ${BENCH_DB} CASCADE`);
        await c.query(`CREATE SCHEMA ${BENCH_DB}`);
      };
      await reset();
      return {
        reset,
        dialect,
        target: PG_URL,
        table: (n) => `${BENCH_DB}."${n}"`,
        quote: (id) => `"${id}"`,
        select: async (sql, params) => {
          let i = 0;
          return (await c.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as Record<string, unknown>[];
        },
        close: async () => {
          await c.query(`DROP SCHEMA IF EXISTS ${BENCH_DB} CASCADE`);
          await c.end();
        },
      };
    }
    if (dialect === "mysql") {
      const mysql = await import("mysql2/promise");
      const c = await mysql.createConnection({ uri: MYSQL_URL, supportBigNumbers: true, bigNumberStrings: true });
      const reset = async () => {
        await c.query(`DROP DATABASE IF EXISTS ${BENCH_DB}`);
        await c.query(`CREATE DATABASE ${BENCH_DB}`);
      };
      await reset();
      return {
        reset,
        dialect,
        target: MYSQL_URL.replace(/\/[^/?]*(\?|$)/, `/${BENCH_DB}$1`),
        table: (n) => `${BENCH_DB}.\`${n}\``,
        quote: (id) => `\`${id}\``,
        select: async (sql, params) => (await c.query(sql, params))[0] as Record<string, unknown>[],
        close: async () => {
          await c.query(`DROP DATABASE IF EXISTS ${BENCH_DB}`);
          await c.end();
        },
      };
    }
    const { DatabaseSync } = await import("node:sqlite");
    let db: InstanceType<typeof DatabaseSync> | undefined;
    return {
      dialect,
      target: sqliteFile,
      table: (n) => `"${n}"`,
      quote: (id) => `"${id}"`,
      select: async (sql, params) => {
        db ??= new DatabaseSync(sqliteFile, { readOnly: true });
        return db.prepare(sql).all(...(params as string[])) as Record<string, unknown>[];
      },
      reset: async () => {
        db?.close();
        db = undefined;
        for (const suffix of ["", "-wal", "-shm", "-journal"]) await rm(`${sqliteFile}${suffix}`, { force: true });
      },
      close: async () => {
        db?.close();
        db = undefined;
      },
    };
  } catch (err) {
    return `${dialect} unreachable: ${(err as Error).message}`;
  }
}
