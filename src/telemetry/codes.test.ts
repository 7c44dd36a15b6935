import assert from "node:assert/strict";
import { test } from "node:test";
import { AbortedError, MonitorliftError, SinkError, SourceError } from "../errors.ts";
import { serviceErrorFromBody } from "../source/service-error.ts";
import { fsError } from "../sinks/filesystem/fs-errors.ts";
import { DROP_CODES, DROP_CODES_NEEDING_A_HUMAN, RETRY_CODES, dropCodeOf, retryCodeOf } from "./codes.ts";

const errno = (code: string) => Object.assign(new Error(code), { code });

test("retry codes: the HTTP status of the query API's answer", () => {
  assert.equal(retryCodeOf(serviceErrorFromBody(429, "{}")), "429");
  assert.equal(retryCodeOf(serviceErrorFromBody(500, "{}")), "500");
  assert.equal(retryCodeOf(serviceErrorFromBody(503, "{}")), "503");
  assert.equal(retryCodeOf(serviceErrorFromBody(502, "{}")), "503");
  assert.equal(retryCodeOf(serviceErrorFromBody(504, "{}")), "504");
  assert.equal(retryCodeOf(serviceErrorFromBody(408, "{}")), "timeout");
  assert.equal(retryCodeOf(new SourceError("SOURCE_THROTTLED", "slow down")), "429");
});

test("retry codes: timeouts, resets, cut bodies and an unavailable sink", () => {
  assert.equal(retryCodeOf(new SourceError("SOURCE_TIMEOUT", "stalled", { retryable: true })), "timeout");
  assert.equal(retryCodeOf(new SourceError("SOURCE_CONNECTION", "reset", { cause: errno("ECONNRESET"), retryable: true })), "connection_reset");
  assert.equal(retryCodeOf(new SourceError("SOURCE_PROTOCOL", "cut", { retryable: true })), "body_cut");
  assert.equal(retryCodeOf(new SinkError("SINK_UNAVAILABLE", "503", { retryable: true })), "sink_unavailable");
  assert.equal(retryCodeOf(fsError(errno("EIO"), "write", "/x")), "sink_unavailable");
  assert.equal(retryCodeOf(errno("ETIMEDOUT")), "timeout");
  assert.equal(retryCodeOf(errno("EPIPE")), "connection_reset");
  assert.equal(retryCodeOf(new Error("what")), "other");
});

test("drop codes: the non-retryable HTTP status of the query API", () => {
  assert.equal(dropCodeOf(serviceErrorFromBody(400, "{}")), "400");
  assert.equal(dropCodeOf(serviceErrorFromBody(401, "{}")), "401");
  assert.equal(dropCodeOf(serviceErrorFromBody(403, "{}")), "403");
  assert.equal(dropCodeOf(serviceErrorFromBody(404, "{}")), "404");
  assert.equal(dropCodeOf(new SourceError("SOURCE_AUTH", "no token")), "403");
  assert.equal(dropCodeOf(new SourceError("SOURCE_REQUEST_INVALID", "bad kql")), "400");
  // no token at all: unauthenticated, whatever status the token endpoint answered (its 400 is in the cause)
  assert.equal(dropCodeOf(new SourceError("SOURCE_CREDENTIAL", "no token", { cause: Object.assign(new Error("invalid_client"), { statusCode: 400 }) })), "401");
  // a token service down or unreachable: retried as a 503, dropped as retries exhausted (not as unauthenticated)
  assert.equal(retryCodeOf(new SourceError("SOURCE_TOKEN_UNAVAILABLE", "no token now")), "503");
  assert.equal(dropCodeOf(new SourceError("SOURCE_TOKEN_UNAVAILABLE", "no token now")), "retries_exhausted");
});

test("drop codes: truncation, locks, shutdown", () => {
  assert.equal(dropCodeOf(new MonitorliftError("WINDOW_UNSPLITTABLE", "one second holds too much")), "unsplittable_truncation");
  assert.equal(dropCodeOf(new SourceError("SOURCE_TRUNCATED", "limit")), "unsplittable_truncation");
  assert.equal(dropCodeOf(new SinkError("LOCK_HELD", "busy")), "lock_held");
  assert.equal(dropCodeOf(new SinkError("LOCK_LOST", "gone", { retryable: true })), "lock_lost");
  assert.equal(dropCodeOf(new MonitorliftError("STATE_CONFLICT", "moved")), "lock_lost");
  assert.equal(dropCodeOf(new AbortedError()), "shutdown");
  assert.equal(dropCodeOf(serviceErrorFromBody(503, "{}"), { shuttingDown: true }), "shutdown");
});

test("drop codes: the sink's store read-only, full, or failing", () => {
  assert.equal(dropCodeOf(fsError(errno("EROFS"), "write", "/x")), "sink_readonly");
  assert.equal(dropCodeOf(fsError(errno("EACCES"), "write", "/x")), "sink_readonly");
  assert.equal(dropCodeOf(fsError(errno("ENOSPC"), "write", "/x")), "sink_capacity");
  assert.equal(dropCodeOf(fsError(errno("EDQUOT"), "write", "/x")), "sink_capacity");
  const quota = Object.assign(new Error("quota"), { code: "AccountQuotaExceeded", statusCode: 403 });
  assert.equal(dropCodeOf(new SinkError("SINK_WRITE", "full", { cause: quota })), "sink_capacity");
  const refused = Object.assign(new Error("refused"), { statusCode: 403 });
  assert.equal(dropCodeOf(new SinkError("SINK_WRITE", "refused", { cause: refused })), "sink_readonly");
  assert.equal(dropCodeOf(new SinkError("SINK_SCHEMA", "column type changed")), "sink_exception");
  assert.equal(dropCodeOf(new SinkError("SINK_WRITE", "odd")), "sink_exception");
});

test("drop codes: a transient error whose retries ran out clears by itself; anything unnamed is other", () => {
  assert.equal(dropCodeOf(serviceErrorFromBody(503, "{}")), "retries_exhausted");
  assert.equal(dropCodeOf(new SinkError("SINK_UNAVAILABLE", "down", { retryable: true })), "retries_exhausted");
  assert.equal(dropCodeOf(new MonitorliftError("INTERNAL", "bug")), "other");
  assert.equal(dropCodeOf("a string"), "other");
  assert.ok(!DROP_CODES_NEEDING_A_HUMAN.has("retries_exhausted"));
  assert.ok(DROP_CODES_NEEDING_A_HUMAN.has("sink_capacity"));
});

test("every code the functions return is in the closed, documented sets", () => {
  const samples: unknown[] = [
    ...[400, 401, 403, 404, 408, 429, 500, 502, 503, 504].map((s) => serviceErrorFromBody(s, "{}")),
    ...["ENOSPC", "EROFS", "EIO", "ECONNRESET", "ETIMEDOUT", "EXYZ"].map((c) => fsError(errno(c), "write", "/x")),
    new AbortedError(),
    new Error("plain"),
    undefined,
    null,
  ];
  for (const s of samples) {
    assert.ok((RETRY_CODES as readonly string[]).includes(retryCodeOf(s)));
    assert.ok((DROP_CODES as readonly string[]).includes(dropCodeOf(s)));
  }
});
