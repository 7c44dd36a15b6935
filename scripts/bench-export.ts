/**
 * Throughput benchmark (issue 11): a replay server (its own process) serves pre-rendered, gzipped
 * AppRequests responses, and each pipeline runs as its own process, timed with its CPU time and peak
 * RSS from the OS: the JSON.parse floor, the naive pipeline, `monitorlift export --once` into each
 * filesystem format and SQL dialect, and each dialect's bulk-load reference. Every output is read back
 * and checked (row count, exact values of a sample of rows). Prints one table; writes
 * bench-results/<timestamp>.json. Exits 1 when a round trip fails.
 *
 *   node scripts/bench-export.ts [--rows 100000] [--window-rows 50000] [--variants floor,naive,…] [--runs 1] [--keep]
 * Variants: floor, naive, "monitorlift ndjson+gzip", … (see --list); SQL variants are skipped with a note
 * when their server is unreachable (MONITORLIFT_PG_URL, MONITORLIFT_MYSQL_URL).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Manifest } from "./bench/dataset.ts";
import { measure, writeRusageHook } from "./bench/measure.ts";
import { relate, table, type Result } from "./bench/report.ts";
import { openTarget, type Dialect, type SqlTarget } from "./bench/sql-targets.ts";
import { VARIANTS, type RunContext } from "./bench/variants.ts";

const root = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    "window-rows": { type: "string", default: "50000" },
    variants: { type: "string" },
    runs: { type: "string", default: "1" },
    out: { type: "string", default: join(root, "bench-results") },
    list: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
if (values.list) {
  console.log(VARIANTS.map((v) => v.name).join("\n"));
  process.exit(0);
}
const chosen = values.variants ? values.variants.split(",").map((s) => s.trim()) : VARIANTS.map((v) => v.name);
for (const name of chosen) if (!VARIANTS.some((v) => v.name === name)) throw new Error(`unknown variant '${name}' (--list shows them)`);
const runs = Number(values.runs);

const dir = await mkdtemp(join(tmpdir(), "monitorlift-bench-"));
const replay = spawn(process.execPath, [join(import.meta.dirname, "bench", "replay-server.ts"), "--rows", values.rows!, "--window-rows", values["window-rows"]!, "--dir", dir], {
  stdio: ["ignore", "pipe", "inherit"],
});
// The replay server goes with this process, however it ends.
process.on("exit", () => replay.kill("SIGTERM"));
const port = await new Promise<number>((resolve, reject) => {
  let out = "";
  replay.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    const m = /ready (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  replay.on("exit", (code) => reject(new Error(`the replay server exited (${code}) before it was ready`)));
});
const manifestPath = join(dir, "manifest.json");
const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Manifest;
const endpoint = `http://127.0.0.1:${port}/v1`;
const hook = await writeRusageHook(dir);
const mb = manifest.bytes / 1e6;
console.log(
  `${manifest.rows.toLocaleString("en")} AppRequests rows (${manifest.columns.length} columns, ${Math.round(manifest.bytes / manifest.rows)} bytes of response JSON per row, ${mb.toFixed(0)} MB in ${manifest.windows.length} windows of ~${values["window-rows"]} rows); Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})\n`,
);

const results: Result[] = [];
const skipped: string[] = [];
const targets = new Map<Dialect, SqlTarget | string>();
let failed = false;
for (const variant of VARIANTS.filter((v) => chosen.includes(v.name))) {
  let sql: SqlTarget | undefined;
  if (variant.dialect) {
    if (!targets.has(variant.dialect)) targets.set(variant.dialect, await openTarget(variant.dialect, join(dir, "bench.db")));
    const t = targets.get(variant.dialect)!;
    if (typeof t === "string") {
      skipped.push(`${variant.name}: ${t}`);
      continue;
    }
    sql = t;
  }
  const best: Result[] = [];
  for (let run = 0; run < runs; run++) {
    const vdir = join(dir, `${variant.name.replace(/[^a-z0-9]+/gi, "-")}-${run}`);
    await mkdir(vdir, { recursive: true });
    const ctx: RunContext = { endpoint, manifestPath, manifest, dir: vdir, ...(sql ? { sql } : {}) };
    let cost;
    try {
      cost = await measure(hook, await variant.args(ctx), { cwd: vdir, label: "child" });
    } catch (err) {
      failed = true;
      skipped.push(`${variant.name}: FAILED ${(err as Error).message.split("\n").slice(0, 8).join(" / ")}`);
      break;
    }
    ctx.stdout = cost.stdout;
    // A pipeline that times its own work (the floor: the parses alone) is rated by that time.
    const timedS = selfTimed(cost.stdout);
    const roundTrip = await variant.check(ctx);
    if (!roundTrip.ok) failed = true;
    best.push({
      name: variant.name,
      rows: manifest.rows,
      wallS: cost.wallS,
      cpuS: cost.cpuS,
      peakRssMB: cost.peakRssMB,
      ...(timedS !== undefined ? { timedS } : {}),
      rowsPerS: manifest.rows / (timedS ?? cost.wallS),
      mbPerS: mb / (timedS ?? cost.wallS),
      ...(variant.reference ? { reference: variant.reference } : {}),
      roundTrip,
    });
    if (!values.keep) await rm(vdir, { recursive: true, force: true });
    // Each SQL run starts from empty tables.
    if (sql) await sql.reset();
  }
  if (best.length === 0) continue;
  // The fastest run: the least disturbed by the other work on the machine.
  results.push(best.sort((a, b) => b.rowsPerS - a.rowsPerS)[0]!);
  console.error(`  ${variant.name}: ${best[0]!.wallS.toFixed(1)} s, round trip ${best[0]!.roundTrip.ok ? "ok" : "FAILED"}`);
}
relate(results);
console.log(table(results));
for (const s of skipped) console.log(`not in the table: ${s}`);

await mkdir(values.out!, { recursive: true });
const stamp = new Date().toISOString().replace(/[-:.]/g, "");
const record = {
  at: new Date().toISOString(),
  machine: { node: process.version, cores: availableParallelism(), cpu: cpus()[0]?.model, memGB: Math.round(totalmem() / 2 ** 30) },
  options: { rows: Number(values.rows), windowRows: Number(values["window-rows"]), runs },
  data: { rows: manifest.rows, bytes: manifest.bytes, windows: manifest.windows.length, columns: manifest.columns.length },
  results,
  skipped,
};
const outFile = join(values.out!, `${stamp}.json`);
await writeFile(outFile, JSON.stringify(record, null, 2));
console.log(`\nresults: ${outFile}`);

replay.kill("SIGTERM");
for (const t of targets.values()) if (typeof t !== "string") await t.close();
if (!values.keep) await rm(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

/** `timedS` of a pipeline's last output line when it is a JSON record carrying one. */
function selfTimed(stdout: string): number | undefined {
  try {
    const t = (JSON.parse(stdout.trim().split("\n").pop() ?? "") as { timedS?: unknown }).timedS;
    return typeof t === "number" ? t : undefined;
  } catch {
    return undefined;
  }
}
