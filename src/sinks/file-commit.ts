/**
 * The exactly-once machinery of file-like sinks (filesystem, blob), written once. A file-like sink
 * supplies only a ChunkStore: stage a window's bytes, publish them under the chunk's final name
 * (replacing any earlier chunk of the same window), take a published chunk back, and list chunk
 * names for recovery. This module turns a ChunkStore + CursorStore into WindowWriters and recovery.
 *
 * Commit order (WindowWriter.commit(next, previous)):
 *   1. finish encoding and seal the staged bytes (durable, still invisible) — done by end() as soon as
 *      the window's rows are written, so a window waiting for its turn holds no encoder
 *   2. read the cursor: a stored version other than previous?.version → STATE_CONFLICT, nothing published
 *   3. publish the chunk under its final name
 *   4. write the cursor, conditional on previous?.version
 *   5. if 3 or 4 failed: read the cursor again; unless it did move (the write landed after all), take
 *      the chunk back, so readers never see rows no watermark counts. The window is redone later.
 * An empty window writes no data file (3 removes any chunk of the window instead; nothing to take back).
 * A crash between 3 and 4/5 leaves a chunk the cursor does not count: recoverChunks() removes it
 * before that window is written again. A chunk name parses back to its window (layout.ts), so the
 * cursor plus the chunk names are the whole truth. A rewind (rewindChunks) moves the cursor back and
 * then removes the chunks it no longer counts through the same recovery step.
 */
import { AbortedError, isMonitorliftError, messageOf, SinkError } from "../errors.ts";
import type { CursorStore } from "../state/cursor-store.ts";
import { checkRewind, isSameVersion, stateConflict } from "../state/cursor-store.ts";
import type { CursorState, StateKey } from "../state/cursor.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { RowBatch } from "../row-batch.ts";
import { formatWindow, type TimeWindow } from "../window/window.ts";
import type { ChunkEncoder } from "./formats/format.ts";
import { parseChunkName } from "./layout.ts";
import type { CommitResult, WindowCount, WindowTarget, WindowWriter } from "./sink.ts";

/** One window's bytes on their way to the chunk's final name. */
export interface ChunkUpload {
  /** Where the chunk becomes visible (a path, a blob URL), for logs and CommitResult.location. */
  readonly location: string;
  /** Append encoded bytes (staged, invisible to readers). */
  append(chunks: readonly Uint8Array[]): Promise<void>;
  /** Make the staged bytes durable before publishing (fsync and close; stage the last blocks). */
  seal(): Promise<void>;
  /**
   * Make the chunk visible under its final name, replacing any earlier chunk of the same window, and
   * record its row count with it (ListedChunk.rows). A count that cannot be written atomically with
   * the chunk is removed before and written after it, so a crash leaves it unknown, never wrong.
   */
  publish(rows: number): Promise<void>;
  /** Remove the published chunk (its cursor write failed). */
  unpublish(): Promise<void>;
  /** Drop what was staged; safe twice and after publish (then it leaves the published chunk alone). */
  discard(): Promise<void>;
}

/** A chunk name found during recovery, and how to remove it. */
export interface ListedChunk {
  /** The base name (parsed by layout.parseChunkName). */
  readonly name: string;
  /** Full path or blob name, for logs. */
  readonly location: string;
  /** True when something was removed. */
  remove(): Promise<boolean>;
  /** The row count recorded when the chunk was published; undefined when unknown (or not a data chunk). */
  rows(): Promise<number | undefined>;
}

/** What a file-like sink implements. */
export interface ChunkStore {
  /** Start the chunk of `target.window` (the signal aborts in-flight I/O when the writer is aborted). */
  open(target: WindowTarget, encoder: ChunkEncoder): Promise<ChunkUpload>;
  /** Every chunk name (data or temporary) in the partitions of `query` that overlap [from, to). */
  list(query: string, from: number, to: number): AsyncIterable<ListedChunk>;
}

export interface FileWindowContext {
  store: ChunkStore;
  cursors: CursorStore;
  /** A fresh encoder for the window's columns. */
  encoder(target: WindowTarget): ChunkEncoder;
  logger: Logger;
}

