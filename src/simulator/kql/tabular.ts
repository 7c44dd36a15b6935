/**
 * Compiles tabular expressions (table references, let-bound tables, union, print,
 * and pipelines of operators) into executable plans.
 */
import type { Column } from "../../table.ts";
import type { Catalog, SimValue } from "../catalog.ts";
import type { Expr, NamedExpr, NamePattern, PipeExpr, SortKey, TabularOperator, UnionOptions } from "./ast.ts";
import { DUMMY_ROW, indexColumns } from "./compiled.ts";
import type { Binding, Compiled, RowFn, ScalarScope } from "./compiled.ts";
import { semanticError } from "./errors.ts";
import { CountPlan, FilterPlan, MapPlan, PrintPlan, RevealPlan, ScanPlan, SortPlan, TakePlan } from "./plans.ts";
import type { Plan, SortKeyPlan } from "./plans.ts";
import { ingestionBoundsOf } from "./pushdown.ts";
import { compilePredicate, compileScalar } from "./scalar.ts";
import { buildSummarize } from "./summarize.ts";
import { buildUnion } from "./union.ts";
import type { UnionInput } from "./union.ts";
import { compareNonNull, isNullForOrdering } from "./values.ts";
import type { EvalRow } from "./values.ts";

export interface EvalSettings {
  readonly catalog: Catalog;
  readonly now: bigint;
  readonly timespan?: { readonly start: bigint; readonly end: bigint };
  readonly workspaceIds?: readonly string[];
}

export interface TabularEnv {
  readonly settings: EvalSettings;
  readonly lets: ReadonlyMap<string, Binding>;
}

/** The scope of a scalar expression evaluated over rows with `columns`. */
export function rowScope(env: TabularEnv, columns: readonly Column[], context: string): ScalarScope {
  return { columns, index: indexColumns(columns), lets: env.lets, now: env.settings.now, context };
}

/** True when `expr` denotes a table (so `let x = expr` binds a tabular value). */
export function isTabular(expr: Expr, lets: ReadonlyMap<string, Binding>, catalog: Catalog): boolean {
  switch (expr.kind) {
    case "pipe":
    case "union":
    case "print":
      return true;
    case "name": {
      const b = lets.get(expr.name);
      if (b !== undefined) return b.kind === "tabular";
      return catalog.table(expr.name) !== undefined;
    }
    case "member":
      return expr.target.kind === "call" && (expr.target.name === "workspace" || expr.target.name === "app");
    case "call":
      return expr.name === "table";
    default:
      return false;
  }
}

export function compileTabular(expr: Expr, env: TabularEnv): Plan {
  switch (expr.kind) {
    case "name":
      return resolveTableName(expr.name, expr.pos, env);
    case "member":
      return resolveQualifiedTable(expr.target, expr.name, expr.pos, env);
    case "call":
      if (expr.name === "table") {
        const arg = expr.args[0];
        if (expr.args.length !== 1 || arg === undefined || arg.kind !== "literal" || typeof arg.value !== "string") {
          throw semanticError("table(): expects one string literal argument naming a table", expr.pos);
        }
        return resolveTableName(arg.value, expr.pos, env);
      }
      throw semanticError(`'${expr.name}()' is not a tabular expression; expected a table reference`, expr.pos);
    case "pipe":
      return compilePipe(expr, env);
    case "union":
      return compileUnion(undefined, expr.options, expr.tables, expr.pos, env);
    case "print":
      return compilePrint(expr.items, env);
    case "wildcard":
      throw semanticError(`the table pattern '${expr.pattern}' can only be used in a union`, expr.pos);
    default:
      throw semanticError("expected a tabular expression (a table reference or a query), but found a scalar expression", expr.pos);
  }
}

function resolveTableName(name: string, pos: number, env: TabularEnv): Plan {
  const binding = env.lets.get(name);
  if (binding !== undefined) {
    if (binding.kind === "tabular") return compileTabular(binding.expr, { settings: env.settings, lets: binding.lets });
    throw semanticError(`'${name}' is a scalar value, not a table`, pos);
  }
  const table = env.settings.catalog.table(name);
  if (table === undefined) throw semanticError(`Failed to resolve table or column expression named '${name}'`, pos);
  return new ScanPlan(table, env.settings.now, env.settings.timespan);
}

/** workspace('id').Table and app('id').Table. */
function resolveQualifiedTable(target: Expr, name: string, pos: number, env: TabularEnv): Plan {
  if (target.kind !== "call" || (target.name !== "workspace" && target.name !== "app")) {
    throw semanticError(`expected a tabular expression, but found a property access '.${name}'`, pos);
  }
  const arg = target.args[0];
  if (target.args.length !== 1 || arg === undefined || arg.kind !== "literal" || typeof arg.value !== "string") {
    throw semanticError(`${target.name}(): expects one string literal argument (a workspace or app id)`, target.pos);
  }
  const id = arg.value;
  const known = env.settings.workspaceIds;
  if (known !== undefined && !known.some((k) => k.toLowerCase() === id.toLowerCase())) {
    throw semanticError(`Failed to resolve ${target.name === "app" ? "app" : "workspace"} '${id}': it is not one of the workspaces of this request`, target.pos);
  }
  const table = env.settings.catalog.table(name);
  if (table === undefined) throw semanticError(`Failed to resolve table expression named '${target.name}('${id}').${name}'`, pos);
  return new ScanPlan(table, env.settings.now, env.settings.timespan);
}

