/**
 * One table per query, created on first use and widened when a later window brings new columns
 * (ALTER TABLE … ADD COLUMN). The Log Analytics type of every column is kept in the metadata table
 * `<prefix>_monitorlift_columns`; a column that comes back with another type is refused
 * (SINK_SCHEMA) instead of being stored differently under the same name.
 *
 * Schema changes run under the dialect's schema lock, so two processes (e.g. a live export and a
 * backfill of the same query) never race on the same table.
 */
import { SinkError } from "../../errors.ts";
import type { Column, ColumnType } from "../../table.ts";
import { isColumnType } from "../../table.ts";
import type { ColumnDef, Dialect, MetadataTables, SqlSession } from "./dialect.ts";
import { physicalLayout } from "./identifiers.ts";

export class SchemaSync {
  private readonly dialect: Dialect;
  private readonly tables: MetadataTables;
  /** What this process knows each table holds: column name → Log Analytics type. */
  private readonly known = new Map<string, Map<string, ColumnType>>();

  constructor(dialect: Dialect, tables: MetadataTables) {
    this.dialect = dialect;
    this.tables = tables;
  }

  /** Make `table` hold `columns`; returns their physical columns in row order (companions after each column). */
  async ensure(table: string, columns: readonly Column[], query: string, signal?: AbortSignal): Promise<ColumnDef[]> {
    const d = this.dialect;
    const defsOf = (c: Column) => d.columnDefs(c);
    const defs = physicalLayout(columns, defsOf, d.identifiers, { query, table });
    const cached = this.known.get(table);
    if (cached && columns.every((c) => cached.get(c.name) === c.type)) return defs;

    const session = await d.connect(signal);
    let broken = false;
    try {
      await d.withSchemaLock(session, table, () => this.sync(session, table, columns, query));
    } catch (err) {
      broken = !(err instanceof SinkError);
      throw err;
    } finally {
      await session.release(broken);
    }
    return defs;
  }

  private async sync(session: SqlSession, table: string, columns: readonly Column[], query: string): Promise<void> {
    const d = this.dialect;
    const defsOf = (c: Column) => d.columnDefs(c);
    const meta = await session.query(`SELECT column_name, la_type FROM ${d.table(this.tables.columns)} WHERE table_name = ?`, [table]);
    const existing = new Map<string, ColumnType>();
    for (const row of meta.rows) {
      const type = String(row.la_type);
      if (isColumnType(type)) existing.set(String(row.column_name), type);
    }
    for (const c of columns) {
      const stored = existing.get(c.name);
      if (stored !== undefined && stored !== c.type) {
        throw new SinkError(
          "SINK_SCHEMA",
          `sql sink: query "${query}" returns column "${c.name}" as ${c.type}, but table ${d.location(table)} stores it as ${stored} ` +
            `(recorded in ${this.tables.columns}). A column cannot change its type.`,
          { hint: `Rename the column in the query (e.g. | project-rename ${c.name}_${c.type} = ${c.name}), or move the table aside to start a new one.` },
        );
      }
    }
    const added = columns.filter((c) => !existing.has(c.name));
    const all: Column[] = [...[...existing].map(([name, type]) => ({ name, type })), ...added];
    // Checks names across old and new columns (companions, case folding, window columns).
    const allDefs = physicalLayout(all, defsOf, d.identifiers, { query, table });

    const physical = await d.physicalColumns(session, table);
    if (physical === undefined) {
      for (const sql of d.createTableSql(table, allDefs)) await session.query(sql);
    } else {
      const fold = (n: string) => (d.identifiers.caseInsensitive ? n.toLowerCase() : n);
      const have = new Set(physical.map(fold));
      for (const def of allDefs) if (!have.has(fold(def.name))) await session.query(d.addColumnSql(table, def));
    }
    for (const c of added) {
      await d.insertIfAbsent(session, this.tables.columns, ["table_name", "column_name", "la_type"], [table, c.name, c.type]);
    }
    this.known.set(table, new Map(all.map((c) => [c.name, c.type])));
  }
}
