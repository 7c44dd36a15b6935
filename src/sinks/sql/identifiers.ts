/**
 * Table and column names. Every identifier is quoted by the dialect (so any character a database
 * can hold is kept), and names a database cannot hold exactly are rejected with a clear error
 * instead of being truncated or folded: too long, control characters, leading/trailing spaces,
 * characters outside the BMP on MySQL, two names the database would see as one.
 */
import { SinkError } from "../../errors.ts";
import type { Column } from "../../table.ts";
import type { ColumnDef, IdentifierRules, MetadataTables } from "./dialect.ts";

/** Columns every query table has besides the query's own. */
export const WINDOW_START = "_window_start";
export const WINDOW_END = "_window_end";

/** The metadata table names for a prefix. */
export function metadataTables(prefix: string): MetadataTables {
  return {
    state: `${prefix}_monitorlift_state`,
    columns: `${prefix}_monitorlift_columns`,
    runs: `${prefix}_monitorlift_runs`,
    locks: `${prefix}_monitorlift_locks`,
  };
}

function length(name: string, rules: IdentifierRules): number {
  return rules.lengthUnit === "bytes" ? Buffer.byteLength(name, "utf8") : [...name].length;
}

/** Why `name` cannot be an identifier under `rules`, or undefined when it can. */
export function identifierProblem(name: string, rules: IdentifierRules): string | undefined {
  if (name.length === 0) return "it is empty";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "it contains a control character";
  if (name !== name.trim()) return "it starts or ends with white space";
  if (!name.isWellFormed()) return "it is not valid Unicode";
  if (rules.bmpOnly && /[\u{10000}-\u{10ffff}]/u.test(name)) return "it contains a character outside the Basic Multilingual Plane (MySQL identifiers cannot hold it)";
  const n = length(name, rules);
  if (n > rules.maxLength) return `it is ${n} ${rules.lengthUnit} long and the database keeps at most ${rules.maxLength}`;
  return undefined;
}

/** The table of a query: tablePrefix + query name, checked against the dialect's limits. */
export function queryTableName(prefix: string, query: string, rules: IdentifierRules): string {
  const name = `${prefix}${query}`;
  const problem = identifierProblem(name, rules);
  if (problem !== undefined) {
    throw new SinkError("SINK_SCHEMA", `sql sink: the table name "${name}" for query "${query}" cannot be used: ${problem}.`, {
      hint: "Shorten sink.tablePrefix or the query name.",
    });
  }
  return name;
}

/**
 * The physical columns of a set of Log Analytics columns (each expanded by `defsOf` into itself
 * and its companions), checked: every name representable, no two physical names equal (or equal
 * ignoring case where the database folds case), none equal to the window columns.
 */
export function physicalLayout(
  columns: readonly Column[],
  defsOf: (column: Column) => ColumnDef[],
  rules: IdentifierRules,
  context: { query: string; table: string },
): ColumnDef[] {
  const seen = new Map<string, string>();
  const fold = (n: string) => (rules.caseInsensitive ? n.toLowerCase() : n);
  seen.set(fold(WINDOW_START), `the window column ${WINDOW_START}`);
  seen.set(fold(WINDOW_END), `the window column ${WINDOW_END}`);
  const out: ColumnDef[] = [];
  for (const column of columns) {
    for (const def of defsOf(column)) {
      const problem = identifierProblem(def.name, rules);
      if (problem !== undefined) {
        throw new SinkError(
          "SINK_SCHEMA",
          `sql sink: query "${context.query}" has the column "${column.name}" (${column.type}) whose ${def.name === column.name ? "name" : `companion column "${def.name}"`} cannot be a column of table ${context.table}: ${problem}.`,
          { hint: "Rename the column in the query (project-rename)." },
        );
      }
      const key = fold(def.name);
      const other = seen.get(key);
      if (other !== undefined) {
        throw new SinkError(
          "SINK_SCHEMA",
          `sql sink: query "${context.query}" column "${column.name}" (${column.type}) needs the physical column "${def.name}" in table ${context.table}, which is already taken by ${other}${rules.caseInsensitive ? " (this database ignores case in column names)" : ""}.`,
          { hint: "Rename one of the columns in the query (project-rename)." },
        );
      }
      seen.set(key, def.name === column.name ? `column "${column.name}" (${column.type})` : `the companion "${def.name}" of column "${column.name}"`);
      out.push(def);
    }
  }
  return out;
}
