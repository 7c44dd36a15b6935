/**
 * Built-in scalar functions of the supported subset. Each entry type-checks its
 * compiled arguments and returns a compiled expression (folded when constant).
 */
import type { ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import type { CallExpr } from "./ast.ts";
import { constant, derived, inContext } from "./compiled.ts";
import type { Compiled, RowFn, ScalarScope } from "./compiled.ts";
import { semanticError } from "./errors.ts";
import { MIN_DATETIME, parseDatetime, parseTimespan } from "./time-literals.ts";
import { inDatetimeRange, inLongRange, isNumeric, parseIntegerText, parseRealText, valueToString } from "./values.ts";

/** Aggregation functions: only valid inside summarize (see summarize.ts for the supported ones). */
export const AGGREGATE_FUNCTIONS: ReadonlySet<string> = new Set([
  "count",
  "countif",
  "count_distinct",
  "count_distinctif",
  "dcount",
  "dcountif",
  "sum",
  "sumif",
  "min",
  "minif",
  "max",
  "maxif",
  "avg",
  "avgif",
  "make_list",
  "make_list_if",
  "make_set",
  "make_set_if",
  "make_bag",
  "make_bag_if",
  "arg_max",
  "arg_min",
  "any",
  "anyif",
  "take_any",
  "take_anyif",
  "percentile",
  "percentiles",
  "percentiles_array",
  "stdev",
  "stdevif",
  "stdevp",
  "variance",
  "varianceif",
  "variancep",
  "hll",
  "hll_merge",
  "tdigest",
  "tdigest_merge",
  "binary_all_and",
  "binary_all_or",
  "binary_all_xor",
  "buildschema",
]);

type FunctionCompiler = (args: readonly Compiled[], call: CallExpr, scope: ScalarScope) => Compiled;

function fail(scope: ScalarScope, call: CallExpr, message: string): Error {
  return semanticError(inContext(scope, `${call.name}(): ${message}`), call.pos);
}

function arity(args: readonly Compiled[], call: CallExpr, scope: ScalarScope, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw fail(scope, call, `expects ${expected} argument(s), but got ${args.length}`);
  }
}

function argType(args: readonly Compiled[], k: number, call: CallExpr, scope: ScalarScope, allowed: readonly ColumnType[]): void {
  const t = args[k]!.type;
  if (!allowed.includes(t)) {
    throw fail(scope, call, `argument ${k + 1} must be of type ${allowed.join(" or ")}, but it is of type ${t}`);
  }
}

/** Applies `f` to a non-null single argument; null in, null out. */
function unary(arg: Compiled, type: ColumnType, f: (v: SimValue) => SimValue, name?: string): Compiled {
  const af = arg.fn;
  return derived(
    type,
    (row) => {
      const v = af(row);
      return v === null ? null : f(v);
    },
    [arg],
    name,
  );
}

// ---- conversions ------------------------------------------------------------------------

function toLongValue(type: ColumnType, v: SimValue): bigint | null {
  switch (type) {
    case "long":
      return v as bigint;
    case "int":
      return BigInt(v as number);
    case "bool":
      return v ? 1n : 0n;
    case "real":
      return realToLong(v as number);
    case "decimal": {
      const r = parseRealText(v as string);
      return r === undefined ? null : realToLong(r);
    }
    case "string": {
      const n = parseIntegerText(v as string);
      return n !== undefined && inLongRange(n) ? n : null;
    }
    case "dynamic":
      if (typeof v === "number") return realToLong(v);
      if (typeof v === "boolean") return v ? 1n : 0n;
      if (typeof v === "string") return toLongValue("string", v);
      return null;
    default:
      return null;
  }
}

function realToLong(r: number): bigint | null {
  if (!Number.isFinite(r)) return null;
  const n = BigInt(Math.trunc(r));
  return inLongRange(n) ? n : null;
}

function toRealValue(type: ColumnType, v: SimValue): number | null {
  switch (type) {
    case "real":
    case "int":
      return v as number;
    case "long":
      return Number(v as bigint);
    case "bool":
      return v ? 1 : 0;
    case "string":
    case "decimal":
      return parseRealText(v as string) ?? null;
    case "dynamic":
      if (typeof v === "number") return v;
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "string") return parseRealText(v) ?? null;
      return null;
    default:
      return null;
  }
}

function toBoolValue(type: ColumnType, v: SimValue): boolean | null {
  switch (type) {
    case "bool":
      return v as boolean;
    case "int":
    case "real":
      return (v as number) !== 0;
    case "long":
      return (v as bigint) !== 0n;
    case "string": {
      const s = (v as string).trim().toLowerCase();
      if (s === "true" || s === "1") return true;
      if (s === "false" || s === "0") return false;
      return null;
    }
    case "dynamic":
      if (typeof v === "boolean") return v;
      if (typeof v === "number") return v !== 0;
      if (typeof v === "string") return toBoolValue("string", v);
      return null;
    default:
      return null;
  }
}

const CONVERTIBLE_TO_NUMBER: readonly ColumnType[] = ["string", "int", "long", "real", "bool", "decimal", "dynamic"];

