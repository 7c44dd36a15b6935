import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { buildWindowQuery, checkQueryText, kqlDatetime, missingItemIdWarning, tableQueryText } from "./query-text.ts";
import { scanKql } from "./kql-tokens.ts";

const t = (iso: string): number => Date.parse(iso);
const W = { start: t("2026-11-22T03:00:00Z"), end: t("2026-11-22T03:05:00Z") };
const DAY = 86_400_000;
const ingestion = { mode: "ingestion" as const, lookbackMs: 2 * DAY, futureMs: DAY, timeColumn: "TimeGenerated" };
const time = { mode: "time" as const, lookbackMs: 2 * DAY, futureMs: DAY, timeColumn: "timestamp" };

test("kqlDatetime: 7 fractional digits, UTC", () => {
  assert.equal(kqlDatetime(t("2026-11-22T03:00:00Z")), "datetime(2026-11-22T03:00:00.0000000Z)");
  assert.equal(kqlDatetime(t("2026-11-22T03:00:00.123Z")), "datetime(2026-11-22T03:00:00.1230000Z)");
  assert.throws(() => kqlDatetime(1.5), RangeError);
});

test("table query, ingestion mode: exact text and timespan", () => {
  const q = buildWindowQuery({ table: "AppRequests" }, W, ingestion);
  assert.equal(
    q.query,
    "AppRequests\n" +
      "| where ingestion_time() >= datetime(2026-11-22T03:00:00.0000000Z) and ingestion_time() < datetime(2026-11-22T03:05:00.0000000Z)" +
      " and TimeGenerated >= datetime(2026-11-20T03:00:00.0000000Z) and TimeGenerated < datetime(2026-11-23T03:05:00.0000000Z)\n" +
      "| extend _ItemId = _ItemId",
  );
  assert.equal(q.timespan, "2026-11-20T02:59:00.000Z/2026-11-23T03:06:00.000Z");
});

test("table query: hiddenColumns shows the hidden standard columns before the transform; [] shows none", () => {
  const filter = (s: string) => s.split("\n").filter((l) => !l.startsWith("| where ingestion_time()")).join("\n");
  assert.equal(filter(buildWindowQuery({ table: "AppRequests", transform: "project _ItemId, Name" }, W, ingestion).query), "AppRequests\n| extend _ItemId = _ItemId\n| project _ItemId, Name");
  assert.equal(
    filter(buildWindowQuery({ table: "AppRequests", hiddenColumns: ["_ItemId", "_BilledSize"] }, W, ingestion).query),
    "AppRequests\n| extend _ItemId = _ItemId, _BilledSize = _BilledSize",
  );
  assert.equal(filter(buildWindowQuery({ table: "AppRequests", hiddenColumns: [] }, W, ingestion).query), "AppRequests");
  assert.equal(tableQueryText("AppRequests", undefined, []), "AppRequests\n| $window");
  assert.deepEqual(checkQueryText({ table: "AppRequests", hiddenColumns: ["_ItemId", "Name", "_ItemId", "_itemid"] }), [
    { key: "hiddenColumns", message: `"Name" is not a hidden standard column (_ItemId, _BilledSize, _IsBillable, _SubscriptionId) — visible columns are exported anyway` },
    { key: "hiddenColumns", message: `lists "_ItemId" twice` },
    { key: "hiddenColumns", message: `"_itemid" is not a hidden standard column (_ItemId, _BilledSize, _IsBillable, _SubscriptionId) — visible columns are exported anyway` },
  ]);
  assert.throws(() => buildWindowQuery({ name: "q", table: "AppRequests", hiddenColumns: ["x; drop"] }, W, ingestion), ConfigError);
});

test("validate --connect's warning: a result without _ItemId, unless a table query leaves it out on purpose", () => {
  assert.equal(missingItemIdWarning({ name: "f", kql: "T | $window" }, ["TimeGenerated", "_ItemId"]), undefined);
  assert.match(missingItemIdWarning({ name: "f", kql: "T | $window | project TimeGenerated" }, ["TimeGenerated"]) ?? "", /^query f: the result has no _ItemId column — the service hides it unless the query names it/);
  assert.match(missingItemIdWarning({ name: "t", table: "T", transform: "project Name" }, ["Name"]) ?? "", /^query t: the result has no _ItemId column — the transform drops it/);
  assert.equal(missingItemIdWarning({ name: "t", table: "T", hiddenColumns: [] }, ["Name"]), undefined);
});

