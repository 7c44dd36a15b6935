/**
 * Runs a KQL script against a catalog: let statements bind scalars (folded to
 * constants) or tabular expressions; the single query statement is compiled into
 * a plan and run. Rows that only pass through row-preserving operators are the
 * tables' own `values` arrays.
 */
import type { Column } from "../../table.ts";
import type { Catalog, SimValue } from "../catalog.ts";
import type { KqlScript } from "./ast.ts";
import type { Binding } from "./compiled.ts";
import { KqlError, semanticError } from "./errors.ts";
import { parseKql } from "./parser.ts";
import { MapPlan } from "./plans.ts";
import type { Plan } from "./plans.ts";
import { compileScalar } from "./scalar.ts";
import { compileTabular, isTabular, rowScope } from "./tabular.ts";
import type { TabularEnv } from "./tabular.ts";

export interface KqlContext {
  catalog: Catalog;
  /** Ticks (100 ns) since the Unix epoch; now(), ago() and row visibility use it. */
  now: bigint;
  /** From the request body: start <= TimeGenerated < end for every table reference that has TimeGenerated. */
  timespan?: { start: bigint; end: bigint };
  /** Ids/names accepted by workspace('..') and app('..'); anything else is a semantic error. */
  workspaceIds?: readonly string[];
}

export interface KqlResult {
  /** The result's columns: hidden columns the query did not make visible are left out. */
  columns: Column[];
  /**
   * Each row's values. When `select` is present the arrays are wider than `columns` (they still
   * hold hidden values, so a table's own arrays reach the result unchanged) and column i's value
   * is `row[select[i]]`; visibleRows() gives plain rows.
   */
  rows: (readonly SimValue[])[];
  select?: readonly number[];
}

/** The rows of a result as exactly its columns' values. */
export function visibleRows(result: KqlResult): (readonly SimValue[])[] {
  const select = result.select;
  if (select === undefined) return result.rows;
  return result.rows.map((row) => select.map((i) => row[i] ?? null));
}

/** Parses, type-checks and evaluates `text`. Throws KqlError (SyntaxError or SemanticError). */
export function executeKql(text: string, ctx: KqlContext): KqlResult {
  try {
    const plan = compileScript(parseKql(text), ctx);
    const rows: (readonly SimValue[])[] = [];
    if (plan instanceof MapPlan) {
      plan.runValues((values) => {
        rows.push(values);
        return true;
      });
    } else {
      plan.run((row) => {
        rows.push(row.values);
        return true;
      });
    }
    const columns = plan.columns.map((c) => ({ name: c.name, type: c.type }));
    if (plan.hidden.size === 0 || !columns.some((c) => plan.hidden.has(c.name))) return { columns, rows };
    const select: number[] = [];
    columns.forEach((c, i) => {
      if (!plan.hidden.has(c.name)) select.push(i);
    });
    return { columns: select.map((i) => columns[i]!), rows, select };
  } catch (err) {
    if (err instanceof KqlError) throw err;
    // Never let an unexpected failure escape as a TypeError/RangeError: report it as a query error.
    const message = err instanceof Error ? err.message : String(err);
    throw semanticError(`The simulator failed to evaluate the query (internal error: ${message})`);
  }
}

/** Compiles a parsed script into the plan of its query statement. */
export function compileScript(script: KqlScript, ctx: KqlContext): Plan {
  const settings = ctx.timespan === undefined
    ? { catalog: ctx.catalog, now: ctx.now, ...(ctx.workspaceIds === undefined ? {} : { workspaceIds: ctx.workspaceIds }) }
    : { catalog: ctx.catalog, now: ctx.now, timespan: ctx.timespan, ...(ctx.workspaceIds === undefined ? {} : { workspaceIds: ctx.workspaceIds }) };
  const lets = new Map<string, Binding>();
  let plan: Plan | undefined;
  for (const statement of script.statements) {
    const env: TabularEnv = { settings, lets: new Map(lets) };
    if (statement.kind === "let") {
      if (isTabular(statement.value, env.lets, ctx.catalog)) {
        // Compile once now so errors in the let body are reported even if it is unused.
        compileTabular(statement.value, env);
        lets.set(statement.name, { kind: "tabular", expr: statement.value, lets: env.lets, name: statement.name });
      } else {
        const value = compileScalar(statement.value, rowScope(env, [], `let statement '${statement.name}'`));
        if (!value.constant) {
          throw semanticError(`let statement '${statement.name}': the value must not depend on table rows`, statement.pos);
        }
        lets.set(statement.name, { kind: "scalar", type: value.type, value: value.value ?? null });
      }
      continue;
    }
    if (plan !== undefined) {
      throw semanticError("the query has more than one tabular expression statement; the simulator returns a single result table", statement.pos);
    }
    plan = compileTabular(statement.expr, env);
  }
  if (plan === undefined) throw semanticError("the query has no tabular expression statement (only let statements)");
  return plan;
}
