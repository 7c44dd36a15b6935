import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SimValue } from "../catalog.ts";
import { executeKql } from "./index.ts";
import type { KqlContext, KqlResult } from "./index.ts";
import { GUID2, MINUTE, NOW, sampleCatalog, T0, ticks } from "../../../test/support/kql-catalog.ts";

const H = 36_000_000_000n;
const M = MINUTE;
const S = 10_000_000n;

function run(query: string, extra: Partial<KqlContext> = {}): KqlResult {
  const { catalog } = sampleCatalog();
  return executeKql(query, { catalog, now: NOW, ...extra });
}

function column(result: KqlResult, name: string): SimValue[] {
  const i = result.columns.findIndex((c) => c.name === name);
  assert.ok(i >= 0, `column ${name} in ${JSON.stringify(result.columns)}`);
  return result.rows.map((r) => r[i]!);
}

/** The _ItemId of each result row. */
function ids(query: string, extra: Partial<KqlContext> = {}): SimValue[] {
  return column(run(query, extra), "_ItemId");
}

function where(predicate: string): SimValue[] {
  return ids(`AppRequests | where ${predicate}`);
}

/** Value and type of a scalar expression, through `print`. */
function scalar(expr: string): { value: SimValue; type: string } {
  const r = run(`print v = ${expr}`);
  assert.equal(r.rows.length, 1);
  return { value: r.rows[0]![0]!, type: r.columns[0]!.type };
}

function value(expr: string): SimValue {
  return scalar(expr).value;
}

describe("table references and row identity", () => {
  it("returns the visible rows of a table as the table's own value arrays", () => {
    const { catalog, requests } = sampleCatalog();
    const r = executeKql("AppRequests", { catalog, now: NOW });
    assert.deepEqual(
      r.columns.map((c) => `${c.name}:${c.type}`),
      requests.columns.map((c) => `${c.name}:${c.type}`),
    );
    assert.equal(r.rows.length, 5, "r6 is ingested after now and is not visible");
    r.rows.forEach((row, i) => assert.equal(row, requests.rows[i]!.values));
  });

  it("keeps identity through where, take, order and a single-table union", () => {
    const { catalog, requests } = sampleCatalog();
    const r = executeKql("union AppRequests | where ItemCount >= 1 | order by DurationMs desc | take 2", { catalog, now: NOW });
    assert.equal(r.rows.length, 2);
    assert.equal(r.rows[0], requests.rows[4]!.values); // r5, 1000
    assert.equal(r.rows[1], requests.rows[1]!.values); // r2, 250
  });

  it("keeps identity for each side of a union of tables with the same layout", () => {
    const { catalog, requests } = sampleCatalog();
    const r = executeKql("union AppRequests, AppRequests", { catalog, now: NOW });
    assert.equal(r.rows.length, 10);
    assert.equal(r.rows[0], requests.rows[0]!.values);
    assert.equal(r.rows[5], requests.rows[0]!.values);
  });

  it("accepts comments, empty statements and a trailing semicolon", () => {
    assert.deepEqual(ids("// leading comment\nAppRequests // trailing\n| where Success == false // end\n;;"), ["r2", "r4"]);
  });
});

