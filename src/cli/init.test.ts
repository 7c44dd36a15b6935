import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config/load.ts";
import { MonitorliftError } from "../errors.ts";
import { SCHEMA_FILE, schemaRefFor, writeStarter } from "./init.ts";
import { STARTER_SINKS, starterConfig, starterEnv } from "./init-starters.ts";

const ENV = { MONITORLIFT_WORKSPACE_ID: "11111111-2222-3333-4444-555555555555", MONITORLIFT_STORAGE_ACCOUNT: "mylake" };

async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-init-"));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

test("every starter passes the real config loader (JSON with comments, schema, rules) and configures its sink", async () => {
  await using tmp = await tempDir();
  const expected = {
    filesystem: { type: "filesystem" },
    blob: { type: "blob", accountUrl: "https://mylake.blob.core.windows.net" },
    postgres: { type: "sql", dialect: "postgres", urlEnv: "MONITORLIFT_PG_URL" },
    mysql: { type: "sql", dialect: "mysql", host: "localhost", passwordEnv: "MONITORLIFT_MYSQL_PASSWORD" },
    sqlite: { type: "sql", dialect: "sqlite", path: join(tmp.dir, "telemetry.db") },
  } as const;
  for (const sink of STARTER_SINKS) {
    const file = join(tmp.dir, `${sink}.json`);
    const text = starterConfig(sink, schemaRefFor(file));
    assert.match(text, /^\s*\/\/ /m, `${sink}: commented`);
    await writeStarter(file, text, false);
    const loaded = await loadConfig(file, ENV);
    assert.deepEqual(loaded.errors, [], `${sink}: no errors`);
    assert.deepEqual(loaded.warnings, [], `${sink}: no warnings`);
    const config = loaded.config!;
    for (const [k, v] of Object.entries(expected[sink])) assert.equal((config.sink as unknown as Record<string, unknown>)[k], v, `${sink}: sink.${k}`);
    assert.deepEqual(
      config.queries.map((q) => q.name),
      ["requests", "dependencies", "exceptions"],
    );
    assert.equal(config.sources.default!.workspaceId, ENV.MONITORLIFT_WORKSPACE_ID, `${sink}: the workspace comes from the environment`);
    // Without the workspace variable the loader names the key and the variable.
    const unset = await loadConfig(file, {});
    assert.ok(unset.errors.some((e) => e.startsWith("source.workspaceId: environment variable MONITORLIFT_WORKSPACE_ID is not set")), unset.errors.join("\n"));
  }
});

test("starters hold no secret: they name environment variables, and init lists the ones to set", () => {
  for (const sink of STARTER_SINKS) {
    const text = starterConfig(sink, "./config.schema.json");
    assert.doesNotMatch(text, /"(password|secret|clientSecret|connectionString|sasToken|url)"\s*:/i, `${sink}: no secret-bearing key with a value`);
    // Not in a value, and in the comments only the placeholder "…" where a password would go.
    assert.doesNotMatch(text, /:\/\/[^/"\s]*:(?!…@)[^@"\s]*@|AccountKey=|[?&]sig=/, `${sink}: no credential in a URL or connection string`);
  }
  assert.deepEqual(starterEnv(starterConfig("postgres", "x")), ["MONITORLIFT_WORKSPACE_ID", "MONITORLIFT_PG_URL"]);
  assert.deepEqual(starterEnv(starterConfig("mysql", "x")), ["MONITORLIFT_WORKSPACE_ID", "MONITORLIFT_MYSQL_PASSWORD"]);
  assert.deepEqual(starterEnv(starterConfig("blob", "x")), ["MONITORLIFT_WORKSPACE_ID", "MONITORLIFT_STORAGE_ACCOUNT"]);
  assert.deepEqual(starterEnv(starterConfig("filesystem", "x")), ["MONITORLIFT_WORKSPACE_ID"]);
});

test("a mistake in an edited starter is reported at its line and column as written, comments and all", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.dir, "broken.json");
  const lines = starterConfig("sqlite", "./config.schema.json").split("\n");
  const at = lines.findIndex((l) => l.includes('"concurrency": 4,'));
  lines[at] = lines[at]!.replace('"concurrency": 4,', '"concurrency": 4'); // the comma is missing
  await writeFile(file, lines.join("\n"));
  const loaded = await loadConfig(file, ENV);
  const next = at + 2; // the line after it holds the next key
  assert.match(loaded.errors[0] ?? "", new RegExp(`^line ${next}, column 3: expected "," or "}" after the value of "concurrency"`));
});

test("writeStarter refuses an existing file (USAGE) unless forced, then replaces it whole; $schema points at this installation's schema", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.dir, "monitorlift.json");
  await writeFile(file, "{ \"mine\": true }");
  await assert.rejects(writeStarter(file, "new", false), (err: unknown) => err instanceof MonitorliftError && err.code === "USAGE" && /already exists.*--force/.test(err.message));
  assert.equal(await readFile(file, "utf8"), '{ "mine": true }', "left alone");
  await writeStarter(file, "new", true);
  assert.equal(await readFile(file, "utf8"), "new");
  await assert.rejects(writeStarter(join(tmp.dir, "no", "such", "dir.json"), "x", false), (err: unknown) => err instanceof MonitorliftError && err.code === "CONFIG_INVALID");
  const ref = schemaRefFor(file);
  assert.equal(join(tmp.dir, ref), SCHEMA_FILE);
  JSON.parse(await readFile(SCHEMA_FILE, "utf8"));
});
