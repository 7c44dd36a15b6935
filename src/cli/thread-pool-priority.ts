/**
 * libuv's thread pool at a lower CPU priority than the main thread (Linux), for the commands that move
 * data (export, backfill).
 *
 * Why: the main thread is an export's critical path (the response's row scan and the text or Parquet
 * encoding), while the pool's threads do work the main thread hands them and then waits for — gzip and
 * zstd compression, the responses' gunzip, file writes. On 2 cores the four pool threads and the main
 * thread share the cores as equals, so the main thread waited for a core while runnable for 17.4 s of a
 * 43 s export (2M rows, ndjson+gzip; measured from /proc/self/task/<tid>/schedstat). With the pool's
 * threads DEFAULT_THREADPOOL_NICE steps below the process, 6.2 s: ndjson+gzip 20–25 % and ndjson+zstd
 * 18–32 % less wall time, the same CPU time (README, Benchmarks). The pool still gets every core the main
 * thread leaves idle, and whenever the main thread waits for the pool's work it is idle.
 *
 * libuv starts all its pool threads on the first job and names them "libuv-worker"; each is a Linux task
 * whose nice value can be raised on its own (`setpriority` on its thread id, which `os.setPriority` passes
 * through). A process may always lower its own threads' priority; nothing here raises one. Other systems,
 * or a libuv that names its threads otherwise: nothing is changed (logged at debug).
 */
import { readdirSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { getPriority, setPriority } from "node:os";
import { UsageError } from "../errors.ts";
import type { Logger } from "../telemetry/logger.ts";

/** How many nice steps below the process the pool's threads run (MONITORLIFT_THREADPOOL_NICE; 0: unchanged). */
export const DEFAULT_THREADPOOL_NICE = 10;
/** The lowest priority Linux has. */
const NICE_MAX = 19;
const POOL_THREAD_NAME = "libuv-worker";

/** The nice steps wanted, from MONITORLIFT_THREADPOOL_NICE (an integer 0–19; unset: the default). */
export function threadPoolNice(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env["MONITORLIFT_THREADPOOL_NICE"]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_THREADPOOL_NICE;
  if (!/^\d+$/.test(raw) || Number(raw) > NICE_MAX) {
    throw new UsageError(`MONITORLIFT_THREADPOOL_NICE must be a whole number from 0 (leave the thread pool's priority as it is) to ${NICE_MAX}, got "${raw}"`);
  }
  return Number(raw);
}

export interface Task {
  tid: number;
  name: string;
}

/** The process's threads (Linux: /proc/self/task), each with its name; a thread that ended meanwhile is left out. */
export function processTasks(): Task[] {
  const tasks: Task[] = [];
  for (const entry of readdirSync("/proc/self/task")) {
    try {
      tasks.push({ tid: Number(entry), name: readFileSync(`/proc/self/task/${entry}/comm`, "utf8").trim() });
    } catch {
      // gone
    }
  }
  return tasks;
}

/** The nice value for the pool's threads: `steps` below the process's own, at most the lowest priority. */
export function poolNiceValue(processNice: number, steps: number): number {
  return Math.min(NICE_MAX, processNice + steps);
}

export interface PoolPriority {
  /** Pool threads whose priority was lowered. */
  lowered: number;
  /** Their nice value. */
  nice: number;
}

/** Lowers the pool threads' priority by `steps` (threadPoolNice); resolves with what was done. Never throws: priority is an optimisation. */
export async function lowerThreadPoolPriority(steps: number, logger: Logger): Promise<PoolPriority> {
  const processNice = getPriority(0);
  const nice = poolNiceValue(processNice, steps);
  if (steps === 0 || process.platform !== "linux") return { lowered: 0, nice: processNice };
  let lowered = 0;
  try {
    await stat("."); // the pool starts all of its threads with its first job
    for (const task of processTasks()) {
      if (task.name !== POOL_THREAD_NAME || getPriority(task.tid) >= nice) continue;
      setPriority(task.tid, nice);
      lowered++;
    }
  } catch (err) {
    logger.debug({ err }, "could not lower the thread pool's priority; it runs as the main thread does");
    return { lowered, nice };
  }
  logger.debug({ threads: lowered, nice }, lowered > 0 ? "thread pool below the main thread's priority" : `no "${POOL_THREAD_NAME}" thread found: the thread pool's priority is unchanged`);
  return { lowered, nice };
}
