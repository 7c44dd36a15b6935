/**
 * KQL tokenizer: a single pass of character scanning over the query text.
 *
 * Besides the usual token classes it recognises, as single tokens:
 *   - hyphenated operator names ("project-away", "mv-expand", ...),
 *   - negated and case-insensitive operators ("!has", "!contains_cs", "in~", "!in~", "!between"),
 *   - the raw body of datetime(...), time(...), timespan(...), guid(...) and dynamic(...) literals,
 *     whose contents follow their own grammar (e.g. "2026-01-01T00:00:00Z" is not a token sequence).
 */
import { STRING_OPS } from "./ast.ts";
import { syntaxError } from "./errors.ts";
import { scaleToTicks, timespanUnitTicks } from "./time-literals.ts";

export type TokenKind =
  | "ident" // identifiers and keywords, also "project-away", "in~", "has_cs"
  | "bracketIdent" // ['name'] or ["name"] as an identifier
  | "string"
  | "long"
  | "real"
  | "timespan"
  | "typed" // datetime(...), time(...), timespan(...), guid(...), dynamic(...) with their raw body
  | "op" // punctuation and symbolic operators, also "!has" and friends
  | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** Identifier name, operator text, string value, or the typed literal's function name. */
  readonly text: string;
  readonly pos: number;
  readonly end: number;
  /** long and timespan (ticks) values. */
  readonly big?: bigint;
  /** real values. */
  readonly num?: number;
  /** typed literal body, between the parentheses, untrimmed. */
  readonly raw?: string;
  /** True when whitespace or a comment precedes this token. */
  readonly spaceBefore: boolean;
}

const HYPHENATED = new Set([
  "project-away",
  "project-keep",
  "project-rename",
  "project-reorder",
  "project-smart",
  "mv-expand",
  "mv-apply",
  "make-series",
  "top-nested",
  "top-hitters",
  "parse-where",
  "parse-kv",
  "make-graph",
  "graph-match",
]);

/** Words a leading '!' may negate: the string operators, plus a few the parser reports as unsupported. */
const NEGATABLE = new Set<string>([
  ...STRING_OPS,
  "in",
  "between",
  "has_any",
  "has_all",
  "matches",
]);

const TYPED_LITERALS = new Set(["datetime", "time", "timespan", "guid", "dynamic"]);

