/**
 * The shape of a query result, shared by the source, the sinks and the simulator.
 *
 * Rows travel as the raw JSON token text of each cell, exactly as the service
 * sent it ("raw cells"): strings keep their quotes and escapes, numbers keep all
 * their digits (a long beyond 2^53 stays exact), `null` is the text `null`.
 * Sinks decode cells only where their format needs typed values (see src/sinks/cells.ts).
 */

/** The Log Analytics column types, as they appear in `columns[].type`. */
export const COLUMN_TYPES = [
  "bool",
  "datetime",
  "dynamic",
  "int",
  "long",
  "real",
  "string",
  "guid",
  "decimal",
  "timespan",
] as const;

export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface Column {
  name: string;
  type: ColumnType;
}

/** One row: the raw JSON text of each cell, in column order. */
export type RawRow = string[];

export function isColumnType(value: string): value is ColumnType {
  return (COLUMN_TYPES as readonly string[]).includes(value);
}
