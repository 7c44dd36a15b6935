/**
 * The naive whole-document pipeline: per window, fetch → JSON.parse → one object per row → NDJSON text
 * → gzip level 6 → write the file.
 *   node scripts/bench/pipelines/naive.ts ENDPOINT MANIFEST OUTDIR
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { fetchWindow, readManifest } from "./fetch-windows.ts";

const [endpoint, manifestPath, out] = process.argv.slice(2) as [string, string, string];
const m = readManifest(manifestPath);
mkdirSync(out, { recursive: true });
let rows = 0;
for (const [i, w] of m.windows.entries()) {
  const table = await fetchWindow(endpoint, m.workspaceId, w);
  const names = table.columns.map((c) => c.name);
  // The whole document in memory, as bytes: one string of 500,000 rows would pass V8's string limit.
  const parts: Buffer[] = [];
  let lines: string[] = [];
  for (const r of table.rows) {
    const o: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) o[names[c]!] = r[c];
    lines.push(JSON.stringify(o));
    if (lines.length === 10_000) {
      parts.push(Buffer.from(lines.join("\n") + "\n"));
      lines = [];
    }
  }
  if (lines.length > 0) parts.push(Buffer.from(lines.join("\n") + "\n"));
  writeFileSync(join(out, `${i}.ndjson.gz`), gzipSync(Buffer.concat(parts), { level: 6 }));
  rows += table.rows.length;
}
process.stdout.write(JSON.stringify({ rows }) + "\n");
