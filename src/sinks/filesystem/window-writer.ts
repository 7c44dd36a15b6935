/**
 * One window being written to the filesystem: encoded bytes stream into a temporary file beside
 * the final name; commit makes the data durable, renames it over any earlier chunk of the same
 * window (never a duplicate), and only then moves the cursor. abort() removes the temporary file.
 */
import type { FileHandle } from "node:fs/promises";
import { open, rename } from "node:fs/promises";
import path from "node:path";
import { AbortedError, SinkError, messageOf } from "../../errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { RawRow } from "../../table.ts";
import { formatWindow } from "../../window/window.ts";
import { chunkPath, chunkStem, parseChunkName, tempChunkPath } from "../layout.ts";
import type { CommitResult, CursorState, WindowTarget, WindowWriter } from "../sink.ts";
import type { ChunkEncoder, FormatSpec } from "../formats/format.ts";
import { chunkExtension, createChunkEncoder } from "../formats/chunk-encoder.ts";
import { fsError } from "./fs-errors.ts";
import { ensureDirectory, fsyncCreatedFolders, listNames, randomId, removeFile, writeAll } from "./fs-util.ts";
import { checkKey, type StateStore } from "./state-store.ts";

export interface WindowWriterContext {
  root: string;
  spec: FormatSpec;
  durable: boolean;
  states: StateStore;
  logger: Logger;
  /** Called once the writer is committed or aborted (the sink stops tracking it). */
  onSettled(writer: WindowWriter): void;
}

type Status = "open" | "committing" | "committed" | "aborted" | "failed";

function throwIfAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof SinkError) throw reason;
    throw new AbortedError(`stopped before ${what}`, { cause: reason });
  }
}

export async function openFilesystemWindow(ctx: WindowWriterContext, target: WindowTarget): Promise<WindowWriter> {
  checkKey(target.key);
  throwIfAborted(target.signal, `writing window ${formatWindow(target.window)} of query "${target.key.query}"`);
  const encoder = createChunkEncoder(ctx.spec, target.columns);
  const finalPath = path.join(ctx.root, chunkPath(target.key.query, target.window, chunkExtension(ctx.spec)));
  const tempPath = path.join(ctx.root, tempChunkPath(target.key.query, target.window, randomId()));
  const folder = path.dirname(tempPath);
  const createdFolder = await ensureDirectory(folder);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, "wx");
  } catch (err) {
    throw fsError(err, "create the chunk file", tempPath);
  }
  return new FilesystemWindowWriter(ctx, target, encoder, handle, tempPath, finalPath, createdFolder);
}

class FilesystemWindowWriter implements WindowWriter {
  readonly #ctx: WindowWriterContext;
  readonly #target: WindowTarget;
  readonly #encoder: ChunkEncoder;
  readonly #tempPath: string;
  readonly #finalPath: string;
  readonly #createdFolder: string | undefined;
  #handle: FileHandle | undefined;
  #status: Status = "open";
  #rows = 0;
  #bytes = 0;

  constructor(ctx: WindowWriterContext, target: WindowTarget, encoder: ChunkEncoder, handle: FileHandle, tempPath: string, finalPath: string, createdFolder: string | undefined) {
    this.#ctx = ctx;
    this.#target = target;
    this.#encoder = encoder;
    this.#handle = handle;
    this.#tempPath = tempPath;
    this.#finalPath = finalPath;
    this.#createdFolder = createdFolder;
  }

  #expectOpen(action: string): FileHandle {
    if (this.#status !== "open" || !this.#handle) {
      throw new SinkError("INTERNAL", `cannot ${action} the chunk ${this.#tempPath}: the window writer is already ${this.#status}`);
    }
    return this.#handle;
  }

  async #append(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
    if (chunks.length === 0) return;
    try {
      this.#bytes += await writeAll(handle, chunks);
    } catch (err) {
      throw fsError(err, "write the chunk file", this.#tempPath);
    }
  }

  async write(rows: readonly RawRow[]): Promise<void> {
    const handle = this.#expectOpen("write to");
    throwIfAborted(this.#target.signal, `writing ${this.#tempPath}`);
    try {
      await this.#append(handle, await this.#encoder.encode(rows));
      this.#rows += rows.length;
    } catch (err) {
      this.#status = "failed";
      throw err;
    }
  }

  async commit(next: CursorState, previous: CursorState | undefined): Promise<CommitResult> {
    const handle = this.#expectOpen("commit");
    this.#status = "committing";
    const { key } = this.#target;
    try {
      await this.#append(handle, await this.#encoder.finish());
      try {
        if (this.#ctx.durable) await handle.sync();
        this.#handle = undefined;
        await handle.close();
      } catch (err) {
        throw fsError(err, "flush the chunk file", this.#tempPath);
      }
      // A conflicting writer must not even replace the data.
      await this.#ctx.states.check(key, previous);
      throwIfAborted(this.#target.signal, `committing ${this.#finalPath}`);
      try {
        await rename(this.#tempPath, this.#finalPath);
      } catch (err) {
        throw fsError(err, "rename the finished chunk to", this.#finalPath);
      }
      let version: string;
      try {
        await this.#removeOtherFormats();
        if (this.#ctx.durable) await fsyncCreatedFolders(path.dirname(this.#finalPath), this.#createdFolder);
        version = await this.#ctx.states.write(key, next, previous);
      } catch (err) {
        await this.#withdrawUncounted(previous);
        throw err;
      }
      this.#status = "committed";
      this.#ctx.onSettled(this);
      return { rows: this.#rows, bytes: this.#bytes, location: this.#finalPath, version };
    } catch (err) {
      this.#status = "failed";
      throw err;
    }
  }

  /**
   * The chunk is in place but the cursor write failed (a full disk, say): unless the cursor did move,
   * take the chunk back now, so readers never see rows no watermark counts (the window is redone).
   */
  async #withdrawUncounted(previous: CursorState | undefined): Promise<void> {
    try {
      const stored = await this.#ctx.states.read(this.#target.key);
      if (stored?.version !== previous?.version) return; // the cursor moved after all: the chunk is counted
      await removeFile(this.#finalPath);
    } catch (err) {
      this.#ctx.logger.warn({ file: this.#finalPath, err: messageOf(err) }, "could not take back a chunk whose cursor write failed; the next run removes it");
    }
  }

  /** A chunk of the same window in another format (the config changed between runs) would be a duplicate. */
  async #removeOtherFormats(): Promise<void> {
    const folder = path.dirname(this.#finalPath);
    const stem = chunkStem(this.#target.window);
    const own = path.basename(this.#finalPath);
    for (const name of await listNames(folder)) {
      if (name === own || !name.startsWith(stem)) continue;
      const parsed = parseChunkName(name);
      if (parsed && !parsed.temporary && parsed.window.start === this.#target.window.start && parsed.window.end === this.#target.window.end) {
        await removeFile(path.join(folder, name));
        this.#ctx.logger.info({ file: path.join(folder, name), replacedBy: this.#finalPath }, "removed the chunk of the same window in another format");
      }
    }
  }

  async abort(): Promise<void> {
    if (this.#status === "committed" || this.#status === "aborted") return;
    this.#status = "aborted";
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch((err: unknown) => this.#ctx.logger.warn({ file: this.#tempPath, err: messageOf(err) }, "could not close an aborted chunk"));
    try {
      await removeFile(this.#tempPath);
    } finally {
      this.#ctx.onSettled(this);
    }
  }
}
