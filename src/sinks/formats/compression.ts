/**
 * Streaming compression of a chunk's bytes (gzip or zstd from node:zlib): each push returns the
 * compressed bytes produced so far, so a chunk never has to sit whole in memory.
 */
import zlib from "node:zlib";
import type { Transform, TransformOptions } from "node:stream";
import type { Compression } from "./format.ts";
import { SinkError } from "../../errors.ts";

/** gzip level 6 (zlib's default): a good ratio for JSON text at a speed well above a query's download rate. */
export const GZIP_LEVEL = 6;
/** zstd level 3 (zstd's default): faster than gzip 6 and a better ratio. */
export const ZSTD_LEVEL = 3;

export interface ByteCompressor {
  push(data: Uint8Array): Promise<Uint8Array[]>;
  end(): Promise<Uint8Array[]>;
  /** Abandon the stream (its native memory is freed now, not at some later GC). */
  close(): void;
}

/** Encoded bytes that may wait for the compressor before the writer waits for it (a few batches). */
const QUEUED = 256 * 1024;

function createTransform(compression: Exclude<Compression, "none">): Transform {
  // zlib's streams take the stream options too (node:zlib passes them to Transform); @types/node omits them.
  const queue: Pick<TransformOptions, "writableHighWaterMark"> = { writableHighWaterMark: QUEUED };
  if (compression === "gzip") return zlib.createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024, ...queue });
  return zlib.createZstdCompress({
    chunkSize: 64 * 1024,
    ...queue,
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
      // Not awaiting each write: zlib compresses in its thread pool while this thread encodes the next
      // batch; only when QUEUED bytes wait to be compressed does the writer wait (backpressure).
      if (data.byteLength > 0 && !stream.write(data)) {
        await new Promise<void>((resolve, reject) => {
          const done = () => {
            stream.off("drain", done);
            stream.off("error", done);
            if (failure) reject(failure);
            else resolve();
          };
          stream.on("drain", done);
          stream.on("error", done);
        });
      }
      if (failure) throw failure;
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
