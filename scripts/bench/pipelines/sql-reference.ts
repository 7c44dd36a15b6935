/**
 * The SQL bulk-load references: the same rows, every column as text, loaded with the dialect's bulk
 * path and nothing else — PostgreSQL `COPY … FROM STDIN`, MariaDB multi-row INSERTs of 1,000 rows,
 * SQLite one prepared INSERT per row inside one transaction per window.
 *   node scripts/bench/pipelines/sql-reference.ts ENDPOINT MANIFEST DIALECT TARGET TABLE
 * TARGET: a connection URL (postgres, mysql) or a file path (sqlite).
 */
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { cellText, fetchWindow, readManifest } from "./fetch-windows.ts";

const [endpoint, manifestPath, dialect, target, table] = process.argv.slice(2) as [string, string, string, string, string];
const m = readManifest(manifestPath);
const names = m.columns.map((c) => c.name);
let rows = 0;

function copyText(v: unknown): string {
  const t = cellText(v);
  return t === null ? "\\N" : t.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

if (dialect === "postgres") {
  const { default: pg } = await import("pg");
  const { from: copyFrom } = await import("pg-copy-streams");
  const c = new pg.Client({ connectionString: target });
  await c.connect();
  await c.query(`CREATE TABLE ${table} (${names.map((n) => `"${n}" text`).join(", ")})`);
  for (const w of m.windows) {
    const t = await fetchWindow(endpoint, m.workspaceId, w);
    const stream = c.query(copyFrom(`COPY ${table} FROM STDIN`));
    await pipeline(Readable.from((function* () {
      for (const r of t.rows) yield r.map(copyText).join("\t") + "\n";
    })()), stream);
    rows += t.rows.length;
  }
  await c.end();
} else if (dialect === "mysql") {
  const mysql = await import("mysql2/promise");
  const c = await mysql.createConnection(target);
  await c.query(`CREATE TABLE ${table} (${names.map((n) => `\`${n}\` longtext`).join(", ")})`);
  for (const w of m.windows) {
    const t = await fetchWindow(endpoint, m.workspaceId, w);
    for (let i = 0; i < t.rows.length; i += 1000) {
      await c.query(`INSERT INTO ${table} VALUES ?`, [t.rows.slice(i, i + 1000).map((r) => r.map(cellText))]);
    }
    rows += t.rows.length;
  }
  await c.end();
} else if (dialect === "sqlite") {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(target);
  db.exec(`CREATE TABLE ${table} (${names.map((n) => `"${n}" text`).join(", ")})`);
  const insert = db.prepare(`INSERT INTO ${table} VALUES (${names.map(() => "?").join(", ")})`);
  for (const w of m.windows) {
    const t = await fetchWindow(endpoint, m.workspaceId, w);
    db.exec("BEGIN");
    for (const r of t.rows) insert.run(...(r.map(cellText) as (string | null)[]));
    db.exec("COMMIT");
    rows += t.rows.length;
  }
  db.close();
} else {
  throw new Error(`unknown dialect ${dialect}`);
}
process.stdout.write(JSON.stringify({ rows }) + "\n");
