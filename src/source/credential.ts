/**
 * Turns the config's `source.auth` into an Azure TokenCredential (or none for the local simulator),
 * wrapped so that a token that cannot be had is a typed error naming the identity — auth method, tenant,
 * client ID, where the secret comes from, and for `default` what each credential of the chain said —
 * never a secret:
 *  - SOURCE_CREDENTIAL (category auth: not retried by the runner, exit 3) when the directory refused
 *    (invalid_client, an AADSTS error, any other 4xx) or nothing usable is configured (a
 *    DefaultAzureCredential chain whose every credential is unavailable): one token request;
 *  - SOURCE_TOKEN_UNAVAILABLE (category transient: the window is retried by the runner's one retry
 *    loop, then the query fails, exit 1) when the token service answered 5xx/429 or could not be
 *    reached (the network, IMDS) even after the identity library's own retries.
 * Secrets (the configured one, and $AZURE_CLIENT_SECRET / $AZURE_CLIENT_CERTIFICATE_PASSWORD, which the
 * identity library reads by itself) are masked in the message and in the kept `cause` alike, before any
 * flattening or truncation.
 */
import type { GetTokenOptions, TokenCredential } from "@azure/identity";
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { SourceAuth } from "../config/types.ts";
import { isLoopbackHost } from "../config/loopback.ts";
import { ConfigError, MonitorliftError, SourceError, messageOf } from "../errors.ts";

/** The credential for `auth`, and what to call it in messages. */
export interface SourceCredential {
  credential: TokenCredential;
  /** e.g. "clientSecret (tenant contoso.onmicrosoft.com, client 1111…, secret from $AZURE_CLIENT_SECRET)". */
  identity: string;
}

/** `key`: where the source is in the config file, for messages ("source" or "sources.<name>"). */
export function createCredential(auth: SourceAuth, env: Readonly<Record<string, string | undefined>>, key = "source"): SourceCredential | undefined {
  switch (auth.method) {
    case "default": {
      const identity = describeIdentity(auth, env, key);
      const inner = new DefaultAzureCredential(authorityOptions(auth.authorityHost));
      return { credential: reportingCredential(inner, identity, auth.method, envSecrets(env)), identity };
    }
    case "managedIdentity": {
      const identity = describeIdentity(auth, env, key);
      const inner = auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
      return { credential: reportingCredential(inner, identity, auth.method, envSecrets(env)), identity };
    }
    case "clientSecret": {
      const secret = env[auth.secretEnv];
      if (!secret) {
        throw new ConfigError(`${key}.auth.secretEnv: the environment variable ${auth.secretEnv} is not set — export the client secret in it.`, [
          `${key}.auth.secretEnv: environment variable ${auth.secretEnv} is not set — export the client secret in it`,
        ]);
      }
      const identity = describeIdentity(auth, env, key);
      const inner = new ClientSecretCredential(auth.tenantId, auth.clientId, secret, authorityOptions(auth.authorityHost));
      return { credential: reportingCredential(inner, identity, auth.method, [secret, ...envSecrets(env)]), identity };
    }
    case "none":
      return undefined;
  }
}

/** Secrets the identity library reads from the environment by itself (EnvironmentCredential): masked wherever quoted. */
const ENV_SECRETS = ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD"] as const;

export function envSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  return ENV_SECRETS.flatMap((name) => (env[name] ? [env[name]] : []));
}

/**
 * The identity library's options for an authority host. A loopback authority (a local token endpoint)
 * is not one Microsoft's instance discovery knows, so discovery is skipped for it and the host is trusted
 * as configured; any other host is validated as usual.
 */
function authorityOptions(authorityHost: string | undefined): { authorityHost?: string; disableInstanceDiscovery?: boolean } {
  if (authorityHost === undefined) return {};
  return isLoopbackHost(new URL(authorityHost).hostname) ? { authorityHost, disableInstanceDiscovery: true } : { authorityHost };
}

