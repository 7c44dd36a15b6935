/**
 * The filesystem's chunk store (the commit order itself lives in ../file-commit.ts): encoded bytes
 * stream into a temporary file beside the final name; seal() fsyncs and closes it; publish()
 * renames it over any earlier chunk of the same window (never a duplicate), removes the same
 * window's chunk in another format and fsyncs the folders; the chunk's row count goes to
 * `_rows/…/<start>_<end>` (removed before the rename, written after it: a crash leaves it unknown,
 * never wrong); unpublish() removes the final file;
 * discard() removes the temporary file.
 */
import type { FileHandle } from "node:fs/promises";
import { open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../telemetry/logger.ts";
import type { TimeWindow } from "../../window/window.ts";
import { chunkPath, chunkStem, parseChunkName, partitionsBetween, rowCountPath, tempChunkPath } from "../layout.ts";
import type { WindowTarget } from "../sink.ts";
import type { ChunkStore, ChunkUpload, ListedChunk } from "../file-commit.ts";
import { fsError } from "./fs-errors.ts";
import { ensureDirectory, fsyncCreatedFolders, listNames, randomId, removeFile, writeAll, writeFileAtomic } from "./fs-util.ts";
import { existingPartitions, MAX_ENUMERATED_HOURS } from "./recovery.ts";
import { checkKey } from "./state-store.ts";

const HOUR = 3_600_000;

export interface FilesystemChunkOptions {
  root: string;
  /** The file extension of the configured format and compression (".ndjson.gz"). */
  extension: string;
  durable: boolean;
  logger: Logger;
}

export class FilesystemChunks implements ChunkStore {
  readonly #o: FilesystemChunkOptions;

  constructor(options: FilesystemChunkOptions) {
    this.#o = options;
  }

  async open(target: WindowTarget): Promise<ChunkUpload> {
    checkKey(target.key);
    const finalPath = path.join(this.#o.root, chunkPath(target.key.query, target.window, this.#o.extension));
    const tempPath = path.join(this.#o.root, tempChunkPath(target.key.query, target.window, randomId()));
    const createdFolder = await ensureDirectory(path.dirname(tempPath));
    let handle: FileHandle;
    try {
      handle = await open(tempPath, "wx");
    } catch (err) {
      throw fsError(err, "create the chunk file", tempPath);
    }
    const countPath = path.join(this.#o.root, rowCountPath(target.key.query, target.window));
    return new FilesystemUpload(this.#o, target.window, handle, tempPath, finalPath, countPath, createdFolder);
  }

  async *list(query: string, from: number, to: number): AsyncIterable<ListedChunk> {
    const root = this.#o.root;
    const enumerate = Number.isFinite(from) && Number.isFinite(to) && (to - from) / HOUR <= MAX_ENUMERATED_HOURS;
    const partitions = enumerate ? partitionsBetween(query, from, to) : await existingPartitions(root, query, from, to);
    for (const partition of partitions) {
      const folder = path.join(root, partition);
      for (const name of await listNames(folder)) {
        const file = path.join(folder, name);
        const parsed = parseChunkName(name);
        const countFile = parsed && !parsed.temporary ? path.join(root, rowCountPath(query, parsed.window)) : undefined;
        // The chunk goes first, then its count: a crash in between leaves a count without a chunk (ignored), never a chunk without its count.
        const remove = async () => {
          const removed = await removeFile(file);
          if (countFile) await removeFile(countFile);
          return removed;
        };
        yield { name, location: file, remove, rows: () => (countFile ? readRowCount(countFile) : Promise.resolve(undefined)) };
      }
    }
  }
}

/** The recorded row count, or undefined when the file is missing or unreadable as a count. */
async function readRowCount(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsError(err, "read the row count", file);
  }
  const rows = Number(text.trim());
  return Number.isSafeInteger(rows) && rows >= 0 ? rows : undefined;
}

class FilesystemUpload implements ChunkUpload {
  readonly #o: FilesystemChunkOptions;
  readonly #window: TimeWindow;
  readonly #tempPath: string;
  readonly #finalPath: string;
  readonly #countPath: string;
  readonly #createdFolder: string | undefined;
  #handle: FileHandle | undefined;

  constructor(o: FilesystemChunkOptions, window: TimeWindow, handle: FileHandle, tempPath: string, finalPath: string, countPath: string, createdFolder: string | undefined) {
    this.#countPath = countPath;
    this.#o = o;
    this.#window = window;
    this.#handle = handle;
    this.#tempPath = tempPath;
    this.#finalPath = finalPath;
    this.#createdFolder = createdFolder;
  }

  get location(): string {
    return this.#finalPath;
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    try {
      await writeAll(this.#handle!, chunks);
    } catch (err) {
      throw fsError(err, "write the chunk file", this.#tempPath);
    }
  }

  async seal(): Promise<void> {
    const handle = this.#handle!;
    try {
      if (this.#o.durable) await handle.sync();
      this.#handle = undefined;
      await handle.close();
    } catch (err) {
      throw fsError(err, "flush the chunk file", this.#tempPath);
    }
  }

  async publish(rows: number): Promise<void> {
    await removeFile(this.#countPath);
    try {
      await rename(this.#tempPath, this.#finalPath);
    } catch (err) {
      throw fsError(err, "rename the finished chunk to", this.#finalPath);
    }
    await this.#removeOtherFormats();
    if (this.#o.durable) await fsyncCreatedFolders(path.dirname(this.#finalPath), this.#createdFolder);
    await writeFileAtomic(this.#countPath, `${rows}\n`, this.#o.durable, "record the row count in");
  }

  async unpublish(): Promise<void> {
    await removeFile(this.#finalPath);
  }

  /** A chunk of the same window in another format (the config changed between runs) would be a duplicate. */
  async #removeOtherFormats(): Promise<void> {
    const folder = path.dirname(this.#finalPath);
    const stem = chunkStem(this.#window);
    const own = path.basename(this.#finalPath);
    for (const name of await listNames(folder)) {
      if (name === own || !name.startsWith(stem)) continue;
      const parsed = parseChunkName(name);
      if (parsed && !parsed.temporary && parsed.window.start === this.#window.start && parsed.window.end === this.#window.end) {
        await removeFile(path.join(folder, name));
        this.#o.logger.info({ file: path.join(folder, name), replacedBy: this.#finalPath }, "removed the chunk of the same window in another format");
      }
    }
  }

  async discard(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
    await removeFile(this.#tempPath);
  }
}
