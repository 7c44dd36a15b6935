import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LogsQueryResultStatus } from "@azure/monitor-query-logs";
import { createManualClock, type ManualClock } from "./clock.ts";
import { type Simulator, startSimulator } from "./simulator.ts";
import { control, rawPost, rawQuery, sdkClient } from "../../test/support/simulator-http.ts";

const START = Date.UTC(2026, 0, 10, 12, 0, 0);

/** The rows of a raw 200 body, as the exact text between `"rows":[` and the closing `]}]`. */
function rowsText(body: string): string {
  const from = body.indexOf('"rows":[') + '"rows":['.length;
  const to = body.lastIndexOf("]}]");
  assert.ok(from > 8 && to > from, `unexpected body: ${body.slice(0, 200)}`);
  return body.slice(from, to);
}

interface QueryBody {
  tables: { name: string; columns: { name: string; type: string }[]; rows: unknown[][] }[];
  error?: { code: string; message: string; details: { code: string; message: string; innererror: { code: string; message: string } }[] };
  statistics?: { query: { executionTime: number; datasetStatistics: { tableRowCount: number; tableSize: number }[] } };
}

describe("query API", () => {
  let sim: Simulator;
  let clock: ManualClock;

  before(async () => {
    clock = createManualClock(START);
    sim = await startSimulator({
      clock,
      seed: 11,
      backfill: "PT1H",
      rowsPerSecond: 1,
      tables: ["AppRequests", "AppTraces", "MonitorliftTypes"],
    });
  });
  after(() => sim.close());

  test("every column type has the service's exact wire text (MonitorliftTypes)", async () => {
    const typed = "BoolValue, DatetimeValue, DynamicValue, IntValue, LongValue, RealValue, DecimalValue, StringValue, TimespanValue";
    const res = await rawQuery(sim, { query: `MonitorliftTypes | order by TimeGenerated asc | project ${typed}` });
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
    const long = JSON.stringify("0123456789abcdef—ünïcødé—".repeat(200));
    const expected = [
      String.raw`[true,"2024-02-29T12:34:56.1234567Z","{\"a\":123,\"b\":\"hello\",\"c\":[1,2,3],\"d\":{}}",0,0,0,"0","","00:00:00"]`,
      String.raw`[false,"1970-01-01T00:00:00Z","[]",1,9007199254740993,-1.5,"0.10101","plain ascii","00:00:10"]`,
      String.raw`[null,"0001-01-01T00:00:00Z","{}",-1,-9007199254740993,0.1,"-79228162514264337593543950335","quote \" and 'apostrophe'","1.02:03:04.5000000"]`,
      String.raw`[true,"9999-12-31T23:59:59.9999999Z","{\"emoji\":\"😀👩‍👩‍👧\",\"nested\":{\"ünï\":\"çødé\",\"arr\":[1,\"two\",null,true,{\"k\":\"v\\\"q\"}]}}",2147483647,9223372036854775807,3.141592653589793,"79228162514264337593543950335","back\\slash and /slash","-00:00:00.0000001"]`,
      String.raw`[false,"2024-01-01T00:00:00.1Z","{\"escapes\":\"line1\\nline2\\ttab \\\\ back \\\"quote\\\" \\u0001 ctrl\",\"html\":\"<b>&amp;</b>\"}",-2147483648,-9223372036854775808,123456.789,"3.1415926535897932384626433833","new\nline\r\ncrlf\ttab","10675199.02:48:05.4775807"]`,
      String.raw`[true,"1969-12-31T23:59:59.9999999Z",null,null,42,-0.000123,"1234567890.0987654321","ünïcødé 中文 😀 👩‍👩‍👧 🎉","-10675199.02:48:05.4775808"]`,
      String.raw`[false,null,"[1.5,-2,0.1,123456.789]",42,null,"NaN",null,"control \u0000 \u0001 \u001f ` + "\u007f" + String.raw` end",null]`,
      String.raw`[true,"2021-06-02T00:18:13.317Z","{\"deep\":{\"deeper\":{\"deepest\":{\"level\":4,\"list\":[[1],[2,[3]]]}}}}",1000000,1,"Infinity","-0.0000000000000000000000000001","</script><!-- -->","00:00:00.0000001"]`,
      String.raw`[false,"2000-01-01T00:00:00.0000001Z","[{\"x\":null},{\"y\":false}]",-999,-1,"-Infinity","100",null,"-3.04:05:06"]`,
      String.raw`[true,"2030-07-15T08:09:10Z","{\"中文\":\"值\",\"key with spaces\":\"v\",\"\":\"empty key\"}",7,1234567890123,null,"1.5",` + long + String.raw`,"01:00:00"]`,
      "[null,null,null,null,null,null,null,null,null]",
      // Dynamic scalars: a string is sent bare, a number or bool as its text — "42" and 42 look alike.
      '[null,null,"42",100,null,null,null,null,null]',
      '[null,null,"true",101,null,null,null,null,null]',
      '[null,null,"null",102,null,null,null,null,null]',
      '[null,null,"",103,null,null,null,null,null]',
      '[null,null,"plain",104,null,null,null,null,null]',
      '[null,null,"42",105,null,null,null,null,null]',
      '[null,null,"true",106,null,null,null,null,null]',
      '[null,null,"{not json",107,null,null,null,null,null]',
      '[null,null,"[1,2",108,null,null,null,null,null]',
    ];
    assert.equal(rowsText(res.text), expected.join(","));
    const body = JSON.parse(res.text) as QueryBody;
    assert.deepEqual(
      body.tables[0]?.columns.map((c) => c.type),
      ["bool", "datetime", "dynamic", "int", "long", "real", "decimal", "string", "timespan"],
    );
    const guids = await rawQuery(sim, { query: "MonitorliftTypes | order by TimeGenerated asc | take 4 | project GuidValue" });
    assert.equal(
      rowsText(guids.text),
      '["00000000-0000-0000-0000-000000000000"],["74be27de-1e4e-49d9-b579-fe0b331d3642"],["ffffffff-ffff-ffff-ffff-ffffffffffff"],[null]',
    );
  });

  test("the real SDK reads every type (and, like any JSON.parse client, rounds longs beyond 2^53)", async () => {
    const client = sdkClient(sim);
    const result = await client.queryWorkspace(sim.workspaceId, "MonitorliftTypes | order by TimeGenerated asc", { duration: "P1D" });
    assert.equal(result.status, LogsQueryResultStatus.Success);
    if (result.status !== LogsQueryResultStatus.Success) return;
    const table = result.tables[0];
    assert.ok(table);
    const cols = table.columnDescriptors.map((c) => c.name);
    const cell = (row: number, name: string) => table.rows[row]?.[cols.indexOf(name)];
    assert.equal(table.rows.length, 20);
    assert.deepEqual(cell(0, "DatetimeValue"), new Date("2024-02-29T12:34:56.123Z"));
    assert.deepEqual(cell(0, "DynamicValue"), { a: 123, b: "hello", c: [1, 2, 3], d: {} });
    assert.deepEqual(cell(3, "DynamicValue"), { emoji: "😀👩‍👩‍👧", nested: { "ünï": "çødé", arr: [1, "two", null, true, { k: 'v"q' }] } });
    assert.equal(cell(1, "LongValue"), 9007199254740992, "2^53+1 arrives rounded through JSON.parse");
    assert.equal(cell(2, "TimespanValue"), "1.02:03:04.5000000");
    assert.equal(cell(6, "RealValue"), "NaN");
    assert.equal(cell(10, "BoolValue"), null);
    // The SDK JSON.parses every dynamic string: text that parses changes type there ("42" → 42), the rest stays.
    assert.equal(cell(11, "DynamicValue"), 42);
    assert.equal(cell(15, "DynamicValue"), "plain");
    assert.ok(cell(0, "TimeGenerated") instanceof Date);
  });

  test("each timespan form filters TimeGenerated to [start, end), relative forms on the simulator clock", async () => {
    const all = JSON.parse((await rawQuery(sim, { query: "AppTraces | project _ItemId, TimeGenerated" })).text) as QueryBody;
    const rows = (all.tables[0]?.rows ?? []) as [string, string][];
    assert.ok(rows.length > 3000);
    const expect = (start: number, end: number) =>
      rows
        .filter(([, tg]) => Date.parse(tg) >= start && Date.parse(tg) < end)
        .map(([id]) => id)
        .sort();
    const ids = async (timespan: string) => {
      const r = await rawQuery(sim, { query: "AppTraces | project _ItemId", timespan });
      assert.equal(r.status, 200, r.text);
      return ((JSON.parse(r.text) as QueryBody).tables[0]?.rows ?? []).map((x) => x[0] as string).sort();
    };
    const t1 = START - 40 * 60_000;
    const t2 = START - 25 * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.deepEqual(await ids(`${iso(t1)}/${iso(t2)}`), expect(t1, t2));
    assert.deepEqual(await ids(`${iso(t1)}/PT15M`), expect(t1, t2));
    assert.deepEqual(await ids(`PT15M/${iso(t2)}`), expect(t1, t2));
    assert.deepEqual(await ids("PT10M"), expect(START - 10 * 60_000, START));
    assert.deepEqual(await ids("P0DT0H10M0.0S"), expect(START - 10 * 60_000, START));
    assert.ok(expect(t1, t2).length > 500);
    // The SDK's own forms.
    const client = sdkClient(sim);
    const viaSdk = async (timespan: Parameters<typeof client.queryWorkspace>[2]) => {
      const r = await client.queryWorkspace(sim.workspaceId, "AppTraces | project _ItemId", timespan);
      assert.equal(r.status, LogsQueryResultStatus.Success);
      return r.status === LogsQueryResultStatus.Success ? (r.tables[0]?.rows ?? []).map((x) => x[0] as string).sort() : [];
    };
    assert.deepEqual(await viaSdk({ startTime: new Date(t1), endTime: new Date(t2) }), expect(t1, t2));
    assert.deepEqual(await viaSdk({ startTime: new Date(t1), duration: "PT15M" }), expect(t1, t2));
    assert.deepEqual(await viaSdk({ duration: "PT15M", endTime: new Date(t2) }), expect(t1, t2));
    assert.deepEqual(await viaSdk({ duration: "PT10M" }), expect(START - 10 * 60_000, START));
    const bad = await rawQuery(sim, { query: "AppTraces", timespan: "last tuesday" });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /"code":"BadArgumentError"/);
  });

  test("include-statistics adds a statistics object with the result's row count and size", async () => {
    const res = await rawQuery(sim, { query: "AppTraces | take 7" }, { prefer: "include-statistics=true" });
    const body = JSON.parse(res.text) as QueryBody;
    const stats = body.statistics?.query;
    assert.ok(stats);
    assert.equal(typeof stats.executionTime, "number");
    assert.equal(stats.datasetStatistics[0]?.tableRowCount, 7);
    assert.equal(stats.datasetStatistics[0]?.tableSize, Buffer.byteLength(rowsText(res.text)));
    const r = await sdkClient(sim).queryWorkspace(sim.workspaceId, "AppTraces | take 2", { duration: "P1D" }, { includeQueryStatistics: true });
    assert.ok(r.statistics && typeof r.statistics === "object");
    const plain = JSON.parse((await rawQuery(sim, { query: "AppTraces | take 1" })).text) as QueryBody;
    assert.equal(plain.statistics, undefined);
  });

  test("bad KQL: 400 BadArgumentError with SemanticError/SEM0100 or SyntaxError/SYN0002 inside", async () => {
    const sem = await rawQuery(sim, { query: "AppRequests | where NoSuchColumn == 1" });
    assert.equal(sem.status, 400);
    const e = (JSON.parse(sem.text) as { error: Record<string, unknown> }).error;
    assert.equal(e["message"], "The request had some invalid properties");
    assert.equal(e["code"], "BadArgumentError");
    assert.match(String(e["correlationId"]), /^[0-9a-f-]{36}$/);
    const inner = e["innererror"] as { code: string; message: string; innererror: { code: string; message: string } };
    assert.equal(inner.code, "SemanticError");
    assert.equal(inner.message, "A semantic error occurred.");
    assert.equal(inner.innererror.code, "SEM0100");
    assert.match(inner.innererror.message, /NoSuchColumn/);

    const syn = JSON.parse((await rawQuery(sim, { query: "AppRequests\n| where | take" })).text) as {
      error: { innererror: { code: string; innererror: { code: string; line: number; pos: number } } };
    };
    assert.equal(syn.error.innererror.code, "SyntaxError");
    assert.equal(syn.error.innererror.innererror.code, "SYN0002");
    assert.equal(syn.error.innererror.innererror.line, 2);

    await assert.rejects(
      sdkClient(sim).queryWorkspace(sim.workspaceId, "NoSuchTable | take 1", { duration: "P1D" }),
      (err: { statusCode?: number; details?: { error?: { code?: string; innererror?: { code?: string } } } }) =>
        err.statusCode === 400 && err.details?.error?.code === "BadArgumentError" && err.details.error.innererror?.code === "SemanticError",
    );
  });

  test("malformed requests are 400 BadArgumentError; unknown paths 404", async () => {
    const notJson = await rawPost(sim, `/v1/workspaces/${sim.workspaceId}/query`, "{nope");
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /"code":"BadArgumentError"/);
    const noQuery = await rawPost(sim, `/v1/workspaces/${sim.workspaceId}/query`, { timespan: "PT1H" });
    assert.equal(noQuery.status, 400);
    const badWs = await rawPost(sim, `/v1/workspaces/${sim.workspaceId}/query`, { query: "AppTraces | take 1", workspaces: [42] });
    assert.equal(badWs.status, 400);
    const path = await rawPost(sim, "/v1/nothing/here", { query: "x" });
    assert.equal(path.status, 404);
    assert.match(path.text, /"code":"PathNotFoundError"/);
  });

  test("unknown workspace: 404 WorkspaceNotFoundError (also as an additional workspace)", async () => {
    const other = "00000000-1111-2222-3333-444444444444";
    const res = await rawPost(sim, `/v1/workspaces/${other}/query`, { query: "AppTraces | take 1" });
    assert.equal(res.status, 404);
    assert.equal((JSON.parse(res.text) as { error: { code: string } }).error.code, "WorkspaceNotFoundError");
    const extra = await rawQuery(sim, { query: "AppTraces | take 1", workspaces: [other] });
    assert.equal(extra.status, 404);
    await assert.rejects(sdkClient(sim).queryWorkspace(other, "AppTraces", { duration: "P1D" }), (err: { statusCode?: number }) => err.statusCode === 404);
    const same = await rawQuery(sim, { query: "AppTraces | take 1", workspaces: [sim.workspaceId.toUpperCase()] });
    assert.equal(same.status, 200);
  });

  test("resource-centric queries (/v1/subscriptions/…) reach the same workspace; the double-slash path is not found", async () => {
    const byResource = await rawPost(sim, `/v1${sim.resourceId}/query`, { query: "AppTraces | count", timespan: "P1D" });
    const byWorkspace = await rawQuery(sim, { query: "AppTraces | count", timespan: "P1D" });
    assert.equal(byResource.status, 200);
    assert.equal(byResource.text, byWorkspace.text);
    // @azure/monitor-query-logs 1.0.0 sends /v1//subscriptions/…: answered like any unknown path
    await assert.rejects(
      sdkClient(sim).queryResource(sim.resourceId, "AppTraces | count", { duration: "P1D" }),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === "PathNotFoundError",
    );
    const double = await rawPost(sim, `/v1/${sim.resourceId}/query`, { query: "AppTraces | take 1" });
    assert.equal(double.status, 404);
    assert.equal((JSON.parse(double.text) as { error: { code: string } }).error.code, "PathNotFoundError");
    const upper = await rawPost(sim, `/v1${sim.resourceId.toUpperCase()}/query`, { query: "AppTraces | take 1" });
    assert.equal(upper.status, 200);
    const wrong = await rawPost(sim, "/v1//subscriptions/x/resourceGroups/y/providers/microsoft.insights/components/z/query", {
      query: "AppTraces | take 1",
    });
    assert.equal(wrong.status, 404);
  });

  test("$batch: one response per request, in order, each with its own status", async () => {
    const res = await rawPost(sim, "/v1/$batch", {
      requests: [
        { id: "a", body: { query: "AppTraces | take 2" }, workspace: sim.workspaceId, path: "/query", method: "POST" },
        { id: "b", body: { query: "NoSuchTable" }, workspace: sim.workspaceId, path: "/query", method: "POST" },
        { id: "c", body: { query: "AppTraces | take 1" }, workspace: "00000000-0000-0000-0000-000000000009" },
        { id: "d", body: { query: "AppTraces | take 3" }, workspace: sim.workspaceId, headers: { Prefer: "include-statistics=true" } },
      ],
    });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as { responses: { id: string; status: number; body: QueryBody & { error?: { code: string } } }[] };
    assert.deepEqual(body.responses.map((r) => [r.id, r.status]), [["a", 200], ["b", 400], ["c", 404], ["d", 200]]);
    assert.equal(body.responses[0]?.body.tables[0]?.rows.length, 2);
    assert.equal(body.responses[1]?.body.error?.code, "BadArgumentError");
    assert.equal(body.responses[3]?.body.statistics?.query.datasetStatistics[0]?.tableRowCount, 3);

    const results = await sdkClient(sim).queryBatch([
      { workspaceId: sim.workspaceId, query: "AppTraces | take 4", timespan: { duration: "P1D" } },
      { workspaceId: sim.workspaceId, query: "set truncationmaxrecords=3; AppRequests | project _ItemId", timespan: { duration: "P1D" } },
    ]);
    assert.equal(results.length, 2);
    assert.equal(results[0]?.status, LogsQueryResultStatus.Success);
    assert.equal(results[1]?.status, LogsQueryResultStatus.PartialFailure);
    const empty = await rawPost(sim, "/v1/$batch", { requests: [] });
    assert.equal(empty.status, 400);
  });

  test("an Authorization header is ignored; GET queries work too", async () => {
    const res = await rawQuery(sim, { query: "AppTraces | take 1" }, { authorization: "Bearer not-checked" });
    assert.equal(res.status, 200);
    const get = await fetch(`${sim.endpoint}/workspaces/${sim.workspaceId}/query?query=${encodeURIComponent("AppTraces | take 2")}&timespan=P1D`);
    assert.equal(get.status, 200);
    assert.equal(((await get.json()) as QueryBody).tables[0]?.rows.length, 2);
  });

  test("gzip is used when accepted and decodes to the same body", async () => {
    const q = { query: "AppTraces | order by _ItemId asc | take 30" };
    const plain = await rawQuery(sim, q);
    const zipped = await rawQuery(sim, q, { "accept-encoding": "gzip" });
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.equal(zipped.headers["content-encoding"], "gzip");
    assert.equal(zipped.text, plain.text);
  });

  test("rows become visible only after ingestion + settle jitter as the manual clock moves (via /_control/clock)", async () => {
    const now = clock();
    const soon = (await control(sim, `truth?table=AppTraces&ingestedFrom=${now + 1}&ingestedBefore=${now + 60_000}`)).json as {
      itemIds: string[];
    };
    assert.ok(soon.itemIds.length > 0, "some rows are ingested within the next minute");
    const probe = soon.itemIds.slice(0, 5);
    const count = async () => {
      const r = await rawQuery(
        sim,
        { query: `AppTraces | where _ItemId in (${probe.map((i) => `'${i}'`).join(",")}) | count` },
        { "cache-control": "no-cache" },
      );
      return Number(/\[\[(\d+)\]\]/.exec(r.text)?.[1]);
    };
    assert.equal(await count(), 0);
    const moved = await control(sim, "clock", { advanceMs: 60_000 + 20_001 });
    assert.equal((moved.json as { now: number }).now, now + 80_001);
    assert.equal(await count(), probe.length);
    // Live generation kept going while the clock moved.
    const stats = (await control(sim, "stats")).json as { tableRows: Record<string, number> };
    assert.ok((stats.tableRows["AppTraces"] ?? 0) >= 3600 + 78);
    clock.set(now);
  });

  test("ground truth equals what a full-range query returns, also for an ingestion cut-off", async () => {
    const all = JSON.parse((await rawQuery(sim, { query: "AppTraces | count" })).text) as QueryBody;
    const total = Number(all.tables[0]?.rows[0]?.[0]);
    const cutoff = clock() - 21_000;
    const truth = sim.truth("AppTraces", { ingestedBefore: cutoff, visibleAt: clock() });
    const got: string[] = [];
    // Page by ingestion time, 30-second windows.
    let from = START - 2 * 3_600_000;
    while (from < cutoff) {
      const to = Math.min(from + 30_000, cutoff);
      const r = await rawQuery(sim, {
        query: `AppTraces | where ingestion_time() >= datetime(${new Date(from).toISOString()}) and ingestion_time() < datetime(${new Date(to).toISOString()}) | project _ItemId`,
      });
      const body = JSON.parse(r.text) as QueryBody;
      assert.equal(body.error, undefined, `window ${from} hit a limit`);
      for (const row of body.tables[0]?.rows ?? []) got.push(row[0] as string);
      from = to;
    }
    assert.deepEqual(got.sort(), truth);
    assert.ok(truth.length > 3000 && truth.length <= total);
    const everything = sim.truth("AppTraces");
    assert.ok(everything.length > truth.length, "truth without a filter includes rows not ingested yet");
    assert.ok(sim.truth("AppTraces", { ingestedBefore: cutoff }).length > truth.length, "and rows ingested but not visible yet (the visibility tail)");
  });

  test("control endpoints: health, truth, stats, faults, clock", async () => {
    const health = await control(sim, "health");
    assert.equal((health.json as { workspaceId: string }).workspaceId, sim.workspaceId);
    const truth = (await control(sim, "truth?table=MonitorliftTypes")).json as { count: number; itemIds: string[] };
    assert.equal(truth.count, 20);
    assert.deepEqual(truth.itemIds, sim.truth("MonitorliftTypes"));
    assert.equal((await control(sim, "truth?table=Nope")).status, 404);
    const faults = await control(sim, "faults", { queue: ["503"], match: "MARKER-1" });
    assert.equal((faults.json as { queued: number }).queued, 1);
    assert.equal((await rawQuery(sim, { query: "AppTraces | take 1 // MARKER-1" })).status, 503);
    const stats = (await control(sim, "stats")).json as { requests: Record<string, number>; faultsInjected: Record<string, number>; rowsServed: number };
    assert.ok((stats.requests["503"] ?? 0) >= 1);
    assert.ok((stats.faultsInjected["503"] ?? 0) >= 1);
    assert.ok(stats.rowsServed > 0);
    assert.equal((await control(sim, "faults", { config: "teapot=1" })).status, 400);
  });
});

