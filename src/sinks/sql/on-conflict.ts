/**
 * INSERT … ON CONFLICT statements, in the syntax PostgreSQL and SQLite share (MySQL has its own).
 * Identifiers are quoted by the caller's dialect; values are always `?` parameters.
 */
type Quote = (identifier: string) => string;

/** Inserts one row unless its key exists; the caller checks the affected-row count. */
export function insertIfAbsentSql(tableSql: string, columns: readonly string[], q: Quote): string {
  return `INSERT INTO ${tableSql} (${columns.map(q).join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`;
}

/** Inserts one row, or updates every non-key column of the row with the same `keys`. */
export function upsertSql(tableSql: string, columns: readonly string[], keys: readonly string[], q: Quote): string {
  const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${q(c)} = EXCLUDED.${q(c)}`);
  return `INSERT INTO ${tableSql} (${columns.map(q).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
        ON CONFLICT (${keys.map(q).join(", ")}) DO UPDATE SET ${updates.join(", ")}`;
}
