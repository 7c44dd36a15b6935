/**
 * Each configuration problem is reported once, naming the file once (issue 13, point 5): the loader's
 * problems, the SQL sink's rules and what the SQL sink finds only at run time (an unset urlEnv) all
 * come out as one paragraph "error: <file>: …" with each problem on its own line, none twice, and the
 * file not repeated per line; a warning is printed once. Real CLI, fixtures in test/fixtures/config/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "config");
const env = { MONITORLIFT_FIXTURE_UNSET_PG_URL: undefined, MONITORLIFT_FIXTURE_UNSET_WORKSPACE: undefined };

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

for (const [fixture, problems] of [
  ["sink-sql-url-env-unset.json", ["sql sink: environment variable MONITORLIFT_FIXTURE_UNSET_PG_URL (sink.urlEnv) is not set or empty."]],
  ["sink-sql-rules.json", ["sink.host: dialect mysql needs", "sink.path: only applies to dialect sqlite", "sink.schema: only applies to dialect postgres", 'sink.tls.caFile: is only used with tls.mode "verify-full"']],
  ["sink-sqlite-server-keys.json", ["sink.host: does not apply to dialect sqlite", "sink.schema: does not apply to dialect sqlite"]],
  ["forbidden-join.json", ["queries[0].file: queries/joins.kql uses \"join\"", "queries[1].file: queries/no-macro.kql has no", "queries[2].transform: uses \"union\""]],
  ["syntax-error.json", ["line 3, column 62: trailing comma before ]"]],
  ["typo-key.json", ['queries[0].tabel: unknown key — did you mean "table"?']],
] as const) {
  test(`${fixture}: exit 2, the file named once, each problem once`, async () => {
    const file = join(FIXTURES, fixture);
    for (const command of [["validate"], ["export", "--once"]]) {
      const r = await runCli([...command, "--config", file], { env });
      assert.equal(r.code, 2, `${command.join(" ")}: ${r.stdout}${r.stderr}`);
      const text = r.stdout + r.stderr;
      assert.ok(text.startsWith(`error: ${file}: `), text);
      assert.equal(occurrences(text, file), 1, `the file is named once: ${text}`);
      assert.equal(occurrences(text, fixture), 1, `not even by its base name per line: ${text}`);
      for (const p of problems) assert.equal(occurrences(text, p), 1, `said once: ${p}\n${text}`);
      if (problems.length > 1) assert.match(text, new RegExp(`^error: .*: ${problems.length} problems in the configuration:$`, "m"));
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      assert.equal(new Set(lines).size, lines.length, `no line twice: ${text}`);
    }
  });
}

test("a configuration warning is printed once by validate (not also logged)", async () => {
  const r = await runCli(["validate", "--config", join(FIXTURES, "time-mode-lag.json")]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(occurrences(r.stdout + r.stderr, "lag PT5M is short for mode"), 1, r.stdout + r.stderr);
});
