import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { executeKql, KqlError, parseKql } from "./index.ts";
import { NOW, sampleCatalog } from "../../../test/support/kql-catalog.ts";

function failure(query: string, workspaceIds?: readonly string[]): KqlError {
  const { catalog } = sampleCatalog();
  try {
    executeKql(query, workspaceIds === undefined ? { catalog, now: NOW } : { catalog, now: NOW, workspaceIds });
  } catch (err) {
    assert.ok(err instanceof KqlError, `expected a KqlError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected the query to fail: ${query}`);
}

/** [query, the text the message must contain (the culprit)]. */
const SYNTAX_ERRORS: [string, string][] = [
  ["AppRequests | where", "'<end of query>' on line [1,20]"],
  ["AppRequests | wher Name == 'x'", "'wher' on line [1,15]"],
  ["AppRequests | where Name == 'x", "'x"],
  ["AppRequests | take", "<end of query>"],
  ["AppRequests | project a = ", "<end of query>"],
  ["AppRequests | where TimeGenerated > datetime(2026-13-01)", "datetime(2026-13-01)"],
  ["AppRequests | where ItemCount == 5 )", "')' on line [1,36]"],
  ["print 5xyz", "5xyz"],
  ["AppRequests | order Name", "'Name'"],
  ["AppRequests\n| where Name = 'x'", "'=' on line [2,14]"],
  ["AppRequests | where Name has 'x' and", "<end of query>"],
  ["let x = ; AppRequests", "';' on line [1,9]"],
  ["AppRequests | where Name in ('a', 'b'", "<end of query>"],
  ["AppRequests | summarize", "<end of query>"],
  ["AppRequests | project-away", "<end of query>"],
  ["AppRequests # 1", "'#'"],
  ['print dynamic({"a":})', 'dynamic({"a":})'],
  ["AppRequests | where Name == 'a\\qb'", "\\q"],
  ["AppRequests | where ItemCount between (1, 2)", "','"],
  ["print long(abc)", "'abc'"],
  ["AppRequests | sort by Name nulls middle", "'middle'"],
];

/** [query, culprit the message must name]. */
const SEMANTIC_ERRORS: [string, string][] = [
  ["AppRequests | where Nme == 1", "'where' operator: Failed to resolve scalar expression named 'Nme'"],
  ["AppReqs | take 1", "Failed to resolve table or column expression named 'AppReqs'"],
  ["AppRequests | extend x = foo(1)", "Unknown function: 'foo'"],
  ["AppRequests | where Name > 5", "Cannot compare values of types string and long"],
  ["AppRequests | where Name", "predicate must be of type bool"],
  ["AppRequests | distinct Name", "'distinct' operator is not supported"],
  ["AppRequests | join (AppTraces) on _ItemId", "'join' operator is not supported"],
  ["AppRequests | summarize dcount(Name)", "'dcount()' is not supported"],
  ["AppRequests | extend c = count()", "'count()' can only be used in the aggregations of 'summarize'"],
  ["AppRequests | where TimeGenerated > '2026-01-01'", "Cannot compare values of types datetime and string"],
  ["AppRequests | extend x = Name + 1", "'+' cannot be applied to values of types string and long"],
  ["AppRequests | extend x = Name.foo", "property 'foo'"],
  ["AppRequests | project-away Nope", "Failed to resolve column named 'Nope'"],
  ["let x = 5; x | take 1", "'x' is a scalar value, not a table"],
  ["let t = AppRequests; AppRequests | where t == 1", "'t' is a tabular expression"],
  ["AppRequests | take ItemCount", "'take' operator"],
  ["AppRequests | order by Properties", "cannot sort by 'Properties' of type dynamic"],
  ["AppRequests | summarize count() by Properties", "group-by key 'Properties' is of type dynamic"],
  ["AppRequests | extend n = strlen(5)", "strlen(): argument 1 must be of type string or dynamic, but it is of type long"],
  ["AppRequests | extend n = iff(Success, 1, 'a')", "iff(): the two result values must have the same type"],
  ["AppRequests | where TimeGenerated has '2026'", "'has' cannot be applied to a value of type datetime"],
  ["AppRequests | where Name between (1 .. 2)", "'between' cannot be applied to a value of type string"],
  ["AppRequests | where ItemCount in ('a')", "Cannot compare values of types int and string with 'in'"],
  ["set truncationmaxrecords = 10; AppRequests", "'set' statements are not supported"],
  ["let x = 1;", "no tabular expression statement"],
  ["AppRequests; AppTraces", "more than one tabular expression statement"],
  ["AppRequests | where Name has_any ('a', 'b')", "'has_any' operator is not supported"],
  ["AppRequests | extend x = ingestion_time(1)", "ingestion_time(): expects 0 argument(s), but got 1"],
  ["AppRequests | order by Nope asc", "'order' operator: Failed to resolve scalar expression named 'Nope'"],
  ["AppRequests | union Nope", "Failed to resolve table or column expression named 'Nope'"],
  ["union withsource=Name AppRequests, AppTraces", "withsource column 'Name'"],
  ["AppRequests | where Properties between (1 .. 2)", "'between' cannot be applied to a value of type dynamic"],
  ["let f = (x:long) { x }; AppRequests", "user-defined functions are not supported"],
  ["workspace('other').AppRequests", "Failed to resolve workspace 'other'"],
  ["app('nope').AppRequests | count", "Failed to resolve app 'nope'"],
  ["workspace('ws-1').NoTable", "NoTable"],
  ["AppRequests | where Success == 1", "Cannot compare values of types bool and long"],
  ["AppRequests | where OperationId == 'x'", "Cannot compare values of types guid and string"],
  ["AppRequests | project a = 1, a = 2", "duplicate column name 'a'"],
  ["AppRequests | summarize count(), count()", "duplicate column name 'count_'"],
  ["AppRequests | where bin(Name, 1h) > 1", "bin(): cannot round a value of type string"],
  ["AppRequests | where Properties == Properties", "Cannot compare values of types dynamic and dynamic"],
  ["AppRequests | mv-expand Properties", "'mv-expand' operator is not supported"],
  ["AppRequests | where ago(5) > TimeGenerated", "ago(): argument 1 must be of type timespan"],
  ["let x = Name; AppRequests", "let statement 'x': Failed to resolve scalar expression named 'Name'"],
  ["AppRequests | where ItemCount in (AppTraces | project SeverityLevel)", "subquery"],
  ["AppRequests | where -Name == 'x'", "unary '-' cannot be applied to a value of type string"],
  ["datatable(a:long)[1, 2]", "'datatable' is not supported"],
  ["AppRequests | where Properties.a", "predicate must be of type bool, but it is of type dynamic"],
  ["AppRequests | where Success and Name", "operands of 'and' must be of type bool"],
];

describe("syntax errors", () => {
  for (const [query, culprit] of SYNTAX_ERRORS) {
    it(JSON.stringify(query), () => {
      const err = failure(query);
      assert.equal(err.kind, "SyntaxError", err.message);
      assert.equal(err.code, "SYN0002");
      assert.match(err.message, /^Query could not be parsed at '.*' on line \[\d+,\d+\]/s);
      assert.ok(err.message.includes(culprit), `${err.message} should name ${culprit}`);
      assert.equal(typeof err.position, "number");
    });
  }

  it("parseKql throws the same error with the offset of the culprit", () => {
    assert.throws(
      () => parseKql("AppRequests | wher Name"),
      (err: unknown) => err instanceof KqlError && err.kind === "SyntaxError" && err.position === 14,
    );
  });
});

describe("semantic errors", () => {
  for (const [query, culprit] of SEMANTIC_ERRORS) {
    it(JSON.stringify(query), () => {
      const err = failure(query, ["ws-1"]);
      assert.equal(err.kind, "SemanticError", err.message);
      assert.equal(err.code, "SEM0100");
      assert.ok(err.message.includes(culprit), `${err.message} should name ${culprit}`);
    });
  }

  it("has at least 25 cases of each kind", () => {
    assert.ok(SYNTAX_ERRORS.length + SEMANTIC_ERRORS.length >= 25);
    assert.ok(SEMANTIC_ERRORS.length >= 25);
  });
});

describe("robustness", () => {
  // Random token soups must only ever fail with a KqlError, never with a TypeError or RangeError.
  const vocabulary = [
    "AppRequests", "AppTraces", "|", "where", "project", "extend", "summarize", "count()", "count", "by", "Name", "==", "!=",
    "'x'", '"y"', "(", ")", ",", "and", "or", "1", "1.5", "5m", "datetime(2026-01-01)", "has", "in", "in~", "between",
    "..", "Properties", ".", "[", "]", "let", "=", ";", "union", "take", "order", "sort", "asc", "desc", "nulls", "first",
    "-", "+", "*", "/", "%", "ingestion_time()", "bin(TimeGenerated, 1h)", "tostring(", "dynamic({\"a\":1})", "!has",
    "=~", "project-away", "Na*", "iff(", "long(null)", "TimeGenerated", "ItemCount", "Success", "not(", "withsource=S",
    "workspace('w')", "print", "@'v'", "//c\n", "isnull(", "strcat(", "ago(", "now()", "0x10", "true", "guid(null)",
    "time(1:00)", "<", ">=", "contains", "startswith", "!in", "iff(Success, 1, 2)", "DurationMs", "Size", "#", "\\",
  ];
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  it("rejects pathological nesting with a syntax error and long chains without crashing", () => {
    const nested = `print ${"(".repeat(5000)}1${")".repeat(5000)}`;
    assert.throws(() => parseKql(nested), (err: unknown) => err instanceof KqlError && err.kind === "SyntaxError" && err.message.includes("nested"));
    const minus = `print ${"-".repeat(5000)}1`;
    assert.throws(() => parseKql(minus), (err: unknown) => err instanceof KqlError && err.kind === "SyntaxError");
    const { catalog } = sampleCatalog();
    const chain = `print v = ${Array.from({ length: 100_000 }, () => "1").join(" + ")}`;
    try {
      const r = executeKql(chain, { catalog, now: NOW });
      assert.deepEqual(r.rows, [[100_000n]]);
    } catch (err) {
      assert.ok(err instanceof KqlError, String(err));
    }
  });

  it("never crashes on 3000 random queries", () => {
    const { catalog } = sampleCatalog();
    let failures = 0;
    for (let k = 0; k < 3000; k++) {
      const length = 1 + random(14);
      const parts: string[] = [];
      for (let j = 0; j < length; j++) parts.push(vocabulary[random(vocabulary.length)]!);
      const query = parts.join(random(2) === 0 ? " " : "");
      try {
        executeKql(query, { catalog, now: NOW });
      } catch (err) {
        failures++;
        if (!(err instanceof KqlError)) assert.fail(`${String(err)} for ${JSON.stringify(query)}`);
        assert.ok(!err.message.includes("internal error"), `${err.message} for ${JSON.stringify(query)}`);
      }
    }
    assert.ok(failures > 0);
  });
});