function compilePipe(expr: PipeExpr, env: TabularEnv): Plan {
  let plan = compileTabular(expr.source, env);
  for (const op of expr.operators) plan = compileOperator(plan, op, env);
  return plan;
}

function compileOperator(input: Plan, op: TabularOperator, env: TabularEnv): Plan {
  switch (op.kind) {
    case "where": {
      const scope = rowScope(env, input.columns, "'where' operator");
      const predicate = compilePredicate(op.predicate, scope);
      let source = input;
      if (input.withIngestionBounds !== undefined) {
        const bounds = ingestionBoundsOf(op.predicate, scope);
        if (bounds !== undefined) source = input.withIngestionBounds(bounds);
      }
      if (predicate.constant) {
        // A predicate that does not depend on the row keeps everything or nothing.
        return predicate.value === true ? source : new TakePlan(source, 0);
      }
      return new FilterPlan(source, predicate.fn);
    }
    case "project":
      return compileProject(input, op.items, env);
    case "extend":
      return compileExtend(input, op.items, env);
    case "project-away":
      return compileProjectAway(input, op.names);
    case "take": {
      const scope = rowScope(env, [], `'${op.keyword}' operator`);
      const count = compileScalar(op.count, scope);
      if (!count.constant || (count.type !== "long" && count.type !== "int") || count.value === null) {
        throw semanticError(`'${op.keyword}' operator: the row count must be a constant integer, but it is of type ${count.type}`, op.pos);
      }
      const n = Number(count.value as bigint | number);
      return new TakePlan(input, n < 0 ? 0 : n);
    }
    case "sort":
      return compileSort(input, op.keys, op.keyword, env);
    case "summarize":
      return buildSummarize(input, op.aggregates, op.by, rowScope(env, input.columns, "'summarize' operator"));
    case "count":
      return new CountPlan(input);
    case "union":
      return compileUnion(input, op.options, op.tables, op.pos, env);
    case "unsupported":
      throw semanticError(`the '${op.name}' operator is not supported by the simulator`, op.pos);
  }
}

/** Names output columns: explicit names, names derived from expressions, else Column1, Column2, ... */
class ColumnNamer {
  private readonly used: Set<string>;
  private counter = 0;

  constructor(used: Iterable<string> = []) {
    this.used = new Set(used);
  }

  next(preferred: string | undefined): string {
    if (preferred !== undefined) return preferred;
    let n: string;
    do n = `Column${++this.counter}`;
    while (this.used.has(n));
    this.used.add(n);
    return n;
  }
}

function compileProject(input: Plan, items: readonly NamedExpr[], env: TabularEnv): Plan {
  const scope = rowScope(env, input.columns, "'project' operator");
  const namer = new ColumnNamer(input.columns.map((c) => c.name));
  const columns: Column[] = [];
  const fns: RowFn[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const c = compileScalar(item.expr, scope);
    const name = namer.next(item.name ?? c.name);
    if (seen.has(name)) throw semanticError(`'project' operator: duplicate column name '${name}'`, item.pos);
    seen.add(name);
    columns.push({ name, type: c.type });
    fns.push(c.fn);
  }
  return new MapPlan(input, columns, rowBuilder(fns));
}

function rowBuilder(fns: readonly RowFn[]): (row: EvalRow) => SimValue[] {
  const width = fns.length;
  return (row) => {
    const out = new Array<SimValue>(width);
    for (let i = 0; i < width; i++) out[i] = fns[i]!(row);
    return out;
  };
}

/**
 * The names of `extend _ItemId = _ItemId, …` when it only shows hidden columns that are already
 * the plan's last columns, in that order (the exporter's default); otherwise undefined.
 */
function revealOnly(input: Plan, items: readonly NamedExpr[]): string[] | undefined {
  const n = input.columns.length;
  const names: string[] = [];
  for (const [k, item] of items.entries()) {
    const e = item.expr;
    if (e.kind !== "name" || item.name !== e.name || !input.hidden.has(e.name)) return undefined;
    if (input.columns[n - items.length + k]?.name !== e.name) return undefined;
    names.push(e.name);
  }
  return names.length > 0 ? names : undefined;
}

