/**
 * `npm run demo`: a complete export against the local workspace, no Azure needed.
 * Starts the simulator with a few hours of App Insights data, writes a config next to it
 * (.demo/monitorlift.json), runs the real CLI (`export --once`, then `status`), and shows
 * what landed in .demo/export.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { startSimulator } from "../src/simulator/index.ts";

const root = join(import.meta.dirname, "..");
const demoDir = join(root, ".demo");
const cli = join(root, "bin", "monitorlift.js");

await rm(demoDir, { recursive: true, force: true });
await mkdir(demoDir, { recursive: true });
const sim = await startSimulator({ seed: 7, backfill: "PT3H", rowsPerSecond: 3, settleJitterMs: 5_000 });
console.log(`simulator: ${sim.endpoint} (workspace ${sim.workspaceId})`);
const config = {
  $schema: "../config.schema.json",
  source: { workspaceId: sim.workspaceId, endpoint: sim.endpoint, auth: { method: "none" } },
  queries: [
    { name: "requests", table: "AppRequests" },
    { name: "slow_requests", table: "AppRequests", transform: "where DurationMs > 1000 | project TimeGenerated, _ItemId, Name, DurationMs, ResultCode" },
    { name: "failed_dependencies", file: "../queries/failed_dependencies.kql" },
    { name: "exceptions", table: "AppExceptions" },
    { name: "traces", table: "AppTraces" },
  ],
  window: { mode: "ingestion", size: "PT5M", lag: "PT1M", start: "PT2H" },
  sink: { type: "filesystem", path: "./export", format: "ndjson", compression: "gzip" },
  concurrency: 4,
  log: { level: "warn" },
};
const configPath = join(demoDir, "monitorlift.json");
await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
console.log(`config:    ${relative(root, configPath)}\n`);

// The simulator runs in this process, so the CLI runs as a child without blocking its event loop.
const exec = (args: string[]) =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, "--config", configPath], { stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });

console.log("$ monitorlift export --once");
const exportCode = await exec(["export", "--once"]);
console.log("\n$ monitorlift status");
await exec(["status"]);

const files: string[] = [];
const walk = async (dir: string): Promise<void> => {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p);
    else files.push(p);
  }
};
await walk(join(demoDir, "export"));
const data = files.filter((f) => !relative(join(demoDir, "export"), f).startsWith("_"));
console.log(`\n${data.length} data files in .demo/export, for example:`);
for (const f of data.slice(0, 3)) console.log(`  ${relative(root, f)}`);
const sample = data.find((f) => f.includes("failed_dependencies")) ?? data[0];
if (sample) {
  const line = gunzipSync(readFileSync(sample)).toString("utf8").split("\n")[0];
  console.log(`\nfirst row of ${relative(root, sample)}:\n  ${line}`);
}
await sim.close();
process.exitCode = exportCode;