const THREE_CHAR_OPS = ["!in~"];
const TWO_CHAR_OPS = ["==", "!=", "<>", "<=", ">=", "=~", "!~", "..", "=>"];
const ONE_CHAR_OPS = "()[]{},;|.=<>+-*/%:!~?@";

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  let spaceBefore = false;

  const push = (t: Omit<Token, "spaceBefore">): void => {
    tokens.push({ ...t, spaceBefore });
    spaceBefore = false;
  };

  const readQuoted = (start: number, quote: number, verbatim: boolean): { value: string; end: number } => {
    // `start` is the index of the opening quote.
    let j = start + 1;
    let value = "";
    for (;;) {
      if (j >= n) throw syntaxError(text, start, text.slice(start, start + 20), "unterminated string literal");
      const c = text.charCodeAt(j);
      if (c === 10 || c === 13) {
        throw syntaxError(text, start, text.slice(start, j), "unterminated string literal");
      }
      if (c === quote) {
        if (verbatim && j + 1 < n && text.charCodeAt(j + 1) === quote) {
          value += text[j];
          j += 2;
          continue;
        }
        return { value, end: j + 1 };
      }
      if (c === 92 && !verbatim) {
        const e = text[j + 1];
        switch (e) {
          case "n":
            value += "\n";
            break;
          case "t":
            value += "\t";
            break;
          case "r":
            value += "\r";
            break;
          case "0":
            value += "\0";
            break;
          case "\\":
          case "'":
          case '"':
          case "/":
            value += e;
            break;
          case "u": {
            const hex = text.slice(j + 2, j + 6);
            if (hex.length !== 4 || !isHex(hex)) {
              throw syntaxError(text, j, text.slice(j, j + 6), "invalid \\u escape in string literal");
            }
            value += String.fromCharCode(parseInt(hex, 16));
            j += 6;
            continue;
          }
          default:
            throw syntaxError(text, j, text.slice(j, j + 2), "invalid escape sequence in string literal");
        }
        j += 2;
        continue;
      }
      value += text[j];
      j++;
    }
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    // whitespace
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || c === 0xfeff) {
      i++;
      spaceBefore = true;
      continue;
    }
    // comments
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      spaceBefore = true;
      continue;
    }
    const start = i;
    // verbatim and obfuscated strings: @'..', @"..", h'..', h@'..', H"..."
    if (c === 64 && (text.charCodeAt(i + 1) === 39 || text.charCodeAt(i + 1) === 34)) {
      const r = readQuoted(i + 1, text.charCodeAt(i + 1), true);
      push({ kind: "string", text: r.value, pos: start, end: r.end });
      i = r.end;
      continue;
    }
    if ((c === 104 || c === 72) && !isIdentPart(text.charCodeAt(i - 1) || 0)) {
      const c1 = text.charCodeAt(i + 1);
      if (c1 === 39 || c1 === 34) {
        const r = readQuoted(i + 1, c1, false);
        push({ kind: "string", text: r.value, pos: start, end: r.end });
        i = r.end;
        continue;
      }
      if (c1 === 64 && (text.charCodeAt(i + 2) === 39 || text.charCodeAt(i + 2) === 34)) {
        const r = readQuoted(i + 2, text.charCodeAt(i + 2), true);
        push({ kind: "string", text: r.value, pos: start, end: r.end });
        i = r.end;
        continue;
      }
    }
    if (c === 39 || c === 34) {
      const r = readQuoted(i, c, false);
      push({ kind: "string", text: r.value, pos: start, end: r.end });
      i = r.end;
      continue;
    }
    // numbers, reals and timespans
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)) && !isDigit(text.charCodeAt(i - 1) || 0) && text.charCodeAt(i - 1) !== 46)) {
      i = scanNumber(text, i, push);
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      let word = text.slice(i, j);
      // hyphenated operator names
      if (text.charCodeAt(j) === 45 && isLetter(text.charCodeAt(j + 1))) {
        let k = j + 1;
        while (k < n && isIdentPart(text.charCodeAt(k))) k++;
        const combined = text.slice(i, k);
        if (HYPHENATED.has(combined)) {
          word = combined;
          j = k;
        }
      }
      if (word === "in" && text.charCodeAt(j) === 126) {
        push({ kind: "ident", text: "in~", pos: start, end: j + 1 });
        i = j + 1;
        continue;
      }
      if (TYPED_LITERALS.has(word)) {
        let k = j;
        while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
        if (text.charCodeAt(k) === 40) {
          const close = findClosingParen(text, k);
          if (close < 0) throw syntaxError(text, start, text.slice(start, Math.min(n, start + 30)), `unterminated ${word}(...) literal`);
          push({ kind: "typed", text: word, raw: text.slice(k + 1, close), pos: start, end: close + 1 });
          i = close + 1;
          continue;
        }
      }
      push({ kind: "ident", text: word, pos: start, end: j });
      i = j;
      continue;
    }
    // negated word operators: !has, !contains_cs, !in, !in~, !between ...
    if (c === 33 && isLetter(text.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      const word = text.slice(i + 1, j);
      if (NEGATABLE.has(word)) {
        if (word === "in" && text.charCodeAt(j) === 126) {
          push({ kind: "op", text: "!in~", pos: start, end: j + 1 });
          i = j + 1;
        } else {
          push({ kind: "op", text: `!${word}`, pos: start, end: j });
          i = j;
        }
        continue;
      }
      throw syntaxError(text, start, text.slice(start, j));
    }
    // bracketed identifiers are handled by the parser ('[' string ']').
    let matched = false;
    for (const op of THREE_CHAR_OPS) {
      if (text.startsWith(op, i)) {
        push({ kind: "op", text: op, pos: start, end: i + op.length });
        i += op.length;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.includes(two)) {
      push({ kind: "op", text: two === "<>" ? "!=" : two, pos: start, end: i + 2 });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.includes(text[i]!)) {
      push({ kind: "op", text: text[i]!, pos: start, end: i + 1 });
      i++;
      continue;
    }
    throw syntaxError(text, start, text[i]!, "unexpected character");
  }
  tokens.push({ kind: "eof", text: "", pos: n, end: n, spaceBefore });
  return tokens;
}

