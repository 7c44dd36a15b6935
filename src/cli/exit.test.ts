import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CommanderError } from "commander";
import { AbortedError, CATEGORY_BY_CODE, ConfigError, MonitorliftError, SinkError, SourceError, UsageError, type ErrorCode } from "../errors.ts";
import { describeError, EXIT_AUTH, EXIT_CODE_BY_CATEGORY, EXIT_FAILED, EXIT_OK, EXIT_USAGE, exitCodeFor, exitCodeForRun, exitCodeForSignal } from "./exit.ts";
import { SignalStop } from "./signals.ts";

test("exit codes per category: usage and config exit 2, transient and permanent exit 1, auth exits 3", () => {
  assert.deepEqual(EXIT_CODE_BY_CATEGORY, { usage: 2, config: 2, transient: 1, permanent: 1, auth: 3 });
  for (const code of Object.keys(CATEGORY_BY_CODE) as ErrorCode[]) {
    assert.equal(exitCodeFor(new MonitorliftError(code, "x")), EXIT_CODE_BY_CATEGORY[CATEGORY_BY_CODE[code]], code);
  }
});

test("the documented exit codes hold", () => {
  assert.equal(exitCodeFor(new ConfigError("bad config", ["a: b"])), EXIT_USAGE);
  assert.equal(exitCodeFor(new MonitorliftError("CONFIG_NOT_FOUND", "no file")), EXIT_USAGE);
  assert.equal(exitCodeFor(new UsageError("bad flag")), EXIT_USAGE);
  assert.equal(exitCodeFor(new SourceError("SOURCE_INSECURE_ENDPOINT", "http://x")), EXIT_USAGE);
  assert.equal(exitCodeFor(new CommanderError(1, "commander.unknownCommand", "unknown command")), EXIT_USAGE);
  assert.equal(exitCodeFor(new SourceError("SOURCE_AUTH", "403", { status: 403 })), EXIT_AUTH);
  assert.equal(exitCodeFor(new SourceError("SOURCE_AUTH", "403", { status: 403, retryable: false })), EXIT_AUTH, "retryable: false keeps the auth category");
  assert.equal(exitCodeFor(new SourceError("SOURCE_CREDENTIAL", "no token")), EXIT_AUTH);
  assert.equal(exitCodeFor(new SourceError("SOURCE_UNAVAILABLE", "503", { status: 503, retryable: true })), EXIT_FAILED);
  assert.equal(exitCodeFor(new SinkError("LOCK_HELD", "held")), EXIT_FAILED);
  assert.equal(exitCodeFor(new AbortedError("received SIGTERM")), EXIT_FAILED, "a graceful stop that ends in an error is a failed run");
  assert.equal(exitCodeFor(new Error("plain")), EXIT_FAILED);
  assert.equal(exitCodeFor("a string"), EXIT_FAILED);
  assert.equal(exitCodeFor(undefined), EXIT_FAILED);
});

test("a run's exit code: 0 without failures, 3 when any query failed for auth, else 1; a signal's is 128 + its number", () => {
  assert.equal(exitCodeForRun([]), EXIT_OK);
  assert.equal(exitCodeForRun([new SourceError("SOURCE_UNAVAILABLE", "503", { retryable: true })]), EXIT_FAILED);
  assert.equal(exitCodeForRun([new SourceError("SOURCE_UNAVAILABLE", "503", { retryable: true }), new SourceError("SOURCE_CREDENTIAL", "x")]), EXIT_AUTH);
  assert.equal(exitCodeForRun([new Error("plain")]), EXIT_FAILED);
  assert.equal(exitCodeForSignal("SIGTERM"), 143);
  assert.equal(exitCodeForSignal("SIGINT"), 130);
});

test("after a clean stop by a signal: as without it, over the failures that are not the stop's own cancellations", () => {
  const stopped = { stopped: true };
  const cancelled = new AbortedError("the query was stopped by shutdown", { cause: new SignalStop("SIGTERM") });
  assert.equal(exitCodeForRun([], stopped), EXIT_OK);
  assert.equal(exitCodeForRun([cancelled, new SignalStop("SIGINT")], stopped), EXIT_OK, "only cancellations: a clean stop");
  assert.equal(exitCodeForRun([cancelled, new MonitorliftError("ABORTED", "stopped")], stopped), EXIT_OK, "ABORTED by its code, whatever the class");
  assert.equal(exitCodeForRun([cancelled, new SourceError("SOURCE_REQUEST_INVALID", "bad KQL")], stopped), EXIT_FAILED, "a permanent failure found before the stop");
  assert.equal(exitCodeForRun([new SourceError("SOURCE_UNAVAILABLE", "503", { retryable: true }), cancelled], stopped), EXIT_FAILED);
  assert.equal(exitCodeForRun([cancelled, new SourceError("SOURCE_CREDENTIAL", "no token")], stopped), EXIT_AUTH, "an auth failure still exits 3");
  assert.equal(exitCodeForRun([cancelled]), EXIT_FAILED, "without a stop an ABORTED query is a failure (e.g. a deadline)");
});

test("describeError of a configuration error: the file once, each problem once", () => {
  const many = describeError(new ConfigError("Invalid configuration: a.b: bad (and 1 more problem)", ["a.b: bad", "c: worse"], { file: "/etc/m.json", hint: "Fix it." }), false);
  assert.equal(many, "error: /etc/m.json: 2 problems in the configuration:\n  - a.b: bad\n  - c: worse\n  Fix it.");
  const one = describeError(new ConfigError("sql sink: environment variable PG_URL (sink.urlEnv) is not set or empty.", ["sink.urlEnv: PG_URL is not set"], { file: "/etc/m.json" }), false);
  assert.equal(one, "error: /etc/m.json: sql sink: environment variable PG_URL (sink.urlEnv) is not set or empty.");
});

test("a category given at construction decides the exit code, not the code", () => {
  assert.equal(exitCodeFor(new SourceError("SOURCE_NOT_FOUND", "x", { category: "config" })), EXIT_USAGE);
  assert.equal(exitCodeFor(new SinkError("CONFIG_INVALID", "x", { category: "permanent" })), EXIT_FAILED);
});

test("exit.ts maps categories without naming any error code", () => {
  const text = readFileSync(new URL("./exit.ts", import.meta.url), "utf8");
  const named = Object.keys(CATEGORY_BY_CODE).filter((code) => new RegExp(`["'\`]${code}["'\`]|\\.${code}\\b`).test(text));
  assert.deepEqual(named, []);
});

test("describeError: the code, the message and the hint; no stack without --verbose", () => {
  const err = new SinkError("LOCK_HELD", "locked by host-a", { hint: "Wait for it.", cause: new Error("inner") });
  const short = describeError(err, false);
  assert.equal(short, "error [LOCK_HELD]: locked by host-a\n  Wait for it.");
  const long = describeError(err, true);
  assert.match(long, /caused by: Error: inner/);
  assert.match(describeError(new ConfigError("invalid: a.b: bad", ["a.b: bad"], { file: "c.json" }), false), /^error: c\.json: invalid: a\.b: bad$/);
  assert.match(describeError(new Error("boom"), false), /^error: boom\n {2}\(run with --verbose for details\)$/);
});
