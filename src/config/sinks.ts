/**
 * Sink configuration schemas, one per sink kind (factory + config, as in the OpenTelemetry Collector).
 * src/config/schema.ts composes them into the `sink` discriminated union.
 */
import { z } from "zod";
import { COMPRESSIONS, FORMATS } from "../sinks/formats/format.ts";

const format = z.enum(FORMATS).default("ndjson").describe("Chunk format: ndjson (one JSON object per row), json ({columns, rows} document) or parquet (typed columns).");
const compression = z
  .enum(COMPRESSIONS)
  .default("gzip")
  .describe("Compression of ndjson/json chunks: gzip, zstd or none. Parquet files are compressed internally (snappy) and ignore this.");
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

export const filesystemSinkSchema = z
  .strictObject({
    type: z.literal("filesystem").describe("Local or mounted filesystem."),
    path: z.string().min(1).describe("Root folder of the export; created if missing. Relative paths are relative to the config file."),
    format,
    compression,
    fsync: z.boolean().default(true).describe("fsync each chunk and its folder before the watermark moves (turning it off gives up durability across power loss)."),
  })
  .describe("Write chunks to a local or mounted filesystem.");

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
      env: envName.default("AZURE_STORAGE_CONNECTION_STRING").describe("Environment variable holding the connection string."),
    }),
    z.strictObject({
      method: z.literal("sas").describe("A SAS token read from an environment variable, used with accountUrl."),
      env: envName.default("AZURE_STORAGE_SAS_TOKEN").describe("Environment variable holding the SAS token (without a leading '?')."),
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
    format,
    compression,
    blockSizeMiB: z.number().int().min(1).max(100).default(8).describe("Size of each staged block; memory use per window is about one block."),
    leaseSeconds: z.number().int().min(15).max(60).default(30).describe("Duration of the single-writer blob lease, renewed while a query runs."),
  })
  .describe("Write chunks to Azure Blob Storage or ADLS Gen2.");

export const sqlSinkSchema = z
  .strictObject({
    type: z.literal("sql").describe("A SQL database."),
    dialect: z.enum(["postgres", "mysql", "sqlite"]).describe("mysql also covers MariaDB and Azure Database for MySQL."),
    url: z.string().optional().describe("Connection URL, e.g. postgres://user@host:5432/db; put secrets in ${env:NAME}, or use urlEnv."),
    urlEnv: envName.optional().describe("Environment variable holding the connection URL (takes precedence over url)."),
    host: z.string().optional().describe("Database server host name (postgres, mysql), when not using url/urlEnv."),
    port: z.number().int().min(1).max(65535).optional().describe("Database server port (default: 5432 postgres, 3306 mysql)."),
    database: z.string().optional().describe("Database name (postgres, mysql)."),
    user: z.string().optional().describe("Database user (postgres, mysql)."),
    passwordEnv: envName.optional().describe("Environment variable holding the password."),
    path: z.string().optional().describe("SQLite database file (dialect sqlite); relative to the config file."),
    schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a schema name: letters, digits and '_', not starting with a digit").optional().describe("PostgreSQL schema for the tables (default: public)."),
    tablePrefix: z.string().regex(/^[A-Za-z0-9_]{0,30}$/, "must be at most 30 letters, digits or '_'").default("").describe("Prefix of each query's table name."),
    tls: z
      .strictObject({
        mode: z
          .enum(["disable", "require", "verify-full"])
          .default("disable")
          .describe("disable: plain connection; require: TLS without certificate checks; verify-full: TLS with certificate and host name checks."),
        caFile: z.string().optional().describe("PEM file of the CA to trust (verify-full)."),
      })
      .default({ mode: "disable" })
      .describe("TLS to the database server (postgres, mysql)."),
    batchRows: z.number().int().min(1).max(100_000).default(2000).describe("Rows per multi-row INSERT (mysql, sqlite)."),
  })
  .describe("Write rows into a SQL database, with the watermark in the same transaction.");

export type FilesystemSinkConfig = z.output<typeof filesystemSinkSchema>;
export type BlobSinkConfig = z.output<typeof blobSinkSchema>;
export type SqlSinkConfig = z.output<typeof sqlSinkSchema>;
