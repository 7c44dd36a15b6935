/**
 * Turns the config's `source.auth` into an Azure TokenCredential (or none for the local simulator),
 * wrapped so that a token that cannot be had is a typed SOURCE_CREDENTIAL error (category auth: not
 * retried by the runner, exit 3) naming the identity — auth method, tenant, client ID, where the
 * secret comes from, and for `default` what each credential of the chain said — never a secret.
 *
 * The identity library retries its own token request when the token endpoint fails transiently (5xx,
 * connection); an answer such as invalid_client is final there and here: one token request.
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
      return { credential: reportingCredential(inner, identity, auth.method, []), identity };
    }
    case "managedIdentity": {
      const identity = describeIdentity(auth, env, key);
      const inner = auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
      return { credential: reportingCredential(inner, identity, auth.method, []), identity };
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
      return { credential: reportingCredential(inner, identity, auth.method, [secret]), identity };
    }
    case "none":
      return undefined;
  }
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

/** Longest part of an identity-library message kept (its troubleshooting links add nothing here). */
const MAX_DETAIL = 400;

/**
 * `inner`, with its failures turned into SOURCE_CREDENTIAL naming `identity`. An abort (shutdown, the
 * request's deadline) passes through untouched: the caller tells those apart from a refusal.
 */
export function reportingCredential(inner: TokenCredential, identity: string, method: Exclude<SourceAuth["method"], "none">, secrets: readonly string[]): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions) {
      try {
        return await inner.getToken(scopes, options);
      } catch (err) {
        if (options?.abortSignal?.aborted) throw err;
        throw new SourceError("SOURCE_CREDENTIAL", `Could not get an access token for ${identity}: ${credentialDetail(err, secrets)}`, {
          cause: err,
          hint: CREDENTIAL_HINTS[method],
        });
      }
    },
  };
}

/**
 * What the identity library said, on one line: for a chain (DefaultAzureCredential), each credential
 * tried and why it failed; secrets in `secrets` are masked should a message ever quote one.
 */
export function credentialDetail(err: unknown, secrets: readonly string[]): string {
  const errors = (err as { errors?: unknown }).errors;
  const parts = Array.isArray(errors) && errors.length > 0 ? errors.map((e) => oneLine(messageOf(e))) : [oneLine(messageOf(err))];
  let text = parts.length > 1 ? parts.map((p, i) => `(${i + 1}) ${p}`).join(" ") : (parts[0] ?? "");
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join("***");
  return text;
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
