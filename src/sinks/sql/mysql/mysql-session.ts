/** A pooled mysql2 connection as a SqlSession: statements with values are server-side prepared (execute). */
import type { PoolConnection } from "mysql2/promise";
import type { QueryResult, SqlSession } from "../dialect.ts";

export function quoteMysql(identifier: string): string {
  return `\`${identifier.replaceAll("`", "``")}\``;
}

/** Normalizes what mysql2 returns: rows for a SELECT, affectedRows for the rest. */
export function toResult(result: unknown): QueryResult {
  if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>>, rowCount: result.length };
  const header = result as { affectedRows?: number };
  return { rows: [], rowCount: header.affectedRows ?? 0 };
}

export class MysqlSession implements SqlSession {
  readonly connection: PoolConnection;
  private released = false;

  constructor(connection: PoolConnection) {
    this.connection = connection;
  }

  get threadId(): number {
    return this.connection.threadId;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    // Statements without values go through the text protocol (transaction control and DDL cannot
    // always be prepared); every value goes through a prepared statement.
    const [result] = params.length === 0 ? await this.connection.query(sql) : await this.connection.execute(sql, params as Array<string | number | null>);
    return toResult(result);
  }

  /**
   * Close the server-side prepared statement of `sql` and drop mysql2's cached copy of it. mysql2
   * keeps every prepared statement per connection (up to maxPreparedStatements), each with a
   * definition object per placeholder: a multi-row INSERT is worth closing once it is done with.
   */
  closeStatement(sql: string): void {
    if (!this.released) this.connection.unprepare(sql);
  }

  async release(broken = false): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (broken) this.connection.destroy();
    else this.connection.release();
  }
}
