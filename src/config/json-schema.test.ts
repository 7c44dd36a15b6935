import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { configJsonSchema, configJsonSchemaText } from "./json-schema.ts";
import { loadConfig } from "./load.ts";

const ROOT = new URL("../../", import.meta.url);

test("config.schema.json is up to date with the zod schema (run `npm run schema` after changing it)", async () => {
  const committed = await readFile(new URL("config.schema.json", ROOT), "utf8");
  assert.equal(committed, configJsonSchemaText());
});

test("every key in config.schema.json has a description and objects refuse unknown keys", () => {
  const missing: string[] = [];
  const open: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}[${i}]`));
    if (node === null || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (n.type === "object" && n.properties && n.additionalProperties !== false) open.push(path);
    if (n.properties && typeof n.properties === "object") {
      for (const [key, child] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
        if (typeof child.description !== "string" || child.description === "") missing.push(`${path}.${key}`);
      }
    }
    for (const [k, v] of Object.entries(n)) visit(v, `${path}/${k}`);
  };
  visit(configJsonSchema(), "");
  assert.deepEqual(missing, []);
  assert.deepEqual(open, []);
});

test("config.example.json loads without errors or warnings", async () => {
  const file = fileURLToPath(new URL("config.example.json", ROOT));
  const result = await loadConfig(file, {});
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  assert.ok(result.config);
  assert.ok(result.config.queries.length >= 3);
  // it may only use ${env:…} with defaults: it loads with an empty environment (checked above)
  const text = await readFile(file, "utf8");
  for (const m of text.matchAll(/\$\{env:([^}]*)\}/g)) assert.match(m[1]!, /:-/, `reference without default: ${m[0]}`);
});