test("table query with transform, time mode: exact text and timespan", () => {
  // A classic Application Insights table: its id column is itemId (visible), so no hidden columns to show.
  const q = buildWindowQuery({ table: "requests", transform: "| where duration > 1000 | project timestamp, name", hiddenColumns: [] }, W, time);
  assert.equal(
    q.query,
    "requests\n" +
      "| where timestamp >= datetime(2026-11-22T03:00:00.0000000Z) and timestamp < datetime(2026-11-22T03:05:00.0000000Z)\n" +
      "| where duration > 1000 | project timestamp, name",
  );
  // timestamp is not TimeGenerated, to which the service applies the timespan: [start − future, end + lookback].
  assert.equal(q.timespan, "2026-11-21T02:59:00.000Z/2026-11-24T03:06:00.000Z");
});

test("timespan: covers the TimeGenerated of every row the filter selects", () => {
  const span = (mode: "ingestion" | "time", timeColumn: string) => buildWindowQuery({ table: "T" }, W, { mode, lookbackMs: 3 * DAY, futureMs: DAY, timeColumn }).timespan;
  // time mode on TimeGenerated: the window itself
  assert.equal(span("time", "TimeGenerated"), "2026-11-22T02:59:00.000Z/2026-11-22T03:06:00.000Z");
  // ingestion mode: TimeGenerated within [ingestion − lookback, ingestion + future], whatever the filter's column
  assert.equal(span("ingestion", "TimeGenerated"), "2026-11-19T02:59:00.000Z/2026-11-23T03:06:00.000Z");
  assert.equal(span("ingestion", "EventTime"), "2026-11-19T02:59:00.000Z/2026-11-23T03:06:00.000Z");
  // time mode on another column: TimeGenerated (the receipt) up to lookback after it, up to future before it
  assert.equal(span("time", "EventTime"), "2026-11-21T02:59:00.000Z/2026-11-25T03:06:00.000Z");
});

test("file query: the $window stage is replaced in place, comments kept", () => {
  const kql = "// failed calls\nAppDependencies\n| $window\n| where Success == false // not 'join'\n";
  const q = buildWindowQuery({ kql }, W, time);
  assert.equal(
    q.query,
    "// failed calls\nAppDependencies\n| where timestamp >= datetime(2026-11-22T03:00:00.0000000Z) and timestamp < datetime(2026-11-22T03:05:00.0000000Z)\n| where Success == false // not 'join'\n",
  );
});

test("a table query and its macro form build the same text", () => {
  const table = "AppRequests";
  const transform = "where DurationMs > 1000";
  assert.equal(tableQueryText(table, transform), "AppRequests\n| $window\n| extend _ItemId = _ItemId\n| where DurationMs > 1000");
  assert.deepEqual(buildWindowQuery({ kql: tableQueryText(table, transform) }, W, ingestion), buildWindowQuery({ table, transform }, W, ingestion));
  // ResolvedQuery carries both; table wins
  assert.deepEqual(buildWindowQuery({ table, transform, kql: "garbage" }, W, ingestion), buildWindowQuery({ table, transform }, W, ingestion));
});

test("file query from another workspace is accepted", () => {
  assert.deepEqual(checkQueryText({ kql: "workspace('other').AppRequests | $window | take 10" }), []);
  const q = buildWindowQuery({ kql: "workspace('other').AppRequests | $window" }, W, time);
  assert.match(q.query, /^workspace\('other'\)\.AppRequests \| where timestamp >= /);
});

test("file query: missing macro (also when only in a comment or string)", () => {
  for (const kql of ["AppRequests | where x == 1", "AppRequests // | $window", "AppRequests | where Name == '$window'"]) {
    const problems = checkQueryText({ kql });
    assert.equal(problems.length, 1, kql);
    assert.match(problems[0]!.message, /^has no "\| \$window" stage/);
  }
});

test("file query: repeated macro", () => {
  const problems = checkQueryText({ kql: "T\n| $window\n| $window" });
  assert.deepEqual(problems, [{ key: "file", message: "contains $window 2 times (lines 2, 3) — it must appear exactly once, right after the table name" }]);
});

test("file query: macro must be a whole pipe stage", () => {
  for (const kql of ["T | where $window", "T | $window x", "$window | take 1", "T | $window(1)"]) {
    const problems = checkQueryText({ kql });
    assert.equal(problems.length, 1, kql);
    assert.match(problems[0]!.message, /whole pipe stage|only a table name/, kql);
  }
});

test("file query: only a table name may stand before the macro", () => {
  for (const kql of [
    "AppRequests | where Success == false | $window",
    "let x = 1; AppRequests | $window",
    "union A, B | $window",
    "(AppRequests) | $window",
    "app('x').requests | $window",
    "| $window",
  ]) {
    const problems = checkQueryText({ kql });
    assert.ok(problems.length >= 1, kql);
    assert.match(problems[0]!.message, /^must have only a table name/, kql);
  }
  assert.match(checkQueryText({ kql: "search | $window" })[0]!.message, /"search" is a KQL keyword, not a table name/);
});