describe("where: comparisons and logic", () => {
  it("compares numbers across int, long and real", () => {
    assert.deepEqual(where("DurationMs > 100"), ["r2", "r5"]);
    assert.deepEqual(where("DurationMs >= 250"), ["r2", "r5"]);
    assert.deepEqual(where("ItemCount == 1"), ["r1", "r5"]);
    assert.deepEqual(where("DurationMs < ItemCount"), ["r4"]);
    assert.deepEqual(where("ItemCount <= 2.5"), ["r1", "r2", "r5"]);
  });

  it("compares longs beyond 2^53 exactly", () => {
    assert.deepEqual(where("Size == 9007199254740993"), ["r5"]);
    assert.deepEqual(where("Size == 9007199254740992"), []);
    assert.deepEqual(where("Size > 2048"), ["r5"]);
    assert.deepEqual(where("Size < 0"), ["r4"]);
  });

  it("applies null semantics: == null-vs-value is false, != is true, ordering is null", () => {
    assert.deepEqual(where("ItemCount != 1"), ["r2", "r3", "r4"]);
    assert.deepEqual(where("DurationMs > 0 or isnull(DurationMs)"), ["r1", "r2", "r3", "r4", "r5"]);
    assert.deepEqual(where("not(DurationMs > 0)"), []);
  });

  it("treats an empty (null) string as the empty string", () => {
    assert.deepEqual(where('ResultCode == ""'), ["r3", "r4"]);
    assert.deepEqual(where('ResultCode != "200"'), ["r2", "r3", "r4"]);
  });

  it("uses bool columns directly and combines with and/or/not() and parentheses", () => {
    assert.deepEqual(where("Success"), ["r1", "r3", "r5"]);
    assert.deepEqual(where("not(Success)"), ["r2", "r4"]);
    assert.deepEqual(where("Success == false"), ["r2", "r4"]);
    assert.deepEqual(where("Success or ItemCount > 2"), ["r1", "r3", "r4", "r5"]);
    assert.deepEqual(where('Success == false and ItemCount == 2 or Name has "health"'), ["r2", "r5"]);
    assert.deepEqual(where('Success == false and (ItemCount == 2 or Name has "health")'), ["r2"]);
  });

  it("compares datetimes at 100 ns precision", () => {
    assert.deepEqual(where("TimeGenerated > datetime(2026-11-22T03:00:00Z)"), ["r3", "r4"]);
    assert.deepEqual(where("TimeGenerated >= datetime(2026-11-22T03:00:00.0000001Z)"), ["r3", "r4"]);
    assert.deepEqual(where("TimeGenerated == datetime(2026-11-22T03:00:00.0000001Z)"), ["r3"]);
    assert.deepEqual(where("TimeGenerated < datetime(2026-11-22T03:00:00.0000000Z)"), ["r1"]);
    assert.deepEqual(where("TimeGenerated <= datetime(2026-11-22T02:59:59.9999998Z)"), []);
    assert.deepEqual(where("TimeGenerated <= datetime(2026-11-22T02:59:59.9999999Z)"), ["r1"]);
  });

  it("compares guids case-insensitively", () => {
    assert.deepEqual(where("OperationId == guid(0F8FAD5B-D9CB-469F-A165-70867728950E)"), ["r2"]);
    assert.deepEqual(where("isnull(OperationId)"), ["r1", "r3", "r5"]);
  });
});

describe("string operators", () => {
  it("has matches whole terms case-insensitively", () => {
    assert.deepEqual(where('Name has "home"'), ["r1", "r4"]);
    assert.deepEqual(where('Name has "hom"'), []);
    assert.deepEqual(where('Name has "orders"'), ["r2", "r3"]);
    assert.deepEqual(where('Name has "api/orders"'), ["r2", "r3"]);
    assert.deepEqual(where('Name has "health"'), ["r5"]);
    assert.deepEqual(where('Name !has "home"'), ["r2", "r3", "r5"]);
  });

  it("has_cs is case-sensitive", () => {
    assert.deepEqual(where('Name has_cs "Home"'), ["r1"]);
    assert.deepEqual(where('Name has_cs "home"'), []);
    assert.deepEqual(where('Name !has_cs "HOME"'), ["r1", "r2", "r3", "r5"]);
  });

  it("hasprefix and hassuffix match term starts and ends", () => {
    assert.deepEqual(where('Name hasprefix "ord"'), ["r2", "r3"]);
    assert.deepEqual(where('Name hassuffix "ders"'), ["r2", "r3"]);
    assert.deepEqual(where('Name hasprefix "rders"'), []);
  });

  it("contains, startswith and endswith are case-insensitive; _cs variants are not", () => {
    assert.deepEqual(where('Name contains "hom"'), ["r1", "r4"]);
    assert.deepEqual(where('Name contains_cs "HOM"'), ["r4"]);
    assert.deepEqual(where('Name !contains "api"'), ["r1", "r4", "r5"]);
    assert.deepEqual(where('Name startswith "get"'), ["r1", "r3", "r4"]);
    assert.deepEqual(where('Name startswith_cs "GET"'), ["r1", "r3"]);
    assert.deepEqual(where('Name !startswith "get"'), ["r2", "r5"]);
    assert.deepEqual(where('Name endswith "home"'), ["r4"]);
    assert.deepEqual(where('Name endswith "INDEX"'), ["r1"]);
    assert.deepEqual(where('Name endswith_cs "INDEX"'), []);
    assert.deepEqual(where('Name !endswith "e"'), ["r1", "r2", "r3"]);
  });

  it("== is case-sensitive, =~ and !~ are not", () => {
    assert.deepEqual(where('Name == "get /HOME"'), ["r4"]);
    assert.deepEqual(where('Name == "GET /HOME"'), []);
    assert.deepEqual(where('Name =~ "GET /HOME"'), ["r4"]);
    assert.deepEqual(where('Name !~ "get /home"'), ["r1", "r2", "r3", "r5"]);
  });

  it("in, !in and in~", () => {
    assert.deepEqual(where('ResultCode in ("200", "404")'), ["r1", "r5"]);
    assert.deepEqual(where('ResultCode !in ("200")'), ["r2", "r3", "r4"]);
    assert.deepEqual(where('Name in ("GET /HOME")'), []);
    assert.deepEqual(where('Name in~ ("GET /HOME", "nothing")'), ["r4"]);
    assert.deepEqual(where('Name !in~ ("GET /HOME")'), ["r1", "r2", "r3", "r5"]);
    assert.deepEqual(where("ItemCount in (1, 3)"), ["r1", "r4", "r5"]);
    assert.deepEqual(where("isnotnull(ItemCount) and ItemCount !in (1)"), ["r2", "r4"]);
    assert.deepEqual(where("Size in (9007199254740993, -5)"), ["r4", "r5"]);
    assert.deepEqual(where("DurationMs in (0.5, 250)"), ["r2", "r4"]);
    assert.deepEqual(where('ResultCode in (dynamic(["500", "404"]))'), ["r2"]);
    assert.deepEqual(where("ItemCount in (DurationMs, 2)"), ["r2"]);
  });

  it("applies string operators to dynamic values through their text", () => {
    assert.deepEqual(where('Properties.user has "carol"'), ["r4"]);
    assert.deepEqual(where('tostring(Properties.user) contains "o"'), ["r2", "r4"]);
  });
});

