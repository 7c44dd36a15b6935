/**
 * Rules that tie several keys together, checked on the normalised configuration. Each finding is
 * one line "dot.path: message", at the path the user has to change (a query's own window override
 * when it has one for that key, else the top-level window block).
 */
import { formatDuration } from "./duration.ts";
import { isLoopbackHost } from "./loopback.ts";
import type { ParsedConfigFile } from "./schema.ts";
import type { MonitorliftConfig, WindowSettings } from "./types.ts";

export interface RuleFindings {
  errors: string[];
  warnings: string[];
}

export interface RuleOptions {
  /** Dot paths whose value came from ${env:…} substitution (e.g. "sink.url"). */
  substitutedPaths?: ReadonlySet<string>;
}

/** Service limit on how long one query may run (the Prefer: wait header). */
export const SERVICE_MAX_SERVER_TIMEOUT_MS = 10 * 60_000;
/** Below this lag, time mode misses records that are ingested a few minutes after their time stamp. */
export const TIME_MODE_MIN_SAFE_LAG_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

const d = formatDuration;

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Problems of a URL that monitorlift will send credentials or data to. */
function checkServiceUrl(path: string, text: string, what: string, errors: string[]): URL | undefined {
  const url = parseUrl(text);
  if (!url) {
    errors.push(`${path}: is not a valid URL`);
    return undefined;
  }
  if (url.username || url.password) {
    errors.push(`${path}: must not contain a user name or password — credentials in a URL end up in logs; configure authentication under "auth" instead`);
  }
  if (url.search || url.hash) {
    errors.push(`${path}: must not contain a query string or fragment ("?…", "#…") — a SAS token or key there would end up in logs`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:") {
    if (!isLoopbackHost(url.hostname)) {
      errors.push(
        `${path}: ${url.protocol}//${url.host} is plain http — the access token and the ${what} would cross the network unencrypted; use https (http is accepted only for loopback hosts such as a local simulator on 127.0.0.1)`,
      );
    }
    return url;
  }
  errors.push(`${path}: must be an https:// URL, not ${url.protocol}//`);
  return undefined;
}

function checkSource(config: MonitorliftConfig, f: RuleFindings): void {
  const s = config.source;
  if (s.workspaceId === undefined && s.resourceId === undefined) {
    f.errors.push(`source.workspaceId: is required — give the workspace ID (a GUID), or source.resourceId for resource-centric queries`);
  } else if (s.workspaceId !== undefined && s.resourceId !== undefined) {
    f.errors.push(`source.resourceId: give either workspaceId or resourceId, not both — they are two ways of naming what to query`);
  }
  const endpoint = checkServiceUrl("source.endpoint", s.endpoint, "exported data", f.errors);
  if (s.auth.method === "none" && endpoint && !isLoopbackHost(endpoint.hostname)) {
    f.errors.push(
      `source.auth.method: "none" sends queries without an access token and is accepted only with a loopback endpoint (a local simulator on 127.0.0.1, ::1 or localhost), not ${endpoint.host} — use "default", "clientSecret" or "managedIdentity"`,
    );
  }
  if (s.audience !== undefined) checkServiceUrl("source.audience", s.audience, "token", f.errors);
  if ((s.auth.method === "default" || s.auth.method === "clientSecret") && s.auth.authorityHost !== undefined) {
    checkServiceUrl("source.auth.authorityHost", s.auth.authorityHost, "credentials", f.errors);
  }
  if (s.serverTimeout > SERVICE_MAX_SERVER_TIMEOUT_MS) {
    f.errors.push(`source.serverTimeout: ${d(s.serverTimeout)} is longer than the service allows (PT10M)`);
  }
  if (s.serverTimeout < 1000) f.errors.push(`source.serverTimeout: must be at least PT1S`);
  if (s.requestTimeout < 1000) f.errors.push(`source.requestTimeout: must be at least PT1S`);
  else if (s.requestTimeout <= s.serverTimeout) {
    f.warnings.push(
      `source.requestTimeout: ${d(s.requestTimeout)} is not longer than serverTimeout ${d(s.serverTimeout)}, so a slow query is abandoned before the service gives up on it — make it at least a minute longer`,
    );
  }
  if (s.maxRetryDelay < s.retryDelay) {
    f.errors.push(`source.maxRetryDelay: ${d(s.maxRetryDelay)} is shorter than retryDelay ${d(s.retryDelay)}`);
  }
  if (config.concurrency > s.maxConcurrentRequests) {
    f.warnings.push(
      `concurrency: ${config.concurrency} windows at once but source.maxConcurrentRequests is ${s.maxConcurrentRequests}, so only ${s.maxConcurrentRequests} query requests run at a time`,
    );
  }
}

/**
 * Where a finding about `key` (compared with `related` keys) belongs: at `key` unless only a
 * related key was overridden by the query, in which case at that override.
 */
type WindowPath = (key: keyof WindowSettings, ...related: Array<keyof WindowSettings>) => string;

function checkWindow(w: WindowSettings, at: WindowPath, f: RuleFindings): void {
  if (w.minSize < 1) f.errors.push(`${at("minSize")}: must be at least 1 ms (PT0.001S)`);
  if (w.size < Math.max(1, w.minSize)) {
    f.errors.push(`${at("size", "minSize")}: size ${d(w.size)} is shorter than minSize ${d(w.minSize)}`);
  } else if (w.size < DAY_MS && DAY_MS % w.size !== 0) {
    f.warnings.push(
      `${at("size")}: ${d(w.size)} does not divide a day evenly, so windows will not line up with hours and days of the UTC clock — prefer e.g. PT1M, PT5M, PT10M, PT15M or PT1H`,
    );
  }
  if (w.lag < 0) f.errors.push(`${at("lag")}: must not be negative`);
  if (w.mode === "ingestion") {
    if (w.lookback < w.size) f.errors.push(`${at("lookback", "size")}: lookback ${d(w.lookback)} is shorter than size ${d(w.size)}`);
    if (w.future < w.size) f.errors.push(`${at("future", "size")}: future ${d(w.future)} is shorter than size ${d(w.size)}`);
  } else if (w.lag < TIME_MODE_MIN_SAFE_LAG_MS) {
    f.warnings.push(
      `${at("lag", "mode")}: lag ${d(w.lag)} is short for mode "time": a window is exported once, and records whose ${w.timeColumn} falls in it but that are ingested later (commonly minutes, sometimes hours) are never exported — use a lag of PT10M or more, or mode "ingestion", which catches late records`,
    );
  }
}

function checkQueries(config: MonitorliftConfig, file: ParsedConfigFile, f: RuleFindings): void {
  const seen = new Map<string, number>();
  for (const q of config.queries) {
    const p = `queries[${q.index}]`;
    const key = q.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      const other = config.queries[first]!.name;
      f.errors.push(
        other === q.name
          ? `${p}.name: "${q.name}" is already used by queries[${first}] — query names must be unique (they name the output folders and cursors)`
          : `${p}.name: "${q.name}" differs from queries[${first}].name "${other}" only in case — names must be unique ignoring case (they name folders and tables)`,
      );
    } else seen.set(key, q.index);

    if (q.table === undefined && q.file === undefined) {
      f.errors.push(`${p}: give "table" (a table to export, e.g. "AppRequests") or "file" (a .kql file containing "| $window")`);
    } else if (q.table !== undefined && q.file !== undefined) {
      f.errors.push(`${p}.file: give either "table" or "file", not both`);
    }
    if (q.transform !== undefined && q.table === undefined) {
      f.errors.push(`${p}.transform: only applies with "table" — in a .kql file, write the stages after "| $window" in the file itself`);
    }

    const override = file.queries[q.index]?.window;
    const overridden = (k: keyof WindowSettings): boolean => override?.[k] !== undefined;
    const at: WindowPath = (k, ...related) => {
      if (overridden(k)) return `${p}.window.${k}`;
      const other = related.find(overridden);
      return other === undefined ? `window.${k}` : `${p}.window.${other}`;
    };
    checkWindow(q.window, at, f);
  }
  if (config.queries.length > 0 && config.queries.every((q) => !q.enabled)) {
    f.warnings.push(`queries: every query is disabled ("enabled": false) — nothing will be exported`);
  }
}