/** Who the token is asked for, in words: IDs and variable names only, never a secret. */
export function describeIdentity(auth: SourceAuth, env: Readonly<Record<string, string | undefined>>, key = "source"): string {
  const authority = "authorityHost" in auth && auth.authorityHost ? `, authority ${auth.authorityHost}` : "";
  switch (auth.method) {
    case "clientSecret":
      return `${key}.auth clientSecret (tenant ${auth.tenantId}, client ${auth.clientId}, secret from $${auth.secretEnv}${authority})`;
    case "managedIdentity":
      return `${key}.auth managedIdentity (${auth.clientId ? `user-assigned, client ${auth.clientId}` : "system-assigned"})`;
    case "default": {
      const ids = [env.AZURE_TENANT_ID ? `tenant ${env.AZURE_TENANT_ID} from $AZURE_TENANT_ID` : "", env.AZURE_CLIENT_ID ? `client ${env.AZURE_CLIENT_ID} from $AZURE_CLIENT_ID` : ""].filter(Boolean);
      return `${key}.auth default (DefaultAzureCredential${ids.length ? `, ${ids.join(", ")}` : ""}${authority})`;
    }
    case "none":
      return `${key}.auth none (no token)`;
  }
}

/** What to do when no token could be had, by auth method. */
const CREDENTIAL_HINTS: Record<Exclude<SourceAuth["method"], "none">, string> = {
  clientSecret:
    "Check source.auth.tenantId and clientId, and that the secret in the named variable is the secret's current value (not its ID) and has not expired; a sovereign cloud needs source.auth.authorityHost. Not retried: the next run tries again.",
  managedIdentity:
    "Check that the VM, container or function has this managed identity assigned (for a user-assigned one, its client ID) and can reach its token endpoint. Not retried: the next run tries again.",
  default:
    "DefaultAzureCredential tries, in order, environment variables (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET…), workload identity, managed identity and the Azure CLI (az login); make one of them work, or set source.auth to clientSecret or managedIdentity. Not retried: the next run tries again.",
};

const UNAVAILABLE_HINT =
  "The token service (Microsoft Entra ID, or the managed identity endpoint) answered 5xx/429 or could not be reached, also after the identity library's own retries; the window was retried and the watermark has not moved. Check the network, proxy and DNS to the authority host (or IMDS); the next run tries again.";

/** Longest part of an identity-library message kept (its troubleshooting links add nothing here). */
const MAX_DETAIL = 400;

/**
 * `inner`, with its failures turned into SOURCE_CREDENTIAL (a refusal) or SOURCE_TOKEN_UNAVAILABLE (the
 * token service unavailable or unreachable: isTokenUnavailable) naming `identity`, with `secrets`
 * masked in the message and in the cause kept. An abort (shutdown, the request's deadline) passes
 * through untouched: the caller tells those apart from a refusal.
 */
export function reportingCredential(inner: TokenCredential, identity: string, method: Exclude<SourceAuth["method"], "none">, secrets: readonly string[]): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions) {
      try {
        return await inner.getToken(scopes, options);
      } catch (err) {
        if (options?.abortSignal?.aborted) throw err;
        const cause = maskedCopy(err, secrets);
        if (isTokenUnavailable(err)) {
          throw new SourceError("SOURCE_TOKEN_UNAVAILABLE", `Could not get an access token for ${identity} now: the token service is unavailable or unreachable: ${credentialDetail(err, secrets)}`, {
            cause,
            hint: UNAVAILABLE_HINT,
          });
        }
        throw new SourceError("SOURCE_CREDENTIAL", `Could not get an access token for ${identity}: ${credentialDetail(err, secrets)}`, {
          cause,
          hint: CREDENTIAL_HINTS[method],
        });
      }
    },
  };
}

/**
 * OAuth 2.0 error codes of a token service that cannot answer now (RFC 6749 §5.2, `temporarily_unavailable`,
 * `server_error`), and MSAL's for a token service it could not reach (`network_error`, and
 * `endpoints_resolution_error`: the authority's metadata could not be fetched). The identity library
 * keeps only the message ("temporarily_unavailable: … AADSTS90033 …"), not the HTTP status.
 */
