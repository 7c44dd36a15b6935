/** Turns the config's `source.auth` into an Azure TokenCredential (or none for the local simulator). */
import type { TokenCredential } from "@azure/identity";
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { SourceAuth } from "../config/types.ts";
import { ConfigError, MonitorliftError } from "../errors.ts";

/** `key`: where the source is in the config file, for messages ("source" or "sources.<name>"). */
export function createCredential(auth: SourceAuth, env: Readonly<Record<string, string | undefined>>, key = "source"): TokenCredential | undefined {
  switch (auth.method) {
    case "default":
      return new DefaultAzureCredential(auth.authorityHost ? { authorityHost: auth.authorityHost } : {});
    case "managedIdentity":
      return auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
    case "clientSecret": {
      const secret = env[auth.secretEnv];
      if (!secret) {
        throw new ConfigError(`${key}.auth.secretEnv: the environment variable ${auth.secretEnv} is not set.`, [
          `${key}.auth.secretEnv: environment variable ${auth.secretEnv} is not set — export the client secret in it`,
        ]);
      }
      return new ClientSecretCredential(auth.tenantId, auth.clientId, secret, auth.authorityHost ? { authorityHost: auth.authorityHost } : {});
    }
    case "none":
      return undefined;
  }
}

/** A credential for `auth: none`: the bearer policy is removed, so it is never asked; if it is, that is a bug. */
export const noCredential: TokenCredential = {
  getToken() {
    return Promise.reject(new MonitorliftError("INTERNAL", "auth method 'none' sends no token, yet one was asked for"));
  },
};
