/** A pooled PostgreSQL connection as a SqlSession (`?` placeholders become `$n`). */
import type pg from "pg";
import type { QueryResult, SqlSession } from "../dialect.ts";

/** Rewrites `?` placeholders to `$1…$n`, leaving quoted identifiers and string literals alone. */
export function dollarPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote !== undefined) {
      out += c;
      if (c === quote) quote = undefined; // a doubled quote re-enters on the next character
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (c === "?") out += `$${++n}`;
    else out += c;
  }
  return out;
}

export class PgSession implements SqlSession {
  readonly client: pg.PoolClient;
  /** A connection error seen while the client was checked out (the pool only listens to idle clients). */
  lost: Error | undefined;
  private readonly onError = (err: Error) => {
    this.lost = err;
  };
  private released = false;

  constructor(client: pg.PoolClient) {
    this.client = client;
    client.on("error", this.onError);
  }

  get processId(): number | undefined {
    return (this.client as unknown as { processID?: number }).processID;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    const result = await this.client.query(dollarPlaceholders(sql), params as unknown[]);
    return { rows: result.rows as Array<Record<string, unknown>>, rowCount: result.rowCount ?? 0 };
  }

  async release(broken = false): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Keep a listener until the socket is gone: a late 'error' on an unlistened client would crash the process.
    this.client.release(broken || this.lost !== undefined ? (this.lost ?? true) : undefined);
    if (!(broken || this.lost !== undefined)) this.client.off("error", this.onError);
  }
}
