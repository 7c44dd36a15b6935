/**
 * `monitorlift init --sink <kind> [--out FILE] [--force]`: writes a commented starter configuration for
 * one sink (./init-starters.ts). Never overwrites an existing file without --force; the file is created
 * in one step (exclusive create, or a replace with --force), never half-written over an existing one.
 */
import { randomUUID } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Command, Option } from "commander";
import { ConfigError, UsageError } from "../errors.ts";
import { DEFAULT_CONFIG_FILE } from "./context.ts";
import { STARTER_SINKS, starterConfig, starterEnv, type StarterSink } from "./init-starters.ts";

/** config.schema.json of this installation. */
export const SCHEMA_FILE = path.join(import.meta.dirname, "..", "..", "config.schema.json");

/** How `$schema` reaches config.schema.json from `out`'s folder (a relative path with "/"). */
export function schemaRefFor(out: string): string {
  const rel = path.relative(path.dirname(path.resolve(out)), SCHEMA_FILE).split(path.sep).join("/");
  return rel.startsWith(".") || rel.startsWith("/") ? rel : `./${rel}`;
}

/** Writes `text` to `file`: fails if it exists unless `force` (then replaced atomically). */
export async function writeStarter(file: string, text: string, force: boolean): Promise<void> {
  const target = force ? `${file}.${randomUUID()}.tmp` : file;
  let handle;
  try {
    handle = await open(target, "wx");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new UsageError(`${file} already exists; init does not overwrite it. Pass --force to replace it, or --out another file.`);
    throw new ConfigError(`cannot create ${file} (${code ?? "error"}).`, [], { cause: err, hint: "Check the folder exists and is writable, or pass --out another file." });
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (!force) return;
  try {
    await rename(target, file);
  } catch (err) {
    await rm(target, { force: true });
    throw new ConfigError(`cannot replace ${file} (${(err as NodeJS.ErrnoException).code ?? "error"}).`, [], { cause: err, hint: "Check the folder is writable, or pass --out another file." });
  }
}

export function initCommand(): Command {
  return new Command("init")
    .description("Write a commented starter configuration for one sink (refuses to overwrite an existing file without --force).")
    .addOption(new Option("--sink <kind>", "the sink to configure").choices(STARTER_SINKS).makeOptionMandatory())
    .option("-o, --out <file>", `where to write it (default: ./${DEFAULT_CONFIG_FILE})`)
    .option("--force", "replace the file if it exists")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift init --sink filesystem
  monitorlift init --sink postgres --out /etc/monitorlift/monitorlift.json
  monitorlift init --sink blob --out monitorlift.json --force

The file is JSON with // comments, checked against config.schema.json. Secrets never go in it: it
names environment variables instead (MONITORLIFT_WORKSPACE_ID, and per sink MONITORLIFT_PG_URL,
MONITORLIFT_MYSQL_PASSWORD, MONITORLIFT_STORAGE_ACCOUNT …). Next: monitorlift validate --connect.

Exit codes: 0 written, 2 the file exists (without --force) or cannot be created.`,
    )
    .action(async (opts: { sink: StarterSink; out?: string; force?: boolean }) => {
      const out = opts.out ?? DEFAULT_CONFIG_FILE;
      const text = starterConfig(opts.sink, schemaRefFor(out));
      await writeStarter(out, text, Boolean(opts.force));
      process.stdout.write(`wrote ${out} (${opts.sink} sink). Edit it, set ${starterEnv(text).join(", ")} in the environment, then: monitorlift validate --connect -c ${out}\n`);
    });
}