function compileExtend(input: Plan, items: readonly NamedExpr[], env: TabularEnv): Plan {
  const reveal = revealOnly(input, items);
  if (reveal !== undefined) return new RevealPlan(input, reveal);
  // Each item sees the columns produced by the items before it. A name that already
  // exists is removed and appended with its new value (as the service does); a hidden
  // column assigned this way becomes visible.
  const hidden = new Set(input.hidden);
  let columns: Column[] = [...input.columns];
  const namer = new ColumnNamer(columns.map((c) => c.name));
  const steps: { fn: RowFn; replace: number }[] = [];
  for (const item of items) {
    const scope = rowScope(env, columns, "'extend' operator");
    const c = compileScalar(item.expr, scope);
    const name = namer.next(item.name ?? c.name);
    const replace = columns.findIndex((col) => col.name === name);
    if (replace >= 0) columns = columns.filter((_, i) => i !== replace);
    columns.push({ name, type: c.type });
    steps.push({ fn: c.fn, replace });
    hidden.delete(name);
  }
  const build = (row: EvalRow): SimValue[] => {
    const values = row.values.slice();
    const current: EvalRow = { values, ingestion: row.ingestion };
    for (const step of steps) {
      const v = step.fn(current);
      if (step.replace >= 0) values.splice(step.replace, 1);
      values.push(v);
    }
    return values;
  };
  return new MapPlan(input, columns, build, hidden);
}

/** Glob match where '*' matches any run of characters. */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

function compileProjectAway(input: Plan, names: readonly NamePattern[]): Plan {
  const drop = new Set<number>();
  for (const pattern of names) {
    if (pattern.wildcard) {
      input.columns.forEach((c, i) => {
        if (globMatch(pattern.name, c.name)) drop.add(i);
      });
      continue;
    }
    const i = input.columns.findIndex((c) => c.name === pattern.name);
    if (i < 0) throw semanticError(`'project-away' operator: Failed to resolve column named '${pattern.name}'`, pattern.pos);
    drop.add(i);
  }
  const keep: number[] = [];
  input.columns.forEach((_, i) => {
    if (!drop.has(i)) keep.push(i);
  });
  const columns = keep.map((i) => input.columns[i]!);
  const hidden = new Set(columns.filter((c) => input.hidden.has(c.name)).map((c) => c.name));
  const width = keep.length;
  return new MapPlan(
    input,
    columns,
    (row) => {
      const out = new Array<SimValue>(width);
      for (let k = 0; k < width; k++) out[k] = row.values[keep[k]!] ?? null;
      return out;
    },
    hidden,
  );
}

function compileSort(input: Plan, keys: readonly SortKey[], keyword: string, env: TabularEnv): Plan {
  const scope = rowScope(env, input.columns, `'${keyword}' operator`);
  const plans: SortKeyPlan[] = keys.map((key) => {
    const c: Compiled = compileScalar(key.expr, scope);
    if (c.type === "dynamic") {
      throw semanticError(
        `'${keyword}' operator: cannot sort by '${c.name ?? "expression"}' of type dynamic; convert it first (tostring(), tolong(), ...)`,
        key.pos,
      );
    }
    const desc = key.descending;
    const nullsFirst = key.nullsFirst ?? !desc;
    const isString = c.type === "string";
    const compare = (a: SimValue, b: SimValue): number => {
      if (isString) {
        const x = (a ?? "") as string;
        const y = (b ?? "") as string;
        const r = x < y ? -1 : x > y ? 1 : 0;
        return desc ? -r : r;
      }
      const an = isNullForOrdering(a);
      const bn = isNullForOrdering(b);
      if (an || bn) {
        if (an && bn) return 0;
        return an === nullsFirst ? -1 : 1;
      }
      const r = compareNonNull(a, b);
      return desc ? -r : r;
    };
    return { fn: c.fn, compare };
  });
  return new SortPlan(input, plans);
}

function compileUnion(
  piped: Plan | undefined,
  options: UnionOptions,
  tables: readonly Expr[],
  pos: number,
  env: TabularEnv,
): Plan {
  const inputs: UnionInput[] = [];
  if (piped !== undefined) inputs.push({ plan: piped, source: "union_arg0" });
  for (const t of tables) {
    if (t.kind === "wildcard") {
      const names = env.settings.catalog.tableNames().filter((n) => globMatch(t.pattern, n));
      if (names.length === 0 && !options.isfuzzy) {
        throw semanticError(`'union' operator: no table matches the pattern '${t.pattern}'`, t.pos);
      }
      for (const n of names) inputs.push({ plan: resolveTableName(n, t.pos, { settings: env.settings, lets: new Map() }), source: n });
      continue;
    }
    const source = t.kind === "name" ? t.name : t.kind === "member" ? t.name : `union_arg${inputs.length}`;
    try {
      inputs.push({ plan: compileTabular(t, env), source });
    } catch (err) {
      // isfuzzy=true skips table references that do not resolve.
      if (!(options.isfuzzy && (t.kind === "name" || t.kind === "member"))) throw err;
    }
  }
  if (inputs.length === 0) throw semanticError("'union' operator: none of the tables could be resolved", pos);
  return buildUnion(inputs, options.kind, options.withsource, pos);
}

function compilePrint(items: readonly NamedExpr[], env: TabularEnv): Plan {
  const scope = rowScope(env, [], "'print' operator");
  const columns: Column[] = [];
  const values: SimValue[] = [];
  items.forEach((item, i) => {
    const c = compileScalar(item.expr, scope);
    columns.push({ name: item.name ?? `print_${i}`, type: c.type });
    values.push(c.fn(DUMMY_ROW));
  });
  return new PrintPlan(columns, values);
}
