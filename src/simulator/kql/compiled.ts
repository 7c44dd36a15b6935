/**
 * Shared shapes of the compile step: scalar expressions compile once per query
 * into closures over rows (`RowFn`), with their static type.
 */
import type { Column, ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import type { Expr } from "./ast.ts";
import type { EvalRow } from "./values.ts";

export type RowFn = (row: EvalRow) => SimValue;

export interface Compiled {
  readonly type: ColumnType;
  readonly fn: RowFn;
  /** True when the value does not depend on the row (it was folded at compile time). */
  readonly constant: boolean;
  /** The constant's value, when `constant`. */
  readonly value?: SimValue;
  /** Output column name derived from the expression (column reference, bin(col, ..), ...). */
  readonly name?: string;
  /** Index of the input column when the expression is a plain column reference. */
  readonly column?: number;
  /** True for a bare ingestion_time() call. */
  readonly ingestionTime?: boolean;
}

export type Binding =
  | { readonly kind: "scalar"; readonly type: ColumnType; readonly value: SimValue }
  | { readonly kind: "tabular"; readonly expr: Expr; readonly lets: ReadonlyMap<string, Binding>; readonly name: string };

export interface ScalarScope {
  /** Columns of the rows the expression sees; empty for let statements and take counts. */
  readonly columns: readonly Column[];
  readonly index: ReadonlyMap<string, number>;
  readonly lets: ReadonlyMap<string, Binding>;
  /** The request's "now", in ticks. */
  readonly now: bigint;
  /** Prefix naming where the expression is, for messages: "'where' operator". Empty at statement level. */
  readonly context: string;
}

export const DUMMY_ROW: EvalRow = { values: [], ingestion: null };

export function constant(type: ColumnType, value: SimValue, name?: string): Compiled {
  const fn: RowFn = () => value;
  return name === undefined ? { type, fn, constant: true, value } : { type, fn, constant: true, value, name };
}

/**
 * Wraps a computed expression; when every input is constant the value is folded
 * now, so per-row evaluation is a plain closure returning it.
 */
export function derived(type: ColumnType, fn: RowFn, inputs: readonly Compiled[], name?: string): Compiled {
  if (inputs.every((c) => c.constant)) return constant(type, fn(DUMMY_ROW), name);
  return name === undefined ? { type, fn, constant: false } : { type, fn, constant: false, name };
}

export function indexColumns(columns: readonly Column[]): Map<string, number> {
  const index = new Map<string, number>();
  columns.forEach((c, i) => index.set(c.name, i));
  return index;
}

/** "'where' operator: message", or the message alone at statement level. */
export function inContext(scope: ScalarScope, message: string): string {
  return scope.context === "" ? message : `${scope.context}: ${message}`;
}
