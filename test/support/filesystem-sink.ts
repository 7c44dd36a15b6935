/** Shared set-up for the filesystem sink's tests: a sink over a fresh temporary folder. */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { silentLogger } from "../../src/telemetry/logger.ts";
import type { FilesystemSinkConfig } from "../../src/config/sinks.ts";
import type { CursorState, Destination } from "../../src/sinks/sink.ts";
import { createFilesystemSink, type FilesystemSinkOptions } from "../../src/sinks/filesystem/filesystem-sink.ts";

export async function tempRoot(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "monitorlift-fs-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function makeSink(root: string, overrides: Partial<FilesystemSinkConfig> = {}, options: FilesystemSinkOptions = {}): Destination {
  const config: FilesystemSinkConfig = { type: "filesystem", path: root, format: "ndjson", compression: "none", fsync: true, ...overrides };
  return createFilesystemSink(config, { logger: silentLogger(), env: {}, baseDir: "/" }, options);
}

/** Every file under `dir`, as sorted relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

export function cursor(watermark: number, extra: Partial<CursorState> = {}): CursorState {
  return { watermark, origin: 0, rows: 0, windows: 0, updatedAt: new Date(0).toISOString(), ...extra };
}