/**
 * The writers of one file-like sink: opens them, and aborts the ones still open at shutdown.
 * (A writer already committing finishes or fails by itself.)
 */
export class FileWindows {
  readonly #ctx: FileWindowContext;
  readonly #open = new Set<FileWindowWriter>();

  constructor(ctx: FileWindowContext) {
    this.#ctx = ctx;
  }

  async open(target: WindowTarget): Promise<WindowWriter> {
    throwIfAborted(target.signal, `writing window ${formatWindow(target.window)} of query "${target.key.query}"`);
    const stop = new AbortController();
    const own: WindowTarget = { ...target, signal: AbortSignal.any([target.signal, stop.signal]) };
    // A result without columns (the service's 204 for a workspace with no data) can only be an empty window.
    const encoder = target.columns.length === 0 ? NO_COLUMNS_ENCODER : this.#ctx.encoder(target);
    const upload = await this.#ctx.store.open(own, encoder);
    const writer = new FileWindowWriter(this.#ctx, own, encoder, upload, stop, (w) => this.#open.delete(w));
    this.#open.add(writer);
    return writer;
  }

  async abortAll(): Promise<void> {
    const writers = [...this.#open];
    this.#open.clear();
    for (const writer of writers) {
      await writer.abort().catch((err: unknown) => this.#ctx.logger.warn({ err: messageOf(err) }, "could not discard an open chunk at shutdown"));
    }
  }
}

type Status = "open" | "ended" | "committing" | "committed" | "aborted" | "failed";

/** The encoder of a result without columns: it can hold no rows. */
const NO_COLUMNS_ENCODER: ChunkEncoder = {
  encode: async (batch) => {
    if (batch.length > 0) throw new SinkError("INTERNAL", `${batch.length} rows arrived for a result without columns`);
    return [];
  },
  finish: async () => [],
  close: () => undefined,
};

function throwIfAborted(signal: AbortSignal, what: string): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  if (isMonitorliftError(reason)) throw reason;
  throw new AbortedError(`stopped before ${what}`, { cause: reason });
}

class FileWindowWriter implements WindowWriter {
  readonly #ctx: FileWindowContext;
  readonly #target: WindowTarget;
  readonly #encoder: ChunkEncoder;
  readonly #upload: ChunkUpload;
  readonly #stop: AbortController;
  readonly #settled: (w: FileWindowWriter) => void;
  #status: Status = "open";
  #rows = 0;
  #bytes = 0;

  constructor(ctx: FileWindowContext, target: WindowTarget, encoder: ChunkEncoder, upload: ChunkUpload, stop: AbortController, settled: (w: FileWindowWriter) => void) {
    this.#ctx = ctx;
    this.#target = target;
    this.#encoder = encoder;
    this.#upload = upload;
    this.#stop = stop;
    this.#settled = settled;
  }

  #expectOpen(action: string): void {
    if (this.#status !== "open") {
      throw new SinkError("INTERNAL", `cannot ${action} window ${formatWindow(this.#target.window)} of ${this.#upload.location}: the window writer is already ${this.#status}`);
    }
  }

  async #append(chunks: readonly Uint8Array[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.#upload.append(chunks);
    for (const c of chunks) this.#bytes += c.byteLength;
  }

