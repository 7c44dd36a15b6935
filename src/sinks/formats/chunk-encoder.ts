/**
 * The one entry point of the chunk formats: an encoder for a spec and columns, and the name
 * extension and HTTP content headers that go with it.
 */
import { availableParallelism } from "node:os";
import type { Column } from "../../table.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";
import { createParquetEncoder } from "./parquet.ts";
import { createTextChunkEncoder } from "./text-chunk-encoder.ts";
import { createThreadedTextEncoder } from "./threaded-encoder.ts";

/**
 * Whether text chunks are encoded on the encoding thread: only when MONITORLIFT_ENCODE_THREAD=on and the
 * machine has a second core. Off by default: measured on 2 cores it makes compressed text 12–27 % faster
 * but costs ~70 MB of peak RSS (the thread's own V8 heap and TypeScript loader), and uncompressed text
 * gains nothing (README, Benchmarks).
 */
function encodeThreadWanted(): boolean {
  const v = process.env["MONITORLIFT_ENCODE_THREAD"]?.trim().toLowerCase();
  return (v === "on" || v === "true" || v === "1" || v === "yes") && availableParallelism() > 1;
}

export function createChunkEncoder(spec: FormatSpec, columns: readonly Column[]): ChunkEncoder {
  if (spec.format === "parquet") return createParquetEncoder(columns);
  return encodeThreadWanted() ? createThreadedTextEncoder(spec, columns) : createTextChunkEncoder(spec, columns);
}

/** ".ndjson.gz", ".ndjson.zst", ".ndjson", ".json.gz", ".json.zst", ".json", ".parquet". */
export function chunkExtension(spec: FormatSpec): string {
  if (spec.format === "parquet") return ".parquet";
  const base = spec.format === "json" ? ".json" : ".ndjson";
  if (spec.compression === "gzip") return `${base}.gz`;
  if (spec.compression === "zstd") return `${base}.zst`;
  return base;
}

/** The media type of the (uncompressed) content. */
export function contentType(spec: FormatSpec): string {
  if (spec.format === "parquet") return "application/vnd.apache.parquet";
  if (spec.format === "json") return "application/json";
  return "application/x-ndjson";
}

/** The HTTP Content-Encoding of a chunk, when its bytes are compressed as a whole. */
export function contentEncoding(spec: FormatSpec): "gzip" | "zstd" | undefined {
  if (spec.format === "parquet" || spec.compression === "none") return undefined;
  return spec.compression;
}
