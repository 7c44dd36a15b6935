import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { sinkSchema } from "../config/schema.ts";
import { SINK_KINDS, sinkKindList, sinkKindOf } from "./registry.ts";

const SRC = fileURLToPath(new URL("../", import.meta.url));

/** The modules (bare specifiers and src/ files) a child process loads while running `script`. */
function modulesLoadedBy(script: string): string[] {
  const child = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
    ${script}
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", child], { encoding: "utf8" });
  return (JSON.parse(out) as string[]).map((url) => (url.startsWith("file:") ? fileURLToPath(url) : url));
}

const SDKS = [/node_modules\/@azure\//, /node_modules\/pg\//, /node_modules\/mysql2\//, /^node:sqlite$/];
const SINK_CODE = (kind: string) => new RegExp(`^${SRC.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}sinks/${kind}/(?!config\\.ts$)`);

describe("sink registry", () => {
  it("one entry per kind; each answers to exactly the type values its schema accepts, and the union accepts no others", () => {
    const all = SINK_KINDS.flatMap((k) => k.config.types);
    assert.ok(all.includes("filesystem") && all.includes("sql"));
    assert.equal(new Set(all).size, all.length);
    for (const k of SINK_KINDS) {
      for (const type of k.config.types) {
        assert.equal(sinkKindOf(type), k);
        const issues = k.config.schema.safeParse({ type }).error?.issues ?? [];
        assert.ok(!issues.some((i) => i.path[0] === "type"), `${type} refused by its own schema`);
      }
    }
    for (const type of all) {
      const issues = sinkSchema.safeParse({ type }).error?.issues ?? [];
      assert.ok(!issues.some((i) => i.path[0] === "type"), `${type} refused by the sink union`);
    }
    const refused = sinkSchema.safeParse({ type: "s3" }).error?.issues[0];
    assert.deepEqual(refused?.path, ["type"]);
    assert.equal(sinkSchema.description, `Where exported windows go: ${sinkKindList()}.`);
    assert.match(sinkKindList(), /^filesystem, blob \(or adls\)(, [a-z]+)* or [a-z]+$/);
  });

  it("loading a filesystem config and creating its sink loads no blob SDK, database driver or other sink's code", () => {
    const dir = mkdtempSync(join(tmpdir(), "monitorlift-registry-"));
    try {
      const file = join(dir, "config.json");
      writeFileSync(
        file,
        JSON.stringify({
          source: { workspaceId: "11111111-2222-3333-4444-555555555555" },
          queries: [{ name: "requests", table: "AppRequests" }],
          sink: { type: "filesystem", path: "out", format: "ndjson" },
        }),
      );
      const loaded = modulesLoadedBy(`
        const { loadConfigOrThrow } = await import(${JSON.stringify(join(SRC, "config/load.ts"))});
        const { createSink } = await import(${JSON.stringify(join(SRC, "sinks/registry.ts"))});
        const { silentLogger } = await import(${JSON.stringify(join(SRC, "telemetry/logger.ts"))});
        const config = await loadConfigOrThrow(${JSON.stringify(file)}, {});
        const sink = await createSink(config.sink, { logger: silentLogger(), env: {}, baseDir: config.baseDir });
        if (!sink.sink.description.endsWith("/out")) throw new Error("unexpected sink " + sink.sink.description);
      `);
      assert.ok(loaded.some((m) => SINK_CODE("filesystem").test(m)), "the filesystem sink itself was loaded");
      for (const pattern of [...SDKS, SINK_CODE("blob"), SINK_CODE("sql")]) {
        assert.deepEqual(loaded.filter((m) => pattern.test(m)), [], `${pattern} was loaded`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the config modules of every sink load without their SDKs, drivers or encoders", () => {
    const loaded = modulesLoadedBy(`await import(${JSON.stringify(join(SRC, "config/index.ts"))});`);
    assert.ok(loaded.some((m) => m.endsWith("sinks/sql/config.ts")));
    for (const pattern of [...SDKS, /node_modules\/hyparquet-writer\//, SINK_CODE("filesystem"), SINK_CODE("blob"), SINK_CODE("sql")]) {
      assert.deepEqual(loaded.filter((m) => pattern.test(m)), [], `${pattern} was loaded`);
    }
  });

  it("src/config/ imports from src/sinks/ only the registry and the kinds' config modules", () => {
    const dir = join(SRC, "config");
    const arrows: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      for (const m of readFileSync(join(dir, file), "utf8").matchAll(/^(?:import|export)\b[^;]*?from "(\.\.\/sinks\/[^"]+)"/gms)) {
        if (!/^\.\.\/sinks\/(registry\.ts|[a-z]+\/config\.ts)$/.test(m[1]!)) arrows.push(`${file} → ${m[1]}`);
      }
    }
    assert.deepEqual(arrows, []);
  });
});
