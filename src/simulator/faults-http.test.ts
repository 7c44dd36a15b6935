import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import { after, afterEach, before, describe, test } from "node:test";
import { LogsQueryResultStatus } from "@azure/monitor-query-logs";
import { createManualClock } from "./clock.ts";
import { type Simulator, startSimulator } from "./simulator.ts";
import { control, rawPost, rawQuery, sdkClient } from "../../test/support/simulator-http.ts";

const START = Date.UTC(2026, 0, 10, 12, 0, 0);

type Outcome = { kind: "ok"; text: string } | { kind: "error"; message: string };

/** A raw POST that reports a body cut short instead of failing the test. */
function rawOutcome(sim: Simulator, query: string, gzip: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(`${sim.endpoint}/workspaces/${sim.workspaceId}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(gzip ? { "accept-encoding": "gzip" } : {}) },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ kind: "ok", text: Buffer.concat(chunks).toString() }));
      res.on("error", (e) => {
        // What arrived before the cut, decoded as far as it goes.
        const got = Buffer.concat(chunks);
        const prefix = gzip ? zlib.gunzipSync(got, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString() : got.toString();
        resolve({ kind: "error", message: `${e.message} after ${prefix.length} chars: ${prefix.slice(0, 40)}` });
      });
    });
    req.on("error", (e) => resolve({ kind: "error", message: e.message }));
    req.end(JSON.stringify({ query }));
  });
}

const settleWithin = <T>(p: Promise<T>, ms: number): Promise<"pending" | "settled"> =>
  Promise.race([
    p.then(
      () => "settled" as const,
      () => "settled" as const,
    ),
    new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms)),
  ]);

describe("fault injection", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ clock: createManualClock(START), seed: 21, backfill: "PT20M", rowsPerSecond: 1, tables: ["AppTraces", "AppEvents"] });
  });
  after(() => sim.close());
  afterEach(() => {
    sim.faults.clearQueue();
    sim.faults.set({});
  });

  test("429 carries Retry-After; the SDK waits for it and retries", async () => {
    sim.faults.enqueue(["429:3"]);
    const raw = await rawQuery(sim, { query: "AppTraces | take 1" });
    assert.equal(raw.status, 429);
    assert.equal(raw.headers["retry-after"], "3");
    assert.equal((JSON.parse(raw.text) as { error: { code: string } }).error.code, "ThrottledError");

    sim.faults.enqueue(["429:1"]);
    const before429 = sim.stats().requests["429"] ?? 0;
    const t0 = Date.now();
    const r = await sdkClient(sim, { maxRetries: 2 }).queryWorkspace(sim.workspaceId, "AppTraces | take 2", { duration: "P1D" });
    assert.equal(r.status, LogsQueryResultStatus.Success);
    assert.ok(Date.now() - t0 >= 900, "the retry waited for Retry-After");
    assert.equal((sim.stats().requests["429"] ?? 0) - before429, 1);
  });

  test("503 and 500 are answered with the service's error shape; without retries the SDK surfaces them", async () => {
    sim.faults.enqueue(["503", "429", "503:none", "500"]);
    // The gateway's Retry-After: 0 by default
    const zero = await rawQuery(sim, { query: "AppTraces" });
    assert.equal(zero.status, 503);
    assert.equal(zero.headers["retry-after"], "0");
    assert.equal((await rawQuery(sim, { query: "AppTraces" })).headers["retry-after"], "0");
    const a = await rawQuery(sim, { query: "AppTraces" });
    assert.equal(a.status, 503);
    assert.equal(a.headers["retry-after"], undefined);
    assert.equal((JSON.parse(a.text) as { error: { code: string } }).error.code, "ServiceUnavailableError");
    const b = await rawQuery(sim, { query: "AppTraces" });
    assert.equal(b.status, 500);
    assert.equal((JSON.parse(b.text) as { error: { code: string } }).error.code, "InternalServerError");
    sim.faults.enqueue(["503", "500"]);
    const client = sdkClient(sim);
    await assert.rejects(client.queryWorkspace(sim.workspaceId, "AppTraces", { duration: "P1D" }), (e: { statusCode?: number }) => e.statusCode === 503);
    await assert.rejects(client.queryWorkspace(sim.workspaceId, "AppTraces", { duration: "P1D" }), (e: { statusCode?: number }) => e.statusCode === 500);
    sim.faults.enqueue(["503:0", "500"]);
    const retried = await sdkClient(sim, { maxRetries: 3 }).queryWorkspace(sim.workspaceId, "AppTraces | take 1", { duration: "P1D" });
    assert.equal(retried.status, LogsQueryResultStatus.Success);
  });

  test("a response slower than Prefer: wait=N becomes 504 after N s with Preference-Applied", async () => {
    sim.faults.enqueue(["slow:5000"]);
    const t0 = Date.now();
    const res = await rawQuery(sim, { query: "AppTraces | take 1" }, { prefer: "wait=1" });
    const took = Date.now() - t0;
    assert.equal(res.status, 504);
    assert.ok(took >= 950 && took < 4000, `answered after ${took} ms`);
    assert.equal(res.headers["preference-applied"], "wait=1");
    const err = (JSON.parse(res.text) as { error: { code: string; message: string; innererror: { code: string } } }).error;
    assert.deepEqual([err.code, err.message, err.innererror.code], ["GatewayTimeout", "Gateway timeout", "GatewayTimeout"]);

    sim.faults.enqueue(["slow:5000"]);
    await assert.rejects(
      sdkClient(sim).queryWorkspace(sim.workspaceId, "AppTraces", { duration: "P1D" }, { serverTimeoutInSeconds: 1 }),
      (e: { statusCode?: number }) => e.statusCode === 504,
    );
    sim.faults.enqueue(["slow:300"]);
    const t1 = Date.now();
    const ok = await rawQuery(sim, { query: "AppTraces | take 1" });
    assert.equal(ok.status, 200);
    assert.ok(Date.now() - t1 >= 280);
  });

  test("reset part-way without gzip: the client sees the body cut and the SDK rejects", async () => {
    sim.faults.enqueue(["reset"]);
    const raw = await rawOutcome(sim, "AppTraces", false);
    assert.equal(raw.kind, "error");
    assert.match(raw.kind === "error" ? raw.message : "", /{"tables":\[{"name":"PrimaryResult"/);
    sim.faults.enqueue(["reset:0.5"]);
    await assert.rejects(
      sdkClient(sim, { gzip: false }).queryWorkspace(sim.workspaceId, "AppTraces", { duration: "P1D" }),
      /aborted|ECONNRESET|socket hang up/,
    );
    assert.ok((sim.stats().requests["reset"] ?? 0) >= 2);
  });

  test("reset part-way with gzip reproduces the SDK trap: its promise never settles, even when aborted", async () => {
    sim.faults.enqueue(["reset"]);
    const raw = await rawOutcome(sim, "AppTraces", true);
    assert.equal(raw.kind, "error", "a raw client sees the cut and a decodable prefix");
    assert.match(raw.kind === "error" ? raw.message : "", /{"tables":\[{"name":"PrimaryResult"/);

    sim.faults.enqueue(["reset"]);
    const abort = new AbortController();
    const pending = sdkClient(sim).queryWorkspace(sim.workspaceId, "AppTraces", { duration: "P1D" }, { abortSignal: abort.signal });
    pending.catch(() => {});
    assert.equal(await settleWithin(pending, 1500), "pending");
    abort.abort();
    assert.equal(await settleWithin(pending, 500), "pending", "aborting does not reach the gunzip stream either");

    // The same request without a fault settles promptly.
    const fine = sdkClient(sim).queryWorkspace(sim.workspaceId, "AppTraces | take 1", { duration: "P1D" });
    assert.equal(await settleWithin(fine, 1500), "settled");
  });

  test("401 and 403 in the documented shapes; engine: a PartialError that is not a limit", async () => {
    sim.faults.enqueue(["401", "403", "engine:2"]);
    const a = await rawQuery(sim, { query: "AppTraces | take 1" });
    assert.equal(a.status, 401);
    assert.equal((JSON.parse(a.text) as { error: { code: string } }).error.code, "AuthenticationFailed");
    const b = await rawQuery(sim, { query: "AppTraces | take 1" });
    assert.equal(b.status, 403);
    assert.equal((JSON.parse(b.text) as { error: { code: string } }).error.code, "InsufficientAccessError");
    const c = JSON.parse((await rawQuery(sim, { query: "AppTraces | take 10" }, { "cache-control": "no-cache" })).text) as {
      tables: { rows: unknown[] }[];
      error: { code: string; details: { code: string; innererror: { message: string } }[] };
    };
    assert.equal(c.tables[0]?.rows.length, 2);
    assert.equal(c.error.code, "PartialError");
    assert.equal(c.error.details[0]?.code, "EngineError");
    assert.match(c.error.details[0]?.innererror.message ?? "", /E_LOW_MEMORY_CONDITION/);
    assert.doesNotMatch(c.error.details[0]?.innererror.message ?? "", /limit/);
  });

  test("partial: 200 with only N rows (default half) and a PartialError", async () => {
    sim.faults.enqueue(["partial:3", "partial"]);
    const a = JSON.parse((await rawQuery(sim, { query: "AppTraces | take 10" })).text) as {
      tables: { rows: unknown[] }[];
      error: { code: string; details: { innererror: { message: string } }[] };
    };
    assert.equal(a.tables[0]?.rows.length, 3);
    assert.equal(a.error.code, "PartialError");
    assert.match(a.error.details[0]?.innererror.message ?? "", /limit of 3 records/);
    const b = JSON.parse((await rawQuery(sim, { query: "AppTraces | take 10" })).text) as { tables: { rows: unknown[] }[] };
    assert.equal(b.tables[0]?.rows.length, 5);
  });

  test("queued faults can target queries by substring; others pass", async () => {
    sim.faults.enqueue(["500"], { match: "AppEvents" });
    assert.equal((await rawQuery(sim, { query: "AppTraces | take 1" })).status, 200);
    assert.equal((await rawQuery(sim, { query: "AppEvents | take 1" })).status, 500);
    assert.equal((await rawQuery(sim, { query: "AppEvents | take 1" })).status, 200);
  });

  test("random faults follow the configuration, which can be changed at runtime over /_control/faults", async () => {
    assert.equal((await control(sim, "faults", { mode: "replace", config: "429=1:0" })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await rawQuery(sim, { query: "AppTraces | take 1" })).status, 429);
    assert.equal((await control(sim, "stats")).status, 200, "control endpoints are never faulted");
    await control(sim, "faults", { mode: "replace" });
    assert.equal((await rawQuery(sim, { query: "AppTraces | take 1" })).status, 200);
    sim.faults.set({ seed: 3, probabilities: { "500": 0.5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await rawQuery(sim, { query: "AppTraces | take 1" })).status);
    const errors = statuses.filter((s) => s === 500).length;
    assert.ok(errors > 8 && errors < 32, `${errors} of 40 failed`);
  });

  test("batch: a throttle answers the whole batch; a slow fault times out only the queries with a shorter wait", async () => {
    const batch = (requests: unknown[]) => rawPost(sim, "/v1/$batch", { requests });
    sim.faults.enqueue(["429"]);
    assert.equal((await batch([{ id: "1", body: { query: "AppTraces | take 1" }, workspace: sim.workspaceId }])).status, 429);
    sim.faults.enqueue(["slow:1500"]);
    const res = await batch([
      { id: "short", body: { query: "AppTraces | take 1" }, workspace: sim.workspaceId, headers: { prefer: "wait=1" } },
      { id: "long", body: { query: "AppTraces | take 1" }, workspace: sim.workspaceId },
    ]);
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as { responses: { id: string; status: number; headers: Record<string, string> }[] };
    assert.deepEqual(body.responses.map((r) => [r.id, r.status]), [["short", 504], ["long", 200]]);
    assert.equal(body.responses[0]?.headers["preference-applied"], "wait=1");
  });
});
