/**
 * The filesystem sink: chunks in the shared layout (src/sinks/layout.ts) under one root folder,
 * cursor states, locks and run summaries beside them in `_state/`, `_locks/`, `_runs/`.
 *
 * Commit order (src/sinks/file-commit.ts, shared with the blob sink): chunk bytes fsynced → state
 * version checked → renamed to the final name (replacing the same window's chunk) → folder fsynced
 * → state written atomically → the chunk taken back if that write failed. A crash between the
 * rename and the state leaves a chunk the cursor does not count; recover() removes it before that
 * window is redone.
 */
import { open, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { AbortedError, SinkError } from "../../errors.ts";
import type { FilesystemSinkConfig } from "../../config/sinks.ts";
import type { CursorState, CursorStore, Destination, FileDestinationOptions, Sink, SinkDeps, StateKey, WindowCount, WindowTarget, WindowWriter } from "../sink.ts";
import type { TimeWindow } from "../../window/window.ts";
import { TrackedLocks } from "../../state/locks.ts";
import { chunkCounts, FileWindows, recoverChunks, rewindChunks } from "../file-commit.ts";
import { chunkExtension, createChunkEncoder } from "../formats/chunk-encoder.ts";
import { formatSpec } from "../formats/config.ts";
import { fsError } from "./fs-errors.ts";
import { ensureDirectory, randomId } from "./fs-util.ts";
import { FileLocks, defaultLockOptions, type LockOptions } from "./lock-file.ts";
import { FilesystemRunHistory } from "./run-history.ts";
import { StateStore, checkKey } from "./state-store.ts";
import { FilesystemChunks } from "./window-writer.ts";

/** Knobs that are not configuration (tests shorten the lock timings). */
export interface FilesystemSinkOptions {
  lockHeartbeatMs?: number;
  lockStaleMs?: number;
  /** The host name written into locks (default os.hostname()). */
  hostname?: string;
  /** How many of the most recent `_runs/<date>` folders lastRuns() reads (default 7). */
  runHistoryDays?: number;
}

export function createFilesystemSink(config: FilesystemSinkConfig, deps: SinkDeps, options: FilesystemSinkOptions & FileDestinationOptions = {}): Destination {
  const root = config.path; // absolute: made so by the config's normalisation (./config.ts)
  const defaults = defaultLockOptions(deps.logger);
  const lockOptions: LockOptions = {
    heartbeatMs: options.lockHeartbeatMs ?? defaults.heartbeatMs,
    staleMs: options.lockStaleMs ?? defaults.staleMs,
    hostname: options.hostname ?? defaults.hostname,
    logger: deps.logger,
  };
  const states = new StateStore(root, config.fsync);
  const cursors = options.wrapCursors ? options.wrapCursors(states) : states;
  const sink = new FilesystemSink(root, config, deps, cursors);
  const locks = new TrackedLocks(new FileLocks(root, lockOptions));
  return {
    sink,
    cursors,
    locks,
    runs: new FilesystemRunHistory(root, { days: options.runHistoryDays ?? 7, durable: config.fsync, logger: deps.logger }),
    async shutdown() {
      await sink.shutdown();
      await locks.releaseAll();
    },
  };
}

class FilesystemSink implements Sink {
  readonly description: string;
  readonly #root: string;
  readonly #deps: SinkDeps;
  readonly #chunks: FilesystemChunks;
  readonly #windows: FileWindows;
  readonly #cursors: CursorStore;

  constructor(root: string, config: FilesystemSinkConfig, deps: SinkDeps, cursors: CursorStore) {
    this.#root = root;
    this.#deps = deps;
    this.#cursors = cursors;
    this.description = `filesystem ${this.#root}`;
    const spec = formatSpec(config);
    this.#chunks = new FilesystemChunks({ root, extension: chunkExtension(spec), durable: config.fsync, logger: deps.logger });
    this.#windows = new FileWindows({ store: this.#chunks, cursors, encoder: (target) => createChunkEncoder(spec, target.columns), logger: deps.logger });
  }

  async start(): Promise<void> {
    await this.#ensureRoot();
  }

  async shutdown(): Promise<void> {
    await this.#windows.abortAll();
  }

  async #ensureRoot(): Promise<void> {
    await ensureDirectory(this.#root);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(this.#root)).isDirectory();
    } catch (err) {
      throw fsError(err, "open the export folder", this.#root);
    }
    if (!isDirectory) {
      throw new SinkError("SINK_WRITE", `the export folder ${this.#root} is not a folder; point sink.path at a folder (it is created when missing).`);
    }
  }

  async probe(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortedError(`stopped before probing ${this.#root}`, { cause: signal.reason });
    await this.#ensureRoot();
    const file = path.join(this.#root, `_probe.${randomId()}`);
    try {
      const handle = await open(file, "wx");
      try {
        await handle.writeFile(`monitorlift probe ${new Date().toISOString()}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await unlink(file);
    } catch (err) {
      await unlink(file).catch(() => undefined);
      throw fsError(err, "write a test file in the export folder:", file);
    }
  }

  recover(key: StateKey, from: number, to: number, isCommitted: (w: TimeWindow) => boolean): Promise<number> {
    checkKey(key);
    return recoverChunks(this.#chunks, key.query, from, to, isCommitted, this.#deps.logger);
  }

  rewind(key: StateKey, next: CursorState, previous: CursorState, signal: AbortSignal): Promise<number> {
    checkKey(key);
    return rewindChunks(this.#chunks, this.#cursors, key, next, previous, this.#deps.logger, signal);
  }

  async openWindow(target: WindowTarget): Promise<WindowWriter> {
    checkKey(target.key);
    return this.#windows.open(target);
  }

  windowCounts(query: string, from: number, to: number): Promise<WindowCount[]> {
    checkKey({ query, scope: "live" });
    return chunkCounts(this.#chunks, query, from, to);
  }
}