const UNAVAILABLE_CODE = /(?:^|\s)(?:temporarily_unavailable|server_error|network_error|endpoints_resolution_error):/;
/**
 * MSAL's replay of a 5xx/429 answer: for the answer's Retry-After (default 60 s) it does not ask the
 * token service again but throws the stored answer, "<AADSTS error codes, or none>: <description>" — so
 * a retry of ours within that time fails at once, and is still the same outage.
 */
const THROTTLE_REPLAY = /^(?:\d+(?: \d+)*)?: /;
/** Connection errors (errno codes) of a token request that never got an answer. */
const UNREACHABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * True when the token service answered 5xx/429 or could not be reached: worth trying again later. A
 * chain (DefaultAzureCredential) is so only when a credential it actually tried (not one that was
 * merely unavailable, i.e. not configured) failed so; a chain with nothing configured is a refusal.
 */
export function isTokenUnavailable(err: unknown): boolean {
  const errors = (err as { errors?: unknown } | null | undefined)?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.some((e) => (e as { name?: string } | null)?.name !== "CredentialUnavailableError" && isTokenUnavailable(e));
  }
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    const { statusCode, status, code } = e as { statusCode?: unknown; status?: unknown; code?: unknown };
    const http = typeof statusCode === "number" ? statusCode : typeof status === "number" ? status : undefined;
    if (http !== undefined) return http >= 500 || http === 429;
    if (typeof code === "string" && UNREACHABLE_ERRNO.has(code)) return true;
    const message = messageOf(e);
    if (UNAVAILABLE_CODE.test(message) || THROTTLE_REPLAY.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * What the identity library said, on one line: for a chain (DefaultAzureCredential), each credential
 * tried and why it failed; secrets in `secrets` are masked should a message ever quote one — before the
 * message is flattened or cut, so that no part of a secret is left at the cut.
 */
export function credentialDetail(err: unknown, secrets: readonly string[]): string {
  const errors = (err as { errors?: unknown }).errors;
  const messages = Array.isArray(errors) && errors.length > 0 ? errors.map(messageOf) : [messageOf(err)];
  const parts = messages.map((m) => oneLine(maskSecrets(m, secrets)));
  return parts.length > 1 ? parts.map((p, i) => `(${i + 1}) ${p}`).join(" ") : (parts[0] ?? "");
}

/** `text` with every secret of `secrets` (4 characters or more) replaced by ***. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const s of secrets) if (s.length >= 4) masked = masked.split(s).join("***");
  return masked;
}

/**
 * A copy of the identity library's error to keep as `cause` (printed under --verbose): same class,
 * name and fields, its message, stack and string fields masked, its chain (`errors`) and cause copied
 * likewise. The original, which may quote a secret, is not kept.
 */
export function maskedCopy(err: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof err === "string") return maskSecrets(err, secrets);
  if (err === null || typeof err !== "object" || depth > 5) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Record<string, unknown>;
  const fields: Record<string, unknown> = { ...(err as Record<string, unknown>) };
  if (err instanceof Error) {
    fields.name = err.name;
    fields.message = err.message;
    if (err.stack !== undefined) fields.stack = err.stack;
    if (err.cause !== undefined) fields.cause = err.cause;
  }
  for (const [k, v] of Object.entries(fields)) {
    copy[k] = Array.isArray(v) ? v.map((x) => maskedCopy(x, secrets, depth + 1)) : typeof v === "object" || typeof v === "string" ? maskedCopy(v, secrets, depth + 1) : v;
  }
  return copy;
}

function oneLine(message: string): string {
  const flat = message
    .replace(/\s+/g, " ")
    .replace(/ ?To troubleshoot, visit https?:\/\/\S+/g, "")
    .replace(/ - [A-Za-z ]+: Not Available/g, "") // MSAL's empty fields; a real correlation ID stays (support asks for it)
    .trim();
  return flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL)}…` : flat;
}

/** A credential for `auth: none`: the bearer policy is removed, so it is never asked; if it is, that is a bug. */
export const noCredential: TokenCredential = {
  getToken() {
    return Promise.reject(new MonitorliftError("INTERNAL", "auth method 'none' sends no token, yet one was asked for"));
  },
};
