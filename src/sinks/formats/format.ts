/**
 * Chunk encoders shared by the filesystem and blob sinks (one implementation, not a copy per sink).
 * An encoder turns batches of raw rows into the bytes of one chunk, compressed as configured.
 */
import type { RowBatch } from "../../row-batch.ts";
import type { Column } from "../../table.ts";

export const FORMATS = ["ndjson", "json", "parquet"] as const;
export type Format = (typeof FORMATS)[number];
export const COMPRESSIONS = ["none", "gzip", "zstd"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/**
 * Compression levels each algorithm takes, and its default. gzip 6 is zlib's default; zstd 3 is zstd's.
 * Lower levels are faster and make larger files (measured in the README, Benchmarks: on the bench's rows
 * zstd 1 was ~1.5x faster than 3 and no larger, on other real text 3-11 % larger; gzip 1-3 ~2.3x faster
 * than 6 and ~20 % larger). zstd stops at 19: levels 20-22 need far more memory per stream.
 */
export const COMPRESSION_LEVELS = {
  gzip: { min: 1, max: 9, default: 6 },
  zstd: { min: 1, max: 19, default: 3 },
} as const satisfies Record<Exclude<Compression, "none">, { min: number; max: number; default: number }>;

/** Whether `level` is one `compression` takes (COMPRESSION_LEVELS). */
export function levelInRange(compression: Exclude<Compression, "none">, level: number): boolean {
  const { min, max } = COMPRESSION_LEVELS[compression];
  return Number.isInteger(level) && level >= min && level <= max;
}

export interface FormatSpec {
  readonly format: Format;
  /** Parquet compresses inside the file (snappy); compression applies to ndjson and json. */
  readonly compression: Compression;
  /** The compression level (COMPRESSION_LEVELS); undefined: the algorithm's default. */
  readonly level?: number | undefined;
}

export interface ChunkEncoder {
  /** Encode a batch; returns bytes to append to the chunk (possibly none yet). */
  encode(batch: RowBatch): Promise<Uint8Array[]>;
  /** The remaining bytes; the chunk is complete after these. */
  finish(): Promise<Uint8Array[]>;
  /** The chunk is abandoned (its window aborted): release what the encoder holds. Idempotent. */
  close(): void;
}
