/**
 * The filesystem sink: chunks in the shared layout (src/sinks/layout.ts) under one root folder,
 * cursor states, locks and run summaries beside them in `_state/`, `_locks/`, `_runs/`.
 *
 * Commit order: chunk bytes fsynced → renamed to the final name (replacing the same window's
 * chunk) → folder fsynced → state written atomically. A crash between the rename and the state
 * leaves a chunk the cursor does not count; recover() removes it before that window is redone.
 */
import { open, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { AbortedError, SinkError, messageOf } from "../../errors.ts";
import type { FilesystemSinkConfig } from "../../config/sinks.ts";
import type { CursorState, RunSummary, Sink, SinkDeps, SinkLock, StateKey, WindowTarget, WindowWriter } from "../sink.ts";
import type { TimeWindow } from "../../window/window.ts";
import { lockPath } from "../layout.ts";
import { fsError } from "./fs-errors.ts";
import { ensureDirectory, randomId } from "./fs-util.ts";
import { acquireFileLock, defaultLockOptions, type LockOptions } from "./lock-file.ts";
import { recoverChunks } from "./recovery.ts";
import { readLastRuns, writeRunSummary } from "./run-history.ts";
import { StateStore, checkKey } from "./state-store.ts";
import { openFilesystemWindow } from "./window-writer.ts";

/** Knobs that are not configuration (tests shorten the lock timings). */
export interface FilesystemSinkOptions {
  lockHeartbeatMs?: number;
  lockStaleMs?: number;
  /** The host name written into locks (default os.hostname()). */
  hostname?: string;
  /** How many of the most recent `_runs/<date>` folders lastRuns() reads (default 7). */
  runHistoryDays?: number;
}

export function createFilesystemSink(config: FilesystemSinkConfig, deps: SinkDeps, options: FilesystemSinkOptions = {}): Sink {
  return new FilesystemSink(config, deps, options);
}

class FilesystemSink implements Sink {
  readonly description: string;
  readonly #root: string;
  readonly #config: FilesystemSinkConfig;
  readonly #deps: SinkDeps;
  readonly #lockOptions: LockOptions;
  readonly #runHistoryDays: number;
  readonly #states: StateStore;
  readonly #writers = new Set<WindowWriter>();
  readonly #locks = new Set<SinkLock>();

  constructor(config: FilesystemSinkConfig, deps: SinkDeps, options: FilesystemSinkOptions) {
    this.#root = config.path; // absolute: made so by the config's normalisation (./config.ts)
    this.#config = config;
    this.#deps = deps;
    this.description = `filesystem ${this.#root}`;
    const defaults = defaultLockOptions(deps.logger);
    this.#lockOptions = {
      heartbeatMs: options.lockHeartbeatMs ?? defaults.heartbeatMs,
      staleMs: options.lockStaleMs ?? defaults.staleMs,
      hostname: options.hostname ?? defaults.hostname,
      logger: deps.logger,
    };
    this.#runHistoryDays = options.runHistoryDays ?? 7;
    this.#states = new StateStore(this.#root, config.fsync);
  }

  async start(): Promise<void> {
    await this.#ensureRoot();
  }

  async shutdown(): Promise<void> {
    const writers = [...this.#writers];
    const locks = [...this.#locks];
    this.#writers.clear();
    this.#locks.clear();
    for (const writer of writers) {
      await writer.abort().catch((err: unknown) => this.#deps.logger.warn({ err: messageOf(err) }, "could not discard an open chunk at shutdown"));
    }
    for (const lock of locks) await lock.release();
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

  readState(key: StateKey): Promise<CursorState | undefined> {
    return this.#states.read(key);
  }

  listStates(): Promise<Array<{ key: StateKey; state: CursorState }>> {
    return this.#states.list();
  }

  async acquireLock(key: StateKey, signal?: AbortSignal): Promise<SinkLock> {
    checkKey(key);
    const lock = await acquireFileLock(path.join(this.#root, lockPath(key)), key, this.#lockOptions, signal);
    this.#locks.add(lock);
    return {
      signal: lock.signal,
      release: async () => {
        this.#locks.delete(lock);
        await lock.release();
      },
    };
  }

  recover(key: StateKey, from: number, to: number, isCommitted: (w: TimeWindow) => boolean): Promise<number> {
    checkKey(key);
    return recoverChunks(this.#root, key.query, from, to, isCommitted, this.#deps.logger);
  }

  async openWindow(target: WindowTarget): Promise<WindowWriter> {
    const writer = await openFilesystemWindow(
      {
        root: this.#root,
        spec: { format: this.#config.format, compression: this.#config.compression },
        durable: this.#config.fsync,
        states: this.#states,
        logger: this.#deps.logger,
        onSettled: (w) => this.#writers.delete(w),
      },
      target,
    );
    this.#writers.add(writer);
    return writer;
  }

  recordRun(summary: RunSummary): Promise<void> {
    return writeRunSummary(this.#root, summary, this.#config.fsync);
  }

  lastRuns(): Promise<Map<string, RunSummary>> {
    return readLastRuns(this.#root, this.#runHistoryDays, this.#deps.logger);
  }
}
