/**
 * The filesystem sink's configuration: schema, normalisation (the root folder made absolute
 * against the config file's folder) and rules (the compression level's, shared with the blob sink). The sink reads
 * `path` as given here: it is already absolute.
 */
import { z } from "zod";
import { absolutePath, defineSinkConfig } from "../../config/sink-kit.ts";
import { checkFormatKeys, formatKeys } from "../formats/config.ts";

export const filesystemSinkSchema = z
  .strictObject({
    type: z.literal("filesystem").describe("Local or mounted filesystem."),
    path: z.string().min(1).describe("Root folder of the export; created if missing. Relative paths are relative to the config file."),
    ...formatKeys,
    fsync: z.boolean().default(true).describe("fsync each chunk and its folder before the watermark moves (turning it off gives up durability across power loss)."),
  })
  .describe("Write chunks to a local or mounted filesystem.");

export type FilesystemSinkConfig = z.output<typeof filesystemSinkSchema>;

export const filesystemSinkConfig = defineSinkConfig({
  types: ["filesystem"],
  schema: filesystemSinkSchema,
  normalise: (sink, { baseDir }) => ({ ...sink, path: absolutePath(baseDir, sink.path) }),
  check: (sink, ctx) => ({ errors: checkFormatKeys(sink, ctx.path), warnings: [] }),
});
