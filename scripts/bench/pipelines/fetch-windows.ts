/** What the reference pipelines share: the manifest and one window's body, fetched and parsed whole. */
import { readFileSync } from "node:fs";
import { windowRequest, type Manifest } from "../dataset.ts";

export function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

/** One window's response body, fetched (gzip, decoded by fetch) as text. */
export async function fetchBody(endpoint: string, workspaceId: string, w: { start: number; end: number }): Promise<string> {
  const res = await fetch(`${endpoint}/workspaces/${workspaceId}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-encoding": "gzip" },
    body: JSON.stringify(windowRequest(w)),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return res.text();
}

/** One window's response: fetched and JSON.parse'd whole. */
export async function fetchWindow(endpoint: string, workspaceId: string, w: { start: number; end: number }): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
  const doc = JSON.parse(await fetchBody(endpoint, workspaceId, w)) as { tables: { columns: { name: string; type: string }[]; rows: unknown[][] }[] };
  return doc.tables[0]!;
}

/** A cell as text, the way the references store it: strings as they are, anything else as its JSON. */
export function cellText(v: unknown): string | null {
  return v === null ? null : typeof v === "string" ? v : JSON.stringify(v);
}
