/**
 * The floor: fetch each window's body (gzip decoded by fetch) and JSON.parse it, nothing else.
 *   node scripts/bench/pipelines/floor.ts ENDPOINT MANIFEST
 */
import { fetchWindow, readManifest } from "./fetch-windows.ts";

const [endpoint, manifestPath] = process.argv.slice(2) as [string, string];
const m = readManifest(manifestPath);
let rows = 0;
for (const w of m.windows) rows += (await fetchWindow(endpoint, m.workspaceId, w)).rows.length;
process.stdout.write(JSON.stringify({ rows }) + "\n");