function conversion(target: ColumnType, allowed: readonly ColumnType[], convert: (type: ColumnType, v: SimValue) => SimValue): FunctionCompiler {
  return (args, call, scope) => {
    arity(args, call, scope, 1);
    argType(args, 0, call, scope, allowed);
    const a = args[0]!;
    if (a.type === target) return a;
    const t = a.type;
    return unary(a, target, (v) => convert(t, v), a.name);
  };
}

// ---- bin ------------------------------------------------------------------------------------

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n) && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

const compileBin: FunctionCompiler = (args, call, scope) => {
  arity(args, call, scope, 2);
  const [value, size] = args as [Compiled, Compiled];
  const vt = value.type;
  const st = size.type;
  const name = value.name;
  const vf = value.fn;
  const sf = size.fn;
  const make = (type: ColumnType, f: (v: SimValue, s: SimValue) => SimValue): Compiled =>
    derived(
      type,
      (row) => {
        const v = vf(row);
        const s = sf(row);
        return v === null || s === null ? null : f(v, s);
      },
      [value, size],
      name,
    );
  if (vt === "datetime" && st === "timespan") {
    return make("datetime", (v, s) => {
      const span = s as bigint;
      if (span <= 0n) return null;
      return floorDiv((v as bigint) - MIN_DATETIME, span) * span + MIN_DATETIME;
    });
  }
  if (vt === "timespan" && st === "timespan") {
    return make("timespan", (v, s) => ((s as bigint) <= 0n ? null : floorDiv(v as bigint, s as bigint) * (s as bigint)));
  }
  if (isNumeric(vt) && isNumeric(st)) {
    if (vt === "real" || st === "real") {
      return make("real", (v, s) => {
        const r = typeof s === "bigint" ? Number(s) : (s as number);
        if (!(r > 0)) return null;
        const x = typeof v === "bigint" ? Number(v) : (v as number);
        return Math.floor(x / r) * r;
      });
    }
    const type: ColumnType = vt === "long" || st === "long" ? "long" : "int";
    return make(type, (v, s) => {
      const r = typeof s === "bigint" ? s : BigInt(s as number);
      if (r <= 0n) return null;
      const x = typeof v === "bigint" ? v : BigInt(v as number);
      const out = floorDiv(x, r) * r;
      return type === "long" ? BigInt.asIntN(64, out) : Number(out);
    });
  }
  throw fail(scope, call, `cannot round a value of type ${vt} to a bin size of type ${st}`);
};

// ---- table of functions -------------------------------------------------------------------------

const FUNCTIONS: ReadonlyMap<string, FunctionCompiler> = new Map<string, FunctionCompiler>([
  [
    "ingestion_time",
    (args, call, scope) => {
      arity(args, call, scope, 0);
      return { type: "datetime", fn: (row) => row.ingestion, constant: false, ingestionTime: true };
    },
  ],
  [
    "now",
    (args, call, scope) => {
      arity(args, call, scope, 0, 1);
      if (args.length === 0) return constant("datetime", scope.now);
      argType(args, 0, call, scope, ["timespan"]);
      const now = scope.now;
      return unary(args[0]!, "datetime", (v) => {
        const t = now + (v as bigint);
        return inDatetimeRange(t) ? t : null;
      });
    },
  ],
  [
    "ago",
    (args, call, scope) => {
      arity(args, call, scope, 1);
      argType(args, 0, call, scope, ["timespan"]);
      const now = scope.now;
      return unary(args[0]!, "datetime", (v) => {
        const t = now - (v as bigint);
        return inDatetimeRange(t) ? t : null;
      });
    },
  ],
  ["isnull", (args, call, scope) => nullTest(args, call, scope, false)],
  ["isnotnull", (args, call, scope) => nullTest(args, call, scope, true)],
  ["isempty", (args, call, scope) => emptyTest(args, call, scope, false)],
  ["isnotempty", (args, call, scope) => emptyTest(args, call, scope, true)],
  [
    "tostring",
    (args, call, scope) => {
      arity(args, call, scope, 1);
      const a = args[0]!;
      const t = a.type;
      const af = a.fn;
      return derived("string", (row) => valueToString(t, af(row)), [a], a.name);
    },
  ],
  [
    "toint",
    conversion("int", CONVERTIBLE_TO_NUMBER, (t, v) => {
      const n = toLongValue(t, v);
      return n === null || n < -2147483648n || n > 2147483647n ? null : Number(n);
    }),
  ],
  ["tolong", conversion("long", CONVERTIBLE_TO_NUMBER, toLongValue)],
  ["todouble", conversion("real", CONVERTIBLE_TO_NUMBER, toRealValue)],
  ["toreal", conversion("real", CONVERTIBLE_TO_NUMBER, toRealValue)],
  ["tobool", conversion("bool", ["bool", "string", "int", "long", "real", "dynamic"], toBoolValue)],
  ["toboolean", conversion("bool", ["bool", "string", "int", "long", "real", "dynamic"], toBoolValue)],
  [
    "todatetime",
    conversion("datetime", ["datetime", "string", "dynamic"], (_t, v) => (typeof v === "string" ? (parseDatetime(v) ?? null) : null)),
  ],
  [
    "totimespan",
    conversion("timespan", ["timespan", "string", "dynamic"], (_t, v) => (typeof v === "string" ? (parseTimespan(v) ?? null) : null)),
  ],
  [
    "strlen",
    (args, call, scope) => {
      arity(args, call, scope, 1);
      argType(args, 0, call, scope, ["string", "dynamic"]);
      const a = args[0]!;
      const t = a.type;
      const af = a.fn;
      return derived(
        "long",
        (row) => {
          const s = valueToString(t, af(row));
          let n = 0;
          for (const _ of s) n++;
          return BigInt(n);
        },
        [a],
      );
    },
  ],
  [
    "strcat",
    (args, call, scope) => {
      arity(args, call, scope, 1, 64);
      const parts = args.map((a) => {
        const t = a.type;
        const af = a.fn;
        return (row: Parameters<RowFn>[0]): string => valueToString(t, af(row));
      });
      return derived(
        "string",
        (row) => {
          let s = "";
          for (const p of parts) s += p(row);
          return s;
        },
        args,
      );
    },
  ],
  ["tolower", (args, call, scope) => caseChange(args, call, scope, false)],
  ["toupper", (args, call, scope) => caseChange(args, call, scope, true)],
  ["iff", compileIff],
  ["iif", compileIff],
  ["bin", compileBin],
  ["floor", compileBin],
  [
    "abs",
    (args, call, scope) => {
      arity(args, call, scope, 1);
      argType(args, 0, call, scope, ["int", "long", "real", "timespan"]);
      const a = args[0]!;
      const t = a.type;
      if (t === "long" || t === "timespan") return unary(a, t, (v) => BigInt.asIntN(64, (v as bigint) < 0n ? -(v as bigint) : (v as bigint)));
      if (t === "int") return unary(a, t, (v) => Math.abs(v as number) | 0);
      return unary(a, t, (v) => Math.abs(v as number));
    },
  ],
  [
    "not",
    (args, call, scope) => {
      arity(args, call, scope, 1);
      argType(args, 0, call, scope, ["bool"]);
      return unary(args[0]!, "bool", (v) => !v);
    },
  ],
]);

