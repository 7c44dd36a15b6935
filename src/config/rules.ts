/**
 * Rules that tie several keys together, checked on the normalised configuration. Each finding is
 * one line "dot.path: message", at the path the user has to change (a query's own window override
 * when it has one for that key, else the top-level window block). The sink block's rules belong
 * to its kind (src/sinks/<kind>/config.ts), found through src/sinks/registry.ts.
 */
import { sinkKindOf } from "../sinks/registry.ts";
import { formatDuration } from "./duration.ts";
import { isLoopbackHost } from "./loopback.ts";
import type { ParsedConfigFile } from "./schema.ts";
import { checkServiceUrl } from "./service-url.ts";
import { checkSourceChoice } from "./source-choice.ts";
import type { MonitorliftConfig, SourceSettings, WindowSettings } from "./types.ts";
import { formatPath } from "./path.ts";

export interface RuleFindings {
  errors: string[];
  warnings: string[];
}

export interface RuleOptions {
  /** Dot paths whose value came from ${env:…} substitution (e.g. "sink.url"). */
  substitutedPaths?: ReadonlySet<string>;
  /** The clock the time rules (window.start, lag) compare with; default Date.now(). */
  now?: number;
}

/** No window setting makes sense beyond a year: a size that long puts the grid's first window in 1970. */
export const MAX_WINDOW_SETTING_MS = 366 * 86_400_000;
/** Log Analytics keeps data at most 12 years (archive included). */
export const MAX_RETENTION_MS = 12 * 366 * 86_400_000;

/** Service limit on how long one query may run (the Prefer: wait header). */
export const SERVICE_MAX_SERVER_TIMEOUT_MS = 10 * 60_000;
/** Below this lag, time mode misses records that are ingested a few minutes after their time stamp. */
export const TIME_MODE_MIN_SAFE_LAG_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
/**
 * How long after its TimeGenerated a record can become queryable: the service accepts TimeGenerated
 * up to two days before receipt (logs/data-ingestion-time.md) and may ingest hours after receipt
 * (retries for up to 12 h under ingestion-rate limiting).
 */
export const SERVICE_MAX_INGESTION_DELAY_MS = 60 * 3_600_000;

const d = formatDuration;

function checkSource(config: MonitorliftConfig, s: SourceSettings, p: string, f: RuleFindings): void {
  if (s.workspaceId === undefined && s.resourceId === undefined) {
    f.errors.push(`${p}.workspaceId: is required — give the workspace ID (a GUID), or ${p}.resourceId for resource-centric queries`);
  } else if (s.workspaceId !== undefined && s.resourceId !== undefined) {
    f.errors.push(`${p}.resourceId: give either workspaceId or resourceId, not both — they are two ways of naming what to query`);
  }
  const endpoint = checkServiceUrl(`${p}.endpoint`, s.endpoint, "exported data", f.errors);
  if (s.auth.method === "none" && endpoint && !isLoopbackHost(endpoint.hostname)) {
    f.errors.push(
      `${p}.auth.method: "none" sends queries without an access token and is accepted only with a loopback endpoint (a local simulator on 127.0.0.1, ::1 or localhost), not ${endpoint.host} — use "default", "clientSecret" or "managedIdentity"`,
    );
  }
  if (s.auth.method !== "none" && endpoint?.protocol === "http:" && isLoopbackHost(endpoint.hostname)) {
    // (a non-loopback http endpoint is already an error above, for every method)
    f.errors.push(
      `${p}.auth.method: "${s.auth.method}" sends an access token, which the Azure client refuses to send over plain http (${endpoint.protocol}//${endpoint.host}) — use an https endpoint, or auth.method "none" for a local simulator`,
    );
  }
  if (s.audience !== undefined) checkServiceUrl(`${p}.audience`, s.audience, "token", f.errors);
  if ((s.auth.method === "default" || s.auth.method === "clientSecret") && s.auth.authorityHost !== undefined) {
    checkServiceUrl(`${p}.auth.authorityHost`, s.auth.authorityHost, "credentials", f.errors);
  }
  if (s.serverTimeoutMs > SERVICE_MAX_SERVER_TIMEOUT_MS) {
    f.errors.push(`${p}.serverTimeout: ${d(s.serverTimeoutMs)} is longer than the service allows (PT10M)`);
  }
  if (s.serverTimeoutMs < 1000) f.errors.push(`${p}.serverTimeout: must be at least PT1S`);
  if (s.requestTimeoutMs < 1000) f.errors.push(`${p}.requestTimeout: must be at least PT1S`);
  else if (s.requestTimeoutMs <= s.serverTimeoutMs) {
    f.warnings.push(
      `${p}.requestTimeout: ${d(s.requestTimeoutMs)} is not longer than serverTimeout ${d(s.serverTimeoutMs)}, so a slow query is abandoned before the service gives up on it — make it at least a minute longer`,
    );
  }
  if (s.maxRetryDelayMs < s.retryDelayMs) {
    f.errors.push(`${p}.maxRetryDelay: ${d(s.maxRetryDelayMs)} is shorter than retryDelay ${d(s.retryDelayMs)}`);
  }
  if (config.concurrency > s.maxConcurrentRequests) {
    f.warnings.push(
      `concurrency: ${config.concurrency} windows at once but ${p}.maxConcurrentRequests is ${s.maxConcurrentRequests}, so only ${s.maxConcurrentRequests} query requests run at a time`,
    );
  }
}

