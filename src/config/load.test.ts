import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ConfigError, MonitorliftError } from "../errors.ts";
import { loadConfig, loadConfigOrThrow } from "./load.ts";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/config/", import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

async function errorsOf(name: string, env: Record<string, string> = {}): Promise<string[]> {
  const result = await loadConfig(fixture(name), env);
  assert.equal(result.config, undefined, `${name} should not load`);
  return result.errors;
}

test("valid fixture: loads, normalised", async () => {
  const result = await loadConfig(fixture("valid.json"), {});
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  const c = result.config!;
  assert.equal(c.configPath, fixture("valid.json"));
  assert.equal(c.baseDir, FIXTURES.replace(/\/$/, ""));
  assert.equal(c.sources.default!.workspaceId, "11111111-2222-3333-4444-555555555555");
  assert.equal(c.sources.default!.endpoint, "http://127.0.0.1:8099/v1");
  assert.deepEqual(c.sources.default!.auth, { method: "none" });
  assert.equal(c.sources.default!.requestTimeoutMs, 240_000);
  assert.equal(c.sources.default!.serverTimeoutMs, 150_000);
  assert.equal(c.sources.default!.retryDelayMs, 500);
  assert.equal(c.sources.default!.maxRetryDelayMs, 60_000);
  assert.equal(c.sink.type, "filesystem");
  assert.equal(c.sink.type === "filesystem" && c.sink.path, join(FIXTURES, "out/export"));
  assert.equal(c.concurrency, 3);
  assert.deepEqual(c.log, { level: "debug", format: "auto" });
  assert.equal(c.schedule, "*/5 * * * *");

  const [requests, slow, failed, traces] = c.queries;
  assert.deepEqual(requests!.window, {
    mode: "ingestion",
    sizeMs: 300_000,
    lagMs: 120_000,
    reverifyMs: 3_600_000,
    lookbackMs: 259_200_000,
    futureMs: 86_400_000,
    start: { ago: 10_800_000 },
    timeColumn: "TimeGenerated",
    maxRows: 500_000,
    maxBytes: 104_857_600, // the query API's ~100 MiB (issue 8)
    minSizeMs: 1000,
    maxWindowsPerRun: 288,
  });
  assert.equal(requests!.kql, "AppRequests\n| $window\n| extend _ItemId = _ItemId");
  assert.equal(slow!.transform, "where DurationMs > 1000 | project TimeGenerated, _ItemId, Name, DurationMs");
  assert.equal(slow!.kql, "AppRequests\n| $window\n| extend _ItemId = _ItemId\n| where DurationMs > 1000 | project TimeGenerated, _ItemId, Name, DurationMs");
  // per-query overrides over the top-level block
  assert.equal(failed!.file, join(FIXTURES, "queries/failed.kql"));
  assert.match(failed!.kql, /^\/\/ Failed dependency calls/);
  assert.deepEqual(
    { mode: failed!.window.mode, size: failed!.window.sizeMs, lag: failed!.window.lagMs, timeColumn: failed!.window.timeColumn, start: failed!.window.start },
    { mode: "time", size: 900_000, lag: 900_000, timeColumn: "timestamp", start: { ago: 10_800_000 } },
  );
  assert.equal(traces!.enabled, false);
  assert.deepEqual(traces!.window.start, { at: Date.parse("2026-10-31T23:00:00Z") });
  assert.deepEqual(c.queries.map((q) => q.index), [0, 1, 2, 3]);
});

