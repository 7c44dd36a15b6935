export { loadConfig, loadConfigOrThrow, resolveConfig, type Env, type LoadResult } from "./load.ts";
export { configSchema, type ConfigFileInput, type ParsedConfigFile } from "./schema.ts";
export { normaliseConfig, parseTimestamp, DEFAULT_LAG_MS } from "./normalise.ts";
export { checkRules, type RuleFindings } from "./rules.ts";
export { parseDuration, formatDuration } from "./duration.ts";
export { isLoopbackHost, isLoopbackUrl } from "./loopback.ts";
export { configJsonSchema, configJsonSchemaText } from "./json-schema.ts";
export type * from "./types.ts";
export type { BlobSinkConfig, FilesystemSinkConfig, SqlSinkConfig } from "./sinks.ts";
