/**
 * Type-checks scalar expressions and compiles them into closures over rows.
 * Operators follow KQL: three-valued and/or, `==` of a null and a value is false
 * (two nulls: null), ordering comparisons with a null are null, string operators
 * treat an empty (null) string as "".
 */
import type { ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import type { BetweenExpr, BinaryExpr, CallExpr, Expr, InExpr, IndexExpr, MemberExpr, UnaryExpr } from "./ast.ts";
import { constant, derived, inContext } from "./compiled.ts";
import type { Compiled, RowFn, ScalarScope } from "./compiled.ts";
import { semanticError } from "./errors.ts";
import { AGGREGATE_FUNCTIONS, compileFunction } from "./functions.ts";
import { dynamicGet, groupKey, inDatetimeRange, isNumeric, numericKey, termMatch, valueToString } from "./values.ts";
import type { EvalRow } from "./values.ts";

const TABULAR_FUNCTIONS = new Set(["workspace", "app", "table", "database", "cluster", "materialize", "toscalar", "view"]);

export function compileScalar(expr: Expr, scope: ScalarScope): Compiled {
  switch (expr.kind) {
    case "literal":
      return constant(expr.type, expr.value);
    case "name":
      return compileName(expr.name, expr.pos, scope);
    case "call":
      return compileCall(expr, scope);
    case "member":
      return compileMember(expr, scope);
    case "index":
      return compileIndex(expr, scope);
    case "unary":
      return compileUnary(expr, scope);
    case "binary":
      return compileBinary(expr, scope);
    case "in":
      return compileIn(expr, scope);
    case "between":
      return compileBetween(expr, scope);
    case "pipe":
    case "union":
    case "print":
    case "wildcard":
      throw semanticError(inContext(scope, "a tabular expression cannot be used where a scalar value is expected"), expr.pos);
  }
}

/** Compiles and requires a bool result. */
export function compilePredicate(expr: Expr, scope: ScalarScope): Compiled {
  const c = compileScalar(expr, scope);
  if (c.type !== "bool") {
    throw semanticError(inContext(scope, `the predicate must be of type bool, but it is of type ${c.type}`), expr.pos);
  }
  return c;
}

function compileName(name: string, pos: number, scope: ScalarScope): Compiled {
  const i = scope.index.get(name);
  if (i !== undefined) {
    const type = scope.columns[i]!.type;
    const fn: RowFn = (row) => {
      const v = row.values[i];
      return v === undefined ? null : v;
    };
    return { type, fn, constant: false, name, column: i };
  }
  const binding = scope.lets.get(name);
  if (binding !== undefined) {
    if (binding.kind === "scalar") return constant(binding.type, binding.value, name);
    throw semanticError(inContext(scope, `'${name}' is a tabular expression and cannot be used as a scalar value`), pos);
  }
  throw semanticError(inContext(scope, `Failed to resolve scalar expression named '${name}'`), pos);
}

function compileCall(expr: CallExpr, scope: ScalarScope): Compiled {
  if (TABULAR_FUNCTIONS.has(expr.name)) {
    throw semanticError(inContext(scope, `'${expr.name}()' cannot be used where a scalar value is expected`), expr.pos);
  }
  if (AGGREGATE_FUNCTIONS.has(expr.name)) {
    throw semanticError(
      inContext(scope, `the aggregation function '${expr.name}()' can only be used in the aggregations of 'summarize'`),
      expr.pos,
    );
  }
  const args = expr.args.map((a) => compileScalar(a, scope));
  return compileFunction(expr.name, args, expr, scope);
}

function memberName(target: Compiled, key: string): string | undefined {
  return target.name === undefined ? undefined : `${target.name}_${key}`;
}

function compileMember(expr: MemberExpr, scope: ScalarScope): Compiled {
  const target = compileScalar(expr.target, scope);
  if (target.type !== "dynamic") {
    throw semanticError(
      inContext(scope, `cannot access property '${expr.name}' of a value of type ${target.type}; only dynamic values have properties`),
      expr.pos,
    );
  }
  const key = expr.name;
  const tf = target.fn;
  return derived("dynamic", (row) => dynamicGet(tf(row), key), [target], memberName(target, key));
}

function compileIndex(expr: IndexExpr, scope: ScalarScope): Compiled {
  const target = compileScalar(expr.target, scope);
  const index = compileScalar(expr.index, scope);
  if (target.type !== "dynamic") {
    throw semanticError(inContext(scope, `cannot index a value of type ${target.type}; only dynamic values can be indexed`), expr.pos);
  }
  if (index.type !== "string" && index.type !== "long" && index.type !== "int") {
    throw semanticError(inContext(scope, `a dynamic index must be a string or an integer, not ${index.type}`), expr.pos);
  }
  const tf = target.fn;
  const xf = index.fn;
  const name = index.constant && index.value !== null ? memberName(target, String(index.value)) : undefined;
  return derived("dynamic", (row) => dynamicGet(tf(row), xf(row)), [target, index], name);
}

function compileUnary(expr: UnaryExpr, scope: ScalarScope): Compiled {
  const operand = compileScalar(expr.operand, scope);
  const f = operand.fn;
  const t = operand.type;
  if (expr.op === "+") {
    if (!isNumeric(t) && t !== "timespan") throw typeError(scope, `unary '+' cannot be applied to a value of type ${t}`, expr.pos);
    return operand.constant ? constant(t, operand.value ?? null) : { type: t, fn: f, constant: false };
  }
  let fn: RowFn;
  if (t === "long" || t === "timespan") {
    fn = (row) => {
      const v = f(row) as bigint | null;
      return v === null ? null : BigInt.asIntN(64, -v);
    };
  } else if (t === "int") {
    fn = (row) => {
      const v = f(row) as number | null;
      return v === null ? null : -v | 0;
    };
  } else if (t === "real") {
    fn = (row) => {
      const v = f(row) as number | null;
      return v === null ? null : -v;
    };
  } else {
    throw typeError(scope, `unary '-' cannot be applied to a value of type ${t}`, expr.pos);
  }
  return derived(t, fn, [operand]);
}

function typeError(scope: ScalarScope, message: string, pos: number): Error {
  return semanticError(inContext(scope, message), pos);
}

// ---- binary operators ---------------------------------------------------------

function compileBinary(expr: BinaryExpr, scope: ScalarScope): Compiled {
  const left = compileScalar(expr.left, scope);
  const right = compileScalar(expr.right, scope);
  switch (expr.op) {
    case "and":
    case "or":
      return compileLogical(expr.op, left, right, scope, expr.pos);
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compileComparison(expr.op, left, right, scope, expr.pos);
    case "=~":
    case "!~":
      return compileStringOperator(expr.op === "=~" ? "equals" : "!equals", left, right, scope, expr.pos);
    case "+":
    case "-":
    case "*":
    case "/":
    case "%":
      return compileArithmetic(expr.op, left, right, scope, expr.pos);
    default:
      return compileStringOperator(expr.op, left, right, scope, expr.pos);
  }
}

function compileLogical(op: "and" | "or", left: Compiled, right: Compiled, scope: ScalarScope, pos: number): Compiled {
  for (const side of [left, right]) {
    if (side.type !== "bool") {
      throw typeError(scope, `the operands of '${op}' must be of type bool, but one is of type ${side.type}`, pos);
    }
  }
  const lf = left.fn;
  const rf = right.fn;
  const fn: RowFn =
    op === "and"
      ? (row) => {
          const a = lf(row);
          if (a === false) return false;
          const b = rf(row);
          if (b === false) return false;
          return a === null || b === null ? null : true;
        }
      : (row) => {
          const a = lf(row);
          if (a === true) return true;
          const b = rf(row);
          if (b === true) return true;
          return a === null || b === null ? null : false;
        };
  return derived("bool", fn, [left, right]);
}

type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** A value normalizer applied to one side before comparing; undefined = identity. */
type Normalizer = ((v: SimValue) => SimValue) | undefined;

const stringNorm: Normalizer = (v) => (v === null ? "" : v);
const guidNorm: Normalizer = (v) => (typeof v === "string" ? v.toLowerCase() : v);

/** What a dynamic value must be to compare with a value of `other` type; non-matching values act as null. */
function dynamicNorm(other: ColumnType): Normalizer | undefined {
  if (other === "string") return (v) => (typeof v === "string" ? v : null);
  if (isNumeric(other)) return (v) => (typeof v === "number" || typeof v === "bigint" ? v : null);
  if (other === "bool") return (v) => (typeof v === "boolean" ? v : null);
  return undefined;
}

function comparisonError(scope: ScalarScope, op: string, lt: ColumnType, rt: ColumnType, pos: number): Error {
  return typeError(
    scope,
    `Cannot compare values of types ${lt} and ${rt} with '${op}'. Try adding explicit casts (tostring(), tolong(), todatetime(), ...)`,
    pos,
  );
}

/** Normalizers for the two sides of a comparison, or an error when the types cannot be compared. */
function comparisonNormalizers(
  op: string,
  lt: ColumnType,
  rt: ColumnType,
  scope: ScalarScope,
  pos: number,
): { left: Normalizer; right: Normalizer } {
  const equality = op === "==" || op === "!=" || op.includes("in");
  if (isNumeric(lt) && isNumeric(rt)) return { left: undefined, right: undefined };
  if ((lt === "datetime" && rt === "datetime") || (lt === "timespan" && rt === "timespan")) {
    return { left: undefined, right: undefined };
  }
  if (lt === "string" && rt === "string") return { left: stringNorm, right: stringNorm };
  if (lt === "bool" && rt === "bool" && equality) return { left: undefined, right: undefined };
  if (lt === "guid" && rt === "guid" && equality) return { left: guidNorm, right: guidNorm };
  if (lt === "dynamic" && rt !== "dynamic") {
    const n = dynamicNorm(rt);
    if (n !== undefined && (equality || rt !== "bool")) return { left: n, right: rt === "string" ? stringNorm : undefined };
  }
  if (rt === "dynamic" && lt !== "dynamic") {
    const n = dynamicNorm(lt);
    if (n !== undefined && (equality || lt !== "bool")) return { left: lt === "string" ? stringNorm : undefined, right: n };
  }
  throw comparisonError(scope, op, lt, rt, pos);
}

function normalized(c: Compiled, norm: Normalizer): RowFn {
  const f = c.fn;
  if (norm === undefined) return f;
  if (c.constant) {
    const v = norm(c.value ?? null);
    return () => v;
  }
  return (row) => norm(f(row));
}

function compileComparison(op: CompareOp, left: Compiled, right: Compiled, scope: ScalarScope, pos: number): Compiled {
  const norms = comparisonNormalizers(op, left.type, right.type, scope, pos);
  // Fast path: a plain column compared with a constant, no normalization (datetime/long/real windows).
  if (left.column !== undefined && right.constant && norms.left === undefined && norms.right === undefined) {
    return { type: "bool", fn: columnVersusConstant(op, left.column, right.value ?? null), constant: false };
  }
  const lf = normalized(left, norms.left);
  const rf = normalized(right, norms.right);
  let fn: RowFn;
  switch (op) {
    case "==":
      fn = (row) => {
        const a = lf(row);
        const b = rf(row);
        if (a === null || b === null) return a === null && b === null ? null : false;
        // Loose equality compares bigint and number by value; both sides share a type class here.
        return (a as number) == (b as number);
      };
      break;
    case "!=":
      fn = (row) => {
        const a = lf(row);
        const b = rf(row);
        if (a === null || b === null) return a === null && b === null ? null : true;
        return (a as number) != (b as number);
      };
      break;
    case "<":
      fn = (row) => {
        const a = lf(row);
        const b = rf(row);
        return a === null || b === null ? null : (a as number) < (b as number);
      };
      break;
    case "<=":
      fn = (row) => {
        const a = lf(row);
        const b = rf(row);
        return a === null || b === null ? null : (a as number) <= (b as number);
      };
      break;
    case ">":
      fn = (row) => {
        const a = lf(row);
        const b = rf(row);
        return a === null || b === null ? null : (a as number) > (b as number);
      };
      break;
    case ">=":
      fn = (row) => {
        const a = lf(row);
        const b = rf(row);
        return a === null || b === null ? null : (a as number) >= (b as number);
      };
      break;
  }
  return derived("bool", fn, [left, right]);
}

function columnVersusConstant(op: CompareOp, i: number, c: SimValue): RowFn {
  const k = c as number;
  if (c === null) {
    if (op === "==") return (row) => ((row.values[i] ?? null) === null ? null : false);
    if (op === "!=") return (row) => ((row.values[i] ?? null) === null ? null : true);
    return () => null;
  }
  switch (op) {
    case "==":
      return (row) => {
        const v = row.values[i] ?? null;
        return v === null ? false : (v as number) == k;
      };
    case "!=":
      return (row) => {
        const v = row.values[i] ?? null;
        return v === null ? true : (v as number) != k;
      };
    case "<":
      return (row) => {
        const v = row.values[i] ?? null;
        return v === null ? null : (v as number) < k;
      };
    case "<=":
      return (row) => {
        const v = row.values[i] ?? null;
        return v === null ? null : (v as number) <= k;
      };
    case ">":
      return (row) => {
        const v = row.values[i] ?? null;
        return v === null ? null : (v as number) > k;
      };
    case ">=":
      return (row) => {
        const v = row.values[i] ?? null;
        return v === null ? null : (v as number) >= k;
      };
  }
}

// ---- string operators -----------------------------------------------------------

const STRING_OPERAND_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(["string", "dynamic", "guid", "int", "long"]);

type StringTest = (hay: string, needle: string) => boolean;

function stringTest(op: string): { test: StringTest; caseSensitive: boolean } | undefined {
  const cs = op.endsWith("_cs");
  const base = cs ? op.slice(0, -3) : op;
  let test: StringTest | undefined;
  switch (base) {
    case "equals":
      test = (h, n) => h === n;
      break;
    case "has":
      test = (h, n) => termMatch(h, n, true, true);
      break;
    case "hasprefix":
      test = (h, n) => termMatch(h, n, true, false);
      break;
    case "hassuffix":
      test = (h, n) => termMatch(h, n, false, true);
      break;
    case "contains":
      test = (h, n) => h.includes(n);
      break;
    case "startswith":
      test = (h, n) => h.startsWith(n);
      break;
    case "endswith":
      test = (h, n) => h.endsWith(n);
      break;
  }
  return test === undefined ? undefined : { test, caseSensitive: cs };
}

function compileStringOperator(op: string, left: Compiled, right: Compiled, scope: ScalarScope, pos: number): Compiled {
  const negated = op.startsWith("!");
  const positive = negated ? op.slice(1) : op;
  const shown = op === "equals" ? "=~" : op === "!equals" ? "!~" : op;
  const spec = stringTest(positive);
  if (spec === undefined) throw typeError(scope, `the operator '${shown}' is not supported by the simulator`, pos);
  const leftOk = positive.startsWith("equals") ? left.type === "string" || left.type === "dynamic" : STRING_OPERAND_TYPES.has(left.type);
  if (!leftOk) {
    throw typeError(scope, `the operator '${shown}' cannot be applied to a value of type ${left.type} (use tostring())`, pos);
  }
  if (right.type !== "string" && right.type !== "dynamic") {
    throw typeError(scope, `the right operand of '${shown}' must be of type string, but it is of type ${right.type}`, pos);
  }
  const { test, caseSensitive } = spec;
  const lt = left.type;
  const rt = right.type;
  const lf = left.fn;
  const rf = right.fn;
  const prep = (type: ColumnType, v: SimValue): string => {
    const s = valueToString(type, v);
    return caseSensitive ? s : s.toLowerCase();
  };
  let fn: RowFn;
  if (right.constant) {
    const needle = prep(rt, right.value ?? null);
    fn = negated ? (row) => !test(prep(lt, lf(row)), needle) : (row) => test(prep(lt, lf(row)), needle);
  } else {
    fn = negated
      ? (row) => !test(prep(lt, lf(row)), prep(rt, rf(row)))
      : (row) => test(prep(lt, lf(row)), prep(rt, rf(row)));
  }
  return derived("bool", fn, [left, right]);
}

// ---- in / between -----------------------------------------------------------------

function compileIn(expr: InExpr, scope: ScalarScope): Compiled {
  const left = compileScalar(expr.left, scope);
  const shown = `${expr.negated ? "!" : ""}in${expr.caseInsensitive ? "~" : ""}`;
  const items: Compiled[] = [];
  for (const item of expr.items) {
    if (item.kind === "pipe" || item.kind === "union") {
      throw typeError(scope, `'${shown}' with a tabular expression (subquery) is not supported by the simulator`, item.pos);
    }
    items.push(compileScalar(item, scope));
  }
  if (expr.caseInsensitive && left.type !== "string" && left.type !== "dynamic") {
    throw typeError(scope, `the operator '${shown}' needs a string operand, but it is of type ${left.type}`, expr.pos);
  }
  // Expand constant dynamic arrays into their elements.
  const constants: SimValue[] = [];
  const rowItems: RowFn[] = [];
  for (const [k, item] of items.entries()) {
    if (item.type === "dynamic" && item.constant && Array.isArray(item.value)) {
      for (const el of item.value as SimValue[]) {
        if (el !== null && typeof el === "object") {
          throw typeError(scope, `'${shown}': the elements of a dynamic array must be scalars`, expr.items[k]!.pos);
        }
        constants.push(el);
      }
      continue;
    }
    comparisonNormalizers(shown, left.type, item.type, scope, expr.items[k]!.pos);
    if (item.constant) constants.push(item.value ?? null);
    else rowItems.push(item.fn);
  }
  const key = (v: SimValue): SimValue => {
    if (v === null) return null;
    if (typeof v === "string") return expr.caseInsensitive || left.type === "guid" ? v.toLowerCase() : v;
    return numericKey(v);
  };
  /** The left value's key; null when it can match nothing (null, or a dynamic object/array). */
  const leftKey = (v: SimValue): SimValue => {
    if (left.type === "string" && v === null) return key("");
    if (left.type === "dynamic" && v !== null && typeof v === "object") return null;
    return key(left.type === "guid" ? groupKey("guid", v) : v);
  };
  const set = new Set<SimValue>();
  for (const c of constants) if (c !== null) set.add(key(c));
  const lf = left.fn;
  const negated = expr.negated;
  const fn: RowFn = (row: EvalRow) => {
    const raw = lf(row);
    const k = leftKey(raw);
    if (k === null) return negated;
    let found = set.has(k);
    for (let j = 0; !found && j < rowItems.length; j++) {
      const v = rowItems[j]!(row);
      if (v !== null && key(v) === k) found = true;
    }
    return negated ? !found : found;
  };
  return derived("bool", fn, [left, ...items]);
}

function compileBetween(expr: BetweenExpr, scope: ScalarScope): Compiled {
  const left = compileScalar(expr.left, scope);
  const low = compileScalar(expr.low, scope);
  const high = compileScalar(expr.high, scope);
  const shown = expr.negated ? "!between" : "between";
  const lt = left.type;
  let highIsSpan = false;
  const fits = (t: ColumnType): boolean =>
    isNumeric(lt) ? isNumeric(t) : lt === "datetime" || lt === "timespan" ? t === lt : false;
  if (!isNumeric(lt) && lt !== "datetime" && lt !== "timespan") {
    throw typeError(scope, `'${shown}' cannot be applied to a value of type ${lt}; it needs a number, datetime or timespan`, expr.pos);
  }
  if (!fits(low.type)) throw comparisonError(scope, shown, lt, low.type, expr.low.pos);
  if (!fits(high.type)) {
    if (lt === "datetime" && high.type === "timespan") highIsSpan = true;
    else throw comparisonError(scope, shown, lt, high.type, expr.high.pos);
  }
  const lf = left.fn;
  const lof = low.fn;
  const hif = high.fn;
  const negated = expr.negated;
  const fn: RowFn = (row) => {
    const v = lf(row) as number | null;
    const a = lof(row) as number | null;
    let b = hif(row) as number | null;
    if (v === null || a === null || b === null) return null;
    if (highIsSpan) b = ((a as unknown as bigint) + (b as unknown as bigint)) as unknown as number;
    const inside = v >= a && v <= b;
    return negated ? !inside : inside;
  };
  return derived("bool", fn, [left, low, high]);
}

// ---- arithmetic ----------------------------------------------------------------------

type ArithOp = "+" | "-" | "*" | "/" | "%";

function numericResult(a: ColumnType, b: ColumnType): ColumnType {
  if (a === "real" || b === "real") return "real";
  if (a === "long" || b === "long") return "long";
  return "int";
}

function toNumber(v: SimValue): number {
  return typeof v === "bigint" ? Number(v) : (v as number);
}

function toBig(v: SimValue): bigint {
  return typeof v === "bigint" ? v : BigInt(v as number);
}

function compileArithmetic(op: ArithOp, left: Compiled, right: Compiled, scope: ScalarScope, pos: number): Compiled {
  const lt = left.type;
  const rt = right.type;
  const lf = left.fn;
  const rf = right.fn;
  const binary = (type: ColumnType, f: (a: SimValue, b: SimValue) => SimValue): Compiled =>
    derived(
      type,
      (row) => {
        const a = lf(row);
        if (a === null) return null;
        const b = rf(row);
        return b === null ? null : f(a, b);
      },
      [left, right],
    );
  if (isNumeric(lt) && isNumeric(rt)) {
    const type = numericResult(lt, rt);
    if (type === "real") return binary("real", realOp(op));
    if (type === "long") {
      const f = longOp(op);
      return binary("long", (a, b) => f(toBig(a), toBig(b)));
    }
    return binary("int", intOp(op));
  }
  const dt = (v: bigint): SimValue => (inDatetimeRange(v) ? v : null);
  if (op === "+") {
    if (lt === "datetime" && rt === "timespan") return binary("datetime", (a, b) => dt((a as bigint) + (b as bigint)));
    if (lt === "timespan" && rt === "datetime") return binary("datetime", (a, b) => dt((a as bigint) + (b as bigint)));
    if (lt === "timespan" && rt === "timespan") return binary("timespan", (a, b) => BigInt.asIntN(64, (a as bigint) + (b as bigint)));
  }
  if (op === "-") {
    if (lt === "datetime" && rt === "datetime") return binary("timespan", (a, b) => (a as bigint) - (b as bigint));
    if (lt === "datetime" && rt === "timespan") return binary("datetime", (a, b) => dt((a as bigint) - (b as bigint)));
    if (lt === "timespan" && rt === "timespan") return binary("timespan", (a, b) => BigInt.asIntN(64, (a as bigint) - (b as bigint)));
  }
  if (op === "*") {
    if (lt === "timespan" && isNumeric(rt)) return binary("timespan", (a, b) => scaleSpan(a as bigint, b, false));
    if (isNumeric(lt) && rt === "timespan") return binary("timespan", (a, b) => scaleSpan(b as bigint, a, false));
  }
  if (op === "/") {
    if (lt === "timespan" && isNumeric(rt)) return binary("timespan", (a, b) => scaleSpan(a as bigint, b, true));
    if (lt === "timespan" && rt === "timespan") {
      return binary("real", (a, b) => Number(a as bigint) / Number(b as bigint));
    }
  }
  throw typeError(scope, `the operator '${op}' cannot be applied to values of types ${lt} and ${rt}`, pos);
}

function scaleSpan(span: bigint, factor: SimValue, divide: boolean): SimValue {
  if (typeof factor === "bigint") {
    if (divide) return factor === 0n ? null : span / factor;
    return BigInt.asIntN(64, span * factor);
  }
  const f = factor as number;
  const r = divide ? Number(span) / f : Number(span) * f;
  if (!Number.isFinite(r)) return null;
  return BigInt.asIntN(64, BigInt(Math.trunc(r)));
}

function realOp(op: ArithOp): (a: SimValue, b: SimValue) => SimValue {
  switch (op) {
    case "+":
      return (a, b) => toNumber(a) + toNumber(b);
    case "-":
      return (a, b) => toNumber(a) - toNumber(b);
    case "*":
      return (a, b) => toNumber(a) * toNumber(b);
    case "/":
      return (a, b) => toNumber(a) / toNumber(b);
    case "%":
      return (a, b) => toNumber(a) % toNumber(b);
  }
}

function longOp(op: ArithOp): (a: bigint, b: bigint) => SimValue {
  switch (op) {
    case "+":
      return (a, b) => BigInt.asIntN(64, a + b);
    case "-":
      return (a, b) => BigInt.asIntN(64, a - b);
    case "*":
      return (a, b) => BigInt.asIntN(64, a * b);
    case "/":
      return (a, b) => (b === 0n ? null : BigInt.asIntN(64, a / b));
    case "%":
      return (a, b) => (b === 0n ? null : a % b);
  }
}

function intOp(op: ArithOp): (a: SimValue, b: SimValue) => SimValue {
  switch (op) {
    case "+":
      return (a, b) => ((a as number) + (b as number)) | 0;
    case "-":
      return (a, b) => ((a as number) - (b as number)) | 0;
    case "*":
      return (a, b) => Math.imul(a as number, b as number);
    case "/":
      return (a, b) => ((b as number) === 0 ? null : Math.trunc((a as number) / (b as number)) | 0);
    case "%":
      return (a, b) => ((b as number) === 0 ? null : (a as number) % (b as number) | 0);
  }
}
