/**
 * The Azure Blob Storage / ADLS Gen2 sink. ADLS Gen2 accounts are written through their
 * blob endpoint (`type: "adls"` is an alias), so hierarchical-namespace and flat accounts
 * behave the same. Names follow src/sinks/layout.ts under `config.prefix`.
 *
 * Exactly once (src/sinks/file-commit.ts, shared with the filesystem sink): a window's blocks are
 * staged, the cursor's ETag is checked, the chunk is committed in one call under its final,
 * deterministic name, then the cursor blob moves with an ETag condition; when that write fails
 * (and the cursor did not move), the chunk blob is deleted again. shutdown() aborts open writers.
 */
import { randomUUID } from "node:crypto";
import type { StorageRetryOptions } from "@azure/storage-blob";
import type { BlobSinkConfig } from "../../config/sinks.ts";
import type { CursorState, Destination, FileDestinationOptions, Sink, SinkDeps, StateKey, WindowTarget, WindowWriter } from "../sink.ts";
import type { TimeWindow } from "../../window/window.ts";
import { TrackedLocks } from "../../state/locks.ts";
import { chunkCounts, FileWindows, recoverChunks, rewindChunks } from "../file-commit.ts";
import { chunkExtension, contentEncoding, contentType, createChunkEncoder, formatSpec } from "../formats/index.ts";
import { connect, DEFAULT_RETRY } from "./blob-client.ts";
import { toSinkError } from "./blob-errors.ts";
import { BlobStateStore } from "./blob-state.ts";
import { LeaseLocks } from "./blob-lock.ts";
import { BlobRunHistory } from "./blob-runs.ts";
import { BlobChunks } from "./blob-window-writer.ts";

export interface BlobSinkOptions {
  /** The SDK's retry policy for every call (default DEFAULT_RETRY); tests shorten it. */
  retry?: StorageRetryOptions;
  /** How often a held lease is renewed; default a third of leaseSeconds. */
  leaseRenewIntervalMs?: number;
}

export function createBlobSink(config: BlobSinkConfig, deps: SinkDeps, options: BlobSinkOptions & FileDestinationOptions = {}): Destination {
  const connection = connect(config, deps.env, options.retry ?? DEFAULT_RETRY);
  const { container, containerUrl, redact } = connection;
  const logger = deps.logger.child({ sink: "blob" });
  const prefix = config.prefix;
  const spec = formatSpec(config);
  const extension = chunkExtension(spec);
  const states = new BlobStateStore({ container, containerUrl, prefix, redact });
  const cursors = options.wrapCursors ? options.wrapCursors(states) : states;
  const context = { container, containerUrl, prefix, redact, logger };
  const locks = new TrackedLocks(
    new LeaseLocks({
      ...context,
      leaseSeconds: config.leaseSeconds,
      ...(options.leaseRenewIntervalMs === undefined ? {} : { renewIntervalMs: options.leaseRenewIntervalMs }),
    }),
  );
  const chunks = new BlobChunks({
    container,
    containerUrl,
    prefix,
    extension,
    blockSize: config.blockSizeMiB * 1024 * 1024,
    contentType: contentType(spec),
    contentEncoding: contentEncoding(spec),
    redact,
  });
  const windows = new FileWindows({ store: chunks, cursors, encoder: (target) => createChunkEncoder(spec, target.columns), logger });
  const errorContext = (action: string, signal?: AbortSignal) => ({ action, container: containerUrl, redact, signal });

  async function ensureContainer(signal?: AbortSignal): Promise<void> {
    try {
      if (config.createContainer) {
        const created = await container.createIfNotExists({ abortSignal: signal });
        if (created.succeeded) logger.info({ container: containerUrl }, "created the container");
      } else {
        // A listing rather than getProperties: a container-scoped SAS (even with every permission)
        // may list the container's blobs but not read the container's own properties.
        await container.listBlobsFlat({ prefix, abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
      }
    } catch (err) {
      throw toSinkError(err, errorContext(config.createContainer ? `Creating the container ${containerUrl}` : `Checking the container ${containerUrl}`, signal));
    }
  }

  const sink: Sink = {
    description: connection.description,

    async start(signal) {
      if (config.createContainer) await ensureContainer(signal);
    },

    shutdown: () => windows.abortAll(),

    async probe(signal) {
      await ensureContainer(signal);
      const name = `${prefix}_probe/${randomUUID()}`;
      const blob = container.getBlockBlobClient(name);
      try {
        await blob.upload("monitorlift probe", 17, { abortSignal: signal });
        await blob.delete({ abortSignal: signal });
        // recover and status list blobs: check that permission too.
        await container.listBlobsFlat({ prefix: `${prefix}_state/` }).byPage({ maxPageSize: 1 }).next();
      } catch (err) {
        throw toSinkError(err, errorContext(`Writing, deleting and listing the probe blob ${name}`, signal));
      }
    },

    recover: (key: StateKey, from: number, to: number, isCommitted: (w: TimeWindow) => boolean) =>
      recoverChunks(chunks, key.query, from, to, isCommitted, logger),
    rewind: (key: StateKey, next: CursorState, previous: CursorState, signal: AbortSignal) => rewindChunks(chunks, cursors, key, next, previous, logger, signal),

    openWindow: (target: WindowTarget): Promise<WindowWriter> => windows.open(target),
    windowCounts: (query: string, from: number, to: number) => chunkCounts(chunks, query, from, to),
  };

  return {
    sink,
    cursors,
    locks,
    runs: new BlobRunHistory(context),
    async shutdown() {
      await sink.shutdown();
      await locks.releaseAll();
    },
  };
}
