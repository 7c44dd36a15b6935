/**
 * zod issues → one-line "dot.path: message" problems, with "did you mean" for misspelt keys and
 * values (computed against the keys the schema allows at that path).
 */
import type { z } from "zod";
import { problem } from "./path.ts";
import { closestMatch } from "./suggest.ts";

/** The parts of zod's internal definitions this module walks (stable across zod 4.x). */
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  /** A record's values (e.g. each named source). */
  valueType?: Schema;
  options?: Schema[];
  discriminator?: string;
}
interface Schema {
  _zod: { def: Def };
  safeParse?: (value: unknown) => { success: boolean };
}

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional", "pipe"]);

function unwrap(schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 20 && WRAPPERS.has(s._zod.def.type); i++) {
    const def = s._zod.def;
    const next = def.type === "pipe" ? def.in : def.innerType;
    if (!next) break;
    s = next;
  }
  return s;
}

/** For a union, the option the input selects by its discriminator (or the only object option). */
function chooseOption(schema: Schema, value: unknown): Schema | undefined {
  const def = schema._zod.def;
  const options = (def.options ?? []).map(unwrap);
  if (def.discriminator !== undefined && value !== null && typeof value === "object") {
    const tag = (value as Record<string, unknown>)[def.discriminator];
    for (const o of options) {
      const field = o._zod.def.shape?.[def.discriminator];
      if (field?.safeParse?.(tag).success) return o;
    }
    return undefined;
  }
  const objects = options.filter((o) => o._zod.def.type === "object");
  return objects.length === 1 ? objects[0] : undefined;
}

/** The schema (unwrapped) that applies at `path` of `input`, or undefined when it cannot be told. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[], input: unknown): Schema | undefined {
  let s: Schema | undefined = unwrap(root as unknown as Schema);
  let value: unknown = input;
  for (const seg of path) {
    if (!s) return undefined;
    if (s._zod.def.type === "union") s = chooseOption(s, value);
    if (!s) return undefined;
    const def: Def = s._zod.def;
    if (def.type === "object" && typeof seg === "string") s = def.shape?.[seg];
    else if (def.type === "array" && typeof seg === "number") s = def.element;
    else if (def.type === "record" && typeof seg === "string") s = def.valueType;
    else return undefined;
    value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    if (s) s = unwrap(s);
  }
  if (s && s._zod.def.type === "union") s = chooseOption(s, value) ?? s;
  return s;
}

/** Keys the schema allows for the object at `path` of `input`. */
export function allowedKeysAt(root: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  const s = schemaAt(root, path, input);
  return s?._zod.def.type === "object" ? Object.keys(s._zod.def.shape ?? {}) : [];
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "an array",
};

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

/** Turn zod issues for `input` (parsed against `root`) into "dot.path: message" lines. */
export function formatIssues(root: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const value = valueAt(input, path);
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = allowedKeysAt(root, path, input);
        for (const key of issue.keys) {
          const guess = closestMatch(key, allowed);
          const tail = guess !== undefined ? ` — did you mean "${guess}"?` : allowed.length ? ` (allowed here: ${allowed.join(", ")})` : "";
          out.push(problem([...path, key], `unknown key${tail}`));
        }
        break;
      }
      case "invalid_type": {
        if (value === undefined) {
          out.push(problem(path, "is required"));
        } else if (issue.message.startsWith("Invalid input")) {
          const expected = EXPECTED[issue.expected] ?? issue.expected;
          out.push(problem(path, `must be ${expected}, not ${kindOf(value)}`));
        } else out.push(problem(path, issue.message));
        break;
      }
      case "invalid_value": {
        const values = issue.values;
        if (values.length === 1) {
          out.push(problem(path, value === undefined ? `is required (${JSON.stringify(values[0])})` : `must be ${JSON.stringify(values[0])}`));
          break;
        }
        const guess = typeof value === "string" ? closestMatch(value, values.filter((v): v is string => typeof v === "string")) : undefined;
        const head = value === undefined ? "is required" : `${JSON.stringify(value)} is not allowed`;
        out.push(problem(path, `${head}: use one of ${quoteList(values)}${guess !== undefined ? ` — did you mean "${guess}"?` : ""}`));
        break;
      }
      case "invalid_union": {
        const options = (issue as { options?: unknown[] }).options;
        if ((issue as { note?: string }).note === "No matching discriminator" && options) {
          const guess = typeof value === "string" ? closestMatch(value, options.filter((v): v is string => typeof v === "string")) : undefined;
          const head = value === undefined ? "is required" : `${JSON.stringify(value)} is not allowed`;
          out.push(problem(path, `${head}: use one of ${quoteList(options)}${guess !== undefined ? ` — did you mean "${guess}"?` : ""}`));
        } else out.push(problem(path, issue.message));
        break;
      }
      case "too_small": {
        const n = Number(issue.minimum);
        const msg =
          issue.origin === "array"
            ? `must have at least ${n} item${n === 1 ? "" : "s"}`
            : issue.origin === "string"
              ? n === 1
                ? "must not be empty"
                : `must be at least ${n} characters long`
              : `must be at least ${n}`;
        out.push(problem(path, issue.message.startsWith("Too small") ? msg : issue.message));
        break;
      }
      case "too_big": {
        const n = Number(issue.maximum);
        const msg =
          issue.origin === "array" ? `must have at most ${n} items` : issue.origin === "string" ? `must be at most ${n} characters long` : `must be at most ${n}`;
        out.push(problem(path, issue.message.startsWith("Too big") ? msg : issue.message));
        break;
      }
      case "invalid_format": {
        if (issue.format === "url" && issue.message === "Invalid URL") out.push(problem(path, "must be an absolute URL such as https://example.com"));
        else if (issue.message.startsWith("Invalid string")) out.push(problem(path, `${JSON.stringify(value)} has the wrong format`));
        else out.push(problem(path, issue.message));
        break;
      }
      case "invalid_key": {
        // A record key (e.g. a source name) the key schema refused: its own message, at the key.
        const inner = (issue as { issues?: Array<{ message: string }> }).issues?.[0]?.message;
        out.push(problem(path, inner ?? issue.message));
        break;
      }
      default:
        out.push(problem(path, issue.message));
    }
  }
  return [...new Set(out)];
}
