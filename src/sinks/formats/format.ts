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

export interface FormatSpec {
  readonly format: Format;
  /** Parquet compresses inside the file (snappy); compression applies to ndjson and json. */
  readonly compression: Compression;
}

export interface ChunkEncoder {
  /** Encode a batch; returns bytes to append to the chunk (possibly none yet). */
  encode(batch: RowBatch): Promise<Uint8Array[]>;
  /** The remaining bytes; the chunk is complete after these. */
  finish(): Promise<Uint8Array[]>;
  /** The chunk is abandoned (its window aborted): release what the encoder holds. Idempotent. */
  close(): void;
}
