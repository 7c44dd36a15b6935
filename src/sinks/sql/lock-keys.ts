/** Stable lock identities for a StateKey (PostgreSQL advisory keys, MySQL GET_LOCK names). */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import type { StateKey } from "../sink.ts";

function digest(parts: readonly string[]): Buffer {
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

/** A signed 64-bit key from the parts (for pg_advisory_lock(bigint)). */
export function advisoryKey(parts: readonly string[]): bigint {
  return digest(parts).readBigInt64BE(0);
}

/** A short hex digest of the parts. */
export function lockDigest(parts: readonly string[], hexChars: number): string {
  return digest(parts).toString("hex").slice(0, hexChars);
}

/** "query/scope", for messages. */
export function keyLabel(key: StateKey): string {
  return `${key.query}/${key.scope}`;
}

/** Who this process is, for lock holders' descriptions: "monitorlift@host pid 1234". */
export function processIdentity(): { host: string; pid: number; label: string } {
  const host = hostname();
  return { host, pid: process.pid, label: `monitorlift@${host} pid ${process.pid}` };
}
