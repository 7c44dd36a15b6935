/**
 * The one error type of the KQL simulator: a syntax error (the text cannot be
 * parsed) or a semantic error (it parses but names an unknown table, column or
 * function, mixes types, or uses something outside the supported subset).
 * Codes follow the service: "SYN0002" for syntax errors, "SEM0100" for semantic ones.
 */

export type KqlErrorKind = "SyntaxError" | "SemanticError";

export class KqlError extends Error {
  readonly kind: KqlErrorKind;
  readonly code: string;
  /** Character offset (0-based) into the query text, when known. */
  readonly position?: number;

  constructor(kind: KqlErrorKind, code: string, message: string, position?: number) {
    super(message);
    this.name = "KqlError";
    this.kind = kind;
    this.code = code;
    if (position !== undefined) this.position = position;
  }
}

export const SYNTAX_CODE = "SYN0002";
export const SEMANTIC_CODE = "SEM0100";

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** A syntax error at `position`, quoting the offending text like the service does. */
export function syntaxError(text: string, position: number, fragment: string, detail?: string): KqlError {
  const { line, column } = lineAndColumn(text, position);
  const shown = fragment === "" ? "<end of query>" : fragment;
  const suffix = detail === undefined ? "" : ` (${detail})`;
  return new KqlError(
    "SyntaxError",
    SYNTAX_CODE,
    `Query could not be parsed at '${shown}' on line [${line},${column}]${suffix}`,
    position,
  );
}

export function semanticError(message: string, position?: number): KqlError {
  return new KqlError("SemanticError", SEMANTIC_CODE, message, position);
}