function isHex(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const ok = isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    if (!ok) return false;
  }
  return true;
}

/** Index of the ')' closing the '(' at `open`, skipping quoted strings; -1 if none. */
function findClosingParen(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 39 || c === 34) {
      // skip a quoted string (backslash escapes)
      let k = j + 1;
      while (k < text.length && text.charCodeAt(k) !== c) {
        if (text.charCodeAt(k) === 92) k++;
        k++;
      }
      if (k >= text.length) return -1;
      j = k;
      continue;
    }
    if (c === 40) depth++;
    else if (c === 41) {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function scanNumber(text: string, start: number, push: (t: Omit<Token, "spaceBefore">) => void): number {
  const n = text.length;
  let i = start;
  // hexadecimal long
  if (text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X")) {
    let j = i + 2;
    while (j < n && isHex(text[j]!)) j++;
    if (j === i + 2 || isIdentPart(text.charCodeAt(j) || 0)) {
      throw syntaxError(text, start, text.slice(start, j + 1), "invalid hexadecimal literal");
    }
    const value = BigInt.asIntN(64, BigInt(text.slice(i, j)));
    push({ kind: "long", text: text.slice(start, j), big: value, pos: start, end: j });
    return j;
  }
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const intDigits = text.slice(start, i);
  let fracDigits = "";
  let isReal = false;
  if (text[i] === "." && isDigit(text.charCodeAt(i + 1))) {
    i++;
    const fs = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fracDigits = text.slice(fs, i);
    isReal = true;
  }
  let exponent = "";
  if ((text[i] === "e" || text[i] === "E") && (isDigit(text.charCodeAt(i + 1)) || ((text[i + 1] === "+" || text[i + 1] === "-") && isDigit(text.charCodeAt(i + 2))))) {
    const es = i;
    i += 2;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    exponent = text.slice(es, i);
    isReal = true;
  }
  // timespan unit suffix
  if (isLetter(text.charCodeAt(i)) && exponent === "") {
    let j = i;
    while (j < n && isIdentPart(text.charCodeAt(j))) j++;
    const unit = text.slice(i, j);
    const per = timespanUnitTicks(unit);
    if (per === undefined) {
      throw syntaxError(text, start, text.slice(start, j), `unknown timespan unit '${unit}'`);
    }
    push({ kind: "timespan", text: text.slice(start, j), big: scaleToTicks(intDigits, fracDigits, per), pos: start, end: j });
    return j;
  }
  if (isIdentPart(text.charCodeAt(i) || 0)) {
    let j = i;
    while (j < n && isIdentPart(text.charCodeAt(j))) j++;
    throw syntaxError(text, start, text.slice(start, j));
  }
  const literal = text.slice(start, i);
  if (isReal) {
    push({ kind: "real", text: literal, num: Number(literal), pos: start, end: i });
  } else {
    const value = BigInt(intDigits);
    if (value > 9223372036854775807n) {
      // Too large for a long: the service reads it as a real.
      push({ kind: "real", text: literal, num: Number(literal), pos: start, end: i });
    } else {
      push({ kind: "long", text: literal, big: value, pos: start, end: i });
    }
  }
  return i;
}
