/**
 * JSON parsing for configuration files with messages a person can act on: the line and column of a
 * syntax error, a plain reason (trailing comma, single quotes…), and duplicate keys, which
 * JSON.parse silently resolves by keeping the last one. Comments (JSONC: `// …` to the end of the
 * line, `/* … *\/`) are allowed wherever whitespace is — the starters `monitorlift init` writes are
 * commented — and skipped in place, so positions in messages are those of the file as written.
 */
import { formatPath, type PathSegment } from "./path.ts";

export type JsonResult = { ok: true; value: unknown; duplicates: string[] } | { ok: false; error: string };

class JsonSyntaxError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

function describeChar(c: string | undefined): string {
  if (c === undefined) return "the end of the file";
  if (c === "\n" || c === "\r") return "a line break";
  return JSON.stringify(c);
}

/**
 * Parse `text` as JSON. Errors read "<label>:<line>:<column>: <reason>", or "line L, column C: <reason>"
 * without a label (the caller names the file once); duplicate keys are
 * returned as "dot.path: message" lines (they are mistakes, though the JSON is valid).
 */
export function parseJson(text: string, label?: string): JsonResult {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let i = 0;
  const duplicates: string[] = [];

  const ws = (): void => {
    for (;;) {
      const c = src[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else if (c === "/" && src[i + 1] === "/") {
        while (i < src.length && src[i] !== "\n" && src[i] !== "\r") i++;
      } else if (c === "/" && src[i + 1] === "*") {
        const end = src.indexOf("*/", i + 2);
        if (end < 0) throw new JsonSyntaxError("unterminated comment — a closing */ is missing", i);
        i = end + 2;
      } else return;
    }
  };

  const str = (): string => {
    const start = i;
    i++; // opening quote
    for (;;) {
      const c = src[i];
      if (c === undefined || c === "\n" || c === "\r") throw new JsonSyntaxError("unterminated string — a closing \" is missing", start);
      if (c === "\\") {
        const e = src[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) throw new JsonSyntaxError("bad \\u escape: needs 4 hex digits", i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new JsonSyntaxError(`bad escape \\${e ?? ""} in a string — write a backslash as \\\\`, i);
      } else if (c < " ") throw new JsonSyntaxError("control character in a string — write it as an escape such as \\t", i);
      else if (c === '"') {
        i++;
        return JSON.parse(src.slice(start, i)) as string;
      } else i++;
    }
  };

  const value = (path: PathSegment[]): unknown => {
    ws();
    const c = src[i];
    if (c === "{") return obj(path);
    if (c === "[") return arr(path);
    if (c === '"') return str();
    if (c === "'") throw new JsonSyntaxError("strings must use double quotes (\"), not single quotes", i);
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && (c === "-" || (c !== undefined && c >= "0" && c <= "9"))) {
      i += num[0].length;
      return Number(num[0]);
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (src.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    throw new JsonSyntaxError(`expected a value but found ${describeChar(c)}`, i);
  };

  const obj = (path: PathSegment[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    i++;
    ws();
    if (src[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (src[i] === "}") throw new JsonSyntaxError("trailing comma before } — remove the last comma", i);
      if (src[i] !== '"') {
        throw new JsonSyntaxError(
          src[i] === "'" ? "keys must use double quotes (\"), not single quotes" : `expected a "quoted" key but found ${describeChar(src[i])}`,
          i,
        );
      }
      const keyPos = i;
      const key = str();
      ws();
      if (src[i] !== ":") throw new JsonSyntaxError(`expected ":" after the key "${key}" but found ${describeChar(src[i])}`, i);
      i++;
      const v = value([...path, key]);
      if (seen.has(key)) {
        const at = lineColumn(src, keyPos);
        duplicates.push(`${formatPath([...path, key])}: appears twice in the same object (again at line ${at.line}, column ${at.column}) — keep one`);
      }
      seen.add(key);
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      ws();
      if (src[i] === ",") {
        i++;
        continue;
      }
      if (src[i] === "}") {
        i++;
        return out;
      }
      throw new JsonSyntaxError(`expected "," or "}" after the value of "${key}" but found ${describeChar(src[i])} — is a comma missing?`, i);
    }
  };

  const arr = (path: PathSegment[]): unknown[] => {
    const out: unknown[] = [];
    i++;
    ws();
    if (src[i] === "]") {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (src[i] === "]") throw new JsonSyntaxError("trailing comma before ] — remove the last comma", i);
      out.push(value([...path, out.length]));
      ws();
      if (src[i] === ",") {
        i++;
        continue;
      }
      if (src[i] === "]") {
        i++;
        return out;
      }
      throw new JsonSyntaxError(`expected "," or "]" after an array item but found ${describeChar(src[i])} — is a comma missing?`, i);
    }
  };

  try {
    ws();
    if (i >= src.length) throw new JsonSyntaxError("the file is empty — it must hold one JSON object", i);
    const result = value([]);
    ws();
    if (i < src.length) throw new JsonSyntaxError(`unexpected ${describeChar(src[i])} after the end of the JSON value`, i);
    return { ok: true, value: result, duplicates };
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const at = lineColumn(src, err.pos);
    return { ok: false, error: `${label !== undefined ? `${label}:${at.line}:${at.column}` : `line ${at.line}, column ${at.column}`}: ${err.message}` };
  }
}
