#!/usr/bin/env node
// Runs the TypeScript sources directly with Node's built-in type stripping (Node >= 22.18).
// First the V8 heap flags (src/cli/heap-flags.ts): V8 reads them only when the process starts, so Node
// is re-executed in place (process.execve: the same process id) with them added, before anything else
// is loaded. MONITORLIFT_V8_FLAGS replaces them ("" for none).
import { reexecArgs } from "../src/cli/heap-flags.ts";

const args = reexecArgs(process, process.execPath);
if (args !== undefined && typeof process.execve === "function") {
  try {
    process.execve(process.execPath, args, process.env);
  } catch {
    // Not available on this platform (Windows): run with V8's defaults.
  }
}
await import("../src/cli/main.ts");
