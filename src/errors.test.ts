import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  AbortedError,
  CATEGORY_BY_CODE,
  categoryFor,
  ConfigError,
  MonitorliftError,
  SinkError,
  SourceError,
  UsageError,
  type ErrorCategory,
  type ErrorCode,
} from "./errors.ts";
import { serviceErrorFromBody } from "./source/service-error.ts";

const CATEGORIES: readonly ErrorCategory[] = ["usage", "config", "transient", "permanent", "auth"];

/** The members of the `ErrorCode` union, read from the source (the type does not exist at run time). */
function declaredCodes(): string[] {
  const text = readFileSync(new URL("./errors.ts", import.meta.url), "utf8");
  const union = /export type ErrorCode =([\s\S]*?);/.exec(text);
  assert.ok(union, "src/errors.ts declares `export type ErrorCode = … ;`");
  const body = union[1].replace(/\/\/.*$/gm, "");
  return [...body.matchAll(/\|\s*"([A-Z_]+)"/g)].map((m) => m[1]);
}

test("every ErrorCode has exactly one category, and the table names no other code", () => {
  const codes = declaredCodes();
  assert.ok(codes.length >= 20, `read ${codes.length} codes from the union`);
  assert.equal(new Set(codes).size, codes.length, "no code is declared twice");
  const missing = codes.filter((c) => !Object.hasOwn(CATEGORY_BY_CODE, c));
  assert.deepEqual(missing, [], "add a line for each new code to CATEGORY_BY_CODE in src/errors.ts");
  assert.deepEqual(Object.keys(CATEGORY_BY_CODE).sort(), [...codes].sort());
  for (const [code, category] of Object.entries(CATEGORY_BY_CODE)) assert.ok(CATEGORIES.includes(category), `${code}: ${category}`);
});

test("by default the category comes from the code and retryable is true exactly when it is transient", () => {
  for (const code of Object.keys(CATEGORY_BY_CODE) as ErrorCode[]) {
    const err = new MonitorliftError(code, "x");
    assert.equal(err.category, CATEGORY_BY_CODE[code], code);
    assert.equal(err.retryable, err.category === "transient", code);
  }
  assert.equal(new SinkError("SINK_UNAVAILABLE", "x").category, "transient");
  assert.equal(new SourceError("SOURCE_REQUEST_INVALID", "x").category, "permanent");
  assert.equal(new MonitorliftError("SOURCE_INSECURE_ENDPOINT", "x").category, "config");
});

test("an explicit retryable sets the category where the code alone cannot say", () => {
  // a body cut mid-stream is retryable, an unreadable one is not: same code, different category
  const cut = new SourceError("SOURCE_PROTOCOL", "cut", { retryable: true });
  assert.equal(cut.category, "transient");
  assert.equal(cut.retryable, true);
  const unreadable = new SourceError("SOURCE_PROTOCOL", "unreadable");
  assert.equal(unreadable.category, "permanent");
  assert.equal(unreadable.retryable, false);
  // retryable: false turns a transient code permanent, and leaves usage/config/permanent codes as they are
  assert.equal(new SourceError("SOURCE_UNAVAILABLE", "x", { retryable: false }).category, "permanent");
  assert.equal(new MonitorliftError("CONFIG_INVALID", "x", { retryable: false }).category, "config");
  assert.equal(new SinkError("LOCK_HELD", "x", { retryable: false }).category, "permanent");
  assert.equal(categoryFor("SINK_WRITE", true), "transient");
  assert.equal(categoryFor("USAGE"), "usage");
});

test("an explicit category wins; retryable then follows it unless also given", () => {
  const e = new SourceError("SOURCE_NOT_FOUND", "x", { category: "config" });
  assert.equal(e.category, "config");
  assert.equal(e.retryable, false);
  const t = new SinkError("SINK_WRITE", "x", { category: "transient" });
  assert.equal(t.retryable, true);
  const both = new SinkError("SINK_WRITE", "x", { category: "permanent", retryable: true });
  assert.deepEqual([both.category, both.retryable], ["permanent", true]);
});

test("the HTTP status decides the category of a service error", () => {
  const category = (status: number) => serviceErrorFromBody(status, "{}").category;
  assert.equal(category(400), "permanent");
  assert.equal(category(401), "auth");
  assert.equal(category(403), "auth");
  assert.equal(category(404), "permanent");
  assert.equal(category(429), "transient");
  assert.equal(category(500), "transient");
  assert.equal(category(503), "transient");
  assert.equal(category(504), "transient");
  for (const s of [400, 404, 429, 503]) {
    const err = serviceErrorFromBody(s, "{}");
    assert.equal(err.retryable, err.category === "transient", String(s));
  }
});

test("every error class keeps a stable code, name and cause", () => {
  const cause = new Error("root cause");
  const cases: Array<[MonitorliftError, ErrorCode, string, ErrorCategory]> = [
    [new MonitorliftError("INTERNAL", "m", { cause }), "INTERNAL", "MonitorliftError", "permanent"],
    [new ConfigError("m", ["a.b: bad"], { cause, file: "c.json" }), "CONFIG_INVALID", "ConfigError", "config"],
    [new UsageError("m", { cause }), "USAGE", "UsageError", "usage"],
    [new SourceError("SOURCE_THROTTLED", "m", { cause, status: 429, retryAfterMs: 1000 }), "SOURCE_THROTTLED", "SourceError", "transient"],
    [new SinkError("SINK_SCHEMA", "m", { cause }), "SINK_SCHEMA", "SinkError", "permanent"],
    [new AbortedError("m", { cause }), "ABORTED", "AbortedError", "permanent"],
  ];
  for (const [err, code, name, category] of cases) {
    assert.ok(err instanceof Error && err instanceof MonitorliftError, name);
    assert.equal(err.code, code, name);
    assert.equal(err.name, name);
    assert.equal(err.category, category, name);
    assert.equal(err.cause, cause, name);
    assert.equal(err.message, "m", name);
  }
  assert.equal(new AbortedError().retryable, false, "a stop is never retried");
  assert.equal(new UsageError("m").cause, undefined);
  assert.equal(Object.hasOwn(new UsageError("m"), "cause"), false, "no cause property when none was given");
});
