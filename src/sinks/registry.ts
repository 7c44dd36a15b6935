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
import type { Sink, SinkDeps } from "./sink.ts";
import { sqlSinkConfig } from "./sql/config.ts";

export interface SinkKind<S extends SinkSchema> {
  readonly config: SinkConfigModule<S>;
  /** Loads the sink's implementation (and its SDK or driver) on first use. */
  readonly load: () => Promise<(config: z.output<S>, deps: SinkDeps) => Sink>;
}

function kind<S extends SinkSchema>(config: SinkConfigModule<S>, load: SinkKind<S>["load"]): SinkKind<S> {
  return { config, load };
}

export const SINK_KINDS = [
  kind(filesystemSinkConfig, async () => (await import("./filesystem/index.ts")).createFilesystemSink),
  kind(blobSinkConfig, async () => (await import("./blob/index.ts")).createBlobSink),
  kind(sqlSinkConfig, async () => (await import("./sql/index.ts")).createSqlSink),
] as const;

type Kinds = typeof SINK_KINDS;
type SchemaOf<K> = K extends SinkKind<infer S> ? S : never;
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

export async function createSink(config: SinkConfig, deps: SinkDeps): Promise<Sink> {
  const found = sinkKindOf(config.type);
  if (!found) throw new ConfigError(`sink.type: no sink is registered for ${JSON.stringify(config.type)}`, [`sink.type: unknown sink type`]);
  return (await found.load())(config, deps);
}
