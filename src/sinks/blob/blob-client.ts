/**
 * Builds the container client of a blob sink from its config and the environment:
 * credentials (DefaultAzureCredential, managed identity, connection string, SAS),
 * the SDK's own retry policy, a description without secrets, and the list of secret
 * values to scrub from any message.
 */
import { AnonymousCredential, BlobServiceClient, type ContainerClient, type StorageRetryOptions } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { BlobSinkConfig } from "../../config/sinks.ts";
import { SinkError } from "../../errors.ts";
import { createRedactor, type Redactor } from "./blob-errors.ts";

/** Retries of every storage call, done by the SDK (exponential: 0, 0.8, 2.4, 5.6 s between the 5 tries). */
export const DEFAULT_RETRY: StorageRetryOptions = {
  maxTries: 5,
  tryTimeoutInMs: 60_000,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 15_000,
};

export interface BlobConnection {
  container: ContainerClient;
  /** "<account url>/<container>", without any query string. */
  containerUrl: string;
  /** "blob <account url>/<container>/<prefix>" */
  description: string;
  redact: Redactor;
}

function configError(message: string, hint?: string): SinkError {
  return new SinkError("CONFIG_INVALID", message, hint === undefined ? {} : { hint });
}

function withoutQuery(url: string): string {
  const at = url.indexOf("?");
  return (at < 0 ? url : url.slice(0, at)).replace(/\/+$/, "");
}

function readSecret(env: Readonly<Record<string, string | undefined>>, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw configError(
      `The blob sink uses ${what} from the environment variable ${name}, which is not set or empty.`,
      `Set ${name} in the environment of monitorlift, or name another variable in sink.auth.env.`,
    );
  }
  return value;
}

/** sink.accountUrl: required (unless the auth is a connection string), checked and normalised by the config (./config.ts). */
function requireAccountUrl(config: BlobSinkConfig): string {
  if (config.accountUrl === undefined) throw configError(`internal: a blob sink config without accountUrl (auth method "${config.auth.method}") was not checked (src/sinks/blob/config.ts)`);
  return config.accountUrl;
}

/** A token credential whose @azure/identity implementation is loaded on the first token request. */
function lazyCredential(create: () => Promise<TokenCredential>): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= create();
      return (await credential).getToken(scopes, options);
    },
  };
}

export function connect(
  config: BlobSinkConfig,
  env: Readonly<Record<string, string | undefined>>,
  retryOptions: StorageRetryOptions = DEFAULT_RETRY,
): BlobConnection {
  const options = { retryOptions };
  const secrets: string[] = [];
  let service: BlobServiceClient;
  const auth = config.auth;
  switch (auth.method) {
    case "connectionString": {
      const connectionString = readSecret(env, auth.env, "a storage connection string");
      secrets.push(connectionString, ...connectionStringSecrets(connectionString));
      try {
        service = BlobServiceClient.fromConnectionString(connectionString, options);
      } catch {
        // The SDK's message may quote the string: say only where it came from.
        throw configError(
          `The storage connection string in the environment variable ${auth.env} is not valid.`,
          "Copy it again from the storage account's Access keys page (or use auth method \"default\").",
        );
      }
      break;
    }
    case "sas": {
      const token = readSecret(env, auth.env, "a SAS token").replace(/^\?/, "");
      secrets.push(token);
      const match = /(?:^|&)sig=([^&]+)/.exec(token);
      if (match) secrets.push(match[1]!, decodeURIComponent(match[1]!));
      service = new BlobServiceClient(`${requireAccountUrl(config)}?${token}`, new AnonymousCredential(), options);
      break;
    }
    case "managedIdentity": {
      const clientId = auth.clientId;
      const credential = lazyCredential(async () => {
        const { ManagedIdentityCredential } = await import("@azure/identity");
        return clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId });
      });
      service = new BlobServiceClient(requireAccountUrl(config), credential, options);
      break;
    }
    case "default": {
      const credential = lazyCredential(async () => {
        const { DefaultAzureCredential } = await import("@azure/identity");
        return new DefaultAzureCredential();
      });
      service = new BlobServiceClient(requireAccountUrl(config), credential, options);
      break;
    }
  }
  const container = service.getContainerClient(config.container);
  const accountUrl = withoutQuery(service.url);
  const containerUrl = `${accountUrl}/${config.container}`;
  return {
    container,
    containerUrl,
    description: `blob ${containerUrl}/${config.prefix}`,
    redact: createRedactor(secrets),
  };
}

/** The key and signature values inside a connection string, so they are scrubbed even when quoted alone. */
function connectionStringSecrets(connectionString: string): string[] {
  const out: string[] = [];
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const name = part.slice(0, at).trim().toLowerCase();
    const value = part.slice(at + 1).trim();
    if (name === "accountkey" || name === "sharedaccesssignature") out.push(value);
  }
  return out;
}