const FORBIDDEN = ["union", "join", "lookup", "externaldata", "evaluate", "range", "datatable", "print", "materialize", "find", "search"];

test("each forbidden keyword after the filter is rejected, in a transform and in a file", () => {
  for (const word of FORBIDDEN) {
    const transform = `where x > 1 | ${word} y`;
    const p1 = checkQueryText({ table: "T", transform });
    assert.equal(p1.length, 1, word);
    assert.equal(p1[0]!.key, "transform");
    assert.match(p1[0]!.message, new RegExp(`^uses "${word}" after the window filter \\(column 15\\), which is not allowed — `));
    const p2 = checkQueryText({ kql: `T\n| $window\n| ${word} y` });
    assert.equal(p2.length, 1, word);
    assert.match(p2[0]!.message, new RegExp(`^uses "${word}" after the window filter \\(line 3, column 3\\)`));
  }
});

test("workspace() and app() calls after the filter are rejected; other uses of the words are not", () => {
  for (const call of ["workspace('x').T", "app('x').requests"]) {
    const p = checkQueryText({ table: "T", transform: `join (${call}) on Id` });
    assert.ok(p.some((x) => x.message.includes(`"${call.slice(0, call.indexOf("("))}()"`)), call);
  }
  assert.deepEqual(checkQueryText({ table: "T", transform: "where workspace == 'a' and app != 'b'" }), []);
});

test("statement separators and multi-table operators after the filter are rejected", () => {
  assert.match(checkQueryText({ table: "T", transform: "take 1; print 1" })[0]!.message, /uses ";"/);
  assert.match(checkQueryText({ table: "T", transform: "fork (take 1) (take 2)" })[0]!.message, /several result tables/);
});

test("forbidden words inside strings, comments and property names are accepted", () => {
  const ok = [
    `where Name has "union" and Message !contains 'join'`,
    `where Url == @"C:\\search\\find" and x == h'print'`,
    "where Text == ```multi\nline range evaluate```",
    "extend p = Properties.search, q = Properties.join",
    "where x == 1 // then union everything",
    "extend s = strcat_array(arr, ',') | where Name in ('lookup', \"datatable\")",
    "project ['range'] = 1",
  ];
  for (const transform of ok) assert.deepEqual(checkQueryText({ table: "T", transform }), [], transform);
});

test("a transform must not contain the macro", () => {
  assert.match(checkQueryText({ table: "T", transform: "$window" })[0]!.message, /must not contain \$window/);
});

test("table names are identifiers only", () => {
  for (const table of ["App Requests", "T | union X", "1abc", "workspace('x').T"]) {
    assert.match(checkQueryText({ table })[0]!.message, /is not a table name/, table);
  }
  assert.deepEqual(checkQueryText({ table: "MyLogs_CL" }), []);
});

test("unterminated strings are reported with their position", () => {
  const [p] = checkQueryText({ kql: "T\n| $window\n| where x == 'oops" });
  assert.equal(p!.message, "has an unterminated string literal (line 3, column 14)");
});

test("buildWindowQuery throws a ConfigError naming the query", () => {
  assert.throws(
    () => buildWindowQuery({ name: "joined", index: 2, table: "T", transform: "join X on Id" }, W, ingestion),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, "CONFIG_INVALID");
      assert.match(err.message, /^Query "joined" cannot be run: queries\[2\]\.transform: uses "join"/);
      assert.equal(err.problems.length, 1);
      return true;
    },
  );
});

test("buildWindowQuery accepts the empty window [t, t) and rejects a reversed one and a bad time column", () => {
  const empty = buildWindowQuery({ table: "T" }, { start: 5, end: 5 }, ingestion);
  assert.match(empty.query, /ingestion_time\(\) >= datetime\(1970-01-01T00:00:00\.0050000Z\) and ingestion_time\(\) < datetime\(1970-01-01T00:00:00\.0050000Z\)/);
  assert.throws(() => buildWindowQuery({ table: "T" }, { start: 6, end: 5 }, ingestion), RangeError);
  assert.throws(() => buildWindowQuery({ table: "T" }, W, { ...time, timeColumn: "x; drop" }), ConfigError);
});

test("scanKql: token kinds", () => {
  const tokens = scanKql(`T | where a == @'it''s' and b == "x\\"y" // c\n| $window`);
  assert.deepEqual(
    tokens.map((x) => `${x.kind}:${x.text}`),
    ["identifier:T", "punct:|", "identifier:where", "identifier:a", "punct:=", "punct:=", "string:@'it''s'", "identifier:and", "identifier:b", "punct:=", "punct:=", `string:"x\\"y"`, "punct:|", "identifier:$window"],
  );
});
