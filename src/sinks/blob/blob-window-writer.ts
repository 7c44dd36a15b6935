/**
 * One window streamed into a block blob: encoded bytes are staged as blocks of
 * `blockSize` as they accumulate (memory ≈ one block), and commit() commits the block
 * list under the chunk's final name. Staged blocks stay invisible until then, so no
 * temporary blob is needed; an aborted or killed attempt leaves only uncommitted blocks,
 * which the service discards at the blob's next commit or after a week.
 *
 * Block ids are unique per attempt and all of one length (the service requires equal
 * lengths for the blocks of a blob): base64("<16 hex attempt id>-<6 digit sequence>").
 */
import { createHash, randomBytes } from "node:crypto";
import type { BlockBlobClient } from "@azure/storage-blob";
import type { ChunkEncoder } from "../formats/format.ts";
import type { CommitResult, CursorState, WindowTarget, WindowWriter } from "../sink.ts";
import type { RawRow } from "../../table.ts";
import { AbortedError, isMonitorliftError, SinkError } from "../../errors.ts";
import { formatWindow } from "../../window/window.ts";
import { toSinkError, type Redactor } from "./blob-errors.ts";
import type { BlobStateStore } from "./blob-state.ts";
import type { Logger } from "../../telemetry/logger.ts";

/** The service's limit of committed blocks per blob. */
const MAX_BLOCKS = 50_000;

export interface BlobWindowWriterOptions {
  target: WindowTarget;
  blob: BlockBlobClient;
  /** Blob name (with prefix), for messages. */
  blobName: string;
  containerUrl: string;
  encoder: ChunkEncoder;
  blockSize: number;
  contentType: string;
  contentEncoding: string | undefined;
  state: BlobStateStore;
  redact: Redactor;
  logger: Logger;
}

export function blockId(attempt: string, seq: number): string {
  return Buffer.from(`${attempt}-${String(seq).padStart(6, "0")}`).toString("base64");
}

export class BlobWindowWriter implements WindowWriter {
  readonly #o: BlobWindowWriterOptions;
  readonly #attempt = randomBytes(8).toString("hex");
  readonly #blockIds: string[] = [];
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #rows = 0;
  #bytes = 0;
  #status: "open" | "committing" | "committed" | "failed" | "aborted" = "open";

  constructor(options: BlobWindowWriterOptions) {
    this.#o = options;
  }

  async write(rows: readonly RawRow[]): Promise<void> {
    this.#ensureOpen("write");
    try {
      this.#throwIfAborted();
      this.#append(await this.#o.encoder.encode(rows));
      this.#rows += rows.length;
      while (this.#pendingBytes >= this.#o.blockSize) await this.#stage(this.#take(this.#o.blockSize));
    } catch (err) {
      throw this.#fail(err, "Staging a block of");
    }
  }

  async commit(next: CursorState, previous: CursorState | undefined): Promise<CommitResult> {
    this.#ensureOpen("commit");
    this.#status = "committing";
    const { target, blob, blobName } = this.#o;
    let step = "Staging the last block of";
    try {
      this.#throwIfAborted();
      this.#append(await this.#o.encoder.finish());
      while (this.#pendingBytes > 0) await this.#stage(this.#take(this.#o.blockSize));
      step = "Committing the block list of";
      await blob.commitBlockList(this.#blockIds, {
        abortSignal: target.signal,
        blobHTTPHeaders: {
          blobContentType: this.#o.contentType,
          ...(this.#o.contentEncoding === undefined ? {} : { blobContentEncoding: this.#o.contentEncoding }),
        },
      });
      // Data first, then the cursor: a crash in between leaves a chunk that the next run's
      // commit of the same window replaces (same name), never a duplicate.
      step = "Recording the state after";
      const version = await this.#o.state.write(target.key, next, previous, target.signal);
      next.version = version;
      this.#status = "committed";
      this.#o.logger.debug({ blob: blobName, rows: this.#rows, bytes: this.#bytes, blocks: this.#blockIds.length }, "window committed");
      return { rows: this.#rows, bytes: this.#bytes, location: `${this.#o.containerUrl}/${blobName}`, version };
    } catch (err) {
      throw this.#fail(err, step);
    }
  }

  async abort(): Promise<void> {
    if (this.#status === "committed") return;
    this.#status = "aborted";
    this.#pending = [];
    this.#pendingBytes = 0;
    // Nothing to delete: staged blocks are invisible and expire; deleting the blob would
    // remove a chunk an earlier run committed for this window.
  }

  #ensureOpen(what: string): void {
    if (this.#status !== "open") {
      throw new SinkError("INTERNAL", `Cannot ${what} window ${formatWindow(this.#o.target.window)} of ${this.#o.blobName}: the writer is ${this.#status}.`);
    }
  }

  #throwIfAborted(): void {
    const signal = this.#o.target.signal;
    if (!signal.aborted) return;
    if (isMonitorliftError(signal.reason)) throw signal.reason;
    throw new AbortedError(`Writing ${this.#o.blobName} was aborted`);
  }

  #fail(err: unknown, step: string): Error {
    if (this.#status !== "aborted") this.#status = "failed";
    this.#pending = [];
    this.#pendingBytes = 0;
    return toSinkError(err, {
      action: `${step} window ${formatWindow(this.#o.target.window)} (blob ${this.#o.blobName})`,
      container: this.#o.containerUrl,
      redact: this.#o.redact,
      signal: this.#o.target.signal,
    });
  }

  #append(chunks: Uint8Array[]): void {
    for (const c of chunks) {
      if (c.byteLength === 0) continue;
      this.#pending.push(c);
      this.#pendingBytes += c.byteLength;
    }
  }

  /** Up to `size` bytes from the front of the pending bytes, as one buffer. */
  #take(size: number): Buffer {
    const parts: Uint8Array[] = [];
    let taken = 0;
    while (taken < size && this.#pending.length > 0) {
      const head = this.#pending[0]!;
      const want = size - taken;
      if (head.byteLength <= want) {
        parts.push(head);
        taken += head.byteLength;
        this.#pending.shift();
      } else {
        parts.push(head.subarray(0, want));
        this.#pending[0] = head.subarray(want);
        taken += want;
      }
    }
    this.#pendingBytes -= taken;
    return Buffer.concat(parts, taken);
  }

  async #stage(block: Buffer): Promise<void> {
    if (this.#blockIds.length >= MAX_BLOCKS) {
      throw new SinkError("SINK_WRITE", `Window ${formatWindow(this.#o.target.window)} needs more than ${MAX_BLOCKS} blocks in ${this.#o.blobName}.`, {
        hint: "Raise blockSizeMiB in the blob sink config, or export smaller windows.",
      });
    }
    const id = blockId(this.#attempt, this.#blockIds.length);
    await this.#o.blob.stageBlock(id, block, block.byteLength, {
      abortSignal: this.#o.target.signal,
      transactionalContentMD5: createHash("md5").update(block).digest(),
    });
    this.#blockIds.push(id);
    this.#bytes += block.byteLength;
  }

  /** Block ids staged so far (for tests and logs). */
  get blockCount(): number {
    return this.#blockIds.length;
  }
}
