/**
 * Hand-written recursive-descent parser for the supported KQL subset.
 *
 * Grammar (informal):
 *   script     := statement (';' statement)* ';'?
 *   statement  := 'let' name '=' pipe | pipe
 *   pipe       := source ('|' operator)*
 *   source     := 'union' unionBody | 'print' namedList | or
 *   or         := and ('or' and)*
 *   and        := compare ('and' compare)*
 *   compare    := additive (compareOp additive | stringOp additive | ('in'|'!in'|'in~'|'!in~') '(' list ')'
 *                           | ('between'|'!between') '(' additive '..' additive ')')*
 *   additive   := multiplicative (('+'|'-') multiplicative)*
 *   multiplicative := unary (('*'|'/'|'%') unary)*
 *   unary      := ('-'|'+') unary | postfix
 *   postfix    := primary ('.' name | '[' or ']')*
 *   primary    := literal | typedLiteral | name | call | '(' pipe ')' | '[' string ']'
 *
 * Real KQL operators and statements outside the subset are recognised and left to
 * the evaluator to reject with a semantic error; anything else that does not fit
 * the grammar is a syntax error (SYN0002) with its position.
 */
import type { ColumnType } from "../../table.ts";
import type { SimValue } from "../catalog.ts";
import type {
  Expr,
  KqlScript,
  NamedExpr,
  NamePattern,
  SortKey,
  Statement,
  StringOp,
  TabularOperator,
  UnionOptions,
} from "./ast.ts";
import { STRING_OPS } from "./ast.ts";
import { DynamicLiteralError, parseDynamicLiteral } from "./dynamic-literal.ts";
import { semanticError, syntaxError } from "./errors.ts";
import type { KqlError } from "./errors.ts";
import { parseDatetime, parseTimespan } from "./time-literals.ts";
import { tokenize } from "./tokenizer.ts";
import type { Token } from "./tokenizer.ts";

const COMPARISON_OPS = new Set(["==", "!=", "<", "<=", ">", ">=", "=~", "!~"]);
const POSITIVE_STRING_OPS: ReadonlySet<string> = new Set(STRING_OPS);

/** Real KQL tabular operators that the simulator does not evaluate. */
const UNSUPPORTED_OPERATORS = new Set([
  "distinct",
  "top",
  "join",
  "lookup",
  "mv-expand",
  "mv-apply",
  "parse",
  "parse-where",
  "parse-kv",
  "render",
  "project-rename",
  "project-reorder",
  "project-keep",
  "project-smart",
  "make-series",
  "evaluate",
  "as",
  "serialize",
  "sample",
  "sample-distinct",
  "search",
  "invoke",
  "getschema",
  "top-nested",
  "top-hitters",
  "facet",
  "fork",
  "partition",
  "scan",
  "consume",
  "reduce",
  "find",
  "range",
  "make-graph",
  "graph-match",
  "execute-show-command",
]);

/** Real KQL statements (other than let and queries) the simulator does not evaluate. */
const UNSUPPORTED_STATEMENTS = new Set(["set", "declare", "alias", "pattern", "restrict"]);

/** Typed scalar literals of the form `long(12)`, `real(null)`, `bool(true)`. */
const SCALAR_LITERAL_TYPES: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ["bool", "bool"],
  ["boolean", "bool"],
  ["int", "int"],
  ["long", "long"],
  ["real", "real"],
  ["double", "real"],
  ["decimal", "decimal"],
]);

/** Words that start a tabular source and that this simulator does not evaluate. */
const UNSUPPORTED_SOURCES = new Set(["datatable", "externaldata", "range", "find", "search", "evaluate"]);

/** Deepest nesting of parentheses, brackets and unary operators the parser accepts. */
const MAX_DEPTH = 200;

export function parseKql(text: string): KqlScript {
  return new Parser(text).parseScript();
}

