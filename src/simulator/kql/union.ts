/**
 * The union operator: rows of several tabular inputs, with columns merged by name.
 * kind=outer (default): every (name, type) pair of any input, in order of first
 * appearance; a name seen with several types becomes one column per type named
 * "<name>_<type>"; missing cells are null. kind=inner: the columns common to all
 * inputs. withsource=Col adds a first string column naming each row's input.
 * An input whose layout already equals the output passes its row objects through.
 */
import type { Column, ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import { semanticError } from "./errors.ts";
import type { IngestionBounds, Plan, Push } from "./plans.ts";

export interface UnionInput {
  readonly plan: Plan;
  /** Value of the withsource column for this input's rows. */
  readonly source: string;
}

interface Layout {
  readonly plan: Plan;
  readonly source: string;
  /** For each output column, the input column index, or -1 for null; undefined when identical. */
  readonly mapping: readonly number[] | undefined;
}

export function buildUnion(
  inputs: readonly UnionInput[],
  kind: "inner" | "outer",
  withsource: string | undefined,
  pos: number,
): Plan {
  const dataColumns = kind === "outer" ? outerColumns(inputs) : innerColumns(inputs);
  const columns: Column[] = [];
  if (withsource !== undefined) {
    if (dataColumns.some((c) => c.key.name === withsource)) {
      throw semanticError(`'union' operator: the withsource column '${withsource}' is already a column of an input`, pos);
    }
    columns.push({ name: withsource, type: "string" });
  }
  for (const c of dataColumns) columns.push(c.column);
  // A column stays hidden when every input that has it hides it (a table's hidden columns in a union of tables).
  const hidden = new Set<string>();
  for (const c of dataColumns) {
    const holders = inputs.filter((input) => input.plan.columns.some((ic) => ic.name === c.key.name && ic.type === c.key.type));
    if (holders.length > 0 && holders.every((input) => input.plan.hidden.has(c.key.name))) hidden.add(c.column.name);
  }
  const layouts: Layout[] = inputs.map((input) => {
    const mapping: number[] = [];
    if (withsource !== undefined) mapping.push(-2);
    for (const c of dataColumns) {
      mapping.push(input.plan.columns.findIndex((ic) => ic.name === c.key.name && ic.type === c.key.type));
    }
    const identity = mapping.length === input.plan.columns.length && mapping.every((m, i) => m === i);
    return { plan: input.plan, source: input.source, mapping: identity ? undefined : mapping };
  });
  return new UnionPlan(columns, layouts, hidden);
}

interface MergedColumn {
  readonly key: { readonly name: string; readonly type: ColumnType };
  readonly column: Column;
}

function outerColumns(inputs: readonly UnionInput[]): MergedColumn[] {
  const typesByName = new Map<string, ColumnType[]>();
  const order: { name: string; type: ColumnType }[] = [];
  for (const input of inputs) {
    for (const c of input.plan.columns) {
      const types = typesByName.get(c.name);
      if (types === undefined) {
        typesByName.set(c.name, [c.type]);
        order.push({ name: c.name, type: c.type });
      } else if (!types.includes(c.type)) {
        types.push(c.type);
        order.push({ name: c.name, type: c.type });
      }
    }
  }
  return order.map((key) => {
    const several = typesByName.get(key.name)!.length > 1;
    return { key, column: { name: several ? `${key.name}_${key.type}` : key.name, type: key.type } };
  });
}

function innerColumns(inputs: readonly UnionInput[]): MergedColumn[] {
  const first = inputs[0];
  if (first === undefined) return [];
  return first.plan.columns
    .filter((c) => inputs.every((input) => input.plan.columns.some((ic) => ic.name === c.name && ic.type === c.type)))
    .map((c) => ({ key: { name: c.name, type: c.type }, column: { name: c.name, type: c.type } }));
}

class UnionPlan implements Plan {
  readonly columns: readonly Column[];
  readonly hidden: ReadonlySet<string>;
  private readonly layouts: readonly Layout[];

  constructor(columns: readonly Column[], layouts: readonly Layout[], hidden: ReadonlySet<string>) {
    this.columns = columns;
    this.layouts = layouts;
    this.hidden = hidden;
  }

  run(push: Push): void {
    let stopped = false;
    for (const layout of this.layouts) {
      if (stopped) return;
      const mapping = layout.mapping;
      if (mapping === undefined) {
        layout.plan.run((row) => {
          if (push(row)) return true;
          stopped = true;
          return false;
        });
        continue;
      }
      const source = layout.source;
      const width = mapping.length;
      layout.plan.run((row) => {
        const values = new Array<SimValue>(width);
        const input = row.values;
        for (let i = 0; i < width; i++) {
          const m = mapping[i]!;
          values[i] = m >= 0 ? (input[m] ?? null) : m === -2 ? source : null;
        }
        if (push({ values, ingestion: row.ingestion })) return true;
        stopped = true;
        return false;
      });
    }
  }

  withIngestionBounds(bounds: IngestionBounds): Plan {
    return new UnionPlan(
      this.columns,
      this.layouts.map((l) => {
        const narrow = l.plan.withIngestionBounds;
        return narrow === undefined ? l : { ...l, plan: narrow.call(l.plan, bounds) };
      }),
      this.hidden,
    );
  }
}
