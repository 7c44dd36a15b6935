export { FORMATS, COMPRESSIONS, COMPRESSION_LEVELS } from "./format.ts";
export type { Format, Compression, FormatSpec, ChunkEncoder } from "./format.ts";
export { createChunkEncoder, chunkExtension, contentType, contentEncoding } from "./chunk-encoder.ts";
export { formatSpec } from "./config.ts";
export { ROW_GROUP_ROWS, ROW_GROUP_BYTES } from "./parquet.ts";
