/**
 * `monitorlift init` as a user meets it: for every sink the written starter passes `monitorlift validate`
 * (the real loader: JSON with comments, schema, rules, and the sink's construction) once the variables it
 * names are set; an existing file is refused (exit 2) and left alone unless --force; `init --help` and
 * `rewind --help` show examples.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";

const SINKS = ["filesystem", "blob", "postgres", "mysql", "sqlite"] as const;
// Placeholders only: nothing is connected to (validate without --connect).
const ENV = {
  MONITORLIFT_WORKSPACE_ID: "11111111-2222-3333-4444-555555555555",
  MONITORLIFT_STORAGE_ACCOUNT: "mylake",
  MONITORLIFT_PG_URL: "postgres://exporter@127.0.0.1:5432/test",
  MONITORLIFT_MYSQL_PASSWORD: "placeholder",
};

test("init writes a starter per sink that validate accepts; an existing file is refused unless --force", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-init-e2e-"));
  try {
    for (const sink of SINKS) {
      const file = join(dir, `${sink}.json`);
      const written = await runCli(["init", "--sink", sink, "--out", file]);
      assert.equal(written.code, 0, written.stderr);
      assert.match(written.stdout, new RegExp(`^wrote .*${sink}\\.json \\(${sink} sink\\)\\. Edit it, set MONITORLIFT_WORKSPACE_ID`));
      const valid = await runCli(["validate", "--config", file], { env: ENV });
      assert.equal(valid.code, 0, `${sink}: ${valid.stdout}${valid.stderr}`);
      assert.match(valid.stdout, /: ok \(3 queries, sink /);
      assert.doesNotMatch(valid.stdout, /warning/);
    }
    const file = join(dir, "filesystem.json");
    await writeFile(file, "{}\n");
    const refused = await runCli(["init", "--sink", "sqlite", "--out", file]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already exists; init does not overwrite it\. Pass --force/);
    assert.equal(await readFile(file, "utf8"), "{}\n", "left alone");
    const forced = await runCli(["init", "--sink", "sqlite", "--out", file, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(await readFile(file, "utf8"), /"dialect": "sqlite"/);
    const unknown = await runCli(["init", "--sink", "oracle", "--out", join(dir, "x.json")]);
    assert.equal(unknown.code, 2);
    for (const cmd of ["init", "rewind"]) {
      const help = await runCli([cmd, "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`Examples:\\n {2}monitorlift ${cmd} `));
      assert.match(help.stdout, /Exit codes:/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