/**
 * Where a finding about `key` (compared with `related` keys) belongs: at `key` unless only a
 * related key was overridden by the query, in which case at that override.
 */
type WindowKey = keyof NonNullable<ParsedConfigFile["queries"][number]["window"]>;
type WindowPath = (key: WindowKey, ...related: WindowKey[]) => string;

function checkWindow(w: WindowSettings, at: WindowPath, f: RuleFindings, now: number): void {
  const absurd: Array<[WindowKey, number, string]> = [
    ["size", w.sizeMs, "windows follow a UTC grid of this size since 1970, so the first window would begin decades back"],
    ["lookback", w.lookbackMs, "it widens every window's TimeGenerated filter far beyond any ingestion delay the service allows (about two days)"],
    ["future", w.futureMs, "it widens every window's TimeGenerated filter far beyond any clock skew"],
    ["lag", w.lagMs, "no window would be complete for more than a year"],
  ];
  for (const [key, ms, why] of absurd) {
    if (ms > MAX_WINDOW_SETTING_MS) f.errors.push(`${at(key)}: ${d(ms)} is more than P366D — ${why}`);
  }
  const startAt = "at" in w.start ? w.start.at : now - w.start.ago;
  if ("at" in w.start && w.start.at > now) {
    f.errors.push(`${at("start")}: ${new Date(w.start.at).toISOString()} is in the future — nothing would be exported until then; give a past instant or a duration before now (P1D)`);
  } else if (now - startAt > MAX_RETENTION_MS) {
    f.errors.push(`${at("start")}: ${"ago" in w.start ? d(w.start.ago) : new Date(startAt).toISOString()} is more than 12 years back — Log Analytics keeps data at most 12 years, so the export would start with years of empty windows`);
  } else if (w.lagMs <= MAX_WINDOW_SETTING_MS && now - w.lagMs < startAt) {
    f.warnings.push(
      `${at("lag", "start")}: lag ${d(w.lagMs)} is longer than the time since window.start (${d(now - startAt)}), so the first run exports nothing — windows begin once start + lag has passed`,
    );
  }
  if (w.minSizeMs < 1) f.errors.push(`${at("minSize")}: must be at least 1 ms (PT0.001S)`);
  if (w.sizeMs < Math.max(1, w.minSizeMs)) {
    f.errors.push(`${at("size", "minSize")}: size ${d(w.sizeMs)} is shorter than minSize ${d(w.minSizeMs)}`);
  } else if (w.sizeMs < DAY_MS && DAY_MS % w.sizeMs !== 0) {
    f.warnings.push(
      `${at("size")}: ${d(w.sizeMs)} does not divide a day evenly, so windows will not line up with hours and days of the UTC clock — prefer e.g. PT1M, PT5M, PT10M, PT15M or PT1H`,
    );
  }
  if (w.lagMs < 0) f.errors.push(`${at("lag")}: must not be negative`);
  if (w.mode === "ingestion") {
    if (w.lookbackMs < w.sizeMs) f.errors.push(`${at("lookback", "size")}: lookback ${d(w.lookbackMs)} is shorter than size ${d(w.sizeMs)}`);
    if (w.futureMs < w.sizeMs) f.errors.push(`${at("future", "size")}: future ${d(w.futureMs)} is shorter than size ${d(w.sizeMs)}`);
    if (w.lookbackMs < SERVICE_MAX_INGESTION_DELAY_MS) {
      f.warnings.push(
        `${at("lookback")}: lookback ${d(w.lookbackMs)} is shorter than PT60H — the service accepts a record whose TimeGenerated is up to two days before it was received and can ingest it hours later, so records up to ~60 h late are never exported; the default P3D covers them`,
      );
    }
  } else if (w.lagMs < TIME_MODE_MIN_SAFE_LAG_MS) {
    f.warnings.push(
      `${at("lag", "mode")}: lag ${d(w.lagMs)} is short for mode "time": a window is exported once, and records whose ${w.timeColumn} falls in it but that are ingested later (commonly minutes, sometimes hours) are never exported — use a lag of PT10M or more, or mode "ingestion", which catches late records`,
    );
  }
}

