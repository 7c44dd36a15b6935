import { test } from "node:test";
import assert from "node:assert/strict";
import { createHttpHeaders, RestError } from "@azure/core-rest-pipeline";
import { createRedactor, toSinkError } from "./blob-errors.ts";
import { AbortedError, SinkError } from "../../errors.ts";

const ctx = { action: "Writing x", container: "http://127.0.0.1:1/acct/c", redact: createRedactor(["s3cr3t-value-123"]) };

function restError(status: number | undefined, code: string | undefined, headers: Record<string, string> = {}): RestError {
  return new RestError(`failed with s3cr3t-value-123 and sig=abcdef&x=1`, {
    ...(status === undefined ? {} : { statusCode: status }),
    ...(code === undefined ? {} : { code }),
    ...(status === undefined
      ? {}
      : { response: { status, headers: createHttpHeaders(headers), request: undefined as never } }),
  });
}

test("server errors and network failures are retryable SINK_UNAVAILABLE", () => {
  for (const status of [500, 503, 504]) {
    const err = toSinkError(restError(status, "ServerBusy", { "retry-after": "3" }), ctx);
    assert.equal(err.code, "SINK_UNAVAILABLE");
    assert.equal(err.retryable, true);
    assert.equal(err.retryAfterMs, 3000);
  }
  for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "REQUEST_SEND_ERROR"]) {
    const err = toSinkError(restError(undefined, code), ctx);
    assert.equal(err.code, "SINK_UNAVAILABLE", code);
    assert.equal(err.retryable, true);
  }
});

test("403 is permanent with the role hint; a rejected credential gets the credential hint", () => {
  const denied = toSinkError(restError(403, "AuthorizationPermissionMismatch"), ctx);
  assert.equal(denied.code, "SINK_WRITE");
  assert.equal(denied.retryable, false);
  assert.match(denied.hint ?? "", /"Storage Blob Data Contributor" on the container/);
  const badKey = toSinkError(restError(403, "AuthenticationFailed"), ctx);
  assert.match(badKey.hint ?? "", /account key, connection string or SAS token/);
});

test("a missing container says how to fix it; other errors are permanent SINK_WRITE", () => {
  const missing = toSinkError(restError(404, "ContainerNotFound"), ctx);
  assert.equal(missing.code, "SINK_WRITE");
  assert.match(missing.message, /container http:\/\/127\.0\.0\.1:1\/acct\/c does not exist/);
  assert.match(missing.hint ?? "", /createContainer: true/);
  const other = toSinkError(restError(400, "InvalidBlockList"), ctx);
  assert.equal(other.code, "SINK_WRITE");
  assert.equal(other.retryable, false);
});

test("secrets are scrubbed from messages and causes", () => {
  for (const err of [toSinkError(restError(400, "X"), ctx), toSinkError(restError(undefined, "ECONNRESET"), ctx)]) {
    const text = `${err.message}\n${(err.cause as Error).message}\n${(err.cause as Error).stack}`;
    assert.equal(text.includes("s3cr3t-value-123"), false, text);
    assert.equal(text.includes("abcdef"), false, text);
  }
  const redact = createRedactor([]);
  assert.equal(
    redact("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc+/=;EndpointSuffix=x"),
    "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];EndpointSuffix=x",
  );
});

test("an aborted signal's reason wins over the SDK's AbortError", () => {
  const controller = new AbortController();
  const reason = new SinkError("LOCK_LOST", "lease lost");
  controller.abort(reason);
  const abortError = Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
  assert.equal(toSinkError(abortError, { ...ctx, signal: controller.signal }), reason);
  assert.ok(toSinkError(abortError, ctx) instanceof AbortedError);
});
