/**
 * The `format`, `compression` and `compressionLevel` keys shared by the file-like sinks' config schemas,
 * their one cross-field rule and the encoder spec they make (no encoder is loaded).
 */
import { z } from "zod";
import { COMPRESSIONS, COMPRESSION_LEVELS, FORMATS, levelInRange, type Compression, type Format, type FormatSpec } from "./format.ts";

export const formatKeys = {
  format: z.enum(FORMATS).default("ndjson").describe("Chunk format: ndjson (one JSON object per row), json ({columns, rows} document) or parquet (typed columns)."),
  compression: z
    .enum(COMPRESSIONS)
    .default("gzip")
    .describe("Compression of ndjson/json chunks: gzip, zstd or none. Parquet files are compressed internally (snappy) and ignore this."),
  compressionLevel: z
    .number()
    .int()
    .optional()
    .describe(
      `Level of gzip (${COMPRESSION_LEVELS.gzip.min}-${COMPRESSION_LEVELS.gzip.max}, default ${COMPRESSION_LEVELS.gzip.default}) or zstd (${COMPRESSION_LEVELS.zstd.min}-${COMPRESSION_LEVELS.zstd.max}, default ${COMPRESSION_LEVELS.zstd.default}); lower is faster with larger files.`,
    ),
};

interface FormatKeys {
  format: Format;
  compression: Compression;
  compressionLevel?: number | undefined;
}

/** Errors ("dot.path: message") for a compressionLevel that cannot apply or is out of its algorithm's range. */
export function checkFormatKeys(sink: FormatKeys, path: string): string[] {
  const level = sink.compressionLevel;
  if (level === undefined) return [];
  const key = `${path}.compressionLevel`;
  if (sink.format === "parquet") return [`${key}: parquet files are compressed internally (snappy) and take no level; remove compressionLevel`];
  if (sink.compression === "none") return [`${key}: compression is "none"; remove compressionLevel or set compression to "gzip" or "zstd"`];
  const { min, max, default: usual } = COMPRESSION_LEVELS[sink.compression];
  if (!levelInRange(sink.compression, level)) return [`${key}: ${sink.compression} takes a level from ${min} to ${max} (default ${usual}), got ${level}`];
  return [];
}

/** What the chunk encoder is given. */
export function formatSpec(sink: FormatKeys): FormatSpec {
  return { format: sink.format, compression: sink.compression, level: sink.compressionLevel };
}
