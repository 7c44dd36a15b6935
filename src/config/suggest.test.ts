import { test } from "node:test";
import assert from "node:assert/strict";
import { closestMatch, editDistance } from "./suggest.ts";

test("editDistance counts a swap of neighbours as one edit", () => {
  assert.equal(editDistance("tabel", "table"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("same", "same"), 0);
});

test("closestMatch: slips, case, truncation — and nothing for unrelated words", () => {
  const keys = ["name", "table", "transform", "file", "window", "enabled", "description"];
  assert.equal(closestMatch("tabel", keys), "table");
  assert.equal(closestMatch("Table", keys), "table");
  assert.equal(closestMatch("transfrom", keys), "transform");
  assert.equal(closestMatch("windows", keys), "window");
  assert.equal(closestMatch("desc", keys), "description");
  assert.equal(closestMatch("query", keys), undefined);
  assert.equal(closestMatch("xyz", keys), undefined);
});
