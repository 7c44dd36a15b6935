/**
 * The blob (and ADLS Gen2) sink's configuration: schema, normalisation (accountUrl without a
 * trailing "/") and rules (accountUrl required unless the auth is a connection string; https
 * unless loopback; no credentials or SAS token in it). What only exists at run time — the
 * secret in the environment variable auth.env — is checked by the sink (blob-client.ts).
 */
import { z } from "zod";
import { checkServiceUrl, defineSinkConfig, envNameSchema } from "../../config/sink-kit.ts";
import { checkFormatKeys, formatKeys } from "../formats/config.ts";

export const blobAuthSchema = z
  .discriminatedUnion("method", [
    z.strictObject({ method: z.literal("default").describe("DefaultAzureCredential.") }).describe("DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI."),
    z
      .strictObject({
        method: z.literal("managedIdentity").describe("An Azure managed identity."),
        clientId: z.string().optional().describe("Client ID of a user-assigned identity; omit for the system-assigned identity."),
      })
      .describe("The managed identity of the VM, container or function running monitorlift."),
    z.strictObject({
      method: z.literal("connectionString").describe("A storage connection string read from an environment variable."),
      env: envNameSchema.default("AZURE_STORAGE_CONNECTION_STRING").describe("Environment variable holding the connection string."),
    }),
    z.strictObject({
      method: z.literal("sas").describe("A SAS token read from an environment variable, used with accountUrl."),
      env: envNameSchema.default("AZURE_STORAGE_SAS_TOKEN").describe("Environment variable holding the SAS token (without a leading '?')."),
    }),
  ])
  .default({ method: "default" })
  .describe("How to authenticate to the storage account.");

export const blobSinkSchema = z
  .strictObject({
    type: z.enum(["blob", "adls"]).describe("'adls' is an alias: ADLS Gen2 accounts are written through their blob endpoint."),
    accountUrl: z
      .string()
      .url()
      .optional()
      .describe("https://<account>.blob.core.windows.net (not needed with a connection string)."),
    container: z
      .string()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a valid container name (3-63 lowercase letters, digits, single hyphens)")
      .describe("Blob container (ADLS Gen2: file system) receiving the export."),
    prefix: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, "must be empty or folders ending in '/' (e.g. 'telemetry/')")
      .default("")
      .describe("Folder path inside the container, empty or ending in '/'."),
    createContainer: z.boolean().default(false).describe("Create the container when it does not exist."),
    auth: blobAuthSchema,
    ...formatKeys,
    blockSizeMiB: z.number().int().min(1).max(100).default(8).describe("Size of each staged block; memory use per window is about one block."),
    leaseSeconds: z.number().int().min(15).max(60).default(30).describe("Duration of the single-writer blob lease, renewed while a query runs."),
  })
  .describe("Write chunks to Azure Blob Storage or ADLS Gen2.");

export type BlobSinkConfig = z.output<typeof blobSinkSchema>;

export const blobSinkConfig = defineSinkConfig({
  types: ["blob", "adls"],
  schema: blobSinkSchema,
  normalise: (sink) => (sink.accountUrl === undefined ? { ...sink } : { ...sink, accountUrl: sink.accountUrl.replace(/\/+$/, "") }),
  check(sink, ctx) {
    const errors = checkFormatKeys(sink, ctx.path);
    if (sink.accountUrl === undefined) {
      if (sink.auth.method !== "connectionString") {
        errors.push(`${ctx.path}.accountUrl: is required with auth method "${sink.auth.method}" (e.g. https://<account>.blob.core.windows.net)`);
      }
    } else checkServiceUrl(`${ctx.path}.accountUrl`, sink.accountUrl, "exported data", errors);
    return { errors, warnings: [] };
  },
});
