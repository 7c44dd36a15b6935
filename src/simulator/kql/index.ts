export { parseKql } from "./parser.ts";
export { executeKql, visibleRows } from "./execute.ts";
export type { KqlContext, KqlResult } from "./execute.ts";
export { KqlError } from "./errors.ts";
export type { KqlErrorKind } from "./errors.ts";
export type { KqlScript, Statement, Expr, TabularOperator } from "./ast.ts";
