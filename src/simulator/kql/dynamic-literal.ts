/**
 * The body of a dynamic(...) literal: JSON, plus KQL's single-quoted strings.
 * Returns the parsed value (objects, arrays, strings, numbers, booleans, null)
 * or throws a DynamicLiteralError saying what failed and where.
 */
import type { SimValue } from "../catalog.ts";

export class DynamicLiteralError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export function parseDynamicLiteral(body: string): SimValue {
  let i = 0;
  const n = body.length;
  const skip = (): void => {
    while (i < n) {
      const c = body.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new DynamicLiteralError(what, i);
  };
  const readString = (): string => {
    const quote = body[i];
    i++;
    let out = "";
    for (;;) {
      if (i >= n) fail("unterminated string");
      const ch = body[i]!;
      if (ch === quote) {
        i++;
        return out;
      }
      if (ch === "\\") {
        const e = body[i + 1];
        if (e === "n") out += "\n";
        else if (e === "t") out += "\t";
        else if (e === "r") out += "\r";
        else if (e === "b") out += "\b";
        else if (e === "f") out += "\f";
        else if (e === "u") {
          const hex = body.slice(i + 2, i + 6);
          const code = Number.parseInt(hex, 16);
          if (hex.length !== 4 || Number.isNaN(code)) fail("invalid \\u escape");
          out += String.fromCharCode(code);
          i += 6;
          continue;
        } else if (e === "\\" || e === "/" || e === '"' || e === "'") out += e;
        else fail("invalid escape");
        i += 2;
        continue;
      }
      out += ch;
      i++;
    }
  };
  const readValue = (depth: number): SimValue => {
    if (depth > 200) fail("nesting too deep");
    skip();
    const ch = body[i];
    if (ch === "{") {
      i++;
      const obj: Record<string, SimValue> = {};
      skip();
      if (body[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        skip();
        if (body[i] !== '"' && body[i] !== "'") fail("expected a property name");
        const key = readString();
        skip();
        if (body[i] !== ":") fail("expected ':'");
        i++;
        Object.defineProperty(obj, key, { value: readValue(depth + 1), enumerable: true, writable: true, configurable: true });
        skip();
        if (body[i] === ",") {
          i++;
          continue;
        }
        if (body[i] === "}") {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (ch === "[") {
      i++;
      const arr: SimValue[] = [];
      skip();
      if (body[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(readValue(depth + 1));
        skip();
        if (body[i] === ",") {
          i++;
          continue;
        }
        if (body[i] === "]") {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (ch === '"' || ch === "'") return readString();
    const start = i;
    while (i < n) {
      const c = body.charCodeAt(i);
      const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 45 || c === 46;
      if (!word) break;
      i++;
    }
    const word = body.slice(start, i);
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    if (word !== "" && isJsonNumber(word)) return Number(word);
    i = start;
    return fail(word === "" ? "expected a value" : `unexpected '${word}'`);
  };
  const value = readValue(0);
  skip();
  if (i !== n) fail("unexpected text after the value");
  return value;
}

/** JSON number grammar, by scanning. */
function isJsonNumber(s: string): boolean {
  let i = 0;
  const digits = (): number => {
    const st = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    return i - st;
  };
  if (s[i] === "-") i++;
  if (digits() === 0) return false;
  if (s[i] === ".") {
    i++;
    if (digits() === 0) return false;
  }
  if (s[i] === "e" || s[i] === "E") {
    i++;
    if (s[i] === "+" || s[i] === "-") i++;
    if (digits() === 0) return false;
  }
  return i === s.length;
}
