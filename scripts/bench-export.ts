/**
 * Exporter benchmark: a simulator process serves N AppRequests rows (default 1,000,000); the real
 * CLI (`export --once`) exports them all into a fresh sink, several times per variant. Prints wall
 * time, rows/s and the exporter process's peak RSS (median of the runs; the first run is a warm-up).
 *
 *   node scripts/bench-export.ts [--rows 1000000] [--runs 3] [--variants ndjson-gzip,ndjson-zstd,ndjson-none,parquet,sqlite,postgres,mysql]
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const root = join(import.meta.dirname, "..");
const cli = join(root, "bin", "monitorlift.js");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    variants: { type: "string", default: "ndjson-gzip,ndjson-zstd,ndjson-none,parquet,sqlite,postgres,mysql" },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const hours = 6;
const dir = await mkdtemp(join(tmpdir(), "monitorlift-bench-"));

const sim = spawn(
  process.execPath,
  [cli, "simulate", "--seed", "1", "--tables", "AppRequests", "--backfill", `PT${hours}H`, "--rate", String(rows / (hours * 3600)), "--no-live", "--settle-jitter", "1000"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const banner = await new Promise<string>((resolve) => {
  let out = "";
  sim.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (/workspace/i.test(out) && /http:\/\/127\.0\.0\.1:\d+\/v1/.test(out) && /[0-9a-f]{8}-[0-9a-f]{4}-/.test(out)) resolve(out);
  });
});
const endpoint = /http:\/\/127\.0\.0\.1:\d+\/v1/.exec(banner)![0];
const workspaceId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(banner)![0];

const sinks: Record<string, (n: number) => object> = {
  "ndjson-gzip": (n) => ({ type: "filesystem", path: `./run-${n}`, format: "ndjson", compression: "gzip" }),
  "ndjson-zstd": (n) => ({ type: "filesystem", path: `./run-${n}`, format: "ndjson", compression: "zstd" }),
  "ndjson-none": (n) => ({ type: "filesystem", path: `./run-${n}`, format: "ndjson", compression: "none" }),
  parquet: (n) => ({ type: "filesystem", path: `./run-${n}`, format: "parquet" }),
  sqlite: (n) => ({ type: "sql", dialect: "sqlite", path: `./run-${n}.db` }),
  postgres: (n) => ({ type: "sql", dialect: "postgres", url: pgUrl, schema: "monitorlift_bench", tablePrefix: `run${n}_` }),
  mysql: (n) => ({ type: "sql", dialect: "mysql", url: mysqlUrl.replace(/\/[^/]*$/, "/monitorlift_bench"), tablePrefix: `run${n}_` }),
};

// Reports the exporter process's own resource usage (peak RSS) when it exits.
const rusageHook = join(dir, "rusage.mjs");
await writeFile(
  rusageHook,
  `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(process.env.RUSAGE_FILE, JSON.stringify(process.resourceUsage())));\n`,
);

// SQL variants write into a throw-away schema / database, dropped at the end.
const pgUrl = process.env.MONITORLIFT_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const mysqlUrl = process.env.MONITORLIFT_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";
async function sqlAdmin(action: "create" | "drop"): Promise<void> {
  const variants = values.variants!.split(",");
  if (variants.includes("postgres")) {
    const { default: pg } = await import("pg");
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(action === "create" ? "CREATE SCHEMA IF NOT EXISTS monitorlift_bench" : "DROP SCHEMA IF EXISTS monitorlift_bench CASCADE");
    await c.end();
  }
  if (variants.includes("mysql")) {
    const mysql = await import("mysql2/promise");
    const c = await mysql.createConnection(mysqlUrl);
    await c.query(action === "create" ? "CREATE DATABASE IF NOT EXISTS monitorlift_bench" : "DROP DATABASE IF EXISTS monitorlift_bench");
    await c.end();
  }
}
await sqlAdmin("create");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(`simulator ${endpoint}: ${rows} AppRequests rows; ${runs} runs per variant after a warm-up\n`);
console.log("| sink | median wall s | rows | rows/s | peak RSS MB |");
console.log("|---|---|---|---|---|");
let n = 0;
for (const variant of values.variants!.split(",")) {
  const walls: number[] = [];
  const rss: number[] = [];
  let exported = 0;
  for (let run = 0; run <= runs; run++) {
    n++;
    const work = join(dir, `run-${n}`);
    const config = {
      source: { workspaceId, endpoint, auth: { method: "none" } },
      queries: [{ name: "requests", table: "AppRequests" }],
      window: { size: "PT1H", lag: "PT10S", start: `PT${hours + 1}H` },
      sink: sinks[variant]!(n),
      concurrency: 4,
      log: { level: "warn" },
    };
    await writeFile(join(dir, `config-${n}.json`), JSON.stringify(config));
    const rusageFile = join(dir, `rusage-${n}.json`);
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", rusageHook, cli, "export", "--once", "--config", join(dir, `config-${n}.json`)], {
        stdio: ["ignore", "pipe", "inherit"],
        cwd: dir,
        env: { ...process.env, RUSAGE_FILE: rusageFile },
      });
      let s = "";
      child.stdout.on("data", (d: Buffer) => (s += d.toString()));
      child.on("exit", (code) => (code === 0 ? resolve(s) : reject(new Error(`${variant}: exit ${code}\n${s}`))));
    });
    const wall = (performance.now() - t0) / 1000;
    exported = Number(/requests: (\d+) rows/.exec(out)?.[1] ?? 0);
    const usage = JSON.parse(await readFile(rusageFile, "utf8")) as { maxRSS: number };
    if (run > 0) {
      walls.push(wall);
      rss.push(usage.maxRSS / 1024);
    }
    await rm(work, { recursive: true, force: true });
    await rm(`${work}.db`, { force: true });
  }
  const m = median(walls);
  console.log(`| ${variant} | ${m.toFixed(1)} | ${exported} | ${Math.round(exported / m)} | ${Math.round(median(rss))} |`);
}
sim.kill("SIGTERM");
await sqlAdmin("drop");
await rm(dir, { recursive: true, force: true });
