/**
 * Independent readers of what a sink left in its storage, for the contract suite (not a test itself):
 * they look at the files, blobs and tables the way a reader of the export would (a lake engine skips
 * "_"- and "."-prefixed names; SQL readers select the table), without going through the sink.
 *
 * Every reader returns the rows a reader sees as sorted "<start>-<end>:<Name>" strings, the window in
 * minutes after T0 (test/support/sink-windows.ts), so assertions compare exact rows and their windows.
 */
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import { readChunk } from "./read-export.ts";
import { parseDataName, readBlobExport } from "./read-blob-export.ts";
import type { Harness as SqlHarness } from "./sql-test-harness.ts";
import { MIN, T0, toMs } from "./sink-windows.ts";

/** "0-5:w0-1": a row named w0-1 committed with the window [T0, T0 + 5 min). */
export function rowLabel(start: number, end: number, name: unknown): string {
  return `${(start - T0) / MIN}-${(end - T0) / MIN}:${String(name)}`;
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else out.push(p);
  }
}

/** Every file below `root/query`, relative to `root` with "/" separators, sorted. */
export async function filesOf(root: string, query: string): Promise<string[]> {
  const out: string[] = [];
  await walk(join(root, query), out);
  return out.map((p) => relative(root, p).split(sep).join("/")).sort();
}

const hidden = (name: string) => name.split("/").some((segment) => segment.startsWith("_") || segment.startsWith("."));

/** The rows of `query` a lake reader sees in a filesystem export: every visible chunk, its window parsed from its name. */
export async function filesystemRows(root: string, query: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await filesOf(root, query)) {
    if (hidden(name)) continue;
    const { window } = parseDataName(name);
    for (const row of (await readChunk(join(root, name))).rows) out.push(rowLabel(window.start, window.end, row.Name));
  }
  return out.sort();
}

/** Files a reader skips ("_tmp." staging files and the like) below the query's folder: leftovers of unfinished commits. */
export async function filesystemLeftovers(root: string, query: string): Promise<string[]> {
  return (await filesOf(root, query)).filter(hidden);
}

/** The rows of `query` a lake reader sees below `prefix` of a container. */
export async function blobRows(container: ContainerClient, prefix: string, query: string): Promise<string[]> {
  const found = await readBlobExport(container, prefix);
  const out: string[] = [];
  for (const chunk of found.chunks) if (chunk.query === query) for (const row of chunk.rows) out.push(rowLabel(chunk.window.start, chunk.window.end, row.Name));
  return out.sort();
}

/** Blob names below the query's folder that a reader skips (there should be none: blocks are staged, not blobs). */
export async function blobLeftovers(container: ContainerClient, prefix: string, query: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of container.listBlobsFlat({ prefix: `${prefix}${query}/` })) if (hidden(item.name.slice(prefix.length))) out.push(item.name);
  return out.sort();
}

/** The rows of `query` in its SQL table (none when the table does not exist yet). */
export async function sqlRows(db: SqlHarness, query: string): Promise<string[]> {
  if ((await db.columnsOf(query)).length === 0) return [];
  const rows = await db.select(`SELECT ${db.quote("Name")} AS name, ${db.quote("_window_start")} AS ws, ${db.quote("_window_end")} AS we FROM ${db.table(query)}`);
  return rows.map((r) => rowLabel(toMs(r.ws), toMs(r.we), r.name)).sort();
}
