import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createServer } from "node:net";
import { inspect } from "node:util";
import { pino } from "pino";
import { AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, generateAccountSASQueryParameters, StorageSharedKeyCredential } from "@azure/storage-blob";
import { startBlobFixture, FAST_RETRY, type BlobFixture } from "../../../test/support/blob-fixture.ts";
import { blobSinkSchema } from "../../config/sinks.ts";
import { createBlobSink } from "./index.ts";
import type { Destination, SinkDeps, StateKey } from "../sink.ts";
import { MonitorliftError } from "../../errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { RowBatch } from "../../row-batch.ts";

const OTHER_KEY = Buffer.alloc(64, 7).toString("base64");

function captureLogs(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: "trace" }, stream), text: () => lines.join("") };
}

/** Everything an error can show: message, hint, causes, util.inspect and JSON. */
function errorText(err: unknown): string {
  const parts = [inspect(err, { depth: 10, showHidden: false }), JSON.stringify(err)];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message, String((e as MonitorliftError).hint ?? ""), e.stack ?? "");
  return parts.join("\n");
}

async function failure(promise: Promise<unknown>): Promise<MonitorliftError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MonitorliftError, `expected a MonitorliftError, got ${inspect(err)}`);
    return err;
  }
  assert.fail("expected a failure");
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("blob sink secrets", { timeout: 60_000 }, () => {
  let fx: BlobFixture;
  before(async () => {
    fx = await startBlobFixture();
  });
  after(async () => {
    await fx?.stop();
  });

  function sinkWith(env: Record<string, string>, overrides: Record<string, unknown>, logger: Logger): Destination {
    const config = blobSinkSchema.parse({ type: "blob", container: "export", ...overrides });
    const deps: SinkDeps = { logger, env, baseDir: process.cwd() };
    return createBlobSink(config, deps, { retry: FAST_RETRY, leaseRenewIntervalMs: 200 });
  }

  test("a connection string and its key never appear in the description, errors or logs", async () => {
    const { logger, text } = captureLogs();
    const secrets = [fx.azurite.connectionString, fx.azurite.accountKey];
    const key: StateKey = { query: "Requests", scope: "live" };
    const errors: unknown[] = [];
    const env = fx.env;

    const sink = sinkWith(env, { prefix: "s/", auth: { method: "connectionString" } }, logger);
    assert.equal(sink.sink.description, `blob ${fx.azurite.accountUrl}/export/s/`);
    // Ordinary work, logged at trace level.
    const lock = await sink.locks.acquire(key);
    const w = await sink.sink.openWindow({ key, window: { start: 0, end: 60_000 }, columns: [{ name: "a", type: "long" }], signal: lock.signal });
    await w.write(RowBatch.of([["1"]]));
    const next = { watermark: 60_000, origin: 0, rows: 1, windows: 1, updatedAt: new Date().toISOString() };
    await w.commit(next, undefined);
    await sink.runs.record({ runId: "r", command: "export", startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), queries: {} });
    // Failures of every kind.
    errors.push(await failure(sinkWith(env, { prefix: "s/", auth: { method: "connectionString" } }, logger).locks.acquire(key)));
    await fx.container().getBlockBlobClient("s/_locks/Requests/live.lock").getBlobLeaseClient().breakLease(0);
    await new Promise<void>((resolve) => lock.signal.addEventListener("abort", () => resolve()));
    errors.push(lock.signal.reason);
    errors.push(await failure((async () => {
      const again = await sink.sink.openWindow({ key, window: { start: 0, end: 60_000 }, columns: [{ name: "a", type: "long" }], signal: new AbortController().signal });
      await again.commit({ ...next, updatedAt: new Date(Date.now() + 1).toISOString() }, undefined);
    })()));
    errors.push(await failure(sinkWith(env, { container: "absent", auth: { method: "connectionString" } }, logger).sink.probe()));
    const port = await closedPort();
    const down = { AZURE_STORAGE_CONNECTION_STRING: fx.azurite.connectionString.replace(`:${fx.azurite.port}/`, `:${port}/`) };
    const unavailable = await failure(sinkWith(down, { auth: { method: "connectionString" } }, logger).cursors.read(key));
    assert.equal(unavailable.code, "SINK_UNAVAILABLE");
    assert.equal(unavailable.retryable, true);
    errors.push(unavailable);

    const codes = errors.map((e) => (e as MonitorliftError).code);
    assert.deepEqual(codes, ["LOCK_HELD", "LOCK_LOST", "STATE_CONFLICT", "SINK_WRITE", "SINK_UNAVAILABLE"]);
    const logs = text();
    assert.ok(logs.length > 0, "something was logged");
    for (const secret of secrets) {
      assert.equal(logs.includes(secret), false, "a secret appears in the logs");
      for (const err of errors) assert.equal(errorText(err).includes(secret), false, `a secret appears in ${(err as MonitorliftError).code}`);
    }
  });

  test("a rejected key gives a credential hint without quoting the key", async () => {
    const { logger, text } = captureLogs();
    const env = { AZURE_STORAGE_CONNECTION_STRING: fx.azurite.connectionString.replace(fx.azurite.accountKey, OTHER_KEY) };
    const err = await failure(sinkWith(env, { auth: { method: "connectionString" } }, logger).cursors.read({ query: "Q", scope: "live" }));
    assert.equal(err.code, "SINK_WRITE");
    assert.equal(err.retryable, false);
    assert.match(err.message, /HTTP 403/);
    assert.match(err.hint ?? "", /account key, connection string or SAS token/);
    assert.equal(errorText(err).includes(OTHER_KEY), false);
    assert.equal(text().includes(OTHER_KEY), false);
  });

  test("a SAS token stays out of the description and errors; missing permissions get the role hint", async () => {
    const { logger, text } = captureLogs();
    const readOnly = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3_600_000),
        permissions: AccountSASPermissions.parse("rl"),
        resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
        services: AccountSASServices.parse("b").toString(),
      },
      new StorageSharedKeyCredential(fx.azurite.accountName, fx.azurite.accountKey),
    ).toString();
    const signature = new URLSearchParams(readOnly).get("sig")!;
    const sink = sinkWith({ AZURE_STORAGE_SAS_TOKEN: `?${readOnly}` }, { accountUrl: fx.azurite.accountUrl, auth: { method: "sas" } }, logger);
    assert.equal(sink.sink.description, `blob ${fx.azurite.accountUrl}/export/`);
    assert.equal(await sink.cursors.read({ query: "Q", scope: "live" }), undefined, "reading works with the SAS");
    const err = await failure(sink.sink.probe());
    assert.equal(err.code, "SINK_WRITE");
    assert.match(err.message, /HTTP 403/);
    assert.match(err.hint ?? "", /Storage Blob Data Contributor/);
    for (const secret of [readOnly, signature, encodeURIComponent(signature)]) {
      assert.equal(errorText(err).includes(secret), false);
      assert.equal(text().includes(secret), false);
    }
  });

  test("a missing or invalid secret variable is a configuration error naming the variable, not its value", () => {
    const logger = pino({ level: "silent" });
    assert.throws(
      () => sinkWith({}, { auth: { method: "connectionString", env: "MY_STORAGE" } }, logger),
      (err: unknown) => err instanceof MonitorliftError && err.code === "CONFIG_INVALID" && /MY_STORAGE/.test(err.message),
    );
    assert.throws(
      () => sinkWith({}, { accountUrl: fx.azurite.accountUrl, auth: { method: "sas" } }, logger),
      (err: unknown) => err instanceof MonitorliftError && err.code === "CONFIG_INVALID" && /AZURE_STORAGE_SAS_TOKEN/.test(err.message),
    );
    const bogus = "AccountName=x;AccountKey=c2VjcmV0LXNlY3JldA==;nonsense";
    assert.throws(
      () => sinkWith({ AZURE_STORAGE_CONNECTION_STRING: bogus }, { auth: { method: "connectionString" } }, logger),
      (err: unknown) => err instanceof MonitorliftError && err.code === "CONFIG_INVALID" && !errorText(err).includes("c2VjcmV0LXNlY3JldA=="),
    );
    assert.throws(
      () => sinkWith({}, { auth: { method: "default" } }, logger),
      (err: unknown) => err instanceof MonitorliftError && err.code === "CONFIG_INVALID" && /accountUrl/.test(err.message),
    );
  });
});