describe("between", () => {
  it("is inclusive at both ends for numbers", () => {
    assert.deepEqual(where("DurationMs between (0.5 .. 250)"), ["r1", "r2", "r4"]);
    assert.deepEqual(where("ItemCount between (2 .. 3)"), ["r2", "r4"]);
    assert.deepEqual(where("ItemCount !between (2 .. 3)"), ["r1", "r5"]);
  });

  it("is inclusive at both ends for datetimes, also with a timespan upper bound", () => {
    assert.deepEqual(where("TimeGenerated between (datetime(2026-11-22T03:00:00Z) .. datetime(2026-11-22T03:04:59.9999999Z))"), ["r2", "r3", "r4"]);
    assert.deepEqual(where("TimeGenerated between (datetime(2026-11-22T03:00:00.0000001Z) .. datetime(2026-11-22T03:04:59.9999998Z))"), ["r3"]);
    assert.deepEqual(where("TimeGenerated between (datetime(2026-11-22T03:00:00Z) .. 5m)"), ["r2", "r3", "r4"]);
    assert.deepEqual(where("TimeGenerated !between (datetime(2026-11-22T03:00:00.0000001Z) .. datetime(2026-11-22T03:04:59.9999998Z))"), ["r1", "r2", "r4"]);
  });
});

describe("project, project-away, extend", () => {
  it("project selects, renames and computes columns", () => {
    const r = run("AppRequests | project _ItemId, Double = ItemCount * 2, Name | take 3");
    assert.deepEqual(r.columns, [
      { name: "_ItemId", type: "string" },
      { name: "Double", type: "long" },
      { name: "Name", type: "string" },
    ]);
    assert.deepEqual(r.rows, [
      ["r1", 2n, "GET /Home/Index"],
      ["r2", 4n, "POST /api/orders"],
      ["r3", null, "GET /api/orders/42"],
    ]);
  });

  it("names unnamed expressions Column1.. and property accesses Base_key", () => {
    const r = run("AppRequests | project ItemCount + 1, Properties.user, strlen(Name) | take 1");
    assert.deepEqual(r.columns.map((c) => c.name), ["Column1", "Properties_user", "Column2"]);
    assert.deepEqual(r.rows, [[2n, "alice", 15n]]);
  });

  it("project-away removes named and wildcard columns", () => {
    const r = run("AppRequests | project-away Properties, OperationId, Dur*, *Count | take 1");
    assert.deepEqual(r.columns.map((c) => c.name), ["TimeGenerated", "_ItemId", "Name", "Success", "ResultCode", "Size"]);
    assert.deepEqual(r.rows[0], [ticks("2026-11-22T02:59:59.9999999Z"), "r1", "GET /Home/Index", true, "200", 100n]);
  });

  it("extend appends columns that may use earlier ones", () => {
    const r = run("AppRequests | extend a = ItemCount + 1, b = a * 10 | project _ItemId, a, b | take 2");
    assert.deepEqual(r.rows, [
      ["r1", 2n, 20n],
      ["r2", 3n, 30n],
    ]);
  });

  it("extend of an existing name replaces it and moves it to the end", () => {
    const r = run("AppRequests | extend Name = strlen(Name) | take 1");
    assert.equal(r.columns.length, 10);
    assert.deepEqual(r.columns.at(-1), { name: "Name", type: "long" });
    assert.equal(r.columns.filter((c) => c.name === "Name").length, 1);
    assert.equal(r.rows[0]!.at(-1), 15n);
    assert.equal(r.rows[0]![2], true, "Success moved into the third position");
  });
});

