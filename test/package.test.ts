/**
 * What `npm pack` ships is what a user runs: the CLI, its sources without tests or test helpers, the
 * example queries, the schema, the deployment recipes and the README — and nothing from test/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const ROOT = join(import.meta.dirname, "..");

test("npm pack contains the runnable tool and no test code", { timeout: 120_000 }, async () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const { stdout } = await promisify(execFile)(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${join(process.execPath, "..")}:${process.env.PATH}` },
    maxBuffer: 16 << 20,
  });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  for (const needed of ["bin/monitorlift.js", "src/cli/main.ts", "src/version.ts", "queries/", "config.schema.json", "config.example.json", "README.md", "package.json", "deploy/monitorlift.json"]) {
    assert.ok(files.some((f) => f === needed || (needed.endsWith("/") && f.startsWith(needed))), `the package has ${needed}`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith("test/") || f.endsWith(".test.ts")), [], "no tests in the package");
});
