/**
 * The one entry point of the chunk formats: an encoder for a spec and columns, and the name
 * extension and HTTP content headers that go with it.
 */
import type { Column } from "../../table.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";
import { createCompressor } from "./compression.ts";
import { createParquetEncoder } from "./parquet.ts";
import { createJsonDocumentEncoder, createNdjsonEncoder, type TextChunkEncoder } from "./text-encoders.ts";

function textEncoderFor(spec: FormatSpec, columns: readonly Column[]): TextChunkEncoder {
  return spec.format === "json" ? createJsonDocumentEncoder(columns) : createNdjsonEncoder(columns);
}

export function createChunkEncoder(spec: FormatSpec, columns: readonly Column[]): ChunkEncoder {
  if (spec.format === "parquet") return createParquetEncoder(columns);
  const text = textEncoderFor(spec, columns);
  if (spec.compression === "none") {
    return {
      async encode(batch) {
        const bytes = text.encode(batch);
        return bytes === undefined ? [] : [bytes];
      },
      async finish() {
        const bytes = text.finish();
        return bytes === undefined ? [] : [bytes];
      },
    };
  }
  const compressor = createCompressor(spec.compression);
  return {
    async encode(batch) {
      const bytes = text.encode(batch);
      return bytes === undefined ? [] : compressor.push(bytes);
    },
    async finish() {
      const bytes = text.finish();
      const head = bytes === undefined ? [] : await compressor.push(bytes);
      return [...head, ...(await compressor.end())];
    },
  };
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
