/**
 * The query API's response cache (logs/api/cache.md): an identical request is answered from a
 * cache for 2 minutes, with an `Age` header giving the answer's staleness in seconds (recorded:
 * `Age: 87` on a resource query in azure-sdk-for-java's LogsQueryClientTest.testLogsQueryResource).
 * `Cache-Control: no-cache` / `no-store` bypass it and `max-age=N` bounds the age accepted.
 *
 * What is cached is the executed result (the rows as of that request), keyed by the request's
 * target, query text, timespan and additional workspaces, on the simulator's clock; the faults of
 * each request still apply to the body served. Bounded: at most MAX_ENTRIES results and MAX_ROWS rows.
 */
import type { Executed } from "./query-exec.ts";

export const CACHE_TTL_MS = 2 * 60_000;
const MAX_ENTRIES = 64;
const MAX_ROWS = 2_000_000;

export interface CacheControl {
  /** no-cache or no-store: always run the query. */
  bypass: boolean;
  /** no-store: do not keep the fresh answer either. */
  noStore: boolean;
  /** max-age=N, in seconds. */
  maxAgeSeconds?: number;
}

export function parseCacheControl(header: string | readonly string[] | undefined): CacheControl {
  const text = typeof header === "string" ? header : (header?.join(",") ?? "");
  const out: CacheControl = { bypass: false, noStore: false };
  for (const raw of text.split(",")) {
    const [name = "", value = ""] = raw.split("=", 2).map((s) => s.trim().toLowerCase());
    if (name === "no-cache") out.bypass = true;
    else if (name === "no-store") {
      out.bypass = true;
      out.noStore = true;
    } else if (name === "max-age") {
      const n = Number(value);
      if (Number.isFinite(n) && n >= 0) out.maxAgeSeconds = Math.floor(n);
    }
  }
  return out;
}

type Ok = Extract<Executed, { ok: true }>;

interface Entry {
  ex: Ok;
  /** The permissions section computed with the result (resource-centric queries). */
  permissions: Record<string, unknown> | undefined;
  at: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private rows = 0;

  static key(target: string, body: unknown): string {
    const b = (typeof body === "object" && body !== null ? body : {}) as { query?: unknown; timespan?: unknown; workspaces?: unknown };
    return JSON.stringify([target.toLowerCase(), b.query ?? null, b.timespan ?? null, b.workspaces ?? null]);
  }

  /** The cached result and its age in seconds, if one may be served now. */
  get(key: string, now: number, control: CacheControl): { ex: Ok; permissions: Record<string, unknown> | undefined; ageSeconds: number } | undefined {
    if (control.bypass) return undefined;
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    const ageMs = now - e.at;
    if (ageMs < 0 || ageMs >= CACHE_TTL_MS) {
      this.delete(key, e);
      return undefined;
    }
    const ageSeconds = Math.floor(ageMs / 1000);
    if (control.maxAgeSeconds !== undefined && ageSeconds > control.maxAgeSeconds) return undefined;
    return { ex: e.ex, permissions: e.permissions, ageSeconds };
  }

  put(key: string, ex: Ok, permissions: Record<string, unknown> | undefined, now: number, control: CacheControl): void {
    if (control.noStore) return;
    const old = this.entries.get(key);
    if (old !== undefined) this.delete(key, old);
    const n = ex.result.rows.length;
    if (n > MAX_ROWS) return;
    while (this.entries.size >= MAX_ENTRIES || this.rows + n > MAX_ROWS) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.delete(oldestKey, oldest);
    }
    this.entries.set(key, { ex, permissions, at: now });
    this.rows += n;
  }

  clear(): void {
    this.entries.clear();
    this.rows = 0;
  }

  private delete(key: string, e: Entry): void {
    this.entries.delete(key);
    this.rows -= e.ex.result.rows.length;
  }
}
