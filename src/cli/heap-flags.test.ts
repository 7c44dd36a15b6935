import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_V8_FLAGS, envToAdd, heapFlagsToAdd, MALLOC_ARENA_MAX, reexecPlan } from "./heap-flags.ts";

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
  const plan = reexecPlan(base, "/usr/bin/node")!;
  const after = { ...base, execArgv: plan.args.slice(1, 1 + DEFAULT_V8_FLAGS.length), env: plan.env };
  assert.deepEqual(heapFlagsToAdd(after), []);
  assert.equal(reexecPlan(after, "/usr/bin/node"), undefined);
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
  assert.deepEqual(reexecPlan({ ...base, execArgv: ["--import", "/tmp/hook.mjs"] }, "/usr/bin/node")?.args, [
    "/usr/bin/node",
    ...DEFAULT_V8_FLAGS,
    "--import",
    "/tmp/hook.mjs",
    "/app/bin/monitorlift.js",
    "export",
    "--once",
  ]);
  assert.equal(reexecPlan({ ...base, env: { MONITORLIFT_V8_FLAGS: "", MALLOC_ARENA_MAX: "8" } }, "/usr/bin/node"), undefined, "nothing to add: no re-execution");
});

test("MALLOC_ARENA_MAX is added to the environment unless set; the rest of the environment is kept", () => {
  assert.deepEqual(envToAdd(base), { MALLOC_ARENA_MAX });
  assert.deepEqual(envToAdd({ ...base, env: { MALLOC_ARENA_MAX: "8" } }), {});
  const plan = reexecPlan({ ...base, env: { MONITORLIFT_V8_FLAGS: "", HOME: "/home/x" } }, "/usr/bin/node")!;
  assert.deepEqual(plan.env, { MONITORLIFT_V8_FLAGS: "", HOME: "/home/x", MALLOC_ARENA_MAX });
  assert.deepEqual(plan.args, ["/usr/bin/node", "/app/bin/monitorlift.js", "export", "--once"], "no flag added");
  assert.equal(reexecPlan({ ...base, env: { MALLOC_ARENA_MAX: "4" } }, "/usr/bin/node")?.env["MALLOC_ARENA_MAX"], "4");
});
