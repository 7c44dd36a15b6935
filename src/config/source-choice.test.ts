import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "./load.ts";

const WS_A = "11111111-2222-3333-4444-555555555555";
const WS_B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SP = { method: "clientSecret", tenantId: "contoso.onmicrosoft.com", clientId: WS_A };

type Json = Record<string, unknown> & { queries: Record<string, unknown>[] };

const multi = (): Json => ({
  sources: {
    east: { workspaceId: WS_A, auth: SP },
    "west-2": { workspaceId: WS_B, auth: { method: "managedIdentity" }, maxRetries: 2, retryDelay: "PT2S" },
  },
  queries: [
    { name: "requests_east", table: "AppRequests", source: "east" },
    { name: "requests_west", table: "AppRequests", source: "west-2" },
  ],
  sink: { type: "filesystem", path: "./export" },
});

async function check(json: Json) {
  return resolveConfig(json, { configPath: "/etc/monitorlift/config.json", env: {} });
}

test("named sources: each query reads the one it names, each source normalised on its own", async () => {
  const r = await check(multi());
  assert.deepEqual(r.errors, []);
  const c = r.config!;
  assert.equal(c.namedSources, true);
  assert.deepEqual(Object.keys(c.sources), ["east", "west-2"]);
  assert.equal(c.sources.east!.workspaceId, WS_A);
  assert.equal(c.sources["west-2"]!.workspaceId, WS_B);
  assert.equal(c.sources["west-2"]!.retryDelayMs, 2000);
  assert.equal(c.sources["west-2"]!.maxRetries, 2);
  assert.equal(c.sources.east!.maxRetries, 6, "defaults apply per source");
  assert.deepEqual(c.queries.map((q) => [q.name, q.source]), [["requests_east", "east"], ["requests_west", "west-2"]]);
});

test("a single named source: queries may leave out their source", async () => {
  const json = multi();
  json.sources = { main: { workspaceId: WS_A, auth: SP } };
  json.queries = [{ name: "requests", table: "AppRequests" }, { name: "traces", table: "AppTraces", source: "main" }];
  const r = await check(json);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.queries.map((q) => q.source), ["main", "main"]);
});

test("the single top-level source: unchanged, named 'default' inside and not shown", async () => {
  const r = await check({ source: { workspaceId: WS_A }, queries: [{ name: "requests", table: "AppRequests" }], sink: { type: "filesystem", path: "./export" } });
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.namedSources, false);
  assert.deepEqual(Object.keys(r.config!.sources), ["default"]);
  assert.equal(r.config!.queries[0]!.source, "default");
});

test("both source and sources: one error at sources", async () => {
  const json = multi();
  json.source = { workspaceId: WS_A };
  const r = await check(json);
  assert.deepEqual(r.errors, [
    `sources: give either "source" (one source for every query) or "sources" (several, by name), not both — move the "source" block into "sources" under a name`,
  ]);
});

test("neither source nor sources, or an empty sources", async () => {
  const none = multi();
  delete none.sources;
  for (const q of none.queries) delete q.source;
  assert.deepEqual((await check(none)).errors, [`source: is required — give "source" (the workspace or resource every query reads) or "sources" (several, by name)`]);
  const empty = multi();
  empty.sources = {};
  assert.deepEqual((await check(empty)).errors, [`sources: must name at least one source, e.g. "sources": { "main": { "workspaceId": "…" } }`]);
});

test("a query naming an unknown source: did you mean the closest name, else the list", async () => {
  const slip = multi();
  slip.queries[1]!.source = "west2";
  assert.deepEqual((await check(slip)).errors, [`queries[1].source: no source named "west2" in "sources" — did you mean "west-2"?`]);
  const far = multi();
  far.queries[0]!.source = "europe";
  assert.deepEqual((await check(far)).errors, [`queries[0].source: no source named "europe" in "sources" (sources: "east", "west-2")`]);
});

test("several sources: a query without source is an error naming them", async () => {
  const json = multi();
  delete json.queries[1]!.source;
  assert.deepEqual((await check(json)).errors, [
    `queries[1].source: is required — "sources" names 2 sources ("east", "west-2"); say which one query "requests_west" reads`,
  ]);
});

test("a query naming a source with a single top-level source block", async () => {
  const r = await check({ source: { workspaceId: WS_A }, queries: [{ name: "requests", table: "AppRequests", source: "main" }], sink: { type: "filesystem", path: "./export" } });
  assert.deepEqual(r.errors, [
    `queries[0].source: names a source, but the file has a single "source" block that every query reads — remove this key, or name your sources under "sources"`,
  ]);
});

test("bad source names: at the key, with the pattern; in a query's source too", async () => {
  const json = multi();
  json.sources = { "East Coast": { workspaceId: WS_A }, Prod: { workspaceId: WS_B }, ok: { workspaceId: WS_B } };
  json.queries = [{ name: "requests", table: "AppRequests", source: "ok" }, { name: "traces", table: "AppTraces", source: "../x" }];
  const r = await check(json);
  const why = "is not a valid source name: a lowercase letter, then up to 31 lowercase letters, digits, '_' or '-' (it appears in logs, metrics and status)";
  assert.deepEqual(r.errors.toSorted(), [`queries[1].source: ${why}`, `sources["East Coast"]: ${why}`, `sources.Prod: ${why}`].toSorted());
});

test("each named source's keys are checked at their own path, with did-you-mean", async () => {
  const json = multi();
  json.sources = {
    east: { workspaceID: WS_A },
    "west-2": { workspaceId: WS_B, endpoint: "http://10.0.0.5/v1", maxRetryDelay: "PT0.1S" },
  };
  const r = await check(json);
  assert.ok(r.errors.includes(`sources.east.workspaceID: unknown key — did you mean "workspaceId"?`), r.errors.join("\n"));
  const rules = await check({ ...json, sources: { east: { workspaceId: WS_A }, "west-2": (json.sources as Record<string, unknown>)["west-2"] } });
  assert.ok(rules.errors.some((e) => e.startsWith(`sources["west-2"].endpoint: http://10.0.0.5 is plain http`)), rules.errors.join("\n"));
  assert.ok(rules.errors.includes(`sources["west-2"].maxRetryDelay: PT0.1S is shorter than retryDelay PT1S`), rules.errors.join("\n"));
});

test("query names stay unique across sources (they key cursors, folders, tables and locks)", async () => {
  const json = multi();
  json.queries[1]!.name = "requests_east";
  assert.deepEqual((await check(json)).errors, [
    `queries[1].name: "requests_east" is already used by queries[0] — query names must be unique (they name the output folders and cursors)`,
  ]);
});
