/**
 * Runs the real CLI on a pseudo-terminal with util-linux `script`, so that stdin, stdout and stderr
 * are a TTY as in an operator's shell, and returns everything the terminal received (escape
 * sequences included) and the exit code. Bounded in time.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./cli.ts";

/** True when `script` (util-linux) is there to give a command a pseudo-terminal. */
export function haveScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export async function runCliOnTty(args: string[], options: { timeoutMs?: number; columns?: number } = {}): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-pty-"));
  const typescript = join(dir, "typescript");
  const command = [process.execPath, CLI, ...args].map(quote).join(" ");
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      // -q quiet, -e the command's exit code, -f flush each write, -c the command; the terminal's size
      // comes from stty so the bar has room
      const child = spawn("script", ["-qefc", `stty cols ${options.columns ?? 160} rows 50; exec ${command}`, typescript], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, TERM: "xterm" },
      });
      const guard = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
      child.on("error", reject);
      child.on("exit", (c) => {
        clearTimeout(guard);
        resolve(c);
      });
    });
    return { code, output: await readFile(typescript, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
