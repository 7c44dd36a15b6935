import { test } from "node:test";
import assert from "node:assert/strict";
import { ResultParser } from "./result-parser.ts";

const body =
  '{"tables":[{"name":"PrimaryResult","columns":[{"name":"t","type":"datetime"},{"name":"n","type":"long"},' +
  '{"name":"s","type":"string"},{"name":"d","type":"dynamic"},{"name":"b","type":"bool"}],"rows":[' +
  '["2026-11-22T03:00:00.1234567Z",9007199254740993,"a \\"quoted\\" \\\\ back\\\\","{\\"k\\":[1,2]}",true],' +
  ' [null, -9223372036854775808 ,"héllo 🎉 , ] [",null,false],' +
  '["2026-01-01T00:00:00Z",0,"\\\\",[1,{"x":"]"}],null]' +
  ']}],"error":{"code":"PartialError","message":"m","details":[{"code":"EngineError","message":"limit"}]},"statistics":{"query":{"executionTime":0.1}}}';

const expectedRows = [
  ['"2026-11-22T03:00:00.1234567Z"', "9007199254740993", '"a \\"quoted\\" \\\\ back\\\\"', '"{\\"k\\":[1,2]}"', "true"],
  ["null", "-9223372036854775808", '"héllo 🎉 , ] ["', "null", "false"],
  ['"2026-01-01T00:00:00Z"', "0", '"\\\\"', '[1,{"x":"]"}]', "null"],
];

/** Feeds the body's UTF-8 bytes in pieces of the given sizes (which may cut a character in two). */
function parseInChunks(body: string, sizes: () => number) {
  const text = Buffer.from(body, "utf8");
  const p = new ResultParser();
  const rows = [];
  for (let i = 0; i < text.length; ) {
    const n = Math.max(1, sizes());
    rows.push(...(p.push(text.subarray(i, i + n))?.rows ?? []));
    i += n;
  }
  return { rows, tail: p.end(), columns: p.columns, count: p.rows };
}

test("rows come out as exact raw cells whatever the chunking", () => {
  for (const size of [1, 2, 3, 5, 7, 13, 64, 100_000]) {
    const r = parseInChunks(body, () => size);
    assert.deepEqual(r.rows, expectedRows, `chunk size ${size}`);
    assert.equal(r.count, 3);
    assert.deepEqual(r.columns?.map((c) => c.type), ["datetime", "long", "string", "dynamic", "bool"]);
    assert.equal(r.tail.error?.code, "PartialError");
    assert.deepEqual(r.tail.statistics, { query: { executionTime: 0.1 } });
    assert.equal(r.tail.tableCount, 1);
  }
  let seed = 7;
  for (let k = 0; k < 200; k++) {
    const r = parseInChunks(body, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % 40);
    });
    assert.deepEqual(r.rows, expectedRows);
  }
});

test("a body without rows, an empty table and further tables", () => {
  const empty = parseInChunks('{"tables":[{"name":"PrimaryResult","columns":[{"name":"a","type":"int"}],"rows":[]}]}', () => 4);
  assert.deepEqual(empty.rows, []);
  assert.deepEqual(empty.columns, [{ name: "a", type: "int" }]);
  assert.equal(empty.tail.error, undefined);

  const two = parseInChunks(
    '{"tables":[{"name":"PrimaryResult","columns":[{"name":"a","type":"int"}],"rows":[[1],[2]]},{"name":"x","columns":[{"name":"rows","type":"int"}],"rows":[[3]]}]}',
    () => 3,
  );
  assert.deepEqual(two.rows, [["1"], ["2"]]);
  assert.equal(two.tail.tableCount, 2);

  const errOnly = parseInChunks('{"error":{"code":"BadArgumentError","message":"bad"}}', () => 5);
  assert.deepEqual(errOnly.rows, []);
  assert.equal(errOnly.tail.error?.code, "BadArgumentError");
  assert.equal(errOnly.columns, undefined);
});

test("key order inside the table and noise before it", () => {
  const r = parseInChunks(
    '{ "statistics" : {"a":[1,{"rows":[9]}]}, "tables" : [ { "columns" : [ {"name":"rows","type":"string"} ] , "name" : "P", "rows" : [ ["x"] ] } ] }',
    () => 2,
  );
  assert.deepEqual(r.rows, [['"x"']]);
  assert.deepEqual(r.tail.statistics, { a: [1, { rows: [9] }] });
});

