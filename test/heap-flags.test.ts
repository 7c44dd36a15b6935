/**
 * bin/monitorlift.js runs with the V8 heap flags of src/cli/heap-flags.ts: re-executed in place (the same
 * process id, so a supervisor's signals and exit code are untouched), node's own options kept; none
 * with MONITORLIFT_V8_FLAGS=""; MALLOC_ARENA_MAX set unless it is.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_V8_FLAGS, MALLOC_ARENA_MAX } from "../src/cli/heap-flags.ts";
import { CLI } from "./support/cli.ts";

const HOOK = join(import.meta.dirname, "support", "process-report-hook.mjs");

/** Runs the CLI with exactly `env` (plus the report file). */
async function report(env: NodeJS.ProcessEnv, args: string[]): Promise<{ spawnedPid: number; code: number | null; stdout: string; seen: { pid: number; execArgv: string[]; mallocArenaMax: string | null } }> {
  const dir = await mkdtemp(join(tmpdir(), "ml-heap-flags-"));
  try {
    const file = join(dir, "report.json");
    const child = spawn(process.execPath, ["--import", HOOK, CLI, ...args], { stdio: ["ignore", "pipe", "inherit"], env: { ...env, PROCESS_REPORT_FILE: file } });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    return { spawnedPid: child.pid!, code, stdout, seen: JSON.parse(await readFile(file, "utf8")) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const { MONITORLIFT_V8_FLAGS: _ignored, NODE_OPTIONS: _none, MALLOC_ARENA_MAX: _unset, ...cleanEnv } = process.env;

test("the CLI re-executes itself in place with the heap flags, keeping node's options and its arguments", async () => {
  const r = await report(cleanEnv, ["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  assert.equal(r.seen.pid, r.spawnedPid, "same process: execve, not a child");
  for (const flag of DEFAULT_V8_FLAGS) assert.ok(r.seen.execArgv.includes(flag), `${flag} in ${JSON.stringify(r.seen.execArgv)}`);
  assert.ok(r.seen.execArgv.includes("--import"), "node's own options are kept");
  assert.equal(r.seen.mallocArenaMax, MALLOC_ARENA_MAX);
});

test("a MALLOC_ARENA_MAX already set is kept", async () => {
  const r = await report({ ...cleanEnv, MALLOC_ARENA_MAX: "8" }, ["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.seen.mallocArenaMax, "8");
});

test("MONITORLIFT_V8_FLAGS replaces the flags, and empty runs without any", async () => {
  const none = await report({ ...cleanEnv, MONITORLIFT_V8_FLAGS: "" }, ["--version"]);
  assert.equal(none.code, 0);
  assert.deepEqual(none.seen.execArgv.filter((a) => a.startsWith("--max-")), []);
  const own = await report({ ...cleanEnv, MONITORLIFT_V8_FLAGS: "--max-semi-space-size=2" }, ["--version"]);
  assert.equal(own.code, 0);
  assert.deepEqual(own.seen.execArgv.filter((a) => a.startsWith("--max-")), ["--max-semi-space-size=2"]);
});
