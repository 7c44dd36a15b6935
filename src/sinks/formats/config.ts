/** The `format` and `compression` keys shared by the file-like sinks' config schemas (no encoder is loaded). */
import { z } from "zod";
import { COMPRESSIONS, FORMATS } from "./format.ts";

export const formatKeys = {
  format: z.enum(FORMATS).default("ndjson").describe("Chunk format: ndjson (one JSON object per row), json ({columns, rows} document) or parquet (typed columns)."),
  compression: z
    .enum(COMPRESSIONS)
    .default("gzip")
    .describe("Compression of ndjson/json chunks: gzip, zstd or none. Parquet files are compressed internally (snappy) and ignore this."),
};
