import { test } from "node:test";
import assert from "node:assert/strict";
import { redactSubstituted, substituteEnv } from "./env.ts";

test("substitution in nested string values, with defaults and escapes", () => {
  const input = { a: "${env:A}", b: ["x-${env:B:-dflt}-y", 3, true, null], c: { d: "$${env:A}", e: "${env:EMPTY:-fallback}", f: "${env:EMPTY}" } };
  const r = substituteEnv(input, { A: "alpha", EMPTY: "" });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.value, { a: "alpha", b: ["x-dflt-y", 3, true, null], c: { d: "${env:A}", e: "fallback", f: "" } });
  // only values from the environment are recorded (defaults are in the file anyway)
  assert.deepEqual([...r.substituted.entries()], [["a", ["alpha"]], ["c.f", [""]]]);
});

test("unset variables and malformed references are errors naming the key path", () => {
  const r = substituteEnv({ queries: [{ name: "${env:NOPE}" }], x: "${env:bad name}" }, {});
  assert.deepEqual(r.errors, [
    "queries[0].name: environment variable NOPE is not set (referenced as ${env:NOPE}) — set it, or give a default with ${env:NOPE:-default}",
    `x: malformed reference \${env:bad name} — write \${env:NAME} or \${env:NAME:-default} (NAME: letters, digits, "_")`,
  ]);
});

test("other ${…} text is left alone", () => {
  assert.deepEqual(substituteEnv({ a: "${HOME} and ${other:x}" }, { HOME: "/root" }).value, { a: "${HOME} and ${other:x}" });
});

test("redaction hides environment values in messages about their key only", () => {
  const subs = new Map([["sink.url", ["postgres://u:pw@host/db"]], ["window.size", ["PT5"]]]);
  assert.equal(redactSubstituted(`sink.url: "postgres://u:pw@host/db" is bad`, subs), "sink.url: (a value from the environment) is bad");
  assert.equal(redactSubstituted(`window.size: "PT5" is not an ISO 8601 duration`, subs), "window.size: (a value from the environment) is not an ISO 8601 duration");
  assert.equal(redactSubstituted(`window.lag: "PT5" is fine`, subs), `window.lag: "PT5" is fine`);
  assert.equal(redactSubstituted(`sink: postgres://u:pw@host/db`, subs), "sink: (a value from the environment)");
});