test("a body cut inside the rows is a retryable protocol error", () => {
  const p = new ResultParser();
  p.push(body.slice(0, 300));
  assert.throws(() => p.end(), (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === true);
});

test("invalid JSON in the tail is a protocol error", () => {
  const p = new ResultParser();
  p.push('{"tables":[{"name":"P","columns":[],"rows":[]}],"error":{');
  assert.throws(() => p.end(), (e: any) => e.code === "SOURCE_PROTOCOL");
});

test("every row has exactly one cell per column: checked once, here", () => {
  const p = new ResultParser();
  const head = '{"tables":[{"name":"P","columns":[{"name":"a","type":"int"},{"name":"b","type":"string"}],"rows":[';
  assert.deepEqual(p.push(head + '[1,"x"],')?.rows, [["1", '"x"']]);
  assert.throws(() => p.push('[2,"y",3]]}]}'), (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === false && /row 2 has 3 cells but the result has 2 columns/.test(e.message));
  assert.throws(() => new ResultParser().push(head + "[1]]}]}"), (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === false);
});

test("a body that ended part-way is retryable; a whole body that is not the result format is not", () => {
  const ended = (text: string) => {
    const p = new ResultParser();
    p.push(text);
    return () => p.end();
  };
  const cut = (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === true && /cut off/.test(e.message);
  const unreadable = (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === false && /Could not read/.test(e.message);
  assert.throws(ended(""), cut);
  assert.throws(ended('{"tables":[{"name":"P","colu'), cut);
  assert.throws(ended('{"tables":[{"name":"P","columns":[],"rows":[]}],"statistics":{"q":'), cut);
  assert.throws(ended('{"tables":[{"name":"P","columns":[],"rows":[]}],"error":{'), cut);
  assert.throws(ended("<html>Bad gateway</html>"), unreadable);
  assert.throws(ended('{"tables": nope}'), unreadable);
  assert.throws(ended('{"tables":[{"name":"P","columns":[],"rows":[]}],"statistics":{"q":nope}}'), unreadable);
  assert.throws(() => new ResultParser().push('{"tables":[{"name":"P","columns":[{"name":"a","type":"nosuchtype"}],"rows":[]}]}'), unreadable);
  assert.throws(() => new ResultParser().push('{"tables":[{"name":"P","columns":[{"name":"a","type":"int"}],"rows":[x]}]}'), unreadable);
});

test("bytes that are not UTF-8 are unreadable wherever they are; a body cut inside a character is cut", () => {
  const head = '{"tables":[{"name":"P","columns":[{"name":"a","type":"string"}],"rows":[';
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));
  const unreadable = (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === false && /not valid UTF-8/.test(e.message);
  const cut = (e: any) => e.code === "SOURCE_PROTOCOL" && e.retryable === true && /part-way through a character/.test(e.message);
  // In a cell (a lone continuation byte), in the head, and in the tail.
  assert.throws(() => new ResultParser().push(bytes(head, '["a', [0x80], 'b"]]}]}')), unreadable);
  assert.throws(() => new ResultParser().push(bytes('{"tables":[{"name":"P', [0xff], '","columns":[{"name":"a","type":"string"}],"rows":[["x"]]}]}')), unreadable);
  const tail = new ResultParser();
  tail.push(bytes(head, '["x"]]}],"statistics":{"q":"', [0xc3, 0x28], '"}}'));
  assert.throws(() => tail.end(), unreadable);
  // A two-byte character split over two pushes is fine; the body ending after its first byte is cut.
  const split = new ResultParser();
  const body = bytes(head, '["é"]]}],"statistics":{"q":"é"}}');
  const at = body.indexOf(0xc3);
  assert.equal(split.push(body.subarray(0, at + 1)), undefined);
  assert.deepEqual(split.push(body.subarray(at + 1))?.rows, [['"é"']]);
  split.end();
  const ended = new ResultParser();
  ended.push(body.subarray(0, body.lastIndexOf(0xc3) + 1));
  assert.throws(() => ended.end(), cut);
});

test("a batch's bytes are reused by the next push: reading them later fails loudly, rows read in time stay", () => {
  const p = new ResultParser();
  const first = p.push('{"tables":[{"name":"P","columns":[{"name":"a","type":"string"}],"rows":[["x"],["y"],')!;
  const rows = first.rows;
  const second = p.push('["z"]]}]}')!;
  assert.deepEqual(second.rows, [['"z"']]);
  assert.deepEqual(rows, [['"x"'], ['"y"']]);
  assert.throws(() => first.bytes, (e: any) => e.code === "INTERNAL" && /read after the next batch/.test(e.message));
  p.end();
});