describe("take, order", () => {
  it("take and limit", () => {
    assert.deepEqual(ids("AppRequests | take 2"), ["r1", "r2"]);
    assert.deepEqual(ids("AppRequests | limit 0"), []);
    assert.deepEqual(ids("AppRequests | take 100"), ["r1", "r2", "r3", "r4", "r5"]);
    assert.deepEqual(ids("let n = 1; AppRequests | take n + 1"), ["r1", "r2"]);
  });

  it("orders descending by default with nulls last", () => {
    assert.deepEqual(ids("AppRequests | order by DurationMs"), ["r5", "r2", "r1", "r4", "r3"]);
    assert.deepEqual(ids("AppRequests | sort by DurationMs desc"), ["r5", "r2", "r1", "r4", "r3"]);
  });

  it("orders ascending with nulls first by default, and honours nulls first/last", () => {
    assert.deepEqual(ids("AppRequests | order by DurationMs asc"), ["r3", "r4", "r1", "r2", "r5"]);
    assert.deepEqual(ids("AppRequests | order by DurationMs asc nulls last"), ["r4", "r1", "r2", "r5", "r3"]);
    assert.deepEqual(ids("AppRequests | order by DurationMs desc nulls first"), ["r3", "r5", "r2", "r1", "r4"]);
    assert.deepEqual(ids("AppRequests | sort by TimeGenerated asc"), ["r5", "r1", "r2", "r3", "r4"]);
  });

  it("orders strings ordinally and by several keys", () => {
    assert.deepEqual(ids("AppRequests | order by Name asc"), ["r1", "r3", "r5", "r2", "r4"]);
    assert.deepEqual(ids("AppRequests | order by Success asc, ItemCount desc"), ["r4", "r2", "r1", "r5", "r3"]);
    assert.deepEqual(ids("AppRequests | order by strlen(Name) asc, _ItemId desc"), ["r4", "r1", "r2", "r5", "r3"]);
  });
});

describe("summarize and count", () => {
  it("count() without by yields one row, also for an empty input", () => {
    const r = run("AppRequests | summarize count()");
    assert.deepEqual(r.columns, [{ name: "count_", type: "long" }]);
    assert.deepEqual(r.rows, [[5n]]);
    assert.deepEqual(run('AppRequests | where Name has "zzz" | summarize count()').rows, [[0n]]);
    assert.deepEqual(run('AppRequests | where Name has "zzz" | summarize count() by Name').rows, []);
  });

  it("named count by a column, groups in order of first appearance", () => {
    const r = run("AppRequests | summarize n = count() by Success");
    assert.deepEqual(r.columns, [
      { name: "Success", type: "bool" },
      { name: "n", type: "long" },
    ]);
    assert.deepEqual(r.rows, [
      [true, 3n],
      [false, 2n],
    ]);
  });

  it("groups empty strings together and by several keys", () => {
    const r = run("AppRequests | summarize count() by ResultCode");
    assert.deepEqual(r.rows.map((row) => [row[0] ?? "", row[1]]), [
      ["200", 2n],
      ["500", 1n],
      ["", 2n],
    ]);
    const r2 = run("AppRequests | summarize count() by Success, ResultCode");
    assert.equal(r2.rows.length, 4);
    assert.deepEqual(r2.rows[0], [true, "200", 2n]);
  });

  it("summarize by bin(TimeGenerated, 5m) names the key after the column", () => {
    const r = run("AppRequests | summarize count() by bin(TimeGenerated, 5m)");
    assert.deepEqual(r.columns, [
      { name: "TimeGenerated", type: "datetime" },
      { name: "count_", type: "long" },
    ]);
    assert.deepEqual(r.rows, [
      [T0 - 5n * M, 1n],
      [T0, 3n],
      [null, 1n],
    ]);
  });

  it("countif, min and max", () => {
    const r = run("AppRequests | summarize c = countif(DurationMs > 10), mn = min(DurationMs), max(Size), first = min(TimeGenerated)");
    assert.deepEqual(r.columns.map((c) => `${c.name}:${c.type}`), ["c:long", "mn:real", "max_Size:long", "first:datetime"]);
    assert.deepEqual(r.rows, [[3n, 0.5, 9007199254740993n, ticks("2026-11-22T02:59:59.9999999Z")]]);
  });

  it("summarize by alone lists distinct keys", () => {
    assert.deepEqual(run("AppRequests | summarize by Success").rows, [[true], [false]]);
  });

  it("the count operator", () => {
    const r = run("AppRequests | where Success | count");
    assert.deepEqual(r.columns, [{ name: "Count", type: "long" }]);
    assert.deepEqual(r.rows, [[3n]]);
  });
});