describe("result limits (configured low)", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      clock: createManualClock(START),
      seed: 12,
      backfill: "PT10M",
      rowsPerSecond: 1,
      tables: ["AppRequests"],
      limits: { maxRows: 40, maxBytes: 30_000, engineSizeRatio: 1 },
    });
  });
  after(() => sim.close());

  test("over the row limit: 200 with the rows that fit and a PartialError after tables (SDK: PartialFailure)", async () => {
    const res = await rawQuery(sim, { query: "AppRequests | project _ItemId" });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as QueryBody;
    assert.equal(body.tables[0]?.rows.length, 40);
    assert.ok(res.text.indexOf('"error"') > res.text.indexOf('"tables"'));
    assert.deepEqual(body.error, {
      code: "PartialError",
      message: "There were some errors when processing your query.",
      details: [
        {
          code: "EngineError",
          message: "Something went wrong processing your query on the server.",
          innererror: {
            code: "-2133196797",
            message:
              "The results of this query exceed the set limit of 40 records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, 0x80DA0003). See https://aka.ms/kustoquerylimits for more information and possible solutions.",
            severity: 2,
            severityName: "Error",
          },
        },
      ],
    });
    const r = await sdkClient(sim).queryWorkspace(sim.workspaceId, "AppRequests | project _ItemId", { duration: "P1D" });
    assert.equal(r.status, LogsQueryResultStatus.PartialFailure);
    if (r.status === LogsQueryResultStatus.PartialFailure) {
      assert.equal(r.partialTables[0]?.rows.length, 40);
      assert.equal(r.partialError.code, "PartialError");
    }
    const set = JSON.parse((await rawQuery(sim, { query: "set truncationmaxrecords=5;\nAppRequests | project _ItemId" })).text) as QueryBody;
    assert.equal(set.tables[0]?.rows.length, 5);
    assert.match(set.error?.details[0]?.innererror.message ?? "", /limit of 5 records/);
  });

  test("over the size limit: the rows that fit within the bytes, and the size variant of the message", async () => {
    const res = await rawQuery(sim, { query: "AppRequests | order by _ItemId asc | take 39" });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as QueryBody;
    const kept = body.tables[0]?.rows.length ?? 0;
    assert.ok(kept > 10 && kept < 39, `kept ${kept}`);
    const rowsBytes = Buffer.byteLength(rowsText(res.text));
    assert.ok(rowsBytes <= 30_000, `rows take ${rowsBytes} bytes`);
    const full = await rawQuery(sim, { query: `AppRequests | order by _ItemId asc | take ${kept + 1}` });
    const oneMore = (JSON.parse(full.text) as QueryBody).tables[0]?.rows.length;
    assert.equal(oneMore, kept, "the next row would not have fit either");
    assert.equal(body.error?.code, "PartialError");
    assert.equal(
      body.error?.details[0]?.innererror.message,
      "The results of this query exceed the set limit of 30000 bytes, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, 0x80DA0003, see https://aka.ms/kustoquerylimits for more information and possible solutions).",
    );
  });

});

describe("determinism", () => {
  test("same seed and clock → same truth and byte-identical results; the clock is real time by default", async () => {
    const start = async (seed: number) =>
      startSimulator({ clock: createManualClock(START), seed, backfill: "PT10M", rowsPerSecond: 3, tables: ["AppDependencies"] });
    const [a, b, c] = await Promise.all([start(5), start(5), start(6)]);
    try {
      assert.equal(a.workspaceId, b.workspaceId);
      assert.deepEqual(a.truth("AppDependencies"), b.truth("AppDependencies"));
      assert.notDeepEqual(a.truth("AppDependencies"), c.truth("AppDependencies"));
      const q = { query: "AppDependencies | order by _ItemId asc | take 200" };
      assert.equal((await rawQuery(a, q)).text, (await rawQuery(b, q)).text);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
    const real = await startSimulator({ backfill: "PT1M", tables: ["AppEvents"] });
    try {
      assert.ok(Math.abs(real.clock() - Date.now()) < 1000);
      assert.equal((await control(real, "clock", { advanceMs: 1 })).status, 409);
    } finally {
      await real.close();
    }
  });
});
