/**
 * Text chunks encoded on a second thread (./encode-thread.ts): the main thread receives and scans
 * responses while the encoding thread turns row batches into ndjson/json and feeds the compressor,
 * so both cores work. One encoding thread per process, started on first use and not keeping the
 * process alive. A chunk's batches are sent ahead (at most AHEAD unanswered), so a window's next batch
 * is scanned while its previous one is encoded; the bytes come back in order.
 */
import { Worker } from "node:worker_threads";
import { SinkError, type ErrorCode } from "../../errors.ts";
import type { RowBatch } from "../../row-batch.ts";
import type { Column } from "../../table.ts";
import type { EncodeReply, EncodeRequest } from "./encode-thread.ts";
import type { ChunkEncoder, FormatSpec } from "./format.ts";

/** Batches of one chunk sent and not answered yet, before encode() waits for the oldest. */
const AHEAD = 3;

interface Waiting {
  resolve(bytes: Uint8Array): void;
  reject(err: unknown): void;
}

class EncodeThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting[]>();
  #nextId = 0;
  #broken: unknown;
  /** Requests not answered yet: while there are any, the thread keeps the process alive. */
  #outstanding = 0;

  constructor(onGone: () => void) {
    this.#worker = new Worker(new URL("./encode-thread.ts", import.meta.url), {
      // Not the process's own Node options (--input-type, --import of a preload…): the thread only encodes.
      execArgv: [],
      // Its garbage is short-lived (one batch): a small young generation, as on the main thread.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    this.#worker.on("message", (m: EncodeReply) => {
      // One reply per request, in order: the oldest waiter of the chunk gets it.
      if (--this.#outstanding === 0) this.#worker.unref();
      const waiter = this.#waiting.get(m.id)?.shift();
      if (!waiter) return; // the chunk was closed
      if ("error" in m) waiter.reject(new SinkError(m.error.code as ErrorCode, m.error.message, { retryable: m.error.retryable }));
      else waiter.resolve(m.bytes);
    });
    const gone = (err: unknown) => {
      this.#broken = new SinkError("INTERNAL", `the encoding thread stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      for (const queue of this.#waiting.values()) for (const w of queue) w.reject(this.#broken);
      this.#waiting.clear();
      onGone();
    };
    this.#worker.on("error", gone);
    this.#worker.on("exit", (code) => gone(new SinkError("INTERNAL", `exit code ${code}`)));
    // After the listeners (adding a message listener refs the thread again): only requests waiting for
    // a reply keep the process alive, an idle thread never does.
    this.#worker.unref();
  }

  open(spec: FormatSpec, columns: readonly Column[]): number {
    const id = ++this.#nextId;
    this.#post({ op: "open", id, spec, columns: columns.map((c) => ({ name: c.name, type: c.type })) });
    this.#waiting.set(id, []);
    return id;
  }

  /** Sends a request that gets a reply; the promise never goes unhandled (callers await it in order). */
  request(message: Extract<EncodeRequest, { op: "encode" | "finish" }>, transfer: ArrayBuffer[] = []): Promise<Uint8Array> {
    const queue = this.#waiting.get(message.id);
    if (this.#broken) return Promise.reject(this.#broken);
    if (!queue) return Promise.reject(new SinkError("INTERNAL", `chunk ${message.id} is not open on the encoding thread (it was finished or closed)`));
    const p = new Promise<Uint8Array>((resolve, reject) => queue.push({ resolve, reject }));
    p.catch(() => undefined);
    this.#post(message, transfer);
    if (this.#outstanding++ === 0) this.#worker.ref();
    return p;
  }

  close(id: number): void {
    this.#waiting.delete(id);
    if (!this.#broken) this.#post({ op: "close", id });
  }

  forget(id: number): void {
    this.#waiting.delete(id);
  }

  #post(message: EncodeRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }
}

let shared: EncodeThread | undefined;

function thread(): EncodeThread {
  return (shared ??= new EncodeThread(() => (shared = undefined)));
}

/** The batch's bytes from its first cell to its last, copied into a buffer of their own, with bounds to match. */
function detach(batch: RowBatch): { bytes: Uint8Array<ArrayBuffer>; bounds: Uint32Array<ArrayBuffer> } {
  const cells = batch.length * batch.width;
  const { start: first, end: last } = batch.cellSpan();
  const bytes = new Uint8Array(new ArrayBuffer(last - first));
  bytes.set(batch.bytes.subarray(first, last));
  const bounds = new Uint32Array(new ArrayBuffer(8 * cells));
  bounds.set(batch.bounds.subarray(0, 2 * cells));
  for (let k = 0; k < bounds.length; k++) bounds[k] = bounds[k]! - first;
  return { bytes, bounds };
}

export function createThreadedTextEncoder(spec: FormatSpec, columns: readonly Column[]): ChunkEncoder {
  const t = thread();
  const id = t.open(spec, columns);
  const sent: Promise<Uint8Array>[] = [];
  let closed = false;
  const collect = async (all: boolean): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = [];
    while (sent.length > (all ? 0 : AHEAD - 1)) {
      const bytes = await sent.shift()!;
      if (bytes.byteLength > 0) out.push(bytes);
    }
    return out;
  };
  return {
    async encode(batch) {
      if (closed) throw new SinkError("INTERNAL", "encoder used after close()");
      if (batch.length === 0) return [];
      const { bytes, bounds } = detach(batch);
      sent.push(t.request({ op: "encode", id, bytes, bounds, length: batch.length, width: batch.width }, [bytes.buffer, bounds.buffer]));
      return collect(false);
    },
    async finish() {
      if (closed) throw new SinkError("INTERNAL", "encoder used after close()");
      sent.push(t.request({ op: "finish", id }));
      try {
        return await collect(true);
      } finally {
        closed = true;
        t.forget(id);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      sent.length = 0;
      t.close(id);
    },
  };
}