describe("union", () => {
  it("merges columns by name; a name with several types becomes name_type; missing cells are null", () => {
    const r = run("union AppRequests, AppTraces");
    assert.deepEqual(r.columns.map((c) => `${c.name}:${c.type}`), [
      "TimeGenerated:datetime",
      "_ItemId:string",
      "Name:string",
      "Success:bool",
      "DurationMs:real",
      "ItemCount:int",
      "ResultCode:string",
      "Properties:dynamic",
      "OperationId:guid",
      "Size_long:long",
      "Message:string",
      "SeverityLevel:int",
      "Size_string:string",
    ]);
    assert.equal(r.rows.length, 7);
    assert.deepEqual(r.rows[1]!.slice(9), [2048n, null, null, null]);
    assert.deepEqual(r.rows[5], [T0 + 30n * S, "t1", null, null, null, null, null, null, null, null, "Started host", 1, "big"]);
  });

  it("T | union T2, withsource, kind=inner, wildcards and isfuzzy", () => {
    assert.deepEqual(run("AppTraces | union AppRequests | count").rows, [[7n]]);
    const ws = run("union withsource=SourceTable AppTraces, Heartbeat | project SourceTable, Computer");
    assert.deepEqual(ws.rows, [
      ["AppTraces", null],
      ["AppTraces", null],
      ["Heartbeat", "vm1"],
      ["Heartbeat", "vm2"],
    ]);
    const inner = run("union kind=inner AppRequests, AppTraces");
    assert.deepEqual(inner.columns.map((c) => c.name), ["TimeGenerated", "_ItemId"]);
    assert.equal(inner.rows.length, 7);
    assert.deepEqual(run("union App* | count").rows, [[7n]]);
    assert.deepEqual(run("union isfuzzy=true AppTraces, NoSuchTable | count").rows, [[2n]]);
    assert.deepEqual(ids("union (AppRequests | where Success == false), (AppTraces | where SeverityLevel > 2)"), ["r2", "r4", "t2"]);
  });

  it("ingestion_time() survives a union", () => {
    assert.deepEqual(ids("union AppRequests, AppTraces | where ingestion_time() == datetime(2026-11-22T03:01:00Z)"), ["r1", "t1"]);
  });
});

describe("let statements", () => {
  it("binds scalars and tables", () => {
    assert.deepEqual(ids("let threshold = 100.0; let R = AppRequests | where DurationMs > threshold; R | project _ItemId"), ["r2", "r5"]);
    assert.deepEqual(value("2 * 3"), 6n);
    assert.deepEqual(run("let a = 2; let b = a * 3; print b").rows, [[6n]]);
    assert.deepEqual(
      ids("let start = datetime(2026-11-22T03:00:00Z); let window = 5m;\nAppRequests | where TimeGenerated >= start and TimeGenerated < start + window"),
      ["r2", "r3", "r4"],
    );
  });

  it("a let name shadows a table name", () => {
    assert.deepEqual(run("let AppRequests = AppTraces; AppRequests | count").rows, [[2n]]);
  });
});

describe("workspace() and app()", () => {
  const ws = { workspaceIds: ["ws-1", "app-2"] };
  it("accepts the request's workspace ids (case-insensitively)", () => {
    assert.deepEqual(run("workspace('ws-1').AppRequests | count", ws).rows, [[5n]]);
    assert.deepEqual(run("app('APP-2').AppTraces | count", ws).rows, [[2n]]);
    assert.deepEqual(run("union workspace('ws-1').AppRequests, app('app-2').AppTraces | count", ws).rows, [[7n]]);
  });
  it("accepts any id when the context lists none", () => {
    assert.deepEqual(run('workspace("anything").AppRequests | count').rows, [[5n]]);
  });
});

