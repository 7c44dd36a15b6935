/**
 * Runs one pipeline as its own process and reads what it cost from the OS: wall time (here), CPU time
 * (user + system) and peak RSS from the child's own getrusage at exit (`process.resourceUsage()`,
 * written by a preloaded hook), so nothing of the parent is counted.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface Cost {
  wallS: number;
  cpuS: number;
  peakRssMB: number;
  stdout: string;
}

/** Writes the hook that reports the child's resource usage to $BENCH_RUSAGE_FILE at exit; returns its path. */
export async function writeRusageHook(dir: string): Promise<string> {
  const path = join(dir, "rusage-hook.mjs");
  await writeFile(
    path,
    `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(process.env.BENCH_RUSAGE_FILE, JSON.stringify(process.resourceUsage())));\n`,
  );
  return path;
}

export async function measure(hook: string, args: string[], options: { cwd: string; label: string; env?: Record<string, string> }): Promise<Cost> {
  const usageFile = join(options.cwd, `rusage-${options.label}.json`);
  const t0 = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", hook, ...args], {
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env, BENCH_RUSAGE_FILE: usageFile },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${options.label}: exit ${code}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  const usage = JSON.parse(await readFile(usageFile, "utf8")) as { maxRSS: number; userCPUTime: number; systemCPUTime: number };
  return { wallS, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMB: usage.maxRSS / 1024, stdout };
}
