/**
 * The `Prefer` request header of the query API: `wait=N` (server timeout in
 * seconds; default 180, at most 600), `include-statistics=true`,
 * `include-render=true`, `include-permissions=true` (resource-centric queries: a `permissions`
 * section, logs/api/azure-resource-queries.md). Preferences are separated by commas (or semicolons).
 */

export const DEFAULT_WAIT_SECONDS = 180;
export const MAX_WAIT_SECONDS = 600;

export interface Preferences {
  /** Effective server timeout in seconds. */
  waitSeconds: number;
  /** True when the client sent a wait preference (echoed in Preference-Applied). */
  waitRequested: boolean;
  includeStatistics: boolean;
  includeRender: boolean;
  includePermissions: boolean;
}

export function parsePrefer(header: string | readonly string[] | undefined): Preferences {
  const prefs: Preferences = {
    waitSeconds: DEFAULT_WAIT_SECONDS,
    waitRequested: false,
    includeStatistics: false,
    includeRender: false,
    includePermissions: false,
  };
  const text = typeof header === "string" ? header : (header?.join(",") ?? "");
  for (const raw of text.split(/[,;]/)) {
    const [name = "", value = ""] = raw.split("=", 2).map((s) => s.trim().toLowerCase());
    if (name === "wait") {
      const n = Number(value);
      if (Number.isFinite(n) && n > 0) {
        prefs.waitSeconds = Math.min(Math.floor(n), MAX_WAIT_SECONDS) || 1;
        prefs.waitRequested = true;
      }
    } else if (name === "include-statistics") prefs.includeStatistics = value === "true";
    else if (name === "include-render") prefs.includeRender = value === "true";
    else if (name === "include-permissions") prefs.includePermissions = value === "true";
  }
  return prefs;
}
