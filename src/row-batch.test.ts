import { test } from "node:test";
import assert from "node:assert/strict";
import { RowBatch } from "./row-batch.ts";

test("of() and rows give back the same cells, ASCII or not; cellBytes counts UTF-8 bytes", () => {
  const ascii = [['"a"', "1"], ["null", '"b \\"q\\""']];
  const mixed = [['"é"', "2"], ['"🚀 李"', "null"], ['"x"', "3"]];
  for (const rows of [ascii, mixed]) {
    const batch = RowBatch.of(rows);
    assert.equal(batch.length, rows.length);
    assert.equal(batch.width, 2);
    assert.deepEqual(batch.rows, rows);
    assert.equal(batch.rows, batch.rows, "made once");
    assert.equal(batch.cellBytes(), rows.flat().reduce((n, c) => n + Buffer.byteLength(c), 0));
  }
  assert.deepEqual(RowBatch.of([]).rows, []);
});

test("cells are read where the bounds say, whatever lies between them", () => {
  const bytes = Buffer.from('[["x",1],\n ["é" , null]]', "utf8");
  const at = (s: string, from = 0) => bytes.indexOf(Buffer.from(s, "utf8"), from);
  const e = at('"é"');
  const bounds = Uint32Array.from([at('"x"'), at('"x"') + 3, at("1"), at("1") + 1, e, e + 4, at("null"), at("null") + 4]);
  assert.deepEqual(new RowBatch(bytes, bounds, 2, 2).rows, [['"x"', "1"], ['"é"', "null"]]);
});

test("rows of different widths, or too few bounds, are refused", () => {
  assert.throws(() => RowBatch.of([["1"], ["1", "2"]]), (e: any) => e.code === "INTERNAL");
  assert.throws(() => new RowBatch(Buffer.alloc(0), new Uint32Array(2), 2, 1), (e: any) => e.code === "INTERNAL");
});
