/**
 * Where and how to connect, from the sink config: urlEnv (wins) > url > host/port/database/user,
 * plus passwordEnv and TLS. The result carries the password for the driver only; `description`
 * is the one string meant for people and never holds a credential.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../../errors.ts";
import type { SqlSinkConfig } from "../../config/sinks.ts";
import type { SinkDeps } from "../sink.ts";
import { SQL_URL_SCHEMES as SCHEMES } from "./config.ts";

export type TlsMode = "disable" | "require" | "verify-full";

export interface ServerSettings {
  host: string;
  port: number;
  database: string | undefined;
  user: string | undefined;
  /** Secret: give it to the driver, never to a message or log. */
  password: string | undefined;
  tls: { mode: TlsMode; ca?: Buffer };
  /** "sql postgres db.example.com:5432/telemetry" */
  description: string;
}

const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;

/**
 * Server connection settings of a postgres or mysql sink. The config's own keys were checked when
 * it was loaded (./config.ts); what is checked here exists only at run time: the URL in urlEnv,
 * the password in passwordEnv, the URL's parameters and the caFile's contents.
 */
export function resolveServerSettings(config: SqlSinkConfig, deps: Pick<SinkDeps, "env">): ServerSettings {
  const dialect = config.dialect;
  if (dialect === "sqlite") throw new ConfigError("internal: resolveServerSettings called for sqlite");
  let host = config.host;
  let port = config.port;
  let database = config.database;
  let user = config.user;
  let password: string | undefined;
  let urlTls: TlsMode | undefined;

  const fromEnv = config.urlEnv !== undefined ? deps.env[config.urlEnv] : undefined;
  if (config.urlEnv !== undefined && (fromEnv === undefined || fromEnv === "")) {
    throw new ConfigError(`sql sink: environment variable ${config.urlEnv} (sink.urlEnv) is not set or empty.`, [
      `sink.urlEnv: ${config.urlEnv} is not set`,
    ]);
  }
  const url = fromEnv ?? config.url;
  const urlKey = fromEnv !== undefined ? `environment variable ${config.urlEnv}` : "sink.url";
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // The text is not repeated: it may contain a password.
      throw new ConfigError(`sql sink: ${urlKey} is not a valid URL (not shown, it may contain a password).`, [`${urlKey}: not a valid URL`]);
    }
    if (fromEnv !== undefined && !SCHEMES[dialect].includes(parsed.protocol)) {
      throw new ConfigError(
        `sql sink: ${urlKey} must start with ${SCHEMES[dialect].map((s) => `${s}//`).join(" or ")} for dialect ${dialect} (it starts with ${parsed.protocol}//).`,
        [`${urlKey}: wrong scheme ${parsed.protocol}`],
      );
    }
    if (parsed.hostname !== "") host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, "$1");
    if (parsed.port !== "") port = Number(parsed.port);
    const path = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    if (path !== "") database = path;
    if (parsed.username !== "") user = decodeURIComponent(parsed.username);
    if (parsed.password !== "") password = decodeURIComponent(parsed.password);
    for (const [name, value] of parsed.searchParams) {
      const key = name.toLowerCase();
      if (key === "sslmode" || key === "ssl-mode") urlTls = tlsModeFromUrl(value, urlKey);
      else if (key === "ssl") urlTls = value === "false" || value === "0" ? "disable" : "require";
      else {
        throw new ConfigError(`sql sink: ${urlKey} has the parameter "${name}", which monitorlift does not use; remove it (only sslmode is read).`, [
          `${urlKey}: unsupported parameter ${name}`,
        ]);
      }
    }
  }
  if (config.passwordEnv !== undefined) {
    const value = deps.env[config.passwordEnv];
    if (value === undefined) {
      throw new ConfigError(`sql sink: environment variable ${config.passwordEnv} (sink.passwordEnv) is not set.`, [
        `sink.passwordEnv: ${config.passwordEnv} is not set`,
      ]);
    }
    password = value;
  }
  if (host === undefined || host === "") {
    throw new ConfigError(`sql sink (${dialect}): no server given; set sink.url, sink.urlEnv or sink.host.`, ["sink.host: required without url/urlEnv"]);
  }
  port ??= DEFAULT_PORTS[dialect];

  const mode: TlsMode = config.tls.mode !== "disable" ? config.tls.mode : (urlTls ?? "disable");
  let ca: Buffer | undefined;
  if (config.tls.caFile !== undefined) {
    const file = config.tls.caFile; // absolute since the config's normalisation
    try {
      ca = readFileSync(file);
    } catch (err) {
      throw new ConfigError(`sql sink: cannot read sink.tls.caFile ${file}: ${(err as Error).message}`, [`sink.tls.caFile: unreadable`], { cause: err });
    }
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const description = `sql ${dialect} ${hostPart}:${port}/${database ?? ""}${mode !== "disable" ? ` (tls ${mode})` : ""}`;
  return { host, port, database, user, password, tls: ca !== undefined ? { mode, ca } : { mode }, description };
}

function tlsModeFromUrl(value: string, urlKey: string): TlsMode {
  switch (value) {
    case "disable":
    case "DISABLED":
      return "disable";
    case "allow":
    case "prefer":
    case "require":
    case "no-verify":
    case "REQUIRED":
    case "PREFERRED":
      return "require";
    case "verify-ca":
    case "verify-full":
    case "VERIFY_CA":
    case "VERIFY_IDENTITY":
      return "verify-full";
    default:
      throw new ConfigError(`sql sink: ${urlKey} has sslmode=${value}; use disable, require or verify-full (or sink.tls.mode).`, [
        `${urlKey}: unknown sslmode ${value}`,
      ]);
  }
}

/** Node TLS options for a mode: require encrypts without checking the certificate; verify-full checks it and the host name. */
export function tlsOptions(tls: ServerSettings["tls"], host: string): false | { rejectUnauthorized: boolean; ca?: Buffer; servername?: string } {
  if (tls.mode === "disable") return false;
  if (tls.mode === "require") return { rejectUnauthorized: false };
  const servername = /^[0-9.]+$|:/.test(host) ? undefined : host;
  return { rejectUnauthorized: true, ...(tls.ca !== undefined ? { ca: tls.ca } : {}), ...(servername !== undefined ? { servername } : {}) };
}

/** The SQLite file of a sqlite sink: sink.path, required and made absolute by the config (./config.ts). */
export function resolveSqlitePath(config: SqlSinkConfig): string {
  if (config.path === undefined) throw new ConfigError("internal: a sqlite sink config without sink.path was not checked (src/sinks/sql/config.ts)");
  return config.path;
}