function checkSink(config: MonitorliftConfig, options: RuleOptions, f: RuleFindings): void {
  const sink = config.sink;
  if (sink.type === "blob" || sink.type === "adls") {
    if (sink.accountUrl === undefined) {
      if (sink.auth.method !== "connectionString") {
        f.errors.push(`sink.accountUrl: is required with auth method "${sink.auth.method}" (e.g. https://<account>.blob.core.windows.net)`);
      }
    } else checkServiceUrl("sink.accountUrl", sink.accountUrl, "exported data", f.errors);
    return;
  }
  if (sink.type !== "sql") return;
  const remote = sink.dialect !== "sqlite";
  if (remote) {
    if (sink.url === undefined && sink.urlEnv === undefined && sink.host === undefined) {
      f.errors.push(`sink.host: dialect ${sink.dialect} needs url, urlEnv or host to know which server to connect to`);
    }
    if (sink.path !== undefined) f.errors.push(`sink.path: only applies to dialect sqlite; for ${sink.dialect} give url, urlEnv or host`);
    if (sink.url !== undefined) {
      const url = parseUrl(sink.url);
      const schemes = sink.dialect === "postgres" ? ["postgres:", "postgresql:"] : ["mysql:", "mariadb:"];
      if (!url || !schemes.includes(url.protocol)) {
        f.errors.push(`sink.url: must be a ${schemes.map((s) => `${s}//`).join(" or ")} URL for dialect ${sink.dialect}`);
      } else if (url.password && !options.substitutedPaths?.has("sink.url")) {
        f.warnings.push(`sink.url: contains a password written in the file — use "\${env:NAME}" in the URL, urlEnv, or passwordEnv instead`);
      }
    }
    if (sink.schema !== undefined && sink.dialect !== "postgres") f.errors.push(`sink.schema: only applies to dialect postgres`);
  } else {
    if (sink.path === undefined) f.errors.push(`sink.path: dialect sqlite needs the path of the database file`);
    for (const key of ["url", "urlEnv", "host", "port", "database", "user", "passwordEnv", "schema"] as const) {
      if (sink[key] !== undefined) f.errors.push(`sink.${key}: does not apply to dialect sqlite (only path does)`);
    }
    if (sink.tls.mode !== "disable" || sink.tls.caFile !== undefined) f.errors.push(`sink.tls: does not apply to dialect sqlite`);
  }
  if (remote && sink.tls.mode !== "verify-full" && sink.tls.caFile !== undefined) {
    f.errors.push(`sink.tls.caFile: is only used with tls.mode "verify-full"`);
  }
}

/** Cross-field rules on a normalised configuration and the parsed file it came from. */
export function checkRules(config: MonitorliftConfig, file: ParsedConfigFile, options: RuleOptions = {}): RuleFindings {
  const f: RuleFindings = { errors: [], warnings: [] };
  checkSource(config, f);
  checkWindow(config.window, (k) => `window.${k}`, f);
  checkQueries(config, file, f);
  checkSink(config, options, f);
  return { errors: [...new Set(f.errors)], warnings: [...new Set(f.warnings)] };
}
