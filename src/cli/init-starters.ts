/**
 * The commented starter configurations `monitorlift init` writes, one per sink (pure text). They are
 * JSONC — the config loader skips `//` comments (src/config/json.ts) — and pass the schema and rules as
 * written (a test loads each through the real loader and `validate`). Nothing secret is ever in them:
 * the workspace comes from ${env:MONITORLIFT_WORKSPACE_ID}, storage and databases are reached through
 * managed identities or environment variables named by `urlEnv` / `passwordEnv`.
 */

export const STARTER_SINKS = ["filesystem", "blob", "postgres", "mysql", "sqlite"] as const;
export type StarterSink = (typeof STARTER_SINKS)[number];

const SINKS: Record<StarterSink, { block: string; notes: string }> = {
  filesystem: {
    notes: "  // Writes <path>/<query>/date=…/hour=…/<start>_<end>.ndjson.gz; state, locks and runs go to <path>/_state, _locks, _runs.",
    block: `  "sink": {
    "type": "filesystem",
    // Root folder of the export (created if missing); relative to this file.
    "path": "\${env:MONITORLIFT_EXPORT_DIR:-./export}",
    // ndjson (with gzip, zstd or none), json, or parquet (typed).
    "format": "ndjson",
    "compression": "gzip"
  },`,
  },
  blob: {
    notes:
      "  // The identity running monitorlift needs Storage Blob Data Contributor on the container (README: Sinks → ADLS Gen2 / Blob Storage).",
    block: `  "sink": {
    // "blob", or "adls" for an ADLS Gen2 account (written through its blob endpoint).
    "type": "blob",
    "accountUrl": "https://\${env:MONITORLIFT_STORAGE_ACCOUNT}.blob.core.windows.net",
    "container": "telemetry",
    // A folder inside the container: empty or ending in "/".
    "prefix": "appinsights/",
    // default: managed identity / workload identity in Azure, Azure CLI locally. Alternatives:
    //   { "method": "connectionString", "env": "AZURE_STORAGE_CONNECTION_STRING" }
    //   { "method": "sas", "env": "AZURE_STORAGE_SAS_TOKEN" }   (the secret stays in the environment)
    "auth": { "method": "default" },
    "format": "parquet",
    "createContainer": false
  },`,
  },
  postgres: {
    notes: "  // Needs CONNECT, TEMPORARY and CREATE on the schema; one table per query plus _monitorlift_* metadata tables.",
    block: `  "sink": {
    "type": "sql",
    "dialect": "postgres",
    // The name of the environment variable holding the whole connection URL (with its password), e.g.
    //   export MONITORLIFT_PG_URL='postgres://exporter:…@db.example.com:5432/analytics'
    "urlEnv": "MONITORLIFT_PG_URL",
    "schema": "telemetry",
    "tablePrefix": "ai_",
    // disable, require (encrypted) or verify-full (certificate and host name checked).
    "tls": { "mode": "verify-full" }
  },`,
  },
  mysql: {
    notes: "  // MySQL and MariaDB (also Azure Database for MySQL); needs SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, CREATE TEMPORARY TABLES.",
    block: `  "sink": {
    "type": "sql",
    "dialect": "mysql",
    "host": "\${env:MONITORLIFT_MYSQL_HOST:-localhost}",
    "port": 3306,
    "database": "analytics",
    "user": "exporter",
    // The name of the environment variable holding the password (never the password itself).
    "passwordEnv": "MONITORLIFT_MYSQL_PASSWORD",
    "tablePrefix": "ai_",
    "tls": { "mode": "require" }
  },`,
  },
  sqlite: {
    notes: "  // One local file (WAL mode): keep it on a local disk, not a network share.",
    block: `  "sink": {
    "type": "sql",
    "dialect": "sqlite",
    // The database file, created if missing; relative to this file.
    "path": "./telemetry.db"
  },`,
  },
};

/** The starter for `sink`; `schemaRef` is the path of config.schema.json as seen from the file's folder. */
export function starterConfig(sink: StarterSink, schemaRef: string): string {
  const { block, notes } = SINKS[sink];
  return `// monitorlift configuration (${sink} sink), written by \`monitorlift init\`.
// JSON with comments. Every key is described in config.schema.json (editors complete and check it) and
// in the README ("Configuration"). \${env:NAME} or \${env:NAME:-default} takes a value from the environment.
// Next: monitorlift validate --connect -c <this file>, then monitorlift export --once -c <this file>.
{
  "$schema": ${JSON.stringify(schemaRef)},
  "source": {
    // Your Log Analytics workspace ID (a GUID), from the environment; or "resourceId" of an
    // Application Insights resource instead.
    "workspaceId": "\${env:MONITORLIFT_WORKSPACE_ID}",
    // The identity needs the Log Analytics Reader role. default: managed identity / workload identity
    // in Azure, Azure CLI locally; { "method": "clientSecret", … } reads its secret from an environment variable.
    "auth": { "method": "default" }
  },
  // One table per query; "transform" adds KQL after the table, "file" points at a .kql file instead.
  "queries": [
    { "name": "requests", "table": "AppRequests" },
    { "name": "dependencies", "table": "AppDependencies" },
    { "name": "exceptions", "table": "AppExceptions" }
  ],
  "window": {
    // ingestion: windows by arrival time (nothing late is missed); time: by event time.
    "mode": "ingestion",
    "size": "PT5M",
    // Only windows ending this long ago are exported (ingestion time settles).
    "lag": "PT15M",
    // Where a query without a watermark starts: a duration before now, or an ISO timestamp.
    "start": "PT3H"
  },
${notes}
${block}
  // For \`monitorlift export\` without --once (UTC cron); with --once your own scheduler decides.
  "schedule": "*/5 * * * *",
  "concurrency": 4,
  "log": { "level": "info" }
}
`;
}

/** The environment variables a starter needs set (a reference without a default, urlEnv, passwordEnv), in order. */
export function starterEnv(text: string): string[] {
  const names: string[] = [];
  const values = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");
  for (const m of values.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}|"(?:urlEnv|passwordEnv)": "([A-Za-z_][A-Za-z0-9_]*)"/g)) {
    const name = m[1] ?? m[2]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}
