/**
 * A text chunk (ndjson or json, compressed as configured) encoded on the calling thread: the text
 * encoder's bytes, through the compressor when there is one. Used on the main thread when no encoding
 * thread is available, and inside the encoding thread itself (./encode-thread.ts).
 */
import type { Column } from "../../table.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";
import { createCompressor } from "./compression.ts";
import { createJsonDocumentEncoder, createNdjsonEncoder } from "./text-encoders.ts";

export function createTextChunkEncoder(spec: FormatSpec, columns: readonly Column[]): ChunkEncoder {
  const text = spec.format === "json" ? createJsonDocumentEncoder(columns) : createNdjsonEncoder(columns);
  if (spec.compression === "none") {
    return {
      async encode(batch) {
        const bytes = text.encode(batch);
        // The text is a view of the encoder's arena: the caller keeps a copy (it may hold it past the next batch).
        return bytes === undefined ? [] : [new Uint8Array(bytes)];
      },
      async finish() {
        const bytes = text.finish();
        return bytes === undefined ? [] : [bytes];
      },
      close() {},
    };
  }
  const compressor = createCompressor(spec.compression, spec.level);
  return {
    async encode(batch) {
      const bytes = text.encode(batch);
      // push() returns once zlib has read the bytes, before the arena is written again.
      return bytes === undefined ? [] : compressor.push(bytes);
    },
    async finish() {
      const bytes = text.finish();
      const head = bytes === undefined ? [] : await compressor.push(bytes);
      return [...head, ...(await compressor.end())];
    },
    close() {
      compressor.close();
    },
  };
}