describe("request timespan and visibility", () => {
  const timespan = { timespan: { start: T0, end: T0 + 5n * M } };
  it("filters TimeGenerated of every table reference that has one (start <= t < end)", () => {
    assert.deepEqual(ids("AppRequests", timespan), ["r2", "r3", "r4"]);
    assert.deepEqual(ids("union AppRequests, AppTraces", timespan), ["r2", "r3", "r4", "t1", "t2"]);
    assert.deepEqual(run("let R = AppRequests; R | count", timespan).rows, [[3n]]);
    assert.deepEqual(run("Heartbeat | count", timespan).rows, [[2n]]);
    assert.deepEqual(ids("AppRequests", { timespan: { start: T0, end: T0 + 1n } }), ["r2"]);
  });
  it("rows ingested after now are invisible", () => {
    assert.deepEqual(ids("AppRequests", { now: T0 + 3n * M }), ["r1", "r2", "r3"]);
    assert.deepEqual(ids("AppTraces", { now: T0 + 60n * M }), ["t1", "t2", "t3"]);
  });
});

describe("literals", () => {
  it("strings with escapes, verbatim strings and concatenation", () => {
    assert.equal(value('"a\\"b\\\\c\\n"'), 'a"b\\c\n');
    assert.equal(value("'it\\'s'"), "it's");
    assert.equal(value("@'C:\\temp\\new'"), "C:\\temp\\new");
    assert.equal(value('@"say ""hi"""'), 'say "hi"');
    assert.equal(value("'\\u00e9t\\u00e9'"), "été");
    assert.equal(value('"ab" \'cd\''), "abcd");
  });

  it("numbers and booleans", () => {
    assert.deepEqual(scalar("123"), { value: 123n, type: "long" });
    assert.deepEqual(scalar("1.5"), { value: 1.5, type: "real" });
    assert.deepEqual(scalar("1e3"), { value: 1000, type: "real" });
    assert.deepEqual(scalar("0x1F"), { value: 31n, type: "long" });
    assert.deepEqual(scalar("true"), { value: true, type: "bool" });
    assert.deepEqual(scalar("int(5)"), { value: 5, type: "int" });
    assert.deepEqual(scalar("real(-1.5)"), { value: -1.5, type: "real" });
    assert.deepEqual(scalar("double(2)"), { value: 2, type: "real" });
  });

  it("typed nulls", () => {
    for (const [expr, type] of [
      ["long(null)", "long"],
      ["int(null)", "int"],
      ["real(null)", "real"],
      ["bool(null)", "bool"],
      ["datetime(null)", "datetime"],
      ["timespan(null)", "timespan"],
      ["time(null)", "timespan"],
      ["guid(null)", "guid"],
      ["dynamic(null)", "dynamic"],
    ] as const) {
      assert.deepEqual(scalar(expr), { value: null, type }, expr);
    }
  });

  it("datetimes in several forms", () => {
    assert.deepEqual(scalar("datetime(2026-01-01)"), { value: ticks("2026-01-01T00:00:00Z"), type: "datetime" });
    assert.equal(value("datetime(2026-01-01T00:00:00.1234567Z)"), ticks("2026-01-01T00:00:00.1234567Z"));
    assert.equal(value('datetime("2026-01-01 10:20:30.5")'), ticks("2026-01-01T10:20:30.5Z"));
    assert.equal(value("datetime('2026-01-01T10:20')"), ticks("2026-01-01T10:20:00Z"));
    assert.equal(value("datetime(2026-01-01T00:00:00+02:00)"), ticks("2025-12-31T22:00:00Z"));
    assert.equal(value("datetime(1970-01-01)"), 0n);
    assert.equal(value("datetime(2024-02-29T23:59:59.9999999Z)"), ticks("2024-02-29T23:59:59.9999999Z"));
  });

  it("timespans", () => {
    const cases: [string, bigint][] = [
      ["5m", 5n * M],
      ["2h", 2n * H],
      ["1d", 24n * H],
      ["30s", 30n * S],
      ["100ms", 1_000_000n],
      ["1tick", 1n],
      ["1.5h", 54_000_000_000n],
      ["10microseconds", 100n],
      ["2days", 48n * H],
      ["-5m", -5n * M],
      ["time(1.02:03:04)", 24n * H + 2n * H + 3n * M + 4n * S],
      ["time(00:10:00)", 10n * M],
      ["timespan(2d)", 48n * H],
      ["time(00:00:00.5)", 5_000_000n],
    ];
    for (const [expr, expected] of cases) assert.deepEqual(scalar(expr), { value: expected, type: "timespan" }, expr);
  });

  it("dynamic and guid", () => {
    assert.deepEqual(scalar('dynamic({"a": [1, 2], "b": null})'), { value: { a: [1, 2], b: null }, type: "dynamic" });
    assert.deepEqual(value("dynamic(['x', 'y'])"), ["x", "y"]);
    assert.deepEqual(scalar("guid(0F8FAD5B-D9CB-469F-A165-70867728950E)"), { value: GUID2, type: "guid" });
  });
});

