#!/usr/bin/env node
// Runs the TypeScript sources directly with Node's built-in type stripping (Node >= 22.18).
// First the V8 heap flags and MALLOC_ARENA_MAX (src/cli/heap-flags.ts): V8 and malloc read them only when
// the process starts, so Node is re-executed in place (process.execve: the same process id) with them
// added, before anything else is loaded. MONITORLIFT_V8_FLAGS replaces the flags ("" for none); a
// MALLOC_ARENA_MAX already set is kept.
import { reexecPlan } from "../src/cli/heap-flags.ts";

const plan = reexecPlan(process, process.execPath);
if (plan !== undefined && typeof process.execve === "function") {
  try {
    process.execve(process.execPath, plan.args, plan.env);
  } catch {
    // Not available on this platform (Windows): run with V8's defaults.
  }
}
await import("../src/cli/main.ts");
