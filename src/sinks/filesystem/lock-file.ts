/**
 * Single-writer lock as a file, `_locks/<query>/<scope>.lock`, created exclusively (O_EXCL) and
 * holding {pid, hostname, token, startedAt}. The holder refreshes its mtime every heartbeat (the
 * shared Watchdog of src/state/locks.ts) and, each time, checks the file still carries its token;
 * when it does not (taken over, deleted), or it cannot be refreshed for half the stale limit, the
 * lock's signal is aborted with LOCK_LOST.
 *
 * A lock is stale when its holder ran on this host (same host name and, on Linux, same pid
 * namespace, so containers sharing a host name are told apart) and that pid is gone, or when its
 * mtime is older than the stale limit. Takeover is safe under races: contenders take turns through a short-lived
 * `<lock>.takeover` mutex (created with O_EXCL); under it the lock is inspected again and, if it is
 * still the one judged stale, renamed aside to a unique name, compared once more (content, inode,
 * mtime; put back if it is not the same file) and deleted. Then every contender retries the
 * exclusive create, which exactly one wins; the others see a fresh lock and get LOCK_HELD.
 */
import { hostname as osHostname } from "node:os";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { readlinkSync, type Stats } from "node:fs";
import path from "node:path";
import type { Logger } from "../../telemetry/logger.ts";
import { AbortedError, SinkError, messageOf } from "../../errors.ts";
import type { StateKey } from "../../state/cursor.ts";
import { LockHeldError, Watchdog, type HeldLock, type LockHolder as HolderView, type Locks } from "../../state/locks.ts";
import { processGone } from "../../state/process-liveness.ts";
import { lockPath } from "../layout.ts";
import { checkKey } from "./state-store.ts";
import { errnoCode, fsError } from "./fs-errors.ts";
import { ensureDirectory, randomId } from "./fs-util.ts";

export interface LockOptions {
  /** How often the holder refreshes the lock's mtime (default 5 s). */
  heartbeatMs: number;
  /** A lock not refreshed for this long is stale (default 60 s). */
  staleMs: number;
  hostname: string;
  logger: Logger;
}

export const DEFAULT_LOCK_HEARTBEAT_MS = 5_000;
export const DEFAULT_LOCK_STALE_MS = 60_000;

export function defaultLockOptions(logger: Logger): LockOptions {
  return { heartbeatMs: DEFAULT_LOCK_HEARTBEAT_MS, staleMs: DEFAULT_LOCK_STALE_MS, hostname: osHostname(), logger };
}

interface LockHolder {
  pid: number;
  hostname: string;
  token: string;
  startedAt: string;
  /** Linux pid namespace ("pid:[4026531836]"): containers may share a host name but not their pids. */
  pidNamespace?: string;
}

let pidNamespaceCache: string | null | undefined;
function currentPidNamespace(): string | undefined {
  if (pidNamespaceCache === undefined) {
    try {
      pidNamespaceCache = readlinkSync("/proc/self/ns/pid");
    } catch {
      pidNamespaceCache = null; // not Linux, or /proc not mounted: the host name alone decides
    }
  }
  return pidNamespaceCache ?? undefined;
}

/** Whether the holder's pid can be checked from here: same host name and, when both are known, same pid namespace. */
function sameProcessSpace(holder: LockHolder, options: LockOptions): boolean {
  if (holder.hostname !== options.hostname) return false;
  const ours = currentPidNamespace();
  return holder.pidNamespace === undefined || ours === undefined || holder.pidNamespace === ours;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder> | null;
    if (v && typeof v.pid === "number" && typeof v.hostname === "string" && typeof v.token === "string" && typeof v.startedAt === "string") {
      return v as LockHolder;
    }
  } catch {
    // a lock being created (empty for an instant) or damaged: judged by its mtime alone
  }
  return undefined;
}

interface Inspection {
  stats: Stats;
  text: string;
  holder: LockHolder | undefined;
}

async function inspect(file: string): Promise<Inspection | undefined> {
  try {
    const stats = await stat(file);
    const text = await readFile(file, "utf8");
    return { stats, text, holder: parseHolder(text) };
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw fsError(err, "read the lock file", file);
  }
}

/** Why a lock is stale, or undefined when its holder is alive. */
function staleReason(found: Inspection, options: LockOptions, now: number): string | undefined {
  const { holder, stats } = found;
  if (holder && sameProcessSpace(holder, options) && holder.pid !== process.pid && processGone(holder.pid)) {
    return `its holder, process ${holder.pid} on this host, is gone (exited, or a zombie its parent has not reaped)`;
  }
  const age = now - stats.mtimeMs;
  if (age > options.staleMs) return `it was last refreshed ${Math.round(age / 1000)} s ago (limit ${Math.round(options.staleMs / 1000)} s)`;
  return undefined;
}