describe("arithmetic", () => {
  it("integers and reals", () => {
    assert.equal(value("7 / 2"), 3n);
    assert.equal(value("-7 / 2"), -3n);
    assert.equal(value("7 % 3"), 1n);
    assert.equal(value("7.0 / 2"), 3.5);
    assert.equal(value("1 / 0"), null);
    assert.equal(value("2 * 3 + 4"), 10n);
    assert.equal(value("2 * (3 + 4)"), 14n);
    assert.equal(value("10 - 2 - 3"), 5n);
    assert.equal(value("-(5)"), -5n);
    assert.equal(value("9223372036854775807 + 1"), -9223372036854775808n);
    assert.deepEqual(scalar("int(2) + int(3)"), { value: 5, type: "int" });
    assert.deepEqual(scalar("int(2) + 3"), { value: 5n, type: "long" });
  });

  it("datetimes and timespans", () => {
    assert.deepEqual(scalar("datetime(2026-01-02) - datetime(2026-01-01)"), { value: 24n * H, type: "timespan" });
    assert.deepEqual(scalar("datetime(2026-01-01) + 1h"), { value: ticks("2026-01-01T01:00:00Z"), type: "datetime" });
    assert.equal(value("1h + datetime(2026-01-01)"), ticks("2026-01-01T01:00:00Z"));
    assert.equal(value("datetime(2026-01-01) - 30m"), ticks("2025-12-31T23:30:00Z"));
    assert.deepEqual(scalar("2h / 30m"), { value: 4, type: "real" });
    assert.equal(value("1h * 2"), 2n * H);
    assert.equal(value("1h / 2"), 30n * M);
    assert.equal(value("-1d"), -24n * H);
    assert.equal(value("1.5 * 1h"), 54_000_000_000n);
  });
});

