/**
 * Loading a configuration file, in passes, each reporting every problem it finds as one line
 * "dot.path: message":
 *   1. read and parse JSON (syntax errors with line and column; duplicate keys)
 *   2. ${env:NAME} / ${env:NAME:-default} substitution in string values
 *   3. the zod schema (unknown keys with "did you mean", types, formats)
 *   4. normalisation (durations → ms, paths → absolute, each query's effective window)
 *   5. cross-field rules (rules.ts), then each query's KQL text (read .kql files, check the $window macro)
 * Messages never echo a value taken from the environment.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, MonitorliftError } from "../errors.ts";
import { checkQueryText, tableQueryText } from "../window/query-text.ts";
import { redactSubstituted, substituteEnv } from "./env.ts";
import { formatIssues } from "./issues.ts";
import { parseJson } from "./json.ts";
import { normaliseConfig } from "./normalise.ts";
import { checkRules } from "./rules.ts";
import { configSchema } from "./schema.ts";
import type { ResolvedConfig, ResolvedQuery } from "./types.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadResult {
  /** Set only when there are no errors. */
  config?: ResolvedConfig;
  errors: string[];
  warnings: string[];
  /** The file itself does not exist. */
  notFound?: boolean;
}

function codeOf(err: unknown): string {
  return (err as { code?: unknown })?.code !== undefined ? String((err as { code: unknown }).code) : err instanceof Error ? err.message : String(err);
}

function startsWithPath(line: string, paths: readonly string[]): boolean {
  return paths.some((p) => line === p || line.startsWith(`${p}:`) || line.startsWith(`${p}.`) || line.startsWith(`${p}[`));
}

/**
 * Resolve already-parsed JSON as if it had been read from `configPath` (relative paths are
 * relative to its folder). Reads the queries' .kql files.
 */
export async function resolveConfig(json: unknown, options: { configPath: string; env: Env; /** The clock the time rules compare with (default Date.now()). */ now?: number }): Promise<LoadResult> {
  const configPath = resolve(options.configPath);
  const baseDir = dirname(configPath);
  const sub = substituteEnv(json, options.env);
  const redact = (lines: string[]): string[] => [...new Set(lines.map((l) => redactSubstituted(l, sub.substituted)))];
  const errors: string[] = [...sub.errors];
  const warnings: string[] = [];

  const parsed = configSchema.safeParse(sub.value);
  if (!parsed.success) {
    // A key whose variable is unset already has its error; its schema complaints would only repeat it.
    const envPaths = sub.errors.map((e) => e.slice(0, e.indexOf(": ")));
    errors.push(...formatIssues(configSchema, parsed.error.issues, sub.value).filter((l) => !startsWithPath(l, envPaths)));
    return { errors: redact(errors), warnings };
  }
  if (errors.length > 0) return { errors: redact(errors), warnings };

  const { config, errors: normaliseErrors } = normaliseConfig(parsed.data, baseDir);
  errors.push(...normaliseErrors);
  if (normaliseErrors.length === 0) {
    const rules = checkRules(config, parsed.data, { substitutedPaths: new Set(sub.substituted.keys()), now: options.now });
    errors.push(...rules.errors);
    warnings.push(...rules.warnings);
  }

  const queries: ResolvedQuery[] = [];
  for (const q of config.queries) {
    const p = `queries[${q.index}]`;
    if (q.table !== undefined) {
      queries.push({ ...q, kql: tableQueryText(q.table, q.transform, q.hiddenColumns) });
      for (const problem of checkQueryText(q)) errors.push(`${p}.${problem.key}: ${problem.message}`);
      continue;
    }
    if (q.file === undefined) continue; // rules.ts reported the missing table/file
    const shown = parsed.data.queries[q.index]!.file!;
    let kql: string;
    try {
      kql = await readFile(q.file, "utf8");
    } catch (err) {
      errors.push(`${p}.file: cannot read ${shown} (${codeOf(err)}) — paths are relative to the config file's folder ${baseDir}`);
      continue;
    }
    if (kql.charCodeAt(0) === 0xfeff) kql = kql.slice(1);
    if (kql.trim() === "") {
      errors.push(`${p}.file: ${shown} is empty — it must hold a query such as "AppDependencies | $window | where Success == false"`);
      continue;
    }
    for (const problem of checkQueryText({ kql })) errors.push(`${p}.file: ${shown} ${problem.message}`);
    queries.push({ ...q, kql });
  }

  if (errors.length > 0) return { errors: redact(errors), warnings: redact(warnings) };
  const finalWarnings = redact(warnings);
  const resolved: ResolvedConfig = { ...config, configPath, baseDir, queries, warnings: finalWarnings };
  return { config: resolved, errors: [], warnings: finalWarnings };
}

/** Read, check and resolve the configuration file `file`; `env` is usually process.env. */
export async function loadConfig(file: string, env: Env): Promise<LoadResult> {
  const configPath = resolve(file);
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch (err) {
    const code = codeOf(err);
    const notFound = code === "ENOENT";
    return {
      errors: [notFound ? `no file at ${configPath}` : `cannot read the configuration file ${configPath} (${code})`],
      warnings: [],
      ...(notFound ? { notFound } : {}),
    };
  }
  const json = parseJson(text); // its position as "line L, column C": the file is named once, by the caller
  if (!json.ok) return { errors: [json.error], warnings: [] };
  const result = await resolveConfig(json.value, { configPath, env });
  if (json.duplicates.length > 0) {
    const { config: _dropped, ...rest } = result;
    return { ...rest, errors: [...json.duplicates, ...result.errors] };
  }
  return result;
}

/** loadConfig, throwing ConfigError (or CONFIG_NOT_FOUND) with every problem instead of returning them. */
export async function loadConfigOrThrow(file: string, env: Env): Promise<ResolvedConfig> {
  const result = await loadConfig(file, env);
  if (result.config) return result.config;
  const first = result.errors[0] ?? "unknown problem";
  if (result.notFound) {
    throw new MonitorliftError("CONFIG_NOT_FOUND", `Configuration file not found: ${first}`, {
      hint: "Pass the file with --config, or copy config.example.json to start one.",
    });
  }
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more problem${result.errors.length > 2 ? "s" : ""})` : "";
  throw new ConfigError(`Invalid configuration: ${first}${more}`, result.errors, {
    file: resolve(file),
    hint: "Fix each listed key; config.schema.json describes every key (run `monitorlift validate` to check again).",
  });
}