function nullTest(args: readonly Compiled[], call: CallExpr, scope: ScalarScope, negate: boolean): Compiled {
  arity(args, call, scope, 1);
  const a = args[0]!;
  // Strings are never null in KQL (an empty string is a value).
  if (a.type === "string") return derived("bool", () => negate, [a]);
  const af = a.fn;
  return derived("bool", negate ? (row) => af(row) !== null : (row) => af(row) === null, [a]);
}

function emptyTest(args: readonly Compiled[], call: CallExpr, scope: ScalarScope, negate: boolean): Compiled {
  arity(args, call, scope, 1);
  const a = args[0]!;
  const af = a.fn;
  const empty: RowFn = (row) => {
    const v = af(row);
    return v === null || v === "";
  };
  return derived("bool", negate ? (row) => !empty(row) : empty, [a]);
}

function caseChange(args: readonly Compiled[], call: CallExpr, scope: ScalarScope, upper: boolean): Compiled {
  arity(args, call, scope, 1);
  argType(args, 0, call, scope, ["string", "dynamic"]);
  const a = args[0]!;
  const t = a.type;
  const af = a.fn;
  return derived(
    "string",
    (row) => {
      const s = valueToString(t, af(row));
      return upper ? s.toUpperCase() : s.toLowerCase();
    },
    [a],
  );
}

function compileIff(args: readonly Compiled[], call: CallExpr, scope: ScalarScope): Compiled {
  arity(args, call, scope, 3);
  argType(args, 0, call, scope, ["bool"]);
  const [cond, a, b] = args as [Compiled, Compiled, Compiled];
  let type: ColumnType;
  if (a.type === b.type) type = a.type;
  else if (isNumeric(a.type) && isNumeric(b.type)) type = a.type === "real" || b.type === "real" ? "real" : "long";
  else throw fail(scope, call, `the two result values must have the same type, but they are ${a.type} and ${b.type}`);
  const cast = (c: Compiled): RowFn => {
    const f = c.fn;
    if (c.type === type) return f;
    if (type === "real") return (row) => {
      const v = f(row);
      return v === null ? null : Number(v);
    };
    return (row) => {
      const v = f(row);
      return v === null ? null : typeof v === "bigint" ? v : BigInt(v as number);
    };
  };
  const cf = cond.fn;
  const af = cast(a);
  const bf = cast(b);
  return derived(type, (row) => (cf(row) === true ? af(row) : bf(row)), [cond, a, b]);
}

export function compileFunction(name: string, args: readonly Compiled[], call: CallExpr, scope: ScalarScope): Compiled {
  const f = FUNCTIONS.get(name);
  if (f === undefined) {
    throw semanticError(inContext(scope, `Unknown function: '${name}' (not supported by the simulator)`), call.pos);
  }
  return f(args, call, scope);
}
