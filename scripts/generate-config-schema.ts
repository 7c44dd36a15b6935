/** Writes config.schema.json at the repository root from the zod schema (npm run schema). */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { configJsonSchemaText } from "../src/config/json-schema.ts";

const target = fileURLToPath(new URL("../config.schema.json", import.meta.url));
await writeFile(target, configJsonSchemaText());
console.log(`wrote ${target}`);
