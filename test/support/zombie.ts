/**
 * Real zombies for the lock tests: a command started by a parent that never reaps it. `sh -c
 * '<cmd> & echo $!; exec sleep …'` starts the command in the background, prints its pid, then
 * replaces the shell with `sleep`, which never calls wait(): once the command exits (or is
 * SIGKILLed) it stays a zombie (/proc/<pid>/stat state Z) until the sleeping parent is killed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface Unreaped {
  /** The pid of the command (a zombie once it has ended). */
  pid: number;
  /** The command's stdout/stderr (redirected to files by the shell). */
  output(): { stdout: string; stderr: string };
  /** Kills the non-reaping parent (the zombie is then reaped by init). */
  close(): void;
  parent: ChildProcess;
}

export async function startUnreaped(command: string[], options: { env?: NodeJS.ProcessEnv; outFile: string; errFile: string }): Promise<Unreaped> {
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const parent = spawn("sh", ["-c", `${quoted} >'${options.outFile}' 2>'${options.errFile}' & echo $!; exec sleep 600`], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, ...options.env },
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let text = "";
    parent.stdout!.on("data", (d: Buffer) => {
      text += d.toString();
      const m = /^(\d+)\n/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    parent.on("error", reject);
    parent.on("exit", () => reject(new Error("the non-reaping parent exited early")));
  });
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return {
    pid,
    parent,
    output: () => ({ stdout: read(options.outFile), stderr: read(options.errFile) }),
    close: () => void parent.kill("SIGKILL"),
  };
}

export function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** Waits until `pid` is a zombie (state Z). */
export async function untilZombie(pid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (procState(pid) !== "Z") {
    if (Date.now() > until) throw new Error(`process ${pid} did not become a zombie (state ${procState(pid)})`);
    await sleep(10);
  }
}
