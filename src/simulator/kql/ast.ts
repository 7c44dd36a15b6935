/** The syntax tree produced by the parser (see parser.ts). Positions are 0-based character offsets. */
import type { ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";

export interface KqlScript {
  readonly statements: readonly Statement[];
}

export type Statement = LetStatement | QueryStatement;

export interface LetStatement {
  readonly kind: "let";
  readonly name: string;
  readonly value: Expr;
  readonly pos: number;
}

export interface QueryStatement {
  readonly kind: "query";
  readonly expr: Expr;
  readonly pos: number;
}

export type Expr =
  | LiteralExpr
  | NameExpr
  | CallExpr
  | MemberExpr
  | IndexExpr
  | UnaryExpr
  | BinaryExpr
  | InExpr
  | BetweenExpr
  | PipeExpr
  | UnionExpr
  | PrintExpr
  | WildcardExpr;

export interface LiteralExpr {
  readonly kind: "literal";
  readonly type: ColumnType;
  readonly value: SimValue;
  readonly pos: number;
}

export interface NameExpr {
  readonly kind: "name";
  readonly name: string;
  readonly pos: number;
}

/** A table-name pattern with '*' in a union list, e.g. `union App*`. */
export interface WildcardExpr {
  readonly kind: "wildcard";
  readonly pattern: string;
  readonly pos: number;
}

export interface CallExpr {
  readonly kind: "call";
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

export interface MemberExpr {
  readonly kind: "member";
  readonly target: Expr;
  readonly name: string;
  readonly pos: number;
}

export interface IndexExpr {
  readonly kind: "index";
  readonly target: Expr;
  readonly index: Expr;
  readonly pos: number;
}

export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: "-" | "+";
  readonly operand: Expr;
  readonly pos: number;
}

export type BinaryOp =
  | "or"
  | "and"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "=~"
  | "!~"
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | StringOp;

/** Word string operators; each can be negated with a leading '!'. */
export const STRING_OPS = [
  "has",
  "has_cs",
  "hasprefix",
  "hasprefix_cs",
  "hassuffix",
  "hassuffix_cs",
  "contains",
  "contains_cs",
  "startswith",
  "startswith_cs",
  "endswith",
  "endswith_cs",
] as const;

export type PositiveStringOp = (typeof STRING_OPS)[number];
export type StringOp = PositiveStringOp | `!${PositiveStringOp}`;

export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: number;
}

export interface InExpr {
  readonly kind: "in";
  readonly negated: boolean;
  readonly caseInsensitive: boolean;
  readonly left: Expr;
  readonly items: readonly Expr[];
  readonly pos: number;
}

export interface BetweenExpr {
  readonly kind: "between";
  readonly negated: boolean;
  readonly left: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly pos: number;
}

export interface PipeExpr {
  readonly kind: "pipe";
  readonly source: Expr;
  readonly operators: readonly TabularOperator[];
  readonly pos: number;
}

export interface UnionOptions {
  readonly kind: "inner" | "outer";
  readonly withsource?: string;
  /** isfuzzy=true: table references that do not resolve are skipped (at least one must). */
  readonly isfuzzy: boolean;
}

/** A `union` at the start of a tabular expression (`union T1, T2`). */
export interface UnionExpr {
  readonly kind: "union";
  readonly options: UnionOptions;
  readonly tables: readonly Expr[];
  readonly pos: number;
}

/** `print a = 1, b = "x"`: a one-row table. */
export interface PrintExpr {
  readonly kind: "print";
  readonly items: readonly NamedExpr[];
  readonly pos: number;
}

export interface NamedExpr {
  /** Explicit output name (`name = expr`), if any. */
  readonly name?: string;
  readonly expr: Expr;
  readonly pos: number;
}

export interface SortKey {
  readonly expr: Expr;
  readonly descending: boolean;
  /** Undefined: the default for the direction (asc → nulls first, desc → nulls last). */
  readonly nullsFirst?: boolean;
  readonly pos: number;
}

export interface NamePattern {
  readonly name: string;
  readonly wildcard: boolean;
  readonly pos: number;
}

export type TabularOperator =
  | { readonly kind: "where"; readonly predicate: Expr; readonly pos: number }
  | { readonly kind: "project"; readonly items: readonly NamedExpr[]; readonly pos: number }
  | { readonly kind: "project-away"; readonly names: readonly NamePattern[]; readonly pos: number }
  | { readonly kind: "extend"; readonly items: readonly NamedExpr[]; readonly pos: number }
  | { readonly kind: "take"; readonly count: Expr; readonly pos: number; readonly keyword: string }
  | { readonly kind: "sort"; readonly keys: readonly SortKey[]; readonly pos: number; readonly keyword: string }
  | {
      readonly kind: "summarize";
      readonly aggregates: readonly NamedExpr[];
      readonly by: readonly NamedExpr[];
      readonly pos: number;
    }
  | { readonly kind: "count"; readonly pos: number }
  | { readonly kind: "union"; readonly options: UnionOptions; readonly tables: readonly Expr[]; readonly pos: number }
  /** A real KQL operator this simulator does not evaluate; rejected with a semantic error. */
  | { readonly kind: "unsupported"; readonly name: string; readonly pos: number };
