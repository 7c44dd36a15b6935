/**
 * The summarize operator: groups rows by the `by` expressions and computes
 * aggregations per group. Supported aggregations: count(), countif(predicate),
 * min(expr), max(expr). Output columns: the group keys, then the aggregations.
 * Without `by`, one row is produced even for an empty input.
 */
import type { Column, ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import type { Expr, NamedExpr } from "./ast.ts";
import { inContext } from "./compiled.ts";
import type { RowFn, ScalarScope } from "./compiled.ts";
import { semanticError } from "./errors.ts";
import { NO_HIDDEN, type Plan, type Push } from "./plans.ts";
import { compilePredicate, compileScalar } from "./scalar.ts";
import { compareNonNull, groupKey, isNumeric, valueToString } from "./values.ts";
import type { EvalRow } from "./values.ts";

interface Accumulator {
  add(row: EvalRow): void;
  result(): SimValue;
}

interface AggregateSpec {
  readonly column: Column;
  create(): Accumulator;
}

const SUPPORTED_AGGREGATES = "count(), countif(), min(), max()";

export function buildSummarize(
  input: Plan,
  aggregates: readonly NamedExpr[],
  by: readonly NamedExpr[],
  scope: ScalarScope,
): Plan {
  const names = new Set<string>();
  let generated = 0;
  const claim = (name: string | undefined, at: number): string => {
    let n = name;
    if (n === undefined) {
      do n = `Column${++generated}`;
      while (names.has(n));
    }
    if (names.has(n)) throw semanticError(inContext(scope, `duplicate column name '${n}' in the output`), at);
    names.add(n);
    return n;
  };

  const keyFns: RowFn[] = [];
  const keyTypes: ColumnType[] = [];
  const columns: Column[] = [];
  for (const item of by) {
    const c = compileScalar(item.expr, scope);
    if (c.type === "dynamic") {
      throw semanticError(
        inContext(scope, `the group-by key '${item.name ?? c.name ?? "expression"}' is of type dynamic; convert it first (tostring(), tolong(), ...)`),
        item.pos,
      );
    }
    keyFns.push(c.fn);
    keyTypes.push(c.type);
    columns.push({ name: claim(item.name ?? c.name, item.pos), type: c.type });
  }
  const specs: AggregateSpec[] = [];
  for (const item of aggregates) {
    const spec = compileAggregate(item, scope, claim);
    specs.push(spec);
    columns.push(spec.column);
  }
  return new SummarizePlan(input, columns, keyFns, keyTypes, specs);
}

function compileAggregate(
  item: NamedExpr,
  scope: ScalarScope,
  claim: (name: string | undefined, at: number) => string,
): AggregateSpec {
  const e: Expr = item.expr;
  if (e.kind !== "call") {
    throw semanticError(
      inContext(scope, `an aggregation must be a call of an aggregation function (supported: ${SUPPORTED_AGGREGATES})`),
      e.pos,
    );
  }
  const argc = e.args.length;
  const needArgs = (n: number): void => {
    if (argc !== n) throw semanticError(inContext(scope, `${e.name}(): expects ${n} argument(s), but got ${argc}`), e.pos);
  };
  switch (e.name) {
    case "count": {
      needArgs(0);
      const column: Column = { name: claim(item.name ?? "count_", item.pos), type: "long" };
      return {
        column,
        create: () => {
          let n = 0n;
          return {
            add: () => {
              n++;
            },
            result: () => n,
          };
        },
      };
    }
    case "countif": {
      needArgs(1);
      const p = compilePredicate(e.args[0]!, scope).fn;
      const column: Column = { name: claim(item.name ?? "countif_", item.pos), type: "long" };
      return {
        column,
        create: () => {
          let n = 0n;
          return {
            add: (row) => {
              if (p(row) === true) n++;
            },
            result: () => n,
          };
        },
      };
    }
    case "min":
    case "max": {
      needArgs(1);
      const arg = compileScalar(e.args[0]!, scope);
      const t = arg.type;
      if (!isNumeric(t) && t !== "datetime" && t !== "timespan") {
        throw semanticError(inContext(scope, `${e.name}(): the argument must be a number, datetime or timespan, but it is of type ${t}`), e.pos);
      }
      const f = arg.fn;
      const wantMax = e.name === "max";
      const column: Column = { name: claim(item.name ?? `${e.name}_${arg.name ?? ""}`, item.pos), type: t };
      return {
        column,
        create: () => {
          let best: SimValue = null;
          return {
            add: (row) => {
              const v = f(row);
              if (v === null || (typeof v === "number" && Number.isNaN(v))) return;
              if (best === null) best = v;
              else {
                const c = compareNonNull(v, best);
                if (wantMax ? c > 0 : c < 0) best = v;
              }
            },
            result: () => best,
          };
        },
      };
    }
    default:
      throw semanticError(
        inContext(scope, `the aggregation function '${e.name}()' is not supported by the simulator (supported: ${SUPPORTED_AGGREGATES})`),
        e.pos,
      );
  }
}

interface Group {
  readonly keys: SimValue[];
  readonly accumulators: Accumulator[];
}

class SummarizePlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden = NO_HIDDEN;
  private readonly input: Plan;
  private readonly keyFns: readonly RowFn[];
  private readonly keyTypes: readonly ColumnType[];
  private readonly specs: readonly AggregateSpec[];

  constructor(input: Plan, columns: readonly Column[], keyFns: readonly RowFn[], keyTypes: readonly ColumnType[], specs: readonly AggregateSpec[]) {
    this.input = input;
    this.columns = columns;
    this.keyFns = keyFns;
    this.keyTypes = keyTypes;
    this.specs = specs;
  }

  run(push: Push): void {
    const groups = new Map<SimValue, Group>();
    const order: Group[] = [];
    const keyFns = this.keyFns;
    const keyTypes = this.keyTypes;
    const specs = this.specs;
    const single = keyFns.length === 1;
    const newGroup = (keys: SimValue[]): Group => {
      const g: Group = { keys, accumulators: specs.map((s) => s.create()) };
      order.push(g);
      return g;
    };
    if (keyFns.length === 0) groups.set(null, newGroup([]));
    this.input.run((row) => {
      let key: SimValue;
      let keys: SimValue[] | undefined;
      if (keyFns.length === 0) key = null;
      else if (single) {
        const v = keyFns[0]!(row);
        key = groupKey(keyTypes[0]!, v);
        keys = [v];
      } else {
        keys = keyFns.map((f) => f(row));
        key = compositeKey(keyTypes, keys);
      }
      let g = groups.get(key);
      if (g === undefined) {
        g = newGroup(keys ?? []);
        groups.set(key, g);
      }
      for (const acc of g.accumulators) acc.add(row);
      return true;
    });
    for (const g of order) {
      const values: SimValue[] = [...g.keys];
      for (const acc of g.accumulators) values.push(acc.result());
      if (!push({ values, ingestion: null })) return;
    }
  }
}

function compositeKey(types: readonly ColumnType[], values: readonly SimValue[]): string {
  let key = "";
  for (let i = 0; i < values.length; i++) {
    const k = groupKey(types[i]!, values[i]!);
    key += k === null ? "n;" : typeof k === "string" ? `${JSON.stringify(k)};` : `${typeof k}:${valueToString(types[i]!, k)};`;
  }
  return key;
}
