import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJson } from "./json.ts";

function error(text: string): string {
  const r = parseJson(text, "c.json");
  assert.equal(r.ok, false, text);
  return r.ok ? "" : r.error;
}

test("valid JSON parses like JSON.parse, BOM allowed", () => {
  const text = `\ufeff{"a": [1, -2.5e3, "x\\u00e9\\n", true, null, {}], "b": {"__proto__": 1}}`;
  const r = parseJson(text, "c.json");
  assert.ok(r.ok);
  assert.deepEqual(r.value, JSON.parse(text.slice(1)));
  assert.deepEqual(Object.keys((r.value as { b: object }).b), ["__proto__"]);
});

test("syntax errors name line and column and say what is wrong", () => {
  assert.equal(error(`{\n  "a": 1,\n}`), "c.json:3:1: trailing comma before } — remove the last comma");
  assert.equal(error(`{\n  "a": 1\n  "b": 2\n}`), `c.json:3:3: expected "," or "}" after the value of "a" but found "\\"" — is a comma missing?`);
  assert.equal(error(`{\n  /* note\n  "a": 1\n}`), "c.json:2:3: unterminated comment — a closing */ is missing");
  assert.equal(error(`{\n  / "a": 1\n}`), `c.json:2:3: expected a "quoted" key but found "/"`);
  assert.equal(error(`{'a': 1}`), `c.json:1:2: keys must use double quotes ("), not single quotes`);
  assert.equal(error(`{"a": "x`), `c.json:1:7: unterminated string — a closing " is missing`);
  assert.equal(error(`{"a": tru}`), `c.json:1:7: expected a value but found "t"`);
  assert.equal(error(``), "c.json:1:1: the file is empty — it must hold one JSON object");
  assert.equal(error(`{} x`), `c.json:1:4: unexpected "x" after the end of the JSON value`);
  assert.equal(error(`{"a": "C:\\path"}`), `c.json:1:10: bad escape \\p in a string — write a backslash as \\\\`);
});

test("comments (JSONC) are skipped wherever whitespace may be, and errors after them point at the line and column as written", () => {
  const text = `// a starter\n{\n  /* the source */ "a": 1, // one\n  "b": "http://x/*y*/" /* inside a string is text */,\n  "c": [1 /* , 2 */, 3]\n}\n// end`;
  const r = parseJson(text, "c.json");
  assert.ok(r.ok);
  assert.deepEqual(r.value, { a: 1, b: "http://x/*y*/", c: [1, 3] });
  assert.equal(error(`// line 1\n{\n  // line 3\n  "a": 1 /* x */\n  "b": 2\n}`), `c.json:5:3: expected "," or "}" after the value of "a" but found "\\"" — is a comma missing?`);
  assert.equal(error(`{"a": 1} // done\n x`), `c.json:2:2: unexpected "x" after the end of the JSON value`);
});

test("duplicate keys are reported with their path", () => {
  const r = parseJson(`{"queries": [{"name": "a", "name": "b"}]}`, "c.json");
  assert.ok(r.ok);
  assert.deepEqual(r.duplicates, ["queries[0].name: appears twice in the same object (again at line 1, column 28) — keep one"]);
});
