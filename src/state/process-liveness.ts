/**
 * Whether a process on this host (same pid namespace) still runs. A pid that no longer exists is
 * gone, and so is a zombie — a process that has exited but whose parent has not reaped it yet
 * (`/proc/<pid>/stat` state Z, or X while it is being removed). Zombies are common in containers
 * whose init does not reap, and `kill(pid, 0)` succeeds on them, so it alone would take a crashed
 * lock holder for alive. Without /proc (not Linux) the signal check alone decides.
 */
import { readFileSync } from "node:fs";

export function processGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return true;
    // EPERM: it exists, owned by another user; /proc still tells whether it is a zombie
  }
  const state = procState(pid);
  return state === "Z" || state === "X" || state === "x";
}

/** The state letter of /proc/<pid>/stat ("R", "S", "Z", …), or undefined when it cannot be read. */
export function procState(pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "<pid> (<comm>) <state> …": comm may contain spaces and parentheses, so read after the last ")".
  const close = text.lastIndexOf(")");
  return close < 0 ? undefined : text.slice(close + 2, close + 3) || undefined;
}
