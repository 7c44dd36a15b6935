/**
 * A blob sink against a private Azurite, for tests:
 *
 *   const fx = await startBlobFixture();
 *   const sink = fx.sink({ container: "data", prefix: "telemetry/" });
 *   …
 *   await fx.stop();
 *
 * The sink authenticates with a connection string read from the env var
 * AZURE_STORAGE_CONNECTION_STRING of `fx.env` (as the CLI would), and retries briefly.
 * The container "export" (the default of `config()`) exists from the start.
 */
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { blobSinkSchema, type BlobSinkConfig } from "../../src/config/sinks.ts";
import { createBlobSink, type BlobSinkOptions } from "../../src/sinks/blob/index.ts";
import type { Destination, FileDestinationOptions, SinkDeps } from "../../src/sinks/sink.ts";
import { silentLogger, type Logger } from "../../src/telemetry/logger.ts";
import { startAzurite, type Azurite, type AzuriteOptions } from "./azurite.ts";

/** Short SDK retries so outage tests fail within seconds. */
export const FAST_RETRY = { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 400, tryTimeoutInMs: 10_000 } as const;

export interface BlobFixture {
  readonly azurite: Azurite;
  readonly env: Record<string, string>;
  /** A parsed sink config (schema defaults applied) using the connection string from `env`. */
  config(overrides?: Record<string, unknown>): BlobSinkConfig;
  sink(overrides?: Record<string, unknown>, options?: BlobSinkOptions & FileDestinationOptions & { logger?: Logger }): Destination;
  /** A plain SDK client on the container, to look at what the sink wrote. */
  container(name?: string): ContainerClient;
  stop(): Promise<void>;
}

export async function startBlobFixture(options: AzuriteOptions = {}): Promise<BlobFixture> {
  const azurite = await startAzurite(options);
  const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString, { retryOptions: FAST_RETRY });
  await service.getContainerClient("export").createIfNotExists();
  const config = (overrides: Record<string, unknown> = {}) =>
    blobSinkSchema.parse({ type: "blob", container: "export", createContainer: true, auth: { method: "connectionString" }, ...overrides });
  return {
    azurite,
    env,
    config,
    sink(overrides = {}, sinkOptions = {}) {
      const { logger, ...rest } = sinkOptions;
      const deps: SinkDeps = { logger: logger ?? silentLogger(), env, baseDir: process.cwd() };
      return createBlobSink(config(overrides), deps, { retry: FAST_RETRY, ...rest });
    },
    container: (name = "export") => service.getContainerClient(name),
    stop: () => azurite.stop(),
  };
}
