/**
 * The blob sink's chunk store (the commit order itself lives in ../file-commit.ts): encoded bytes
 * are staged as blocks of `blockSize` as they accumulate (memory ≈ one block); seal() stages the
 * rest; publish() commits the block list under the chunk's final name (replacing an earlier chunk
 * of the same window) with the chunk's row count in its metadata (`monitorliftrows`: set by the same
 * request, so it is never out of step with the data); unpublish() deletes that blob again. Staged blocks stay invisible until
 * published, so no temporary blob is needed; an aborted or killed attempt leaves only uncommitted
 * blocks, which the service discards at the blob's next commit or after a week — discard() deletes
 * nothing (deleting the blob would remove a chunk an earlier run committed for this window).
 *
 * Block ids are unique per attempt and all of one length (the service requires equal
 * lengths for the blocks of a blob): base64("<16 hex attempt id>-<6 digit sequence>").
 */
import { createHash, randomBytes } from "node:crypto";
import type { BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import type { WindowTarget } from "../sink.ts";
import { SinkError } from "../../errors.ts";
import { formatWindow } from "../../window/window.ts";
import { chunkPath } from "../layout.ts";
import type { ChunkStore, ChunkUpload, ListedChunk } from "../file-commit.ts";
import { toSinkError, type Redactor } from "./blob-errors.ts";

/** The service's limit of committed blocks per blob. */
const MAX_BLOCKS = 50_000;

export interface BlobChunkOptions {
  container: ContainerClient;
  containerUrl: string;
  prefix: string;
  /** The file extension of the configured format and compression. */
  extension: string;
  blockSize: number;
  contentType: string;
  contentEncoding: string | undefined;
  redact: Redactor;
}

export function blockId(attempt: string, seq: number): string {
  return Buffer.from(`${attempt}-${String(seq).padStart(6, "0")}`).toString("base64");
}

/** The blob metadata key holding a chunk's row count (metadata names are C# identifiers; the service lower-cases them). */
export const ROWS_METADATA = "monitorliftrows";

function parseRows(text: string | undefined): number | undefined {
  const rows = text === undefined ? NaN : Number(text);
  return Number.isSafeInteger(rows) && rows >= 0 ? rows : undefined;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class BlobChunks implements ChunkStore {
  readonly #o: BlobChunkOptions;

  constructor(options: BlobChunkOptions) {
    this.#o = options;
  }

  async open(target: WindowTarget): Promise<ChunkUpload> {
    const blobName = this.#o.prefix + chunkPath(target.key.query, target.window, this.#o.extension);
    return new BlobUpload(this.#o, target, this.#o.container.getBlockBlobClient(blobName), blobName);
  }

  /**
   * The chunk blobs of the query's `date=` folders in range (one listing per day), not the whole
   * container. Staged-but-uncommitted blocks of a killed attempt need nothing: they are invisible.
   */
  async *list(query: string, from: number, to: number): AsyncIterable<ListedChunk> {
    const { container } = this.#o;
    const root = `${this.#o.prefix}${query}/`;
    const firstDay = dayOf(from);
    const lastDay = Number.isFinite(to) ? dayOf(to - 1) : undefined;
    const wrap = (err: unknown, action: string) => toSinkError(err, { action, container: this.#o.containerUrl, redact: this.#o.redact });
    const days: string[] = [];
    try {
      for await (const item of container.listBlobsByHierarchy("/", { prefix: root })) {
        if (item.kind !== "prefix") continue;
        const m = /^date=(\d{4}-\d{2}-\d{2})\/$/.exec(item.name.slice(root.length));
        if (!m) continue;
        const day = m[1]!;
        if (day >= firstDay && (lastDay === undefined || day <= lastDay)) days.push(item.name);
      }
    } catch (err) {
      throw wrap(err, `Recovering the chunks of query ${query} under ${root}`);
    }
    for (const dayPrefix of days) {
      const names: string[] = [];
      const counts = new Map<string, string | undefined>();
      try {
        for await (const blob of container.listBlobsFlat({ prefix: dayPrefix, includeMetadata: true })) {
          names.push(blob.name);
          counts.set(blob.name, blob.metadata?.[ROWS_METADATA]);
        }
      } catch (err) {
        throw wrap(err, `Recovering the chunks of query ${query} under ${dayPrefix}`);
      }
      for (const name of names) {
        yield {
          name: name.slice(name.lastIndexOf("/") + 1),
          location: name,
          rows: async () => parseRows(counts.get(name)),
          remove: async () => {
            try {
              await container.getBlobClient(name).deleteIfExists({ deleteSnapshots: "include" });
              return true;
            } catch (err) {
              throw wrap(err, `Removing the leftover chunk ${name}`);
            }
          },
        };
      }
    }
  }
}

class BlobUpload implements ChunkUpload {
  readonly #o: BlobChunkOptions;
  readonly #target: WindowTarget;
  readonly #blob: BlockBlobClient;
  readonly #blobName: string;
  readonly #attempt = randomBytes(8).toString("hex");
  readonly #blockIds: string[] = [];
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  constructor(o: BlobChunkOptions, target: WindowTarget, blob: BlockBlobClient, blobName: string) {
    this.#o = o;
    this.#target = target;
    this.#blob = blob;
    this.#blobName = blobName;
  }

  get location(): string {
    return `${this.#o.containerUrl}/${this.#blobName}`;
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      if (c.byteLength === 0) continue;
      this.#pending.push(c);
      this.#pendingBytes += c.byteLength;
    }
    await this.#step("Staging a block of", async () => {
      while (this.#pendingBytes >= this.#o.blockSize) await this.#stage(this.#take(this.#o.blockSize));
    });
  }

  seal(): Promise<void> {
    return this.#step("Staging the last block of", async () => {
      while (this.#pendingBytes > 0) await this.#stage(this.#take(this.#o.blockSize));
    });
  }

  publish(rows: number): Promise<void> {
    return this.#step("Committing the block list of", async () => {
      await this.#blob.commitBlockList(this.#blockIds, {
        abortSignal: this.#target.signal,
        metadata: { [ROWS_METADATA]: String(rows) },
        blobHTTPHeaders: {
          blobContentType: this.#o.contentType,
          ...(this.#o.contentEncoding === undefined ? {} : { blobContentEncoding: this.#o.contentEncoding }),
        },
      });
    });
  }

  unpublish(): Promise<void> {
    // No abort signal: the take-back must run even when the commit was stopped.
    return this.#step("Taking back", async () => {
      await this.#blob.deleteIfExists({ deleteSnapshots: "include" });
    }, false);
  }

  async discard(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  async #step(what: string, fn: () => Promise<void>, withSignal = true): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#pending = [];
      this.#pendingBytes = 0;
      throw toSinkError(err, {
        action: `${what} window ${formatWindow(this.#target.window)} (blob ${this.#blobName})`,
        container: this.#o.containerUrl,
        redact: this.#o.redact,
        ...(withSignal ? { signal: this.#target.signal } : {}),
      });
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
      throw new SinkError("SINK_WRITE", `Window ${formatWindow(this.#target.window)} needs more than ${MAX_BLOCKS} blocks in ${this.#blobName}.`, {
        hint: "Raise blockSizeMiB in the blob sink config, or export smaller windows.",
      });
    }
    const id = blockId(this.#attempt, this.#blockIds.length);
    await this.#blob.stageBlock(id, block, block.byteLength, {
      abortSignal: this.#target.signal,
      transactionalContentMD5: createHash("md5").update(block).digest(),
    });
    this.#blockIds.push(id);
  }
}
