/**
 * The encoding thread (a worker_threads worker): text chunks are encoded and compressed here, so the
 * main thread only receives and scans responses. One message in, one reply out, in order per chunk:
 *   {op: "open", id, spec, columns}            starts chunk `id` (no reply)
 *   {op: "encode", id, bytes, bounds, length, width}  → {id, bytes} (the bytes to append; may be empty)
 *   {op: "finish", id}                         → {id, bytes} (the rest), then forgets `id`
 *   {op: "close", id}                          forgets `id` (no reply)
 * Every encode and finish gets exactly one reply, in the order sent. A failure replies
 * {id, error: {code, message, retryable}}, and so does every later request of that chunk. The main
 * side is ./threaded-encoder.ts.
 */
import { parentPort } from "node:worker_threads";
import { SinkError, isMonitorliftError, messageOf } from "../../errors.ts";
import { RowBatch } from "../../row-batch.ts";
import type { Column } from "../../table.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";
import { createTextChunkEncoder } from "./text-chunk-encoder.ts";

export type EncodeRequest =
  | { op: "open"; id: number; spec: FormatSpec; columns: Column[] }
  | { op: "encode"; id: number; bytes: Uint8Array; bounds: Uint32Array; length: number; width: number }
  | { op: "finish"; id: number }
  | { op: "close"; id: number };

export type EncodeReply = { id: number; bytes: Uint8Array } | { id: number; error: { code: string; message: string; retryable: boolean } };

interface Open {
  encoder: ChunkEncoder;
  /** The chunk's requests run one after another, in the order they came. */
  queue: Promise<void>;
  /** Set once a request failed or the chunk was closed: what every later request is told. */
  failure?: unknown;
}

function errorOf(err: unknown): { code: string; message: string; retryable: boolean } {
  return isMonitorliftError(err) ? { code: err.code, message: err.message, retryable: err.retryable } : { code: "INTERNAL", message: messageOf(err), retryable: false };
}

const port = parentPort;
if (port) {
  const open = new Map<number, Open>();
  const reply = (id: number, chunks: Uint8Array[]) => {
    // One buffer of its own, moved (not copied) to the main thread.
    const whole = chunks.length === 1 && chunks[0]!.byteOffset === 0 && chunks[0]!.byteLength === chunks[0]!.buffer.byteLength;
    const bytes = whole ? chunks[0]! : new Uint8Array(Buffer.concat(chunks));
    port.postMessage({ id, bytes } satisfies EncodeReply, bytes.byteLength > 0 ? [bytes.buffer as ArrayBuffer] : []);
  };
  const fail = (id: number, err: unknown) => port.postMessage({ id, error: errorOf(err) } satisfies EncodeReply);
  const closed = new SinkError("INTERNAL", "the chunk was closed");
  port.on("message", (m: EncodeRequest) => {
    if (m.op === "open") {
      open.set(m.id, { encoder: createTextChunkEncoder(m.spec, m.columns), queue: Promise.resolve() });
      return;
    }
    const chunk = open.get(m.id);
    if (m.op === "close") {
      if (chunk) {
        chunk.failure ??= closed;
        chunk.encoder.close();
        open.delete(m.id);
      }
      return;
    }
    if (!chunk) return fail(m.id, new SinkError("INTERNAL", `encoding thread: chunk ${m.id} is not open`));
    chunk.queue = chunk.queue.then(async () => {
      if (chunk.failure !== undefined) return fail(m.id, chunk.failure);
      try {
        if (m.op === "encode") {
          reply(m.id, await chunk.encoder.encode(new RowBatch(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.bounds, m.length, m.width)));
        } else {
          const rest = await chunk.encoder.finish();
          open.delete(m.id);
          reply(m.id, rest);
        }
      } catch (err) {
        chunk.failure = err;
        chunk.encoder.close();
        open.delete(m.id);
        fail(m.id, err);
      }
    });
  });
}
