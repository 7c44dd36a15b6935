/**
 * The SQL sink's configuration: schema, normalisation (the SQLite file and tls.caFile made
 * absolute against the config file's folder) and the rules of each dialect (what it needs,
 * which keys do not apply to it, the URL scheme). What only exists at run time — the URL in
 * urlEnv, the password in passwordEnv, the contents of caFile — is checked when the sink
 * connects (connection-settings.ts), with the same scheme list.
 */
import { z } from "zod";
import { absolutePath, defineSinkConfig, envNameSchema, parseUrl } from "../../config/sink-kit.ts";

export const sqlSinkSchema = z
  .strictObject({
    type: z.literal("sql").describe("A SQL database."),
    dialect: z.enum(["postgres", "mysql", "sqlite"]).describe("mysql also covers MariaDB and Azure Database for MySQL."),
    url: z.string().optional().describe("Connection URL, e.g. postgres://user@host:5432/db; put secrets in ${env:NAME}, or use urlEnv."),
    urlEnv: envNameSchema.optional().describe("Environment variable holding the connection URL (takes precedence over url)."),
    host: z.string().optional().describe("Database server host name (postgres, mysql), when not using url/urlEnv."),
    port: z.number().int().min(1).max(65535).optional().describe("Database server port (default: 5432 postgres, 3306 mysql)."),
    database: z.string().optional().describe("Database name (postgres, mysql)."),
    user: z.string().optional().describe("Database user (postgres, mysql)."),
    passwordEnv: envNameSchema.optional().describe("Environment variable holding the password."),
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

export type SqlSinkConfig = z.output<typeof sqlSinkSchema>;

/** The URL schemes each server dialect accepts (in sink.url and in the variable named by urlEnv). */
export const SQL_URL_SCHEMES: Record<"postgres" | "mysql", readonly string[]> = {
  postgres: ["postgres:", "postgresql:"],
  mysql: ["mysql:", "mariadb:"],
};

/** Keys that only a server dialect (postgres, mysql) reads. */
const SERVER_KEYS = ["url", "urlEnv", "host", "port", "database", "user", "passwordEnv", "schema"] as const;

export const sqlSinkConfig = defineSinkConfig({
  types: ["sql"],
  schema: sqlSinkSchema,
  normalise: (sink, { baseDir }) => ({
    ...sink,
    ...(sink.path === undefined || sink.path === "" ? {} : { path: absolutePath(baseDir, sink.path) }),
    tls: { ...sink.tls, ...(sink.tls.caFile === undefined ? {} : { caFile: absolutePath(baseDir, sink.tls.caFile) }) },
  }),
  check(sink, ctx) {
    const errors: string[] = [];
    const warnings: string[] = [];
    const at = (key: string): string => `${ctx.path}.${key}`;
    if (sink.dialect !== "sqlite") {
      if (sink.url === undefined && sink.urlEnv === undefined && sink.host === undefined) {
        errors.push(`${at("host")}: dialect ${sink.dialect} needs url, urlEnv or host to know which server to connect to`);
      }
      if (sink.path !== undefined) errors.push(`${at("path")}: only applies to dialect sqlite; for ${sink.dialect} give url, urlEnv or host`);
      if (sink.url !== undefined) {
        const url = parseUrl(sink.url);
        const schemes = SQL_URL_SCHEMES[sink.dialect];
        if (!url || !schemes.includes(url.protocol)) {
          errors.push(`${at("url")}: must be a ${schemes.map((s) => `${s}//`).join(" or ")} URL for dialect ${sink.dialect}`);
        } else if (url.password && !ctx.substituted(at("url"))) {
          warnings.push(`${at("url")}: contains a password written in the file — use "\${env:NAME}" in the URL, urlEnv, or passwordEnv instead`);
        }
      }
      if (sink.schema !== undefined && sink.dialect !== "postgres") errors.push(`${at("schema")}: only applies to dialect postgres`);
      if (sink.tls.mode !== "verify-full" && sink.tls.caFile !== undefined) {
        errors.push(`${at("tls.caFile")}: is only used with tls.mode "verify-full"`);
      }
    } else {
      if (sink.path === undefined || sink.path === "") errors.push(`${at("path")}: dialect sqlite needs the path of the database file`);
      for (const key of SERVER_KEYS) {
        if (sink[key] !== undefined) errors.push(`${at(key)}: does not apply to dialect sqlite (only path does)`);
      }
      if (sink.tls.mode !== "disable" || sink.tls.caFile !== undefined) errors.push(`${at("tls")}: does not apply to dialect sqlite`);
    }
    return { errors, warnings };
  },
});
