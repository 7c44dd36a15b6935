/**
 * Durable file primitives: complete writes, directory fsync, atomic replace (temp + fsync +
 * rename + fsync of the folder), and small readers that treat a missing path as "nothing".
 */
import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { errnoCode, fsError } from "./fs-errors.ts";

export function randomId(): string {
  return randomBytes(8).toString("hex");
}

/** Writes every byte of each chunk (looping over short writes); returns the count. */
export async function writeAll(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<number> {
  let total = 0;
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
      offset += bytesWritten;
    }
    total += chunk.byteLength;
  }
  return total;
}

/** fsync a folder so the names created, renamed or removed in it survive a power loss. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (err) {
    // Some filesystems (certain FUSE and network mounts) cannot fsync a folder: nothing more to do there.
    const code = errnoCode(err);
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EISDIR") throw fsError(err, "fsync the folder", dir);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * mkdir -p; returns the first folder it had to create (undefined when `dir` existed), so a caller
 * that needs durability can fsync the parents whose entries changed (see fsyncCreatedFolders).
 */
export async function ensureDirectory(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fsError(err, "create the folder", dir);
  }
}

/** fsync `leaf` and, when folders were created down to it, each parent whose entries changed. */
export async function fsyncCreatedFolders(leaf: string, firstCreated: string | undefined): Promise<void> {
  await fsyncDirectory(leaf);
  if (firstCreated === undefined) return;
  const stop = path.dirname(firstCreated);
  for (let dir = path.dirname(leaf); ; dir = path.dirname(dir)) {
    await fsyncDirectory(dir);
    if (dir === stop || dir === path.dirname(dir)) break;
  }
}

/** Replace `file` atomically: readers see the old content or the new one, never a partial file. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, durable: boolean, action = "write"): Promise<void> {
  const dir = path.dirname(file);
  const created = await ensureDirectory(dir);
  const temp = `${file}.${randomId()}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx");
    await handle.writeFile(data);
    if (durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw fsError(err, action, file);
  }
  if (durable) await fsyncCreatedFolders(dir, created);
}

/** The names in a folder, or [] when it does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return [];
    throw fsError(err, "list the folder", dir);
  }
}

/** Remove a file; false when it was already gone. */
export async function removeFile(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return false;
    throw fsError(err, "delete", file);
  }
}
