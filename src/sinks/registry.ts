/**
 * The sink registry: one line per sink kind — its config module (src/sinks/<kind>/config.ts:
 * schema, normalisation, rules) and its factory, loaded on demand so a filesystem export never
 * loads the blob SDK or the database drivers. src/config/ builds the `sink` union and runs the
 * rules from this list only; adding a sink is one folder and one line here.
 */
import type { z } from "zod";
import { ConfigError } from "../errors.ts";
import type { SinkConfigModule, SinkSchema } from "../config/sink-kit.ts";
import { blobSinkConfig } from "./blob/config.ts";
import { filesystemSinkConfig } from "./filesystem/config.ts";
import type { SinkDeps } from "./sink.ts";
import { sqlSinkConfig } from "./sql/config.ts";

export interface SinkKind<S extends SinkSchema, Built = unknown> {
  readonly config: SinkConfigModule<S>;
  /** Loads the kind's factory — and with it the sink's SDK or driver — on first use. */
  readonly load: () => Promise<(config: z.output<S>, deps: SinkDeps) => Built>;
}

function kind<S extends SinkSchema, Built>(config: SinkConfigModule<S>, load: SinkKind<S, Built>["load"]): SinkKind<S, Built> {
  return { config, load };
}

export const SINK_KINDS = [
  kind(filesystemSinkConfig, async () => (await import("./filesystem/index.ts")).createFilesystemSink),
  kind(blobSinkConfig, async () => (await import("./blob/index.ts")).createBlobSink),
  kind(sqlSinkConfig, async () => (await import("./sql/index.ts")).createSqlSink),
] as const;

type Kinds = typeof SINK_KINDS;
type SchemaOf<K> = K extends SinkKind<infer S, unknown> ? S : never;
/** What the factories build (src/sinks/sink.ts): what createSink hands to the CLI and the runner. */
export type BuiltSink = Kinds[number] extends SinkKind<SinkSchema, infer B> ? B : never;
type SchemasOf<T extends readonly unknown[]> = { -readonly [I in keyof T]: SchemaOf<T[I]> };
/** The `sink` block after normalisation: the union of every kind's config. */
export type SinkConfig = z.output<SchemaOf<Kinds[number]>>;

/** The registered schemas in registry order, for z.discriminatedUnion("type", …). */
export const SINK_SCHEMAS = SINK_KINDS.map((k) => k.config.schema) as unknown as SchemasOf<Kinds>;

/** "filesystem, blob (or adls) or sql": the registered kinds, for the union's description. */
export function sinkKindList(): string {
  const names = SINK_KINDS.map(({ config: { types: [name, ...aliases] } }) => (aliases.length > 0 ? `${name} (or ${aliases.join(", ")})` : name));
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "");
}

/** The kind answering to `type` (undefined for an unknown type, which the schema already refused). */
export function sinkKindOf(type: string): SinkKind<SinkSchema> | undefined {
  return (SINK_KINDS as readonly SinkKind<SinkSchema>[]).find((k) => k.config.types.includes(type));
}

export async function createSink(config: SinkConfig, deps: SinkDeps): Promise<BuiltSink> {
  const found = sinkKindOf(config.type) as SinkKind<SinkSchema, BuiltSink> | undefined;
  if (!found) throw new ConfigError(`sink.type: no sink is registered for ${JSON.stringify(config.type)}`, [`sink.type: unknown sink type`]);
  return (await found.load())(config, deps);
}
