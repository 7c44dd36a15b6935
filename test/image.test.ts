/**
 * The container image's recipe cannot rot: this test reads the Dockerfile and carries out its steps in a
 * clean temporary folder (no Docker engine here): each stage's COPY from the repository (minus
 * .dockerignore) or from an earlier stage, its RUN (the production `npm ci`), then runs the final stage's
 * ENTRYPOINT with `--version` and with `export --once` against a local workspace, with the stage's ENV and
 * no `--config` (the image finds its config at $MONITORLIFT_CONFIG). It also checks that no test code and no
 * dev dependency is in the image, and reports the size of the image's application folder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { startSimulator } from "../src/simulator/index.ts";
import { VERSION } from "../src/version.ts";
import { dockerfileStages } from "./support/deploy-files.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";

const ROOT = join(import.meta.dirname, "..");
const run = promisify(execFile);

/** .dockerignore patterns as predicates over repository-relative paths (the forms this repository uses). */
async function dockerignore(): Promise<(rel: string) => boolean> {
  const patterns = (await readFile(join(ROOT, ".dockerignore"), "utf8"))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const tests = patterns.map((p) => {
    if (p.startsWith("!")) throw new Error(`.dockerignore: negated patterns are not supported here (${p})`);
    const body = p
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*\*\//g, "\u0000")
      .replace(/\*/g, "[^/]*")
      .replace(/\u0000/g, "(?:.*/)?");
    return new RegExp(`^${body}(?:/.*)?$`);
  });
  return (rel) => tests.some((re) => re.test(rel));
}

async function folderSize(dir: string): Promise<{ bytes: number; files: string[] }> {
  let bytes = 0;
  const files: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const p = join(entry.parentPath, entry.name);
    bytes += (await stat(p)).size;
    files.push(relative(dir, p));
  }
  return { bytes, files };
}

test("the Dockerfile's steps build an image that prints its version and runs a one-shot export", { timeout: 420_000 }, async (t) => {
  const stages = dockerfileStages(await readFile(join(ROOT, "Dockerfile"), "utf8"));
  const ignored = await dockerignore();
  const work = await mkdtemp(join(tmpdir(), "monitorlift-image-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  const stageDirs = new Map<string, string>();
  const env: Record<string, string> = {};
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let workdir = "/";

  for (const [index, stage] of stages.entries()) {
    const root = join(work, `stage-${index}`);
    await mkdir(root, { recursive: true });
    stageDirs.set(stage.name, root);
    const inStage = (p: string) => join(root, p.startsWith("/") ? p : join(workdir, p));
    for (const { name, args } of stage.instructions) {
      switch (name) {
        case "WORKDIR":
          workdir = args;
          await mkdir(inStage("."), { recursive: true });
          break;
        case "ENV":
          for (const m of args.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
          break;
        case "COPY": {
          const from = /^--from=(\S+)\s+/.exec(args);
          const parts = (from ? args.slice(from[0].length) : args).split(" ");
          const dest = parts.pop()!;
          for (const src of parts) {
            const source = from ? join(stageDirs.get(from[1]!)!, src.startsWith("/") ? src : join(workdir, src)) : join(ROOT, src);
            const target = dest.endsWith("/") || parts.length > 1 ? join(inStage(dest), src.replace(/^.*\//, "")) : inStage(dest);
            await mkdir(dirname(target), { recursive: true });
            await cp(source, target, {
              recursive: true,
              filter: (p) => from !== null || !ignored(relative(ROOT, p)) || relative(ROOT, p) === "",
            });
          }
          break;
        }
        case "RUN":
          // npm's cache goes to a private folder: the recipe's `npm cache clean --force` must not empty the developer's cache.
          await run("sh", ["-c", args], {
            cwd: inStage("."),
            env: { ...process.env, ...env, npm_config_cache: join(work, "npm-cache"), PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
            timeout: 300_000,
            maxBuffer: 64 << 20,
          });
          break;
        case "USER":
          break;
        case "ENTRYPOINT":
          entrypoint = JSON.parse(args) as string[];
          break;
        case "CMD":
          cmd = JSON.parse(args) as string[];
          break;
        default:
          assert.fail(`the Dockerfile uses ${name}, which this test does not know how to carry out`);
      }
    }
  }

  const image = stageDirs.get(stages.at(-1)!.name)!;
  const app = join(image, workdir);
  const { bytes, files } = await folderSize(app);
  t.diagnostic(`image application folder: ${(bytes / 1e6).toFixed(1)} MB in ${files.length} files`);
  assert.deepEqual(files.filter((f) => !f.startsWith("node_modules/") && (/\.test\.ts$/.test(f) || /^test\//.test(f))), [], "no tests in the image");
  for (const dev of ["typescript", "azurite", "yaml"]) {
    await assert.rejects(stat(join(app, "node_modules", dev)), `dev dependency ${dev} is not installed`);
  }
  const exe = (p: string) => (p.startsWith("/") ? join(image, p) : p);
  const [command, ...entryArgs] = entrypoint.map((a, i) => (i === 0 ? (a === "node" ? process.execPath : a) : exe(a)));
  assert.ok(command, "an ENTRYPOINT");

  const version = await run(command, [...entryArgs, "--version"], { env: { ...process.env, ...env }, timeout: 30_000 });
  assert.equal(version.stdout.trim(), VERSION);

  const sim = await startSimulator({ backfill: "PT2H" });
  t.after(() => sim.close());
  const configFile = env.MONITORLIFT_CONFIG;
  assert.ok(configFile, "the image sets MONITORLIFT_CONFIG");
  const mountedConfig = join(image, configFile);
  const exportDir = join(work, "export");
  await mkdir(dirname(mountedConfig), { recursive: true });
  await writeFile(
    mountedConfig,
    JSON.stringify({
      source: { workspaceId: sim.workspaceId, endpoint: sim.endpoint, auth: { method: "none" } },
      queries: [{ name: "requests", table: "AppRequests" }],
      window: { size: "PT15M", lag: "PT1M", start: "PT1H" },
      sink: { type: "filesystem", path: exportDir, format: "ndjson", compression: "gzip" },
      log: { level: "warn", format: "json" },
    }),
  );
  assert.deepEqual(cmd, ["export"]);
  const exported = await run(command, [...entryArgs, ...cmd, "--once"], {
    cwd: app,
    env: { ...process.env, ...env, MONITORLIFT_CONFIG: mountedConfig },
    timeout: 120_000,
  });
  assert.equal(exported.stderr.includes('"level":50'), false, exported.stderr);
  const ids = (await readQueryRows(exportDir, "requests")).map((r) => String(r._ItemId));
  assert.ok(ids.length > 0, "rows were exported");
  const { duplicated, unexpected } = compareItemIds(ids, sim.truth("AppRequests"));
  assert.deepEqual({ duplicated, unexpected }, { duplicated: [], unexpected: [] });
});
