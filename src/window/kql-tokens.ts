/**
 * A small KQL token scan: enough to tell identifiers and punctuation apart from string literals
 * and comments, so that checks on a query never trip over words inside 'strings' or // comments.
 * It is not a parser. Strings: '…' "…" (backslash escapes), @'…' @"…" (verbatim, quote doubled),
 * h'…' / H@"…" (obfuscated), ```…``` (multi-line). Comments: // to the end of the line.
 */

export type KqlTokenKind = "identifier" | "string" | "number" | "punct";

export interface KqlToken {
  kind: KqlTokenKind;
  text: string;
  /** Offset in the scanned text of the token's first character, and one past its last. */
  start: number;
  end: number;
}

export class KqlScanError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "KqlScanError";
    this.offset = offset;
  }
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_$]/;

/** 1-based line and column of `offset` in `text`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The tokens of `text`, comments and blanks dropped. Throws KqlScanError on an unterminated string. */
export function scanKql(text: string): KqlToken[] {
  const tokens: KqlToken[] = [];
  let i = 0;
  const n = text.length;

  const quoted = (start: number, quoteAt: number, verbatim: boolean): number => {
    const q = text[quoteAt]!;
    let j = quoteAt + 1;
    for (;;) {
      if (j >= n) throw new KqlScanError(`unterminated string literal`, start);
      const c = text[j]!;
      if (!verbatim && c === "\\") {
        j += 2;
        continue;
      }
      if (c === "\n" && !verbatim) throw new KqlScanError(`unterminated string literal (a quoted string cannot span lines)`, start);
      if (c === q) {
        if (verbatim && text[j + 1] === q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
  };

  while (i < n) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    if (text.startsWith("```", i)) {
      const close = text.indexOf("```", i + 3);
      if (close < 0) throw new KqlScanError("unterminated ``` multi-line string", start);
      i = close + 3;
      tokens.push({ kind: "string", text: text.slice(start, i), start, end: i });
      continue;
    }
    // Optional obfuscation prefix (h / H), optional verbatim marker (@), then a quote.
    let j = i;
    if ((c === "h" || c === "H") && (text[j + 1] === "'" || text[j + 1] === '"' || (text[j + 1] === "@" && (text[j + 2] === "'" || text[j + 2] === '"')))) j++;
    let verbatim = false;
    if (text[j] === "@" && (text[j + 1] === "'" || text[j + 1] === '"')) {
      verbatim = true;
      j++;
    }
    if (text[j] === "'" || text[j] === '"') {
      i = quoted(start, j, verbatim);
      tokens.push({ kind: "string", text: text.slice(start, i), start, end: i });
      continue;
    }
    if (IDENT_START.test(c)) {
      i++;
      while (i < n && IDENT_PART.test(text[i]!)) i++;
      tokens.push({ kind: "identifier", text: text.slice(start, i), start, end: i });
      continue;
    }
    if (c >= "0" && c <= "9") {
      i++;
      while (i < n && /[A-Za-z0-9_.]/.test(text[i]!)) i++;
      tokens.push({ kind: "number", text: text.slice(start, i), start, end: i });
      continue;
    }
    i++;
    tokens.push({ kind: "punct", text: c, start, end: i });
  }
  return tokens;
}
