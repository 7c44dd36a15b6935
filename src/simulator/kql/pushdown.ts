/**
 * Ingestion-time pushdown: from a `where` predicate, the bounds on ingestion_time()
 * implied by its top-level AND-ed comparisons with constants (>=, >, <, <=, ==,
 * between). They are passed to table scans as hints; the predicate itself is still
 * evaluated exactly on every row.
 */
import type { Expr } from "./ast.ts";
import type { ScalarScope } from "./compiled.ts";
import type { IngestionBounds } from "./plans.ts";
import { compileScalar } from "./scalar.ts";

function conjuncts(expr: Expr, out: Expr[]): Expr[] {
  if (expr.kind === "binary" && expr.op === "and") {
    conjuncts(expr.left, out);
    conjuncts(expr.right, out);
  } else {
    out.push(expr);
  }
  return out;
}

function isIngestionTimeCall(expr: Expr): boolean {
  return expr.kind === "call" && expr.name === "ingestion_time" && expr.args.length === 0;
}

/** The constant datetime (or timespan, when `allowSpan`) value of `expr`, if it is one. */
function constantTicks(expr: Expr, scope: ScalarScope, allowSpan: boolean): { ticks: bigint; span: boolean } | undefined {
  const c = compileScalar(expr, scope);
  if (!c.constant || typeof c.value !== "bigint") return undefined;
  if (c.type === "datetime") return { ticks: c.value, span: false };
  if (allowSpan && c.type === "timespan") return { ticks: c.value, span: true };
  return undefined;
}

const FLIPPED: Readonly<Record<string, string>> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==" };

export function ingestionBoundsOf(predicate: Expr, scope: ScalarScope): IngestionBounds | undefined {
  let from: bigint | undefined;
  let to: bigint | undefined;
  const lower = (v: bigint): void => {
    if (from === undefined || v > from) from = v;
  };
  const upper = (v: bigint): void => {
    if (to === undefined || v < to) to = v;
  };
  for (const c of conjuncts(predicate, [])) {
    if (c.kind === "binary" && FLIPPED[c.op] !== undefined) {
      let op: string = c.op;
      let other: Expr;
      if (isIngestionTimeCall(c.left) && !isIngestionTimeCall(c.right)) other = c.right;
      else if (isIngestionTimeCall(c.right) && !isIngestionTimeCall(c.left)) {
        other = c.left;
        op = FLIPPED[c.op]!;
      } else continue;
      const k = constantTicks(other, scope, false);
      if (k === undefined) continue;
      const v = k.ticks;
      if (op === ">=") lower(v);
      else if (op === ">") lower(v + 1n);
      else if (op === "<") upper(v);
      else if (op === "<=") upper(v + 1n);
      else {
        lower(v);
        upper(v + 1n);
      }
    } else if (c.kind === "between" && !c.negated && isIngestionTimeCall(c.left)) {
      const lo = constantTicks(c.low, scope, false);
      const hi = constantTicks(c.high, scope, true);
      if (lo === undefined || hi === undefined) continue;
      lower(lo.ticks);
      upper((hi.span ? lo.ticks + hi.ticks : hi.ticks) + 1n);
    }
  }
  if (from === undefined && to === undefined) return undefined;
  const bounds: { from?: bigint; to?: bigint } = {};
  if (from !== undefined) bounds.from = from;
  if (to !== undefined) bounds.to = to;
  return bounds;
}
