import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blobSinkConfig, blobSinkSchema } from "./config.ts";

const blob = (o: Record<string, unknown>) => blobSinkSchema.parse({ type: "blob", container: "logs", ...o });
const ctx = { path: "sink", substituted: () => false };

describe("blob sink config", () => {
  it("normalises accountUrl without a trailing slash", () => {
    assert.equal(blobSinkConfig.normalise(blob({ accountUrl: "https://acct.blob.core.windows.net/" }), { baseDir: "/" }).accountUrl, "https://acct.blob.core.windows.net");
    assert.equal(blobSinkConfig.normalise(blob({ auth: { method: "connectionString" } }), { baseDir: "/" }).accountUrl, undefined);
  });

  it("accountUrl: required unless the auth is a connection string; no credentials in it", () => {
    assert.deepEqual(blobSinkConfig.check(blob({ auth: { method: "sas" } }), ctx).errors, [
      `sink.accountUrl: is required with auth method "sas" (e.g. https://<account>.blob.core.windows.net)`,
    ]);
    assert.deepEqual(blobSinkConfig.check(blob({ auth: { method: "connectionString" } }), ctx).errors, []);
    assert.match(blobSinkConfig.check(blob({ accountUrl: "https://u:p@acct.blob.core.windows.net" }), ctx).errors[0]!, /^sink\.accountUrl: must not contain a user name or password/);
  });

  it("compressionLevel: the shared rule, alongside the blob sink's own", () => {
    assert.deepEqual(blobSinkConfig.check(blob({ auth: { method: "connectionString" }, compression: "zstd", compressionLevel: 1 }), ctx).errors, []);
    assert.deepEqual(blobSinkConfig.check(blob({ auth: { method: "sas" }, compressionLevel: 12 }), ctx).errors, [
      "sink.compressionLevel: gzip takes a level from 1 to 9 (default 6), got 12",
      `sink.accountUrl: is required with auth method "sas" (e.g. https://<account>.blob.core.windows.net)`,
    ]);
  });
});