describe("functions", () => {
  it("now() and ago()", () => {
    assert.deepEqual(scalar("now()"), { value: NOW, type: "datetime" });
    assert.equal(value("ago(1h)"), NOW - H);
    assert.equal(value("now(-1h)"), NOW - H);
    assert.deepEqual(where("TimeGenerated >= ago(10m)"), ["r2", "r3", "r4"]);
  });

  it("tostring of each type", () => {
    assert.equal(value("tostring(datetime(2026-01-01))"), "2026-01-01T00:00:00.0000000Z");
    assert.equal(value("tostring(90m)"), "01:30:00");
    assert.equal(value("tostring(1d + 1s)"), "1.00:00:01");
    assert.equal(value("tostring(-1500ms)"), "-00:00:01.5000000");
    assert.equal(value("tostring(1.5)"), "1.5");
    assert.equal(value("tostring(1.0)"), "1");
    assert.equal(value("tostring(true)"), "true");
    assert.equal(value("tostring(123)"), "123");
    assert.equal(value('tostring(dynamic({"a":1}))'), '{"a":1}');
    assert.equal(value('tostring(dynamic("s"))'), "s");
    assert.equal(value("tostring(long(null))"), "");
  });

  it("conversions", () => {
    assert.deepEqual(scalar('toint("12")'), { value: 12, type: "int" });
    assert.equal(value('toint("x")'), null);
    assert.equal(value("toint(2.9)"), 2);
    assert.equal(value('toint("3000000000")'), null);
    assert.deepEqual(scalar('tolong("9007199254740993")'), { value: 9007199254740993n, type: "long" });
    assert.equal(value("tolong(-2.5)"), -2n);
    assert.deepEqual(scalar('todouble("1.25")'), { value: 1.25, type: "real" });
    assert.deepEqual(scalar("toreal(3)"), { value: 3, type: "real" });
    assert.equal(value('todouble("abc")'), null);
    assert.equal(value('todatetime("2026-01-01T00:00:00Z")'), ticks("2026-01-01T00:00:00Z"));
    assert.equal(value('todatetime("nope")'), null);
    assert.equal(value('totimespan("01:00:00")'), H);
    assert.equal(value('totimespan("1.5h")'), 54_000_000_000n);
    assert.deepEqual(where("tolong(Properties.n) == 5"), ["r1"]);
  });

  it("string functions", () => {
    assert.deepEqual(scalar('strlen("héllo")'), { value: 5n, type: "long" });
    assert.equal(value('strlen("😀")'), 1n);
    assert.equal(value('strcat("a", 1, true, 1.5)'), "a1true1.5");
    assert.equal(value('strcat("x", long(null))'), "x");
    assert.equal(value('tolower("AbC")'), "abc");
    assert.equal(value('toupper("AbC")'), "ABC");
  });

  it("null and empty tests", () => {
    assert.deepEqual(where("isempty(ResultCode)"), ["r3", "r4"]);
    assert.deepEqual(where("isnotempty(ResultCode)"), ["r1", "r2", "r5"]);
    assert.deepEqual(where("isnull(ResultCode)"), [], "strings are never null");
    assert.deepEqual(where("isnull(DurationMs)"), ["r3"]);
    assert.deepEqual(where("isnull(Properties)"), ["r3"]);
    assert.deepEqual(where("isnotnull(ItemCount)"), ["r1", "r2", "r4", "r5"]);
    assert.deepEqual(where("isempty(Properties.user)"), ["r3", "r5"]);
  });

  it("iff / iif", () => {
    assert.equal(value('iff(1 > 2, "a", "b")'), "b");
    assert.deepEqual(scalar("iif(true, 1, 2.5)"), { value: 1, type: "real" });
    assert.equal(value("iff(bool(null), 1, 2)"), 2n);
    assert.deepEqual(column(run('AppRequests | project k = iff(Success, "ok", "fail")'), "k"), ["ok", "fail", "ok", "fail", "ok"]);
  });

  it("bin, floor, abs", () => {
    assert.equal(value("bin(7, 5)"), 5n);
    assert.equal(value("bin(-1, 5)"), -5n);
    assert.equal(value("bin(4.5, 1)"), 4);
    assert.equal(value("bin(datetime(2026-01-01T10:20:30Z), 1h)"), ticks("2026-01-01T10:00:00Z"));
    assert.equal(value("bin(datetime(1970-05-11 13:45:07), 1d)"), ticks("1970-05-11T00:00:00Z"));
    assert.equal(value("bin(90m, 1h)"), H);
    assert.equal(value("bin(5, 0)"), null);
    assert.equal(value("floor(17, 5)"), 15n);
    assert.equal(value("abs(-3)"), 3n);
    assert.equal(value("abs(-1.5)"), 1.5);
    assert.equal(value("abs(-1h)"), H);
  });

  it("ingestion_time() while rows come straight from the table, null after summarize", () => {
    const r = run("AppRequests | extend x = 1 | order by _ItemId asc | project _ItemId, i = ingestion_time() | take 2");
    assert.deepEqual(r.rows, [
      ["r1", T0 + M],
      ["r2", T0 + 2n * M],
    ]);
    assert.deepEqual(run("AppRequests | summarize count() by Success | extend i = ingestion_time() | project i").rows, [[null], [null]]);
    assert.deepEqual(where("ingestion_time() > datetime(2026-11-22T03:04:00Z)"), ["r4", "r5"]);
  });

  it("dynamic property access", () => {
    assert.deepEqual(column(run("AppRequests | project u = Properties.user"), "u"), ["alice", "bob", null, "Carol", null]);
    assert.deepEqual(column(run('AppRequests | project n = Properties["n"]'), "n"), [5, 7, null, null, "x"]);
    assert.deepEqual(run("AppRequests | take 1 | project a = Properties.tags[1], b = Properties.tags[-2], c = Properties.nope.deeper").rows, [["b", "a", null]]);
    assert.deepEqual(where('Properties.user == "bob"'), ["r2"]);
    assert.deepEqual(where("Properties.n > 6"), ["r2"]);
    assert.deepEqual(where("Properties['n'] == 5"), ["r1"]);
  });
});
