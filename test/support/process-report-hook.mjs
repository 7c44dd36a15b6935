// Preloaded into a CLI child (node --import): at exit, writes its pid, execArgv, MALLOC_ARENA_MAX and V8's heap limits to $PROCESS_REPORT_FILE.
import { writeFileSync } from "node:fs";
import v8 from "node:v8";

process.on("exit", () => {
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  writeFileSync(process.env.PROCESS_REPORT_FILE, JSON.stringify({ pid: process.pid, execArgv: process.execArgv, mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null, newSpaceSize: newSpace?.space_size ?? null }));
});