function checkQueries(config: MonitorliftConfig, file: ParsedConfigFile, f: RuleFindings, now: number): void {
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
    if (q.hiddenColumns !== undefined && q.table === undefined) {
      f.errors.push(`${p}.hiddenColumns: only applies with "table" — in a .kql file, name the columns in its own project (e.g. "| project TimeGenerated, _ItemId, …")`);
    }
    if (q.table !== undefined && q.hiddenColumns === undefined && q.window.timeColumn === "timestamp") {
      f.warnings.push(
        `${p}.hiddenColumns: the query reads a classic Application Insights table (timeColumn "timestamp"), whose id column is itemId and visible — the default ["_ItemId"] names a column it does not have; set "hiddenColumns": []`,
      );
    }

    const override = file.queries[q.index]?.window;
    const overridden = (k: WindowKey): boolean => override?.[k] !== undefined;
    const at: WindowPath = (k, ...related) => {
      if (overridden(k)) return `${p}.window.${k}`;
      const other = related.find(overridden);
      return other === undefined ? `window.${k}` : `${p}.window.${other}`;
    };
    checkWindow(q.window, at, f, now);
  }
  if (config.queries.length > 0 && config.queries.every((q) => !q.enabled)) {
    f.warnings.push(`queries: every query is disabled ("enabled": false) — nothing will be exported`);
  }
}

function checkSink(config: MonitorliftConfig, options: RuleOptions, f: RuleFindings): void {
  const kind = sinkKindOf(config.sink.type);
  if (!kind) return;
  const found = kind.config.check(config.sink as never, { path: "sink", substituted: (p) => options.substitutedPaths?.has(p) ?? false });
  f.errors.push(...found.errors);
  f.warnings.push(...found.warnings);
}

/** Cross-field rules on a normalised configuration and the parsed file it came from. */
export function checkRules(config: MonitorliftConfig, file: ParsedConfigFile, options: RuleOptions = {}): RuleFindings {
  const f: RuleFindings = { errors: [], warnings: [] };
  checkSourceChoice(config, file, f.errors);
  for (const [name, source] of Object.entries(config.sources)) checkSource(config, source, config.namedSources ? formatPath(["sources", name]) : "source", f);
  const now = options.now ?? Date.now();
  checkWindow(config.window, (k) => `window.${k}`, f, now);
  checkQueries(config, file, f, now);
  checkSink(config, options, f);
  return { errors: [...new Set(f.errors)], warnings: [...new Set(f.warnings)] };
}
