/**
 * An independent reader of a filesystem export, for tests: walks the Hive-style layout the
 * way a lake engine would (skipping "_"-prefixed names), decompresses and parses each chunk.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, zstdDecompressSync } from "node:zlib";

export interface ExportedChunk {
  path: string;
  rows: Record<string, unknown>[];
  /** The raw NDJSON lines (ndjson chunks only), for exact-text checks. */
  lines: string[];
}

export async function listDataFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith("_") || e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
    }
  }
  await walk(root);
  return out.sort();
}

export function decodeChunkText(path: string, bytes: Buffer): string {
  if (path.endsWith(".gz")) return gunzipSync(bytes).toString("utf8");
  if (path.endsWith(".zst")) return zstdDecompressSync(bytes).toString("utf8");
  return bytes.toString("utf8");
}

export async function readChunk(path: string): Promise<ExportedChunk> {
  const text = decodeChunkText(path, await readFile(path));
  if (/\.ndjson(\.|$)/.test(path)) {
    const lines = text.split("\n").filter((l) => l.length > 0);
    return { path, rows: lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
  }
  if (/\.json(\.|$)/.test(path)) {
    const doc = JSON.parse(text) as { columns: { name: string }[]; rows: unknown[][] };
    const rows = doc.rows.map((r) => Object.fromEntries(doc.columns.map((c, i) => [c.name, r[i]])));
    return { path, rows, lines: [] };
  }
  throw new Error(`unsupported chunk ${path}`);
}

/** Every exported row of one query folder. */
export async function readQueryRows(root: string, query: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const file of await listDataFiles(join(root, query))) rows.push(...(await readChunk(file)).rows);
  return rows;
}

/** Compares exported _ItemIds with the truth as multisets: what is missing and what is duplicated or extra. */
export function compareItemIds(exported: readonly string[], truth: readonly string[]): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const id of exported) counts.set(id, (counts.get(id) ?? 0) + 1);
  const truthSet = new Set(truth);
  const missing = truth.filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...counts.keys()].filter((id) => !truthSet.has(id));
  return { missing, duplicated, unexpected };
}
