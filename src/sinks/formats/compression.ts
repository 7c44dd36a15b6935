/**
 * Streaming compression of a chunk's bytes (gzip or zstd from node:zlib): each push returns the
 * compressed bytes produced so far, so a chunk never has to sit whole in memory.
 */
import zlib from "node:zlib";
import type { Transform } from "node:stream";
import type { Compression } from "./format.ts";
import { SinkError } from "../../errors.ts";

/** gzip level 6 (zlib's default): a good ratio for JSON text at a speed well above a query's download rate. */
export const GZIP_LEVEL = 6;
/** zstd level 3 (zstd's default): faster than gzip 6 and a better ratio. */
export const ZSTD_LEVEL = 3;

export interface ByteCompressor {
  /** Compresses `data`; resolves once zlib has read it, with the compressed bytes produced so far. */
  push(data: Uint8Array): Promise<Uint8Array[]>;
  end(): Promise<Uint8Array[]>;
  /** Abandon the stream (its native memory is freed now, not at some later GC). */
  close(): void;
}

function createTransform(compression: Exclude<Compression, "none">): Transform {
  if (compression === "gzip") return zlib.createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024 });
  return zlib.createZstdCompress({
    chunkSize: 64 * 1024,
    params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
  });
}

export function createCompressor(compression: Exclude<Compression, "none">): ByteCompressor {
  const stream = createTransform(compression);
  const out: Uint8Array[] = [];
  let failure: unknown;
  let ended = false;
  stream.on("data", (chunk: Buffer) => out.push(chunk));
  const ended$ = new Promise<void>((resolve, reject) => {
    stream.once("end", () => resolve());
    stream.once("error", (err) => {
      failure = err;
      reject(err);
    });
  });
  ended$.catch(() => undefined); // observed through `failure` / end()
  return {
    async push(data) {
      if (failure) throw failure;
      if (ended) throw new SinkError("INTERNAL", "compressor already ended");
      // Resolves once zlib has read `data` (in its thread pool): the caller may then reuse the buffer.
      if (data.byteLength > 0) {
        await new Promise<void>((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
      }
      return out.splice(0);
    },
    async end() {
      if (failure) throw failure;
      if (!ended) {
        ended = true;
        stream.end();
      }
      await ended$;
      return out.splice(0);
    },
    close() {
      failure ??= new SinkError("INTERNAL", "compressor used after close()");
      ended = true;
      out.length = 0;
      if (!stream.destroyed) stream.destroy();
    },
  };
}