function sameLock(a: Inspection, b: Inspection): boolean {
  return a.text === b.text && a.stats.ino === b.stats.ino && a.stats.dev === b.stats.dev && a.stats.mtimeMs === b.stats.mtimeMs;
}

/**
 * Moves `file` aside and deletes it when it is still the file judged stale; otherwise (it changed
 * in between) puts it back. Putting back fails only when yet another lock was created in that
 * instant; the displaced holder then notices at its next heartbeat and stops.
 */
async function removeIfUnchanged(file: string, judged: Inspection, logger: Logger): Promise<void> {
  const aside = `${file}.stale-${randomId()}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return; // already gone
    throw fsError(err, "move the stale lock file", file);
  }
  const moved = await inspect(aside);
  if (moved && !sameLock(moved, judged)) {
    try {
      await link(aside, file);
    } catch (err) {
      logger.warn({ file, err: messageOf(err) }, "a lock replaced during a takeover could not be put back; its holder will stop at its next heartbeat");
    }
  }
  await unlink(aside).catch(() => undefined);
}

const TAKEOVER_STALE_MS = 10_000;
const TAKEOVER_WAIT_MS = 20;
const MAX_ATTEMPTS = 250;
/** Acquiring gives up only after MAX_ATTEMPTS and this long: past the age at which any takeover file is stale. */
const GIVE_UP_MS = 2 * TAKEOVER_STALE_MS;

/**
 * Runs `fn` holding `<lock>.takeover`, a short-lived mutex that serialises takeovers of one lock:
 * a contender re-inspects the lock under it, so two contenders can never both remove locks.
 * Returns false when another contender holds the mutex (try again shortly). The mutex names its
 * holder like the lock does, so one left by a process killed mid-takeover on this host is removed at
 * once; any other after TAKEOVER_STALE_MS.
 */
async function withTakeoverMutex(file: string, holder: LockHolder, options: LockOptions, fn: () => Promise<void>): Promise<boolean> {
  const mutex = `${file}.takeover`;
  try {
    const handle = await open(mutex, "wx");
    await handle.writeFile(`${JSON.stringify(holder)}\n`).finally(() => handle.close());
  } catch (err) {
    if (errnoCode(err) !== "EEXIST") throw fsError(err, "create the lock takeover file", mutex);
    const found = await inspect(mutex);
    const other = found?.holder;
    const gone = other !== undefined && sameProcessSpace(other, options) && other.pid !== process.pid && processGone(other.pid);
    if (found && (gone || Date.now() - found.stats.mtimeMs > TAKEOVER_STALE_MS)) {
      options.logger.warn({ file: mutex, holder: other }, "removing a takeover file left by a killed process");
      await removeIfUnchanged(mutex, found, options.logger);
    }
    return false;
  }
  try {
    await fn();
  } finally {
    await unlink(mutex).catch(() => undefined);
  }
  return true;
}

function describeHolder(found: Inspection): string {
  const h = found.holder;
  return h ? `process ${h.pid}@${h.hostname} since ${h.startedAt}` : "a process whose lock file is being written or is damaged";
}

/** How a contender sees a lock it could not take: live when its process runs on this host, else told by its mtime. */
function holderView(found: Inspection, options: LockOptions): HolderView {
  const h = found.holder;
  const local = h !== undefined && sameProcessSpace(h, options);
  return {
    description: describeHolder(found),
    state: local && (h.pid === process.pid || !processGone(h.pid)) ? "live" : "unknown",
    renewal: `${found.stats.ino}:${found.stats.mtimeMs}`,
    renewEveryMs: options.heartbeatMs,
  };
}

function lockHeld(file: string, key: StateKey, found: Inspection, options: LockOptions, extra = ""): LockHeldError {
  const age = Math.max(0, Math.round((Date.now() - found.stats.mtimeMs) / 1000));
  return new LockHeldError(
    holderView(found, options),
    `query "${key.query}" (${key.scope}) is locked by ${describeHolder(found)} (lock file ${file}, refreshed ${age} s ago)${extra}: another monitorlift run is exporting it to this folder. ` +
      `Wait for that run to finish. If it was killed, its lock is taken over automatically once it has not been refreshed for ${Math.round(options.staleMs / 1000)} s (at once when it ran on this host and its process is gone); delete the lock file by hand only if you are sure no run is active.`,
  );
}

async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "wx");
  } catch (err) {
    if (errnoCode(err) === "EEXIST") return false;
    throw fsError(err, "create the lock file", file);
  }
  try {
    await handle.writeFile(`${JSON.stringify(holder)}\n`);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw fsError(err, "write the lock file", file);
  }
  await handle.close();
  return true;
}

export async function acquireFileLock(file: string, key: StateKey, options: LockOptions, signal?: AbortSignal): Promise<HeldLock> {
  const token = randomId();
  const holder: LockHolder = { pid: process.pid, hostname: options.hostname, token, startedAt: new Date().toISOString(), pidNamespace: currentPidNamespace() };
  await ensureDirectory(path.dirname(file));
  const began = Date.now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortedError(`stopped while acquiring the lock ${file}`, { cause: signal.reason });
    if (await tryCreate(file, holder)) return heldLock(file, token, options);
    const found = await inspect(file);
    const exhausted = attempt >= MAX_ATTEMPTS && Date.now() - began > GIVE_UP_MS;
    if (!found) {
      if (exhausted) throw new SinkError("LOCK_HELD", `could not create the lock file ${file}: it kept appearing and disappearing (${attempt} attempts in ${Math.round((Date.now() - began) / 1000)} s); another process is acquiring and releasing it in a loop. Stop the other monitorlift runs on this folder, then run again.`);
      continue; // released meanwhile: try again
    }
    const reason = staleReason(found, options, Date.now());
    if (reason === undefined) throw lockHeld(file, key, found, options);
    if (exhausted) throw lockHeld(file, key, found, options, ", and taking over its stale lock kept failing");
    const ran = await withTakeoverMutex(file, holder, options, async () => {
      const again = await inspect(file);
      if (!again || !sameLock(again, found)) return; // changed meanwhile: judge it afresh
      options.logger.warn({ file, holder: found.holder, reason }, "taking over a stale lock");
      await removeIfUnchanged(file, again, options.logger);
    });
    if (!ran) await new Promise((resolve) => setTimeout(resolve, TAKEOVER_WAIT_MS));
  }
}

/** The watchdog's beat refreshes the mtime of the same inode whose token it just checked. */
function heldLock(file: string, token: string, options: LockOptions): HeldLock {
  const watchdog = new Watchdog({
    intervalMs: options.heartbeatMs,
    logger: options.logger.child({ file }),
    missedLimitMs: options.staleMs / 2,
    lostError: (why, cause) =>
      new SinkError("LOCK_LOST", `the lock ${file} was lost (${why}); writing stopped so that two runs never write the same query. Run again once the other run is done.`, { cause }),
    async beat(wd) {
      let handle;
      try {
        handle = await open(file, "r");
      } catch (err) {
        if (errnoCode(err) === "ENOENT") return wd.lose("the lock file was deleted", err);
        throw err;
      }
      try {
        const holder = parseHolder(await handle.readFile("utf8"));
        if (holder?.token !== token) {
          return wd.lose(holder ? `taken over by process ${holder.pid}@${holder.hostname} since ${holder.startedAt}` : "the lock file was replaced");
        }
        const now = new Date();
        await handle.utimes(now, now);
      } finally {
        await handle.close();
      }
    },
  });
  let released = false;
  return {
    signal: watchdog.signal,
    async release() {
      if (released) return;
      released = true;
      await watchdog.stop();
      try {
        const holder = parseHolder(await readFile(file, "utf8"));
        if (holder?.token === token) await unlink(file);
      } catch (err) {
        if (errnoCode(err) === "ENOENT") return;
        // A lock left behind is taken over as stale later; it must not hide the run's own outcome.
        options.logger.warn({ file, err: messageOf(err) }, "could not release the lock; it will be taken over as stale");
      }
    },
  };
}

/** The filesystem's Locks: one lock file per key under `<root>/_locks/`. */
export class FileLocks implements Locks {
  readonly #root: string;
  readonly #options: LockOptions;

  constructor(root: string, options: LockOptions) {
    this.#root = root;
    this.#options = options;
  }

  /** A gone holder on another host is taken over once its lock file is older than the stale limit. */
  get lapseMs(): number {
    return this.#options.staleMs;
  }

  acquire(key: StateKey, signal?: AbortSignal): Promise<HeldLock> {
    checkKey(key);
    return acquireFileLock(path.join(this.#root, lockPath(key)), key, this.#options, signal);
  }
}