  async write(batch: RowBatch): Promise<void> {
    this.#expectOpen("write to");
    try {
      throwIfAborted(this.#target.signal, `writing ${this.#upload.location}`);
      await this.#append(await this.#encoder.encode(batch));
      this.#rows += batch.length;
    } catch (err) {
      this.#status = "failed";
      throw err;
    }
  }

  async end(): Promise<void> {
    this.#expectOpen("end");
    try {
      throwIfAborted(this.#target.signal, `finishing ${this.#upload.location}`);
      if (this.#rows === 0) {
        this.#encoder.close(); // no data file for an empty window (#commitEmpty)
      } else {
        await this.#append(await this.#encoder.finish());
        await this.#upload.seal();
      }
      this.#status = "ended";
    } catch (err) {
      this.#status = "failed";
      throw err;
    }
  }

  async commit(next: CursorState, previous: CursorState | undefined): Promise<CommitResult> {
    if (this.#status === "open") await this.end();
    if (this.#status !== "ended") this.#expectOpen("commit");
    this.#status = "committing";
    if (this.#rows === 0) return this.#commitEmpty(next, previous);
    const { key, signal } = this.#target;
    const { cursors } = this.#ctx;
    try {
      throwIfAborted(signal, `committing ${this.#upload.location}`);
      // A conflicting writer must not even replace the data.
      if (previous !== undefined && previous.version === undefined) {
        throw new SinkError("INTERNAL", `cannot commit ${this.#upload.location}: the previous cursor has no version (it was not read from this destination)`);
      }
      const stored = await cursors.read(key);
      if (!isSameVersion(stored, previous)) throw stateConflict(key, cursors.locationOf?.(key) ?? "the cursor store", stored, previous);
      throwIfAborted(signal, `publishing ${this.#upload.location}`);
      let version: string;
      try {
        await this.#upload.publish(this.#rows);
        version = await cursors.write(key, next, previous);
      } catch (err) {
        await this.#takeBack(key, previous);
        throw err;
      }
      this.#status = "committed";
      this.#settled(this);
      return { rows: this.#rows, bytes: this.#bytes, location: this.#upload.location, version };
    } catch (err) {
      this.#status = "failed";
      throw err;
    }
  }

  /**
   * An empty window writes no data file: readers never meet an empty chunk (a lake engine reading a folder
   * fails on a file without columns), the cursor alone records that the window is done, and a committed
   * window without a chunk counts 0 rows (windowCounts). Same order as a chunk's commit: the staged bytes go,
   * the stored version is checked, any chunk of this window left by an earlier attempt is removed (the window
   * is empty now: re-committing replaces, never adds), then the cursor moves.
   */
  async #commitEmpty(next: CursorState, previous: CursorState | undefined): Promise<CommitResult> {
    const { key, signal } = this.#target;
    const { cursors } = this.#ctx;
    try {
      throwIfAborted(signal, `committing the empty window ${formatWindow(this.#target.window)}`);
      await this.#upload.discard();
      if (previous !== undefined && previous.version === undefined) {
        throw new SinkError("INTERNAL", `cannot commit ${this.#upload.location}: the previous cursor has no version (it was not read from this destination)`);
      }
      const stored = await cursors.read(key);
      if (!isSameVersion(stored, previous)) throw stateConflict(key, cursors.locationOf?.(key) ?? "the cursor store", stored, previous);
      await this.#upload.unpublish();
      const version = await cursors.write(key, next, previous);
      this.#status = "committed";
      this.#settled(this);
      return { rows: 0, bytes: 0, location: `${this.#upload.location} (empty window: no data file)`, version };
    } catch (err) {
      this.#status = "failed";
      throw err;
    }
  }

  /**
   * Unless the cursor did move after all, take the chunk back so readers never see uncounted rows. A
   * window the previous cursor already counts (a repair, a redo) is left alone: its chunk replaced the
   * window's earlier chunk under the same name, and taking it back would remove the window's data.
   */
  async #takeBack(key: StateKey, previous: CursorState | undefined): Promise<void> {
    if (previous !== undefined && this.#target.window.end <= previous.watermark) {
      this.#ctx.logger.warn({ chunk: this.#upload.location }, "the cursor write after replacing an already committed window's chunk failed; the new chunk stays (the window was counted before)");
      return;
    }
    try {
      const stored = await this.#ctx.cursors.read(key);
      if (!isSameVersion(stored, previous)) return; // the cursor moved after all: the chunk is counted
      await this.#upload.unpublish();
      this.#ctx.logger.warn({ chunk: this.#upload.location }, "took back a chunk whose cursor write failed; the window is redone by the next attempt");
    } catch (err) {
      this.#ctx.logger.warn({ chunk: this.#upload.location, err: messageOf(err) }, "could not take back a chunk whose cursor write failed; the next run removes it");
    }
  }

  async abort(): Promise<void> {
    if (this.#status === "committed" || this.#status === "aborted" || this.#status === "committing") return;
    this.#status = "aborted";
    this.#stop.abort(new AbortedError(`the writer of window ${formatWindow(this.#target.window)} was aborted`));
    this.#encoder.close();
    try {
      await this.#upload.discard();
    } finally {
      this.#settled(this);
    }
  }
}

/**
 * Removes what killed runs left of `query` inside [from, to): temporary chunks, and chunks whose
 * window isCommitted() does not count. Only chunks whose whole window lies inside the range are
 * touched. `beforeRemove` may stop the removal (it throws) before any one chunk goes. Returns how many were removed.
 */
export async function recoverChunks(
  store: ChunkStore,
  query: string,
  from: number,
  to: number,
  isCommitted: (w: TimeWindow) => boolean,
  logger: Logger,
  beforeRemove?: (chunk: ListedChunk) => Promise<void>,
): Promise<number> {
  if (!(to > from)) return 0;
  let removed = 0;
  for await (const chunk of store.list(query, from, to)) {
    const parsed = parseChunkName(chunk.name);
    if (!parsed) continue;
    const { window, temporary } = parsed;
    if (window.start < from || window.end > to) continue;
    if (!temporary && isCommitted(window)) continue;
    await beforeRemove?.(chunk);
    if (await chunk.remove()) {
      removed++;
      logger.info({ chunk: chunk.location, temporary }, temporary ? "removed a temporary chunk left by an earlier run" : "removed an uncommitted chunk left by an earlier run");
    }
  }
  return removed;
}

/**
 * Sink.rewind for file-like sinks: the cursor moves back first (conditional on `previous`), then every
 * chunk from `next.watermark` on is removed — the same step a run's recovery takes for chunks beyond the
 * watermark. In this order a crash in between leaves chunks no cursor counts (the next run's recovery
 * removes them), never a watermark that counts a window whose chunk is gone. Returns how many chunks (and
 * temporary files) were removed.
 *
 * The removal runs under the query's lock, and only while it is held: `signal` is the lock's (aborted with
 * LOCK_LOST when it is lost), and once it fires not one more chunk is removed — another exporter may have
 * taken the lock over and committed [next.watermark, …) again, and those chunks are its. Before each
 * removal the cursor is read again, too: one that is no longer the version this rewind wrote (a new owner
 * committed on top of it) stops the removal with LOCK_LOST as well, whatever the signal says yet. The
 * chunks left are counted by no cursor of ours; the next run's recovery removes those its cursor does not count.
 */
export async function rewindChunks(
  store: ChunkStore,
  cursors: CursorStore,
  key: StateKey,
  next: CursorState,
  previous: CursorState,
  logger: Logger,
  signal: AbortSignal,
): Promise<number> {
  checkRewind(key, next, previous);
  throwIfAborted(signal, `rewinding query "${key.query}" (${key.scope}): nothing was changed`);
  const written = await cursors.write(key, next, previous);
  const stillOurs = async (chunk: ListedChunk): Promise<void> => {
    throwIfAborted(signal, `removing ${chunk.location} while rewinding query "${key.query}": the rewind stopped removing chunks`);
    const stored = await cursors.read(key);
    if (stored?.version !== written) {
      throw new SinkError(
        "LOCK_LOST",
        `while rewinding query "${key.query}" (${key.scope}), its cursor moved on (version ${written} → ${stored?.version ?? "(none)"}): another run owns the query now, so the rewind stopped removing chunks before ${chunk.location}.`,
        { retryable: true, hint: "The watermark was moved back; see `monitorlift status` and `ls` for where the query stands now. Rewind again if it must." },
      );
    }
    throwIfAborted(signal, `removing ${chunk.location} while rewinding query "${key.query}": the rewind stopped removing chunks`);
  };
  return recoverChunks(store, key.query, next.watermark, Number.POSITIVE_INFINITY, () => false, logger, stillOurs);
}

/** The committed chunks of `query` wholly inside [from, to) with their recorded row counts (Sink.windowCounts). */
export async function chunkCounts(store: ChunkStore, query: string, from: number, to: number): Promise<WindowCount[]> {
  const out: WindowCount[] = [];
  if (!(to > from)) return out;
  for await (const chunk of store.list(query, from, to)) {
    const parsed = parseChunkName(chunk.name);
    if (!parsed || parsed.temporary) continue;
    if (parsed.window.start < from || parsed.window.end > to) continue;
    out.push({ window: parsed.window, rows: await chunk.rows() });
  }
  return out;
}