class Parser {
  private readonly text: string;
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  // ---- token helpers -------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return t;
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "op" && t.text === text;
  }

  private isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "ident" && t.text === word;
  }

  private fail(token: Token = this.peek(), detail?: string): KqlError {
    return syntaxError(this.text, token.pos, this.text.slice(token.pos, token.end), detail);
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) throw this.fail(this.peek(), `expected '${text}'`);
    return this.next();
  }

  private expectWord(word: string): Token {
    if (!this.isWord(word)) throw this.fail(this.peek(), `expected '${word}'`);
    return this.next();
  }

  /** An identifier or a bracketed identifier (['name with spaces']). */
  private isName(offset = 0): boolean {
    const t = this.peek(offset);
    if (t.kind === "ident") return true;
    return t.kind === "op" && t.text === "[" && this.peek(offset + 1).kind === "string" && this.isOp("]", offset + 2);
  }

  private parseName(): { name: string; pos: number } {
    const t = this.peek();
    if (t.kind === "ident") {
      this.next();
      return { name: t.text, pos: t.pos };
    }
    if (this.isName()) {
      this.next();
      const s = this.next();
      this.next();
      return { name: s.text, pos: t.pos };
    }
    throw this.fail(t, "expected a name");
  }

  /** Tokens of a name (possibly bracketed) followed by '=' (not '=='). */
  private isAssignment(): boolean {
    if (this.peek().kind === "ident") return this.isOp("=", 1);
    if (this.isName()) return this.isOp("=", 3);
    return false;
  }

  // ---- statements ----------------------------------------------------------

  parseScript(): KqlScript {
    const statements: Statement[] = [];
    for (;;) {
      while (this.isOp(";")) this.next();
      const t = this.peek();
      if (t.kind === "eof") break;
      statements.push(this.parseStatement());
      const after = this.peek();
      if (after.kind === "eof") break;
      if (!this.isOp(";")) throw this.fail(after);
    }
    if (statements.length === 0) throw this.fail(this.peek(), "the query is empty");
    return { statements };
  }

  private parseStatement(): Statement {
    const t = this.peek();
    if (t.kind === "ident" && t.text === "let") {
      this.next();
      const { name } = this.parseName();
      this.expectOp("=");
      if (this.isOp("(") && this.looksLikeFunctionDefinition()) {
        throw semanticError(`let statement '${name}': user-defined functions are not supported by the simulator`, t.pos);
      }
      if (this.isWord("view") || this.isWord("materialize")) {
        throw semanticError(`let statement '${name}': '${this.peek().text}' is not supported by the simulator`, t.pos);
      }
      const value = this.parsePipe();
      return { kind: "let", name, value, pos: t.pos };
    }
    if (t.kind === "ident" && UNSUPPORTED_STATEMENTS.has(t.text) && this.peek(1).kind === "ident") {
      throw semanticError(`'${t.text}' statements are not supported by the simulator`, t.pos);
    }
    return { kind: "query", expr: this.parsePipe(), pos: t.pos };
  }

  /** After `let name =`, at '(': a lambda `(a:long, ...) { ... }` or `() { ... }`. */
  private looksLikeFunctionDefinition(): boolean {
    if (this.isOp(")", 1)) return true;
    return this.peek(1).kind === "ident" && this.isOp(":", 2);
  }

  // ---- tabular -------------------------------------------------------------

  private parsePipe(): Expr {
    this.enter();
    try {
      return this.parsePipeBody();
    } finally {
      this.depth--;
    }
  }

  /** Bounds recursion so a pathological query is a syntax error, not a stack overflow. */
  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      throw this.fail(this.peek(), `the query is nested more than ${MAX_DEPTH} levels deep`);
    }
  }

  private parsePipeBody(): Expr {
    const start = this.peek();
    let source: Expr;
    if (start.kind === "ident" && start.text === "union") {
      this.next();
      const body = this.parseUnionBody();
      source = { kind: "union", options: body.options, tables: body.tables, pos: start.pos };
    } else if (start.kind === "ident" && start.text === "print") {
      this.next();
      source = { kind: "print", items: this.parseNamedList(), pos: start.pos };
    } else if (start.kind === "ident" && UNSUPPORTED_SOURCES.has(start.text)) {
      throw semanticError(`'${start.text}' is not supported by the simulator`, start.pos);
    } else {
      source = this.parseOr();
    }
    if (!this.isOp("|")) return source;
    const operators: TabularOperator[] = [];
    while (this.isOp("|")) {
      this.next();
      operators.push(this.parseOperator());
    }
    return { kind: "pipe", source, operators, pos: start.pos };
  }

  private parseOperator(): TabularOperator {
    const t = this.peek();
    if (t.kind !== "ident") throw this.fail(t, "expected a query operator");
    this.next();
    switch (t.text) {
      case "where":
      case "filter":
        return { kind: "where", predicate: this.parseOr(), pos: t.pos };
      case "project":
        return { kind: "project", items: this.parseNamedList(), pos: t.pos };
      case "extend":
        return { kind: "extend", items: this.parseNamedList(), pos: t.pos };
      case "project-away":
        return { kind: "project-away", names: this.parseNamePatterns(), pos: t.pos };
      case "take":
      case "limit":
        return { kind: "take", count: this.parseOr(), pos: t.pos, keyword: t.text };
      case "sort":
      case "order":
        this.expectWord("by");
        return { kind: "sort", keys: this.parseSortKeys(), pos: t.pos, keyword: t.text };
      case "summarize":
        return this.parseSummarize(t.pos);
      case "count":
        return { kind: "count", pos: t.pos };
      case "union": {
        const body = this.parseUnionBody();
        return { kind: "union", options: body.options, tables: body.tables, pos: t.pos };
      }
      default:
        if (UNSUPPORTED_OPERATORS.has(t.text)) {
          this.skipOperatorBody();
          return { kind: "unsupported", name: t.text, pos: t.pos };
        }
        throw this.fail(t, "unknown query operator");
    }
  }

  /** Skips to the next '|' or ';' outside brackets (the body of an unsupported operator). */
  private skipOperatorBody(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") return;
      if (t.kind === "op") {
        if (depth === 0 && (t.text === "|" || t.text === ";")) return;
        if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
        if (t.text === ")" || t.text === "]" || t.text === "}") {
          if (depth === 0) return;
          depth--;
        }
      }
      this.next();
    }
  }

  private parseNamedList(): NamedExpr[] {
    const items: NamedExpr[] = [];
    do {
      const pos = this.peek().pos;
      if (this.isAssignment()) {
        const { name } = this.parseName();
        this.expectOp("=");
        items.push({ name, expr: this.parseOr(), pos });
      } else {
        items.push({ expr: this.parseOr(), pos });
      }
    } while (this.isOp(",") && this.next());
    return items;
  }

  private parseNamePatterns(): NamePattern[] {
    const names: NamePattern[] = [];
    do {
      const first = this.peek();
      if (this.isName() && first.kind !== "ident") {
        const { name, pos } = this.parseName();
        names.push({ name, wildcard: false, pos });
        continue;
      }
      let pattern = "";
      let wildcard = false;
      let tok = this.peek();
      if (!(tok.kind === "ident" || (tok.kind === "op" && tok.text === "*"))) throw this.fail(tok, "expected a column name");
      for (;;) {
        tok = this.peek();
        const adjacent = pattern === "" || !tok.spaceBefore;
        if (adjacent && tok.kind === "ident") {
          pattern += tok.text;
        } else if (adjacent && tok.kind === "op" && tok.text === "*") {
          pattern += "*";
          wildcard = true;
        } else break;
        this.next();
      }
      names.push({ name: pattern, wildcard, pos: first.pos });
    } while (this.isOp(",") && this.next());
    return names;
  }

  private parseSortKeys(): SortKey[] {
    const keys: SortKey[] = [];
    do {
      const pos = this.peek().pos;
      const expr = this.parseOr();
      let descending = true;
      let nullsFirst: boolean | undefined;
      if (this.isWord("asc")) {
        this.next();
        descending = false;
      } else if (this.isWord("desc")) {
        this.next();
      }
      if (this.isWord("nulls")) {
        this.next();
        if (this.isWord("first")) nullsFirst = true;
        else if (this.isWord("last")) nullsFirst = false;
        else throw this.fail(this.peek(), "expected 'first' or 'last'");
        this.next();
      }
      keys.push(nullsFirst === undefined ? { expr, descending, pos } : { expr, descending, nullsFirst, pos });
    } while (this.isOp(",") && this.next());
    return keys;
  }

  private parseSummarize(pos: number): TabularOperator {
    let aggregates: NamedExpr[] = [];
    if (!this.isWord("by") && !this.isOp("|") && !this.isOp(";") && this.peek().kind !== "eof" && !this.isOp(")")) {
      aggregates = this.parseNamedList();
    }
    let by: NamedExpr[] = [];
    if (this.isWord("by")) {
      this.next();
      by = this.parseNamedList();
    }
    if (aggregates.length === 0 && by.length === 0) throw this.fail(this.peek(), "summarize needs an aggregation or a 'by' clause");
    return { kind: "summarize", aggregates, by, pos };
  }

  private parseUnionBody(): { options: UnionOptions; tables: Expr[] } {
    let kind: "inner" | "outer" = "outer";
    let withsource: string | undefined;
    let isfuzzy = false;
    for (;;) {
      const t = this.peek();
      if (t.kind !== "ident" || !this.isOp("=", 1)) break;
      if (t.text === "kind") {
        this.next();
        this.next();
        const v = this.peek();
        if (v.kind === "ident" && (v.text === "inner" || v.text === "outer")) {
          kind = v.text;
          this.next();
        } else throw this.fail(v, "expected 'inner' or 'outer'");
      } else if (t.text === "withsource") {
        this.next();
        this.next();
        withsource = this.parseName().name;
      } else if (t.text === "isfuzzy") {
        this.next();
        this.next();
        const v = this.peek();
        if (v.kind === "ident" && (v.text === "true" || v.text === "false")) {
          isfuzzy = v.text === "true";
          this.next();
        } else throw this.fail(v, "expected 'true' or 'false'");
      } else break;
    }
    const tables: Expr[] = [];
    do {
      tables.push(this.parseUnionTable());
    } while (this.isOp(",") && this.next());
    const options: UnionOptions = withsource === undefined ? { kind, isfuzzy } : { kind, isfuzzy, withsource };
    return { options, tables };
  }

  private parseUnionTable(): Expr {
    const first = this.peek();
    const startsWildcard = first.kind === "op" && first.text === "*";
    const identWithStar = first.kind === "ident" && this.isOp("*", 1) && !this.peek(1).spaceBefore;
    if (startsWildcard || identWithStar) {
      let pattern = "";
      for (;;) {
        const tok = this.peek();
        const adjacent = pattern === "" || !tok.spaceBefore;
        if (adjacent && tok.kind === "ident") pattern += tok.text;
        else if (adjacent && tok.kind === "op" && tok.text === "*") pattern += "*";
        else break;
        this.next();
      }
      return { kind: "wildcard", pattern, pos: first.pos };
    }
    return this.parsePostfix();
  }

  // ---- scalar --------------------------------------------------------------

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isWord("or")) {
      const t = this.next();
      left = { kind: "binary", op: "or", left, right: this.parseAnd(), pos: t.pos };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseComparison();
    while (this.isWord("and")) {
      const t = this.next();
      left = { kind: "binary", op: "and", left, right: this.parseComparison(), pos: t.pos };
    }
    return left;
  }

  private parseComparison(): Expr {
    let left = this.parseAdditive();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && COMPARISON_OPS.has(t.text)) {
        this.next();
        left = { kind: "binary", op: t.text as "==", left, right: this.parseAdditive(), pos: t.pos };
        continue;
      }
      const word = t.kind === "ident" || t.kind === "op" ? t.text : "";
      const positive = word.startsWith("!") ? word.slice(1) : word;
      if ((t.kind === "ident" && POSITIVE_STRING_OPS.has(word)) || (t.kind === "op" && word.startsWith("!") && POSITIVE_STRING_OPS.has(positive))) {
        this.next();
        left = { kind: "binary", op: word as StringOp, left, right: this.parseAdditive(), pos: t.pos };
        continue;
      }
      if ((t.kind === "ident" && (word === "in" || word === "in~")) || (t.kind === "op" && (word === "!in" || word === "!in~"))) {
        this.next();
        this.expectOp("(");
        const items: Expr[] = [];
        if (!this.isOp(")")) {
          do {
            items.push(this.parsePipe());
          } while (this.isOp(",") && this.next());
        }
        this.expectOp(")");
        left = { kind: "in", negated: word.startsWith("!"), caseInsensitive: word.endsWith("~"), left, items, pos: t.pos };
        continue;
      }
      if ((t.kind === "ident" && word === "between") || (t.kind === "op" && word === "!between")) {
        this.next();
        this.expectOp("(");
        const low = this.parseAdditive();
        this.expectOp("..");
        const high = this.parseAdditive();
        this.expectOp(")");
        left = { kind: "between", negated: word === "!between", left, low, high, pos: t.pos };
        continue;
      }
      if ((t.kind === "ident" || t.kind === "op") && (positive === "has_any" || positive === "has_all" || positive === "matches")) {
        throw semanticError(`the '${word}' operator is not supported by the simulator`, t.pos);
      }
      return left;
    }
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    while (this.isOp("+") || this.isOp("-")) {
      const t = this.next();
      left = { kind: "binary", op: t.text as "+", left, right: this.parseMultiplicative(), pos: t.pos };
    }
    return left;
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const t = this.next();
      left = { kind: "binary", op: t.text as "*", left, right: this.parseUnary(), pos: t.pos };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp("-") || this.isOp("+")) {
      const t = this.next();
      this.enter();
      try {
        return { kind: "unary", op: t.text as "-", operand: this.parseUnary(), pos: t.pos };
      } finally {
        this.depth--;
      }
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      if (this.isOp(".")) {
        const dot = this.next();
        const t = this.peek();
        if (t.kind === "string") {
          this.next();
          expr = { kind: "member", target: expr, name: t.text, pos: dot.pos };
          continue;
        }
        if (!this.isName()) throw this.fail(t, "expected a name after '.'");
        const { name } = this.parseName();
        expr = { kind: "member", target: expr, name, pos: dot.pos };
        continue;
      }
      if (this.isOp("[")) {
        const open = this.next();
        const index = this.parsePipe();
        this.expectOp("]");
        expr = { kind: "index", target: expr, index, pos: open.pos };
        continue;
      }
      return expr;
    }
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case "long":
        this.next();
        return { kind: "literal", type: "long", value: t.big!, pos: t.pos };
      case "real":
        this.next();
        return { kind: "literal", type: "real", value: t.num!, pos: t.pos };
      case "timespan":
        this.next();
        return { kind: "literal", type: "timespan", value: t.big!, pos: t.pos };
      case "string": {
        this.next();
        let value = t.text;
        // adjacent string literals concatenate
        while (this.peek().kind === "string") value += this.next().text;
        return { kind: "literal", type: "string", value, pos: t.pos };
      }
      case "typed":
        this.next();
        return this.typedLiteral(t);
      case "ident": {
        if (t.text === "true" || t.text === "false") {
          this.next();
          return { kind: "literal", type: "bool", value: t.text === "true", pos: t.pos };
        }
        this.next();
        if (this.isOp("(")) {
          const literalType = SCALAR_LITERAL_TYPES.get(t.text);
          if (literalType !== undefined) return this.scalarLiteral(t, literalType);
          this.next();
          const args: Expr[] = [];
          if (!this.isOp(")")) {
            do {
              args.push(this.parsePipe());
            } while (this.isOp(",") && this.next());
          }
          this.expectOp(")");
          return { kind: "call", name: t.text, args, pos: t.pos };
        }
        return { kind: "name", name: t.text, pos: t.pos };
      }
      case "op":
        if (t.text === "(") {
          this.next();
          const inner = this.parsePipe();
          this.expectOp(")");
          return inner;
        }
        if (this.isName()) {
          const { name, pos } = this.parseName();
          return { kind: "name", name, pos };
        }
        throw this.fail(t);
      default:
        throw this.fail(t);
    }
  }

  /** `long(12)`, `int(-3)`, `real(null)`, `real(+inf)`, `bool(true)`, `decimal(1.5)`. */
  private scalarLiteral(nameToken: Token, type: ColumnType): Expr {
    this.expectOp("(");
    let sign = 1;
    if (this.isOp("-") || this.isOp("+")) sign = this.next().text === "-" ? -1 : 1;
    const v = this.next();
    let value: SimValue | undefined;
    if (v.kind === "ident" && v.text === "null" && sign === 1) value = null;
    else if (type === "bool") {
      if (v.kind === "ident" && (v.text === "true" || v.text === "false") && sign === 1) value = v.text === "true";
    } else if (type === "real") {
      if (v.kind === "long" || v.kind === "real") value = sign * Number(v.text);
      else if (v.kind === "ident" && (v.text === "inf" || v.text === "nan")) value = v.text === "nan" ? Number.NaN : sign * Infinity;
    } else if (type === "long") {
      if (v.kind === "long") value = BigInt.asIntN(64, BigInt(sign) * v.big!);
    } else if (type === "int") {
      if (v.kind === "long") {
        const n = BigInt(sign) * v.big!;
        if (n >= -2147483648n && n <= 2147483647n) value = Number(n);
      }
    } else if (type === "decimal") {
      if (v.kind === "long" || v.kind === "real") value = (sign < 0 ? "-" : "") + v.text;
    }
    if (value === undefined) throw this.fail(v, `invalid ${nameToken.text}() literal`);
    this.expectOp(")");
    return { kind: "literal", type, value, pos: nameToken.pos };
  }

  private typedLiteral(t: Token): Expr {
    const body = unquote(t.raw!.trim());
    const name = t.text;
    const invalid = (detail: string): KqlError => syntaxError(this.text, t.pos, this.text.slice(t.pos, t.end), detail);
    if (name === "dynamic") {
      try {
        return { kind: "literal", type: "dynamic", value: parseDynamicLiteral(t.raw!), pos: t.pos };
      } catch (err) {
        if (err instanceof DynamicLiteralError) throw invalid(`invalid dynamic literal: ${err.message}`);
        throw err;
      }
    }
    if (body === "null") {
      const type: ColumnType = name === "datetime" ? "datetime" : name === "guid" ? "guid" : "timespan";
      return { kind: "literal", type, value: null, pos: t.pos };
    }
    if (name === "datetime") {
      const ticks = parseDatetime(body);
      if (ticks === undefined) throw invalid("invalid datetime literal");
      return { kind: "literal", type: "datetime", value: ticks, pos: t.pos };
    }
    if (name === "guid") {
      const g = normalizeGuid(body);
      if (g === undefined) throw invalid("invalid guid literal");
      return { kind: "literal", type: "guid", value: g, pos: t.pos };
    }
    const ticks = parseTimespan(body);
    if (ticks === undefined) throw invalid("invalid timespan literal");
    return { kind: "literal", type: "timespan", value: ticks, pos: t.pos };
  }
}

/** The contents of a quoted literal body ('...' or "..."), else the body itself. */
function unquote(body: string): string {
  if (body.length >= 2) {
    const q = body[0];
    if ((q === "'" || q === '"') && body[body.length - 1] === q) return body.slice(1, -1);
  }
  return body;
}

/** Lower-case 8-4-4-4-12 form of a guid text (with or without dashes/braces), or undefined. */
export function normalizeGuid(text: string): string | undefined {
  let s = text.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  let hex = "";
  const dashed = s.length === 36;
  if (!dashed && s.length !== 32) return undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (dashed && (i === 8 || i === 13 || i === 18 || i === 23)) {
      if (ch !== "-") return undefined;
      continue;
    }
    const c = ch.charCodeAt(0);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    if (!ok) return undefined;
    hex += ch.toLowerCase();
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
