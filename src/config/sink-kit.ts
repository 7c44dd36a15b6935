/**
 * What a sink kind's config module (src/sinks/<kind>/config.ts) implements, and the small helpers
 * it may use. The config loader knows sinks only through this shape and src/sinks/registry.ts:
 *   schema     — the zod object of the `sink` block (strict; `type` is the discriminator),
 *   normalise  — pure: paths made absolute against the config file's folder, other derived values;
 *                keeps the shape (the result has the schema's output type),
 *   check      — cross-field rules on the normalised block, each finding "dot.path: message".
 * A rule lives in exactly one place: here at load time, or (for what only exists at run time,
 * such as the value of an environment variable) in the sink — never both.
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";

export { checkServiceUrl, parseUrl } from "./service-url.ts";

/** An environment variable name (for keys that name where a secret lives). */
export const envNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

export interface SinkNormaliseContext {
  /** The config file's folder: relative paths in the file are relative to it. */
  readonly baseDir: string;
}

export interface SinkRuleContext {
  /** Dot path of the sink block ("sink"); findings start with `${path}.<key>`. */
  readonly path: string;
  /** Whether the value at this dot path (e.g. "sink.url") came from ${env:…} substitution. */
  substituted(dotPath: string): boolean;
}

export interface SinkFindings {
  errors: string[];
  warnings: string[];
}

/** A strict zod object with a `type` discriminator. */
export type SinkSchema = z.ZodObject<{ type: z.ZodLiteral<string> | z.ZodEnum<Record<string, string>> } & z.core.$ZodLooseShape, z.core.$strict>;

export interface SinkConfigModule<S extends SinkSchema> {
  /** The `sink.type` values this kind answers to (the first is its name). */
  readonly types: readonly [string, ...string[]];
  readonly schema: S;
  normalise(parsed: z.output<S>, ctx: SinkNormaliseContext): z.output<S>;
  check(config: z.output<S>, ctx: SinkRuleContext): SinkFindings;
}

/** Identity, for type inference in a sink's config.ts. */
export function defineSinkConfig<S extends SinkSchema>(module: SinkConfigModule<S>): SinkConfigModule<S> {
  return module;
}

/** `p` made absolute against `baseDir` (unchanged when already absolute). */
export function absolutePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
