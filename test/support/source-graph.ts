/**
 * A static view of the repository's own TypeScript/JavaScript files for the layout tests: which
 * files exist under src/, test/, scripts/ and bin/, and which relative modules each one imports.
 *
 * Imports are read with a scanner, not the compiler (TypeScript 7 has no stable JS API): comments and
 * template-literal text are blanked, then every `import … from "x"`, `export … from "x"`, side-effect `import "x"` and
 * `import("x")` with a literal specifier is collected. Only relative specifiers (./, ../) are kept —
 * package imports cannot point into this repository. A relative specifier that does not resolve to a
 * file is reported in `unresolved`, so a scanner mistake shows up as a failure instead of a silent gap.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

export interface SourceGraph {
  /** Repository-relative paths with "/" separators. */
  readonly files: readonly string[];
  /** file → the repository files it imports. */
  readonly imports: ReadonlyMap<string, readonly string[]>;
  /** "file: specifier" for relative imports that do not resolve to a file. */
  readonly unresolved: readonly string[];
  /** Each file's text. */
  readonly text: ReadonlyMap<string, string>;
}

const SOURCE_FILE = /\.(?:ts|mts|js|mjs)$/;
const IMPORT =
  /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[^;'"`]*?\sfrom\s*)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

const toPosix = (p: string) => p.split(sep).join("/");

/** Every source file under `dirs` (relative to the repository root). */
export function listSourceFiles(dirs: readonly string[], root = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(join(root, dir))) continue;
    for (const e of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && SOURCE_FILE.test(e.name)) out.push(toPosix(relative(root, join(e.parentPath, e.name))));
    }
  }
  return out.sort();
}

/**
 * The code of `text` with comments and template-literal text blanked (replaced by spaces), so that
 * only real import statements remain to be matched. Quoted strings are kept (they hold the
 * specifiers); a `/` starts a regular expression literal where an operand is expected, the usual
 * heuristic, which is enough for this repository's own code.
 */
export function codeOnly(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  let prev = ""; // the last significant character of code, to tell a regex from a division
  const templateDepth: number[] = []; // brace depth at each open `${`
  let braces = 0;
  const template = () => {
    // i is just after the opening backtick (or the `}` closing a substitution)
    const start = i;
    while (i < text.length && text[i] !== "`") {
      if (text[i] === "\\") i += 2;
      else if (text[i] === "$" && text[i + 1] === "{") {
        blank(start, i);
        templateDepth.push(braces);
        braces++;
        i += 2;
        prev = "{";
        return;
      } else i++;
    }
    blank(start, i);
    i++;
    prev = "`";
  };
  while (i < text.length) {
    const c = text[i];
    const n = text[i + 1];
    if (c === "/" && n === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && n === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < text.length && text[i] !== c && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      i++;
      prev = c;
    } else if (c === "`") {
      i++;
      template();
    } else if (c === "/" && (prev === "" || "(,=:[!&|?{};+-*%<>~^".includes(prev) || /\b(?:return|typeof|case|of|in|yield|await)$/.test(text.slice(Math.max(0, i - 8), i).trimEnd()))) {
      i++;
      let inClass = false;
      while (i < text.length && text[i] !== "\n" && (inClass || text[i] !== "/")) {
        if (text[i] === "\\") i++;
        else if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
        i++;
      }
      i++;
      while (/[a-z]/.test(text[i] ?? "")) i++;
      prev = "/";
    } else {
      if (c === "{") braces++;
      else if (c === "}") {
        braces--;
        if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
          templateDepth.pop();
          i++;
          template();
          continue;
        }
      }
      if (!/\s/.test(c)) prev = c;
      i++;
    }
  }
  return out.join("");
}

/** The specifiers of every static, side-effect and literal dynamic import in `text`. */
export function importSpecifiers(text: string): string[] {
  return [...codeOnly(text).matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

export function readSourceGraph(dirs: readonly string[] = ["src", "test", "scripts", "bin"], root = REPO_ROOT): SourceGraph {
  const files = listSourceFiles(dirs, root);
  const imports = new Map<string, string[]>();
  const text = new Map<string, string>();
  const unresolved: string[] = [];
  for (const file of files) {
    const body = readFileSync(join(root, file), "utf8");
    text.set(file, body);
    const targets: string[] = [];
    for (const spec of importSpecifiers(body)) {
      if (!spec.startsWith("./") && !spec.startsWith("../")) continue;
      const target = toPosix(relative(root, resolve(root, dirname(file), spec)));
      if (existsSync(join(root, target))) targets.push(target);
      else unresolved.push(`${file}: ${spec}`);
    }
    imports.set(file, targets);
  }
  return { files, imports, unresolved, text };
}

/** Every file reachable from `roots` by following imports (the roots included). */
export function reachableFrom(graph: SourceGraph, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(graph.imports.get(file) ?? []));
  }
  return seen;
}

/** A test file: a unit test next to the code (`*.test.ts`) or anything under test/. */
export function isTestFile(file: string): boolean {
  return /\.test\.[mc]?[jt]s$/.test(file) || file.startsWith("test/");
}
