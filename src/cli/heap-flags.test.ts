import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_V8_FLAGS, heapFlagsToAdd, reexecArgs } from "./heap-flags.ts";

const base = { execArgv: [] as string[], argv: ["/usr/bin/node", "/app/bin/monitorlift.js", "export", "--once"], env: {} };

test("the default heap flags are added when nothing says otherwise", () => {
  assert.deepEqual(heapFlagsToAdd(base), [...DEFAULT_V8_FLAGS]);
  assert.match(DEFAULT_V8_FLAGS[0]!, /^--max-semi-space-size=\d+$/);
});

test("a flag already given on node's command line or in NODE_OPTIONS is not added again (no re-execution loop)", () => {
  assert.deepEqual(heapFlagsToAdd({ ...base, execArgv: ["--max-semi-space-size=32"] }), []);
  assert.deepEqual(heapFlagsToAdd({ ...base, execArgv: ["--max_semi_space_size=8"] }), []);
  assert.deepEqual(heapFlagsToAdd({ ...base, env: { NODE_OPTIONS: "--enable-source-maps --max-semi-space-size=64" } }), []);
  // After the re-execution, the process's execArgv holds what was added: nothing more to add.
  const args = reexecArgs(base, "/usr/bin/node")!;
  assert.deepEqual(heapFlagsToAdd({ ...base, execArgv: args.slice(1, 1 + DEFAULT_V8_FLAGS.length) }), []);
});

test("MONITORLIFT_V8_FLAGS replaces the defaults; empty means none", () => {
  assert.deepEqual(heapFlagsToAdd({ ...base, env: { MONITORLIFT_V8_FLAGS: "" } }), []);
  assert.deepEqual(heapFlagsToAdd({ ...base, env: { MONITORLIFT_V8_FLAGS: "  --max-semi-space-size=4   --max-old-space-size=200 " } }), [
    "--max-semi-space-size=4",
    "--max-old-space-size=200",
  ]);
  assert.deepEqual(heapFlagsToAdd({ ...base, execArgv: ["--max-old-space-size=300"], env: { MONITORLIFT_V8_FLAGS: "--max-semi-space-size=4 --max-old-space-size=200" } }), [
    "--max-semi-space-size=4",
  ]);
});

test("the re-execution keeps node's own options and the CLI's arguments, the flags first", () => {
  assert.deepEqual(reexecArgs({ ...base, execArgv: ["--import", "/tmp/hook.mjs"] }, "/usr/bin/node"), [
    "/usr/bin/node",
    ...DEFAULT_V8_FLAGS,
    "--import",
    "/tmp/hook.mjs",
    "/app/bin/monitorlift.js",
    "export",
    "--once",
  ]);
  assert.equal(reexecArgs({ ...base, env: { MONITORLIFT_V8_FLAGS: "" } }, "/usr/bin/node"), undefined);
});
