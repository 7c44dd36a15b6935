/**
 * Streaming compression of a chunk's bytes (gzip or zstd from node:zlib): each push returns the
 * compressed bytes produced so far, so a chunk never has to sit whole in memory.
 */
import zlib from "node:zlib";
import type { Transform } from "node:stream";
import { COMPRESSION_LEVELS, levelInRange, type Compression } from "./format.ts";
import { SinkError } from "../../errors.ts";

export interface ByteCompressor {
  /** Compresses `data`; resolves once zlib has read it, with the compressed bytes produced so far. */
  push(data: Uint8Array): Promise<Uint8Array[]>;
  end(): Promise<Uint8Array[]>;
  /** Abandon the stream (its native memory is freed now, not at some later GC). */
  close(): void;
}

function createTransform(compression: Exclude<Compression, "none">, level: number | undefined): Transform {
  const { min, max, default: usual } = COMPRESSION_LEVELS[compression];
  if (level !== undefined && !levelInRange(compression, level)) {
    // The config's rules reject this first (src/sinks/formats/config.ts); a caller passing one is a bug.
    throw new SinkError("INTERNAL", `${compression} level ${level} is outside ${min}..${max}`);
  }
  // gzip 6 (zlib's default): a good ratio for JSON text at a speed well above a query's download rate;
  // zstd 3 (zstd's default): faster than gzip 6 and a better ratio.
  if (compression === "gzip") return zlib.createGzip({ level: level ?? usual, chunkSize: 64 * 1024 });
  return zlib.createZstdCompress({
    chunkSize: 64 * 1024,
    params: { [zlib.constants.ZSTD_c_compressionLevel]: level ?? usual },
  });
}

/** A compressor at `level` (undefined: the algorithm's default, COMPRESSION_LEVELS). */
export function createCompressor(compression: Exclude<Compression, "none">, level?: number): ByteCompressor {
  const stream = createTransform(compression, level);
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
