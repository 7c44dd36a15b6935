/**
 * Which source blocks a file has and which source each query reads, as "dot.path: message" findings:
 *  - exactly one of `source` (one source) and `sources` (several by name), and `sources` not empty;
 *  - a query's `source` names a key of `sources` (with a "did you mean" for a slip), and only with `sources`;
 *  - with more than one named source every query says which one it reads (with one, it may leave it out).
 * Source names themselves are checked by the schema (SOURCE_NAME_PATTERN). Pure.
 */
import type { ParsedConfigFile } from "./schema.ts";
import { closestMatch } from "./suggest.ts";
import type { MonitorliftConfig } from "./types.ts";

export function checkSourceChoice(config: Pick<MonitorliftConfig, "queries">, file: ParsedConfigFile, errors: string[]): void {
  if (file.source !== undefined && file.sources !== undefined) {
    errors.push(`sources: give either "source" (one source for every query) or "sources" (several, by name), not both — move the "source" block into "sources" under a name`);
    return;
  }
  if (file.source === undefined && file.sources === undefined) {
    errors.push(`source: is required — give "source" (the workspace or resource every query reads) or "sources" (several, by name)`);
    return;
  }
  if (file.sources === undefined) {
    for (const q of config.queries) {
      if (file.queries[q.index]?.source === undefined) continue;
      errors.push(
        `queries[${q.index}].source: names a source, but the file has a single "source" block that every query reads — remove this key, or name your sources under "sources"`,
      );
    }
    return;
  }
  const names = Object.keys(file.sources);
  if (names.length === 0) {
    errors.push(`sources: must name at least one source, e.g. "sources": { "main": { "workspaceId": "…" } }`);
    return;
  }
  const list = names.map((n) => `"${n}"`).join(", ");
  for (const q of config.queries) {
    const p = `queries[${q.index}].source`;
    const given = file.queries[q.index]?.source;
    if (given === undefined) {
      if (names.length > 1) errors.push(`${p}: is required — "sources" names ${names.length} sources (${list}); say which one query "${q.name}" reads`);
      continue;
    }
    if (names.includes(given)) continue;
    const guess = closestMatch(given, names);
    errors.push(`${p}: no source named "${given}" in "sources"${guess !== undefined ? ` — did you mean "${guess}"?` : ` (sources: ${list})`}`);
  }
}
