/** config.schema.json, generated from the zod schema (scripts/generate-config-schema.ts writes it). */
import { z } from "zod";
import { configSchema } from "./schema.ts";

const ENV_REFERENCE = String.raw`\$\{env:[A-Za-z_]`;

/**
 * Editors check the file before ${env:…} substitution, so a string key with a pattern or format
 * also accepts text containing an ${env:NAME} reference (constants and enums stay as they are).
 */
function allowEnvReferences(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) allowEnvReferences(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Record<string, unknown>;
  if (n.type === "string" && n.const === undefined && n.enum === undefined) {
    if (typeof n.pattern === "string") n.pattern = `(?:${n.pattern})|${ENV_REFERENCE}`;
    if (typeof n.format === "string") {
      n.anyOf = [{ format: n.format }, { pattern: ENV_REFERENCE }];
      delete n.format;
    }
  }
  // Keys are never substituted (only string values are), so a key pattern such as a source name's stays as it is.
  for (const [key, value] of Object.entries(n)) if (key !== "propertyNames") allowEnvReferences(value);
}

/** The JSON Schema (draft-07, understood by VS Code and most editors) of a configuration file. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", target: "draft-7", unrepresentable: "throw" }) as Record<string, unknown>;
  allowEnvReferences(schema);
  // Exactly one of "source" and "sources" (src/config/source-choice.ts), so that an editor flags the file too.
  return { ...schema, title: "monitorlift configuration", oneOf: [{ required: ["source"] }, { required: ["sources"] }] };
}

/** The exact text of config.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
