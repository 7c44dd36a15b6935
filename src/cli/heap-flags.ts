/**
 * The V8 heap flags and the malloc setting the CLI runs with (pure; applied by bin/monitorlift.js before
 * anything is loaded).
 *
 * Why: Node 24 lets V8 grow the young generation to 2 × 64 MB on a machine with a few GB of memory.
 * An export allocates its row batches, encoded text and strings at a high rate and keeps only a few
 * megabytes live per window, so V8 sizes the young generation to its maximum and the process's RSS
 * holds ~130 MB of young-generation pages that are garbage most of the time (measured with
 * `--trace-gc`: ~41 MB live after each scavenge, scavenges at ~110 MB). A semi-space of
 * HEAP_SEMI_SPACE_MB caps that part at 2 × HEAP_SEMI_SPACE_MB whatever the window or run size.
 *
 * V8 reads these flags only when the process starts (`v8.setFlagsFromString` later has no effect on
 * the heap's layout), so the bin re-executes Node in place (`process.execve`: same process id, no
 * second process, signals and exit codes untouched) with the flags added, unless:
 *   - MONITORLIFT_V8_FLAGS is set: its flags are used instead (empty: none);
 *   - the flag is already given (on the command line of node, or in NODE_OPTIONS);
 *   - `process.execve` is not available (Node before 22.15, Windows): the CLI runs with V8's defaults.
 * The same re-execution sets MALLOC_ARENA_MAX (see below) unless it is set; with nothing to add
 * (flags given or MONITORLIFT_V8_FLAGS="", and MALLOC_ARENA_MAX set) there is no re-execution.
 */

/**
 * The semi-space size (MB) the CLI asks V8 for: the young generation is at most twice this. 4, not 16
 * since the byte-level row path: it makes little V8 garbage, so with larger semi-spaces V8 scavenges
 * rarely and the batches' dead ArrayBuffers (network chunks, encoded output) pile up until external
 * memory forces a collection; measured at 200k–500k rows, 4 MB cut the text formats' peak RSS by
 * 30–50 MB and SQLite's by ~15 MB at no measurable cost in time (README, Benchmarks).
 */
export const HEAP_SEMI_SPACE_MB = 4;

/** The flags added when MONITORLIFT_V8_FLAGS is not set. */
export const DEFAULT_V8_FLAGS: readonly string[] = [`--max-semi-space-size=${HEAP_SEMI_SPACE_MB}`];

/**
 * glibc's malloc arenas (MALLOC_ARENA_MAX). Compression runs in libuv's thread pool, and each thread that
 * allocates gets an arena of its own (up to 8 per core); the zstd and zlib contexts made and freed there
 * for every window part leave those arenas fragmented, memory the process keeps without using it.
 * Measured on 2M rows in 4 windows of 500k (README, Benchmarks): peak RSS ndjson+zstd 224 → 200 MB, ndjson+gzip
 * 172 → 160 MB, Parquet unchanged, no slower. Other C libraries (musl, macOS) ignore the variable.
 */
export const MALLOC_ARENA_MAX = "2";

export interface ProcessView {
  execArgv: readonly string[];
  /** process.argv: [node, script, ...arguments]. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

/** The name of each flag in `flags` (`--max-semi-space-size=16` → `--max-semi-space-size`; `_` read as `-`). */
function flagNames(flags: readonly string[]): string[] {
  return flags.filter((f) => f.startsWith("--")).map((f) => f.split("=")[0]!.replaceAll("_", "-"));
}

/** The flags this process should add to itself, or an empty list when it runs as it is. */
export function heapFlagsToAdd(p: ProcessView): string[] {
  const configured = p.env["MONITORLIFT_V8_FLAGS"];
  const wanted = configured === undefined ? [...DEFAULT_V8_FLAGS] : configured.split(/\s+/).filter((f) => f !== "");
  const given = new Set(flagNames([...p.execArgv, ...(p.env["NODE_OPTIONS"] ?? "").split(/\s+/)]));
  return wanted.filter((f) => !given.has(flagNames([f])[0] ?? f));
}

/** The environment variables this process should add to itself (none already set is changed). */
export function envToAdd(p: ProcessView): Record<string, string> {
  return p.env["MALLOC_ARENA_MAX"] === undefined ? { MALLOC_ARENA_MAX } : {};
}

/**
 * The argument vector and environment to re-execute this process with (for
 * `process.execve(process.execPath, args, env)`), or undefined when there is nothing to add. Node's own
 * options (execArgv, e.g. `--import`) and the environment are kept.
 */
export function reexecPlan(p: ProcessView, execPath: string): { args: string[]; env: Record<string, string | undefined> } | undefined {
  const add = heapFlagsToAdd(p);
  const env = envToAdd(p);
  if (add.length === 0 && Object.keys(env).length === 0) return undefined;
  return { args: [execPath, ...add, ...p.execArgv, ...p.argv.slice(1)], env: { ...p.env, ...env } };
}
