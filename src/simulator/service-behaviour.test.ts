/**
 * The simulator answers like the service where the service is harsher than a naive fake
 * (README, "Against the real service"): 204 for a workspace without data, the 2-minute response
 * cache with Age, the engine's size cut with a larger body, and resource-centric rows dropped
 * silently unless `Prefer: include-permissions=true` asks what was filtered.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createManualClock, type ManualClock } from "./clock.ts";
import { type Simulator, startSimulator } from "./simulator.ts";
import { SIM_WORKSPACE_RESOURCE_ID } from "./access.ts";
import { control, rawPost, rawQuery } from "../../test/support/simulator-http.ts";

const START = Date.UTC(2026, 0, 10, 12, 0, 0);

test("a workspace with no data answers 204 No Content with an empty body", async () => {
  const sim = await startSimulator({ clock: createManualClock(START), backfill: "PT0S", live: false, tables: ["AppRequests"] });
  try {
    const res = await rawQuery(sim, { query: "AppRequests", timespan: "PT1H" });
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
  } finally {
    await sim.close();
  }
});

describe("response cache and permissions", () => {
  let sim: Simulator;
  let clock: ManualClock;
  before(async () => {
    clock = createManualClock(START);
    sim = await startSimulator({ clock, seed: 5, backfill: "PT30M", rowsPerSecond: 1, tables: ["AppRequests", "AppTraces"] });
  });
  after(() => sim.close());

  test("an identical query within 2 minutes is answered from the cache with Age; no-cache and max-age bypass it", async () => {
    const body = { query: "AppTraces | count", timespan: "P1D" };
    const first = await rawQuery(sim, body);
    assert.equal(first.headers["age"], undefined);
    clock.advance(90_000); // new rows arrive, but the cached answer is served
    const cached = await rawQuery(sim, body);
    assert.equal(cached.headers["age"], "90");
    assert.equal(cached.text, first.text);
    const fresh = await rawQuery(sim, body, { "cache-control": "no-cache" });
    assert.equal(fresh.headers["age"], undefined);
    assert.notEqual(fresh.text, first.text);
    clock.advance(30_000);
    assert.equal((await rawQuery(sim, body)).headers["age"], "30", "the fresh answer replaced the cached one");
    assert.equal((await rawQuery(sim, body, { "cache-control": "max-age=10" })).headers["age"], undefined);
    clock.advance(120_000);
    assert.equal((await rawQuery(sim, body)).headers["age"], undefined, "expired after 2 minutes");
  });

  test("resource-centric: denied tables and workspaces are dropped silently; include-permissions reports them", async () => {
    const path = `/v1${sim.resourceId}/query`;
    const q = { query: "AppTraces | count", timespan: "P1D" };
    const nocache = { "cache-control": "no-cache" };
    const open = await rawPost(sim, path, q, { ...nocache, prefer: "wait=30,include-permissions=true" });
    const openBody = JSON.parse(open.text) as { tables: { rows: number[][] }[]; permissions: unknown };
    assert.ok((openBody.tables[0]?.rows[0]?.[0] ?? 0) > 0);
    assert.deepEqual(openBody.permissions, {
      resources: [{ resourceId: sim.resourceId, dataSources: [SIM_WORKSPACE_RESOURCE_ID] }],
      dataSources: [{ resourceId: SIM_WORKSPACE_RESOURCE_ID }],
    });

    await control(sim, "access", { deniedTables: ["AppTraces"] });
    const silent = JSON.parse((await rawPost(sim, path, q, nocache)).text) as { tables: { rows: number[][] }[]; permissions?: unknown };
    assert.deepEqual(silent.tables[0]?.rows, [[0]], "rows dropped, nothing said");
    assert.equal(silent.permissions, undefined);
    const told = JSON.parse((await rawPost(sim, path, q, { ...nocache, prefer: "wait=30, include-permissions=true" })).text) as {
      permissions: { resources: { denyTables?: string[] }[] };
    };
    assert.deepEqual(told.permissions.resources[0]?.denyTables, ["AppTraces"]);
    const other = JSON.parse((await rawPost(sim, path, { query: "AppRequests | count" }, { prefer: "include-permissions=true" })).text) as {
      tables: { rows: number[][] }[];
      permissions: { resources: { denyTables?: string[] }[] };
    };
    assert.ok((other.tables[0]?.rows[0]?.[0] ?? 0) > 0);
    assert.equal(other.permissions.resources[0]?.denyTables, undefined, "only denied tables the query touched are listed");

    await control(sim, "access", { workspaceDenied: true });
    const ws = JSON.parse((await rawPost(sim, path, { query: "AppRequests | count" }, { prefer: "include-permissions=true" })).text) as {
      tables: { rows: number[][] }[];
      permissions: { dataSources: unknown[] };
    };
    assert.deepEqual(ws.tables[0]?.rows, [[0]]);
    assert.deepEqual(ws.permissions.dataSources, []);
    // workspace-context queries are not filtered
    assert.notDeepEqual(JSON.parse((await rawQuery(sim, { query: "AppRequests | count" }, nocache)).text).tables[0].rows, [[0]]);
    await control(sim, "access", {});
  });
});

test("the size cut is the engine's: the body at the cut is engineSizeRatio times the limit, and names the limit", async () => {
  const sim = await startSimulator({
    clock: createManualClock(START),
    seed: 3,
    backfill: "PT20M",
    rowsPerSecond: 1,
    tables: ["AppRequests"],
    limits: { maxBytes: 64_000 },
  });
  try {
    const res = await rawQuery(sim, { query: "AppRequests" });
    const body = JSON.parse(res.text) as { error?: { details: { innererror: { message: string } }[] } };
    assert.match(body.error?.details[0]?.innererror.message ?? "", /limit of 64000 bytes/);
    const bytes = Buffer.byteLength(res.text);
    assert.ok(bytes > 64_000 * 1.1 && bytes < 64_000 * 1.2, `a body of ${bytes} bytes at the cut (~73/64 of the limit)`);
  } finally {
    await sim.close();
  }
});
