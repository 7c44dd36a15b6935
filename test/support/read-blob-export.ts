/**
 * An independent reader of a blob (ADLS Gen2) export, for tests: lists the container the way
 * a lake engine would (skipping every path with a "_"- or "."-prefixed segment), checks that
 * each data blob's name is in the documented Hive layout
 *
 *   <prefix><query>/date=YYYY-MM-DD/hour=HH/<start>_<end>.ndjson[.gz|.zst]
 *
 * (parsed here on its own, without src/sinks/layout.ts, and required to format back to the
 * same name), then downloads, decompresses and parses each chunk. Anything that does not fit
 * the layout is an error, never silently skipped.
 */
import type { ContainerClient } from "@azure/storage-blob";
import pLimit from "p-limit";
import { gunzipSync, zstdDecompressSync } from "node:zlib";

export interface BlobChunk {
  /** Full blob name, prefix included. */
  name: string;
  query: string;
  /** The half-open window [start, end) of the name, epoch ms. */
  window: { start: number; end: number };
  contentType: string | undefined;
  contentEncoding: string | undefined;
  rows: Record<string, unknown>[];
}

export interface BlobExport {
  /** Data chunks, sorted by name. */
  chunks: BlobChunk[];
  /** Rows per query, in chunk-name order. */
  rows: Map<string, Record<string, unknown>[]>;
  /** Names below the prefix a lake engine ignores ("_state/…", "_locks/…", "_runs/…"). */
  skipped: string[];
}

const INSTANT = String.raw`(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z`;
const DATA_NAME = new RegExp(
  String.raw`^([A-Za-z][A-Za-z0-9_-]{0,63})/date=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/(${INSTANT.replace(/\(/g, "(?:")})_(${INSTANT.replace(/\(/g, "(?:")})\.(ndjson|json)(\.gz|\.zst)?$`,
);

function parseInstant(text: string): number {
  const m = new RegExp(`^${INSTANT}$`).exec(text);
  if (!m) throw new Error(`not a compact UTC instant: ${text}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
}

function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "");
}

/** The parts of a data blob name (relative to the prefix); throws when the name is not in the layout. */
export function parseDataName(relative: string): { query: string; window: { start: number; end: number }; format: string; compression: string } {
  const m = DATA_NAME.exec(relative);
  if (!m) throw new Error(`blob ${relative} is not in the layout <query>/date=YYYY-MM-DD/hour=HH/<start>_<end>.ndjson[.gz|.zst]`);
  const [, query, date, hour, startText, endText, format, ext] = m as unknown as string[];
  const start = parseInstant(startText!);
  const end = parseInstant(endText!);
  const iso = new Date(start).toISOString();
  const rebuilt = `${query}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/${formatInstant(start)}_${formatInstant(end)}.${format}${ext ?? ""}`;
  if (!(end > start)) throw new Error(`blob ${relative}: the window ends before it starts`);
  if (date !== iso.slice(0, 10) || hour !== iso.slice(11, 13)) throw new Error(`blob ${relative}: date=/hour= do not match the window start ${iso}`);
  if (rebuilt !== relative) throw new Error(`blob ${relative} does not format back to the same name (${rebuilt})`);
  return { query: query!, window: { start, end }, format: format!, compression: ext === ".gz" ? "gzip" : ext === ".zst" ? "zstd" : "none" };
}

function decode(name: string, bytes: Buffer, compression: string, contentEncoding: string | undefined): string {
  const declared = contentEncoding ?? "none";
  if (declared !== compression) throw new Error(`blob ${name}: Content-Encoding ${declared} does not match its extension (${compression})`);
  if (compression === "gzip") return gunzipSync(bytes).toString("utf8");
  if (compression === "zstd") return zstdDecompressSync(bytes).toString("utf8");
  return bytes.toString("utf8");
}

function parseRows(name: string, text: string, format: string): Record<string, unknown>[] {
  if (format === "json") {
    const doc = JSON.parse(text) as { columns: { name: string }[]; rows: unknown[][] };
    return doc.rows.map((r) => Object.fromEntries(doc.columns.map((c, i) => [c.name, r[i]])));
  }
  if (text.length > 0 && !text.endsWith("\n")) throw new Error(`blob ${name}: the NDJSON does not end with a newline (truncated?)`);
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Lists, checks and reads every data chunk below `prefix` (empty or ending in "/"). */
export async function readBlobExport(container: ContainerClient, prefix = ""): Promise<BlobExport> {
  const skipped: string[] = [];
  const data: Array<{ name: string; parsed: ReturnType<typeof parseDataName> }> = [];
  for await (const item of container.listBlobsFlat({ prefix })) {
    const relative = item.name.slice(prefix.length);
    if (relative.split("/").some((segment) => segment.startsWith("_") || segment.startsWith("."))) {
      skipped.push(item.name);
      continue;
    }
    data.push({ name: item.name, parsed: parseDataName(relative) });
  }
  data.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const limit = pLimit(8);
  const chunks = await Promise.all(
    data.map(({ name, parsed }) =>
      limit(async (): Promise<BlobChunk> => {
        const response = await container.getBlobClient(name).download();
        const parts: Buffer[] = [];
        for await (const part of response.readableStreamBody!) parts.push(part as Buffer);
        const text = decode(name, Buffer.concat(parts), parsed.compression, response.contentEncoding);
        return {
          name,
          query: parsed.query,
          window: parsed.window,
          contentType: response.contentType,
          contentEncoding: response.contentEncoding,
          rows: parseRows(name, text, parsed.format),
        };
      }),
    ),
  );
  const rows = new Map<string, Record<string, unknown>[]>();
  for (const chunk of chunks) {
    const list = rows.get(chunk.query) ?? [];
    list.push(...chunk.rows);
    rows.set(chunk.query, list);
  }
  return { chunks, rows, skipped: skipped.sort() };
}

/** The _ItemId of each row. */
export function itemIdsOf(rows: readonly Record<string, unknown>[] | undefined): string[] {
  return (rows ?? []).map((r) => String(r._ItemId));
}
