/**
 * Where the sink config types used to live. Each sink kind now owns its configuration in
 * src/sinks/<kind>/config.ts (schema, normalisation, rules) and src/sinks/registry.ts lists them;
 * these re-exports keep older imports compiling.
 */
export { blobAuthSchema, blobSinkSchema, type BlobSinkConfig } from "../sinks/blob/config.ts";
export { filesystemSinkSchema, type FilesystemSinkConfig } from "../sinks/filesystem/config.ts";
export { sqlSinkSchema, type SqlSinkConfig } from "../sinks/sql/config.ts";
