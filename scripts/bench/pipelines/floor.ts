/**
 * The floor: JSON.parse of the same bodies, nothing else. The bodies are fetched and decoded first
 * (untimed); the child reports the time of the parses alone (`timedS`), which the table uses for its
 * rows/s, while CPU time and peak RSS are the whole process's.
 *   node scripts/bench/pipelines/floor.ts ENDPOINT MANIFEST
 */
import { fetchBody, readManifest } from "./fetch-windows.ts";

const [endpoint, manifestPath] = process.argv.slice(2) as [string, string];
const m = readManifest(manifestPath);
const bodies: string[] = [];
for (const w of m.windows) bodies.push(await fetchBody(endpoint, m.workspaceId, w));
let rows = 0;
const t0 = performance.now();
for (let i = 0; i < bodies.length; i++) {
  rows += (JSON.parse(bodies[i]!) as { tables: { rows: unknown[] }[] }).tables[0]!.rows.length;
}
const timedS = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ rows, timedS }) + "\n");
