/**
 * End-to-end tests of the SQL sink: one real database per dialect (PostgreSQL, MariaDB/MySQL,
 * a SQLite file) reached through test/support/sql-test-harness.ts (unique table prefix per run,
 * `# NOTICE` and skip when a server is unreachable unless MONITORLIFT_REQUIRE_SERVICES=1, drop
 * of everything created). The exporter gets its connection URL from an environment variable
 * (sink.urlEnv), as a deployment would; the tests read tables back with plain SELECTs of their own.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { LIVE_SCOPE } from "../../src/sinks/layout.ts";
import { toMs } from "./sink-windows.ts";
import { openHarness, type DialectName, type Harness as Db } from "./sql-test-harness.ts";
import type { Harness } from "./harness.ts";
import { compareItemIds } from "./read-export.ts";

export type { DialectName };
export const DIALECTS: readonly DialectName[] = ["postgres", "mysql", "sqlite"];

/** The environment variable the exporter reads its connection URL from. */
export const URL_ENV = "MONITORLIFT_E2E_SQL_URL";

export interface SqlTarget {
  dialect: DialectName;
  db: Db;
  /** The `sink` section of a config file (secrets only in `env`). */
  sinkConfig: Record<string, unknown>;
  /** Environment for the exporter (in-process harness `env` or runCli `env`). */
  env: Record<string, string>;
}

export interface StoredRow {
  id: string;
  start: number;
  end: number;
}

export interface StoredState {
  watermark: number;
  origin: number;
}

/**
 * One `describe` per dialect: `body` defines the tests when the database is reachable; otherwise
 * a single test is skipped with the reason (or fails, under MONITORLIFT_REQUIRE_SERVICES=1).
 */
export async function describeSql(title: string, dialects: readonly DialectName[], body: (target: SqlTarget) => void): Promise<void> {
  for (const dialect of dialects) {
    const db = await openHarness(dialect);
    if ("unavailable" in db) {
      describe(`${title}: ${dialect}`, () => {
        it(`needs a ${dialect} server`, { skip: db.required ? false : db.unavailable }, () => assert.fail(db.unavailable));
      });
      continue;
    }
    const parsed = db.config() as Record<string, unknown>;
    const sinkConfig: Record<string, unknown> =
      dialect === "sqlite"
        ? { type: "sql", dialect, path: parsed.path, tablePrefix: db.prefix }
        : { type: "sql", dialect, urlEnv: URL_ENV, tablePrefix: db.prefix };
    const env: Record<string, string> = dialect === "sqlite" ? {} : { [URL_ENV]: String(parsed.url) };
    describe(`${title}: ${dialect}`, () => {
      after(() => db.cleanup());
      body({ dialect, db, sinkConfig, env });
    });
  }
}

/** Every row of a query's table: its _ItemId and the window it was committed with. */
export async function storedRows(db: Db, query: string): Promise<StoredRow[]> {
  const rows = await db.select(`SELECT ${db.quote("_ItemId")} AS id, ${db.quote("_window_start")} AS ws, ${db.quote("_window_end")} AS we FROM ${db.table(query)}`);
  return rows.map((r) => ({ id: String(r.id), start: toMs(r.ws), end: toMs(r.we) }));
}

/** The live watermark of a query, read straight from `<prefix>_monitorlift_state` (undefined before there is one). */
export async function storedState(db: Db, query: string): Promise<StoredState | undefined> {
  if ((await db.columnsOf("_monitorlift_state")).length === 0) return undefined;
  const rows = await db.select(`SELECT state FROM ${db.table(`${db.prefix}_monitorlift_state`, true)} WHERE query = ? AND scope = ?`, [query, LIVE_SCOPE]);
  if (rows.length === 0) return undefined;
  const raw = rows[0]!.state;
  const state = (typeof raw === "string" ? JSON.parse(raw) : raw) as StoredState;
  return { watermark: state.watermark, origin: state.origin };
}

/** Whether a query's table exists yet. */
export async function tableExists(db: Db, query: string): Promise<boolean> {
  return (await db.columnsOf(query)).length > 0;
}

/**
 * The table of `query` holds exactly the simulator's truth for [origin, watermark) of the state,
 * window by window: every window present holds exactly the rows ingested inside it (none
 * half-written), no window lies beyond the watermark, and the union has no row missing or twice.
 */
export async function assertExactlyOnce(h: Harness, db: Db, query: string, simTable: string, label: string): Promise<{ state: StoredState; rows: StoredRow[] }> {
  const state = await storedState(db, query);
  assert.ok(state, `${label}: ${query} has a watermark`);
  const rows = await storedRows(db, query);
  const windows = new Map<string, string[]>();
  for (const r of rows) {
    assert.ok(r.start >= state.origin && r.end <= state.watermark, `${label}: ${query} row ${r.id} of window ending ${new Date(r.end).toISOString()} lies beyond the watermark ${new Date(state.watermark).toISOString()}`);
    const key = `${r.start}/${r.end}`;
    let ids = windows.get(key);
    if (!ids) windows.set(key, (ids = []));
    ids.push(r.id);
  }
  for (const [key, ids] of windows) {
    const [start, end] = key.split("/").map(Number) as [number, number];
    const truth = h.sim.truth(simTable, { ingestedFrom: start, ingestedBefore: end });
    assert.deepEqual(compareItemIds(ids, truth), { missing: [], duplicated: [], unexpected: [] }, `${label}: ${query} window ${new Date(start).toISOString()} is complete`);
  }
  const truth = h.sim.truth(simTable, { ingestedFrom: state.origin, ingestedBefore: state.watermark });
  assert.deepEqual(
    compareItemIds(
      rows.map((r) => r.id),
      truth,
    ),
    { missing: [], duplicated: [], unexpected: [] },
    `${label}: ${query}`,
  );
  assert.ok(truth.length > 0, `${label}: ${query} has rows to compare`);
  return { state, rows };
}

/** The error messages of a run's failed queries, for assertion messages. */
export function errorsOf(report: { errors: Map<string, unknown> }): string {
  return [...report.errors].map(([q, e]) => `${q}: ${(e as { code?: string }).code} ${String(e)}`).join("\n");
}
