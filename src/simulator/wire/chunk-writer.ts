/**
 * Writes a response body as large byte chunks, straight into the HTTP response
 * or into a gzip stream piped to it, with backpressure. Chunk buffers are
 * recycled once the output has consumed them (allocating fresh ones for every
 * response drives the GC hard). Also implements the "connection reset
 * part-way" fault: hand what was written to the socket, then destroy it.
 */
import type { ServerResponse } from "node:http";
import type { Writable } from "node:stream";
import zlib from "node:zlib";

export const CHUNK_BYTES = 128 * 1024;
const EMPTY = Buffer.alloc(0);
const POOL_MAX = 64;
const pool: Buffer[] = [];

function takeChunk(min: number): Buffer {
  if (min <= CHUNK_BYTES) {
    const b = pool.pop();
    if (b !== undefined) return b;
  }
  return Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, min));
}

function giveBack(b: Buffer): void {
  if (b.length === CHUNK_BYTES && pool.length < POOL_MAX) pool.push(b);
}

/** The client went away while the body was being written. */
export class ClientGoneError extends Error {
  constructor() {
    super("the client closed the connection");
    this.name = "ClientGoneError";
  }
}

export class ChunkWriter {
  private readonly out: Writable;
  private readonly res: ServerResponse;
  private readonly gzip: zlib.Gzip | undefined;
  private buf: Buffer = EMPTY;
  private off = 0;
  private sent = 0;
  private blocked = false;
  private gone = false;

  /** Writes to `res`, through gzip when `gzip` is true (the caller sets the headers). */
  constructor(res: ServerResponse, gzip: boolean) {
    this.res = res;
    if (gzip) {
      this.gzip = zlib.createGzip({ level: 1, chunkSize: 64 * 1024 });
      this.gzip.on("error", () => {
        this.gone = true;
      });
      this.gzip.pipe(res);
      this.out = this.gzip;
    } else {
      this.out = res;
    }
    res.on("close", () => {
      if (!res.writableFinished) this.gone = true;
    });
    res.on("error", () => {
      this.gone = true;
    });
  }

  /** Body bytes produced so far (before compression). */
  get bytes(): number {
    return this.sent + this.off;
  }

  /** True when the output asked us to wait; await drained() before writing more. */
  get backpressured(): boolean {
    return this.blocked || this.gone;
  }

  /** Resolves once the output drained; rejects with ClientGoneError if the client left. */
  drained(): Promise<void> {
    if (this.gone) return Promise.reject(new ClientGoneError());
    if (!this.blocked) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.out.off("drain", onDrain);
        this.res.off("close", onClose);
      };
      const onDrain = () => {
        done();
        this.blocked = false;
        resolve();
      };
      const onClose = () => {
        done();
        this.gone = true;
        reject(new ClientGoneError());
      };
      this.out.on("drain", onDrain);
      this.res.on("close", onClose);
    });
  }

  /** Encodes `s` as UTF-8 into the body; returns its byte length. */
  text(s: string): number {
    this.ensure(s.length * 3);
    const n = this.buf.write(s, this.off, "utf8");
    this.off += n;
    return n;
  }

  /** Copies bytes into the body. */
  bytesIn(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  /** Copies src[start, end) into the body, filling chunk after chunk. */
  range(src: Buffer, start: number, end: number): void {
    let s = start;
    while (s < end) {
      if (this.off >= this.buf.length) this.ensure(1);
      const n = Math.min(end - s, this.buf.length - this.off);
      src.copy(this.buf, this.off, s, s + n);
      this.off += n;
      s += n;
    }
  }

  /** One ASCII byte (e.g. a comma). */
  ascii(code: number): void {
    this.ensure(1);
    this.buf[this.off++] = code;
  }

  /** Hands the current chunk to the output. */
  push(): void {
    if (this.off === 0) return;
    const whole = this.buf;
    const chunk = whole.subarray(0, this.off);
    this.sent += this.off;
    this.buf = EMPTY;
    this.off = 0;
    if (this.gone) throw new ClientGoneError();
    if (!this.out.write(chunk, () => giveBack(whole))) this.blocked = true;
  }

  /** Pushes what is left and ends the body; resolves when the response is finished (or the client left). */
  async end(): Promise<void> {
    this.push();
    await new Promise<void>((resolve) => {
      if (this.res.writableFinished || this.res.destroyed) {
        resolve();
        return;
      }
      this.res.once("finish", () => resolve());
      this.res.once("close", () => resolve());
      this.out.end();
    });
  }

  /**
   * The reset fault: hand everything written so far to the socket (flushing
   * gzip, so the client receives a decodable prefix), wait until the socket has
   * sent it, then destroy the connection without finishing the body.
   */
  async cut(): Promise<void> {
    this.push();
    const gz = this.gzip;
    if (gz !== undefined) {
      await new Promise<void>((resolve) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    const socket = this.res.socket;
    if (socket === null) return;
    const deadline = Date.now() + 2000;
    while (socket.writableLength > 0 && !socket.destroyed && Date.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, 2));
    }
    this.gone = true;
    gz?.unpipe(this.res);
    socket.destroy();
    gz?.destroy();
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    this.push();
    this.buf = takeChunk(n);
  }
}