test("valid fixture: env overrides the default and is used", async () => {
  const result = await loadConfig(fixture("valid.json"), { MONITORLIFT_FIXTURE_WORKSPACE: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" });
  assert.equal(result.config?.sources.default?.workspaceId, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
});

test("typo'd key: did you mean", async () => {
  assert.deepEqual(await errorsOf("typo-key.json"), [`queries[0].tabel: unknown key — did you mean "table"?`]);
});

test("bad duration", async () => {
  assert.deepEqual(await errorsOf("bad-duration.json"), [`window.size: "5 minutes" is not an ISO 8601 duration — write e.g. "PT5M" (5 minutes), "PT1.5S" or "P2D"`]);
});

test("missing environment variable", async () => {
  assert.deepEqual(await errorsOf("missing-env.json"), [
    "source.workspaceId: environment variable MONITORLIFT_FIXTURE_UNSET_WORKSPACE is not set (referenced as ${env:MONITORLIFT_FIXTURE_UNSET_WORKSPACE}) — set it, or give a default with ${env:MONITORLIFT_FIXTURE_UNSET_WORKSPACE:-default}",
  ]);
});

test("missing .kql file", async () => {
  assert.deepEqual(await errorsOf("missing-kql.json"), [
    `queries[2].file: cannot read queries/x.kql (ENOENT) — paths are relative to the config file's folder ${FIXTURES.replace(/\/$/, "")}`,
  ]);
});

test("plain http to a remote endpoint", async () => {
  assert.deepEqual(await errorsOf("http-endpoint.json"), [
    "source.endpoint: http://logs.example.com is plain http — the access token and the exported data would cross the network unencrypted; use https (http is accepted only for loopback hosts such as a local simulator on 127.0.0.1)",
  ]);
});

test("sink rules come from the sink's own config module (src/sinks/<kind>/config.ts)", async () => {
  assert.deepEqual(await errorsOf("sink-sqlite-server-keys.json"), [
    "sink.host: does not apply to dialect sqlite (only path does)",
    "sink.schema: does not apply to dialect sqlite (only path does)",
  ]);
  assert.deepEqual(await errorsOf("sink-blob-sas-in-url.json"), [
    `sink.accountUrl: must not contain a query string or fragment ("?…", "#…") — a SAS token or key there would end up in logs`,
  ]);
  assert.deepEqual(await errorsOf("sink-type-typo.json"), [`sink.tablePrefx: unknown key — did you mean "tablePrefix"?`]);
});

test("duplicate query names", async () => {
  assert.deepEqual(await errorsOf("duplicate-names.json"), [
    `queries[2].name: "requests" is already used by queries[0] — query names must be unique (they name the output folders and cursors)`,
  ]);
});

test("auth none on a remote endpoint", async () => {
  assert.deepEqual(await errorsOf("auth-none-remote.json"), [
    `source.auth.method: "none" sends queries without an access token and is accepted only with a loopback endpoint (a local simulator on 127.0.0.1, ::1 or localhost), not api.loganalytics.azure.com — use "default", "clientSecret" or "managedIdentity"`,
  ]);
});

test("bad cron expression", async () => {
  assert.deepEqual(await errorsOf("bad-cron.json"), [
    `schedule: "61 * * * *" is not a valid cron expression (minute: 61 is a invalid expression for minute) — use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "*/5 * * * *"`,
  ]);
});

test("JSON syntax error with line and column", async () => {
  assert.deepEqual(await errorsOf("syntax-error.json"), ["line 3, column 62: trailing comma before ] — remove the last comma"]);
});

test("query text problems in files and transforms", async () => {
  assert.deepEqual(await errorsOf("forbidden-join.json"), [
    `queries[0].file: queries/joins.kql uses "join" after the window filter (line 3, column 3), which is not allowed — it brings in rows from another table, outside the window`,
    `queries[1].file: queries/no-macro.kql has no "| $window" stage (outside comments and strings) — put it right after the table name, e.g. "AppDependencies | $window | where Success == false"`,
    `queries[2].transform: uses "union" after the window filter (column 1), which is not allowed — it adds rows from other tables, outside the window`,
  ]);
});

test("time mode with a short lag: loads, with a warning", async () => {
  const result = await loadConfig(fixture("time-mode-lag.json"), {});
  assert.ok(result.config);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /^queries\[0\]\.window\.lag: lag PT5M is short for mode "time": .* are never exported/);
});

test("missing file: notFound, and loadConfigOrThrow throws CONFIG_NOT_FOUND", async () => {
  const result = await loadConfig(fixture("does-not-exist.json"), {});
  assert.equal(result.notFound, true);
  await assert.rejects(loadConfigOrThrow(fixture("does-not-exist.json"), {}), (err: unknown) => {
    assert.ok(err instanceof MonitorliftError);
    assert.equal(err.code, "CONFIG_NOT_FOUND");
    return true;
  });
});

test("loadConfigOrThrow: ConfigError carrying every problem", async () => {
  await assert.rejects(loadConfigOrThrow(fixture("forbidden-join.json"), {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, "CONFIG_INVALID");
    assert.equal(err.problems.length, 3);
    assert.equal(err.file, fixture("forbidden-join.json"));
    assert.match(err.message, /^Invalid configuration: queries\[0\]\.file: .* \(and 2 more problems\)$/);
    return true;
  });
  const config = await loadConfigOrThrow(fixture("valid.json"), {});
  assert.equal(config.queries.length, 4);
});
