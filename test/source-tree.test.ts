/**
 * Static checks on the source tree (no build, well under a second):
 *  - test code stays out of src/: no file under src/ other than a `*.test.ts` imports from test/, and
 *    none is imported only by tests (every non-test file of src/ that tests reach is also reached from
 *    the CLI entry bin/ or a script in scripts/);
 *  - no plain `new Error(` is thrown from src/ (typed errors from src/errors.ts, or a module's own
 *    error class, say what happened and how the CLI should treat it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { codeOnly, importSpecifiers, isTestFile, reachableFrom, readSourceGraph, REPO_ROOT } from "./support/source-graph.ts";

const graph = readSourceGraph();
const srcFiles = graph.files.filter((f) => f.startsWith("src/") && !isTestFile(f));

/**
 * Test helpers still in src/ whose move belongs to another change of issue 10 (the SQL sink's, moved
 * with the sink contract suite). Remove each entry once its file has left src/: the test fails while
 * an entry names a file that no longer exists, so the list cannot go stale.
 */
const PENDING_MOVE = new Set<string>();

test("the import scanner reads every import form and resolves every relative import", () => {
  const sample = [
    `import a from "./a.ts";`,
    `import type { B } from "./b.ts";`,
    `import {\n  c,\n  type D,\n} from "./c.ts";`,
    `import "./side-effect.ts";`,
    `export * from "./e.ts";`,
    `export { f } from './f.ts';`,
    `const g = await import("./g.ts");`,
    `// import x from "./commented.ts";`,
    `/* import y from "./block-commented.ts"; */`,
    "const text = `import z from \"./in-a-template.ts\"`;",
    `const re = /["']/; import h from "./after-a-regex.ts";`,
  ].join("\n");
  assert.deepEqual(importSpecifiers(sample), ["./a.ts", "./b.ts", "./c.ts", "./side-effect.ts", "./e.ts", "./f.ts", "./g.ts", "./after-a-regex.ts"]);
  assert.equal(codeOnly("a /* b */ c").length, "a /* b */ c".length, "blanking keeps offsets");
  assert.ok(srcFiles.length > 100, `scanned ${srcFiles.length} files under src/`);
  assert.deepEqual(graph.unresolved, [], "a relative import that does not resolve means the scanner misread a file");
});

test("no file under src/ other than a *.test.ts imports from test/", () => {
  const offenders = srcFiles.flatMap((f) => (graph.imports.get(f) ?? []).filter((t) => t.startsWith("test/")).map((t) => `${f} → ${t}`));
  assert.deepEqual(offenders, []);
});

test("no file under src/ other than a *.test.ts is imported only by tests", () => {
  const shipped = reachableFrom(
    graph,
    graph.files.filter((f) => f.startsWith("bin/") || f.startsWith("scripts/")),
  );
  const byTests = reachableFrom(graph, graph.files.filter(isTestFile));
  const testOnly = srcFiles.filter((f) => byTests.has(f) && !shipped.has(f) && !PENDING_MOVE.has(f));
  assert.deepEqual(testOnly, [], "move test-only code to test/support/");
  const stale = [...PENDING_MOVE].filter((f) => !existsSync(join(REPO_ROOT, f)));
  assert.deepEqual(stale, [], "these files have left src/: remove them from PENDING_MOVE");
});

/** Files under src/ exempt from the plain-error check: none (the whole tree is checked). */
const NOT_YET_CHECKED: RegExp[] = [];

test("no plain `new Error(` in src/ (outside *.test.ts)", () => {
  const checked = srcFiles.filter((f) => !NOT_YET_CHECKED.some((re) => re.test(f)));
  assert.ok(checked.length > 50, `checked ${checked.length} files`);
  const found: string[] = [];
  for (const f of checked) {
    const code = codeOnly(graph.text.get(f) as string);
    for (const m of code.matchAll(/\bnew\s+Error\s*\(|\bthrow\s+Error\s*\(|\breject\(\s*Error\s*\(/g)) {
      found.push(`${f}:${code.slice(0, m.index).split("\n").length}`);
    }
  }
  assert.deepEqual(found, [], "throw a typed error (src/errors.ts) or the module's own error class");
});
