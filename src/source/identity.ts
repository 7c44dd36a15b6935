/**
 * Which sources speak to the query API as the same identity, and so share its limits.
 *
 * The query API's limits (5 concurrent queries, 200 requests per 30 s) count per identity — the user or
 * service principal behind the token — not per workspace: two workspaces read with one service principal
 * share them. The identity of a source is derived from its `auth` alone:
 *   clientSecret     the authority (cloud), the tenant and the client ID — not the secret: two secrets of
 *                    one app registration are one principal
 *   managedIdentity  the client ID of a user-assigned identity, or the system-assigned identity of the host
 *   default          DefaultAzureCredential resolves one identity per process (from the same environment),
 *                    per authority
 *   none             no identity (the local simulator): each endpoint counts on its own
 * Tenant IDs, client IDs and hosts compare without case. Pure: no I/O.
 */
import type { SourceAuth, SourceSettings } from "../config/types.ts";

/** The public cloud's Microsoft Entra authority, the one used when `authorityHost` is not set. */
export const DEFAULT_AUTHORITY = "https://login.microsoftonline.com";

function authority(host: string | undefined): string {
  if (host === undefined) return DEFAULT_AUTHORITY;
  try {
    return new URL(host).origin.toLowerCase();
  } catch {
    return host.toLowerCase().replace(/\/+$/, "");
  }
}

/** The key of the identity `source` queries as: equal keys, one identity (and one set of service limits). */
export function identityKey(source: { auth: SourceAuth; endpoint: string }): string {
  const a = source.auth;
  switch (a.method) {
    case "clientSecret":
      return `clientSecret ${authority(a.authorityHost)} tenant=${a.tenantId.toLowerCase()} client=${a.clientId.toLowerCase()}`;
    case "managedIdentity":
      return `managedIdentity ${a.clientId === undefined ? "system-assigned" : `client=${a.clientId.toLowerCase()}`}`;
    case "default":
      return `default ${authority(a.authorityHost)}`;
    case "none": {
      let origin: string;
      try {
        origin = new URL(source.endpoint).origin.toLowerCase();
      } catch {
        origin = source.endpoint.toLowerCase();
      }
      return `none ${origin}`;
    }
  }
}

/** One identity, the sources that query as it, and the request limits they share. */
export interface IdentityLimits {
  identity: string;
  /** Source names, in config order. */
  sources: string[];
  /** Requests in flight at once: the smallest `maxConcurrentRequests` of its sources, and at most `concurrency`. */
  maxConcurrent: number;
  /** Requests started per 30 s: the smallest `maxRequestsPer30s` of its sources. */
  maxPer30s: number;
}

/**
 * The sources grouped by identity, each group with the limits its one request gate keeps (the
 * strictest of its sources' settings: they describe one identity's budget). `concurrency` is the
 * config's top-level bound on windows in flight, applied per identity.
 */
export function limitsByIdentity(sources: Readonly<Record<string, Pick<SourceSettings, "auth" | "endpoint" | "maxConcurrentRequests" | "maxRequestsPer30s">>>, concurrency: number): IdentityLimits[] {
  const groups = new Map<string, IdentityLimits>();
  for (const [name, s] of Object.entries(sources)) {
    const identity = identityKey(s);
    const g = groups.get(identity);
    if (g === undefined) {
      groups.set(identity, { identity, sources: [name], maxConcurrent: Math.min(concurrency, s.maxConcurrentRequests), maxPer30s: s.maxRequestsPer30s });
    } else {
      g.sources.push(name);
      g.maxConcurrent = Math.min(g.maxConcurrent, s.maxConcurrentRequests);
      g.maxPer30s = Math.min(g.maxPer30s, s.maxRequestsPer30s);
    }
  }
  return [...groups.values()];
}
