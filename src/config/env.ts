/**
 * ${env:NAME} and ${env:NAME:-default} in string values of the configuration, replaced before the
 * schema sees them. Values never appear in messages: an error names the key path and the variable.
 * "$${" stands for a literal "${". Substitution always yields strings.
 */
import { formatPath, type PathSegment } from "./path.ts";

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const INNER = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

export interface Substitution {
  value: unknown;
  errors: string[];
  /** Dot path of every string that took text from the environment → those texts (for redaction). */
  substituted: Map<string, string[]>;
}

export function substituteEnv(input: unknown, env: Readonly<Record<string, string | undefined>>): Substitution {
  const errors: string[] = [];
  const substituted = new Map<string, string[]>();

  const replaceIn = (text: string, path: PathSegment[]): string => {
    if (!text.includes("${")) return text;
    const where = formatPath(path);
    const used: string[] = [];
    const out = text.replace(REFERENCE, (whole, inner: string | undefined) => {
      if (whole === "$${") return "${";
      const m = INNER.exec(inner ?? "");
      if (!m) {
        if ((inner ?? "").startsWith("env:")) {
          errors.push(`${where}: malformed reference ${whole} — write \${env:NAME} or \${env:NAME:-default} (NAME: letters, digits, "_")`);
        }
        return whole;
      }
      const name = m[1]!;
      const fallback = m[2];
      const value = env[name];
      if (fallback !== undefined) {
        if (value === undefined || value === "") return fallback;
        used.push(value);
        return value;
      }
      if (value === undefined) {
        errors.push(`${where}: environment variable ${name} is not set (referenced as \${env:${name}}) — set it, or give a default with \${env:${name}:-default}`);
        return whole;
      }
      used.push(value);
      return value;
    });
    if (used.length > 0) substituted.set(where, used);
    return out;
  };

  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === "string") return replaceIn(value, path);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };

  return { value: walk(input, []), errors, substituted };
}

/**
 * Hide values taken from the environment in messages about the keys they went into (or the
 * objects holding them): such a value may be a secret, and a message must never echo one.
 */
export function redactSubstituted(message: string, substituted: ReadonlyMap<string, readonly string[]>): string {
  const colon = message.indexOf(": ");
  if (colon < 0) return message;
  const path = message.slice(0, colon);
  let rest = message.slice(colon);
  for (const [key, values] of substituted) {
    if (!(path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`) || key.startsWith(`${path}.`) || key.startsWith(`${path}[`))) continue;
    for (const v of values) {
      if (v.length === 0) continue;
      rest = rest.split(JSON.stringify(v)).join("(a value from the environment)");
      if (v.length >= 4) rest = rest.split(v).join("(a value from the environment)");
    }
  }
  return path + rest;
}
