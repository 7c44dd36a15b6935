/**
 * Issue 8, points 5 and 6: the service's HTTP behaviour, simulated as on Azure (see the README,
 * "Against the real service"), and the exporter holding its promise there:
 *   204 for a workspace without data · Retry-After: 0 · a PartialError that is no limit ·
 *   the size cut and maxBytes · 401/403 · the 2-minute response cache ·
 *   resource-centric URL and silently dropped rows (Prefer: include-permissions=true).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SourceError } from "../src/errors.ts";
import { windowSchema } from "../src/config/schema.ts";
import type { RunDeps } from "../src/runner/export-query.ts";
import { createManualClock, type ManualClock, type Simulator, DEFAULT_MAX_BYTES } from "../src/simulator/index.ts";
import { DEFAULT_ENGINE_SIZE_RATIO } from "../src/simulator/wire/query-body.ts";
import { compareItemIds, listDataFiles, readQueryRows } from "./support/read-export.ts";
import { assertLiveExactlyOnce, startHarness, type Harness } from "./support/harness.ts";
import { control, rawQuery } from "./support/simulator-http.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

function requestsServed(sim: Simulator): number {
  return Object.values(sim.stats().requests).reduce((a, b) => a + b, 0);
}

function errorsText(report: { errors: Map<string, unknown> }): string {
  return [...report.errors.values()].map(String).join("\n");
}

/** Wraps the run's gate: records when each attempt started, and lets a test act before attempt n. */
function watchGate(deps: RunDeps, before?: (attempt: number) => void): { starts: number[] } {
  const seen = { starts: [] as number[] };
  for (const connection of deps.sources.values()) {
    const inner = connection.gate;
    connection.gate = {
      run: (work) =>
        inner.run(() => {
          before?.(seen.starts.length + 1);
          seen.starts.push(performance.now());
          return work();
        }),
    };
  }
  return seen;
}


for (const sink of [
  { type: "filesystem", path: "./export", format: "ndjson", compression: "gzip" },
  { type: "filesystem", path: "./export", format: "parquet" },
  { type: "sql", dialect: "sqlite", path: "./export/monitorlift.db" },
]) {
  const label = sink.type === "sql" ? "SQLite" : String(sink.format);
  test(`204 No Content (a workspace with no data) is an empty window, committed (${label}), and leaves no data file`, async () => {
    const h = await startHarness({
      sim: { clock: createManualClock(T0), backfill: "PT0S", live: false, tables: ["AppRequests"] },
      config: { window: { size: "PT5M", lag: "PT1M", start: "PT30M" }, sink },
    });
    try {
      const report = await h.exportOnce();
      assert.equal(report.errors.size, 0, errorsText(report));
      assert.equal(h.sim.stats().requests["204"], report.summary.queries.requests!.windows);
      const wm = await h.watermark("requests");
      assert.ok(wm && wm.watermark > wm.origin, "the watermark moved over the empty windows");
      if (sink.type === "filesystem") assert.deepEqual(await listDataFiles(h.exportDir), [], "no data file for an empty window");
    } finally {
      await h.close();
    }
  });
}

test("Retry-After: 0 (as the gateway sends) does not cancel the exponential back-off", async () => {
  const clock = createManualClock(T0);
  const h = await startHarness({
    sim: { clock, seed: 41, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT10M" }, concurrency: 1, source: { maxRetries: 3, retryDelay: "PT0.2S", maxRetryDelay: "PT2S" } },
  });
  try {
    h.sim.faults.set({ probabilities: { "429": 1 } }); // Retry-After: 0 by default
    let gate: { starts: number[] } | undefined;
    const report = await h.exportOnce({
      withDeps: (deps) => {
        gate = watchGate(deps);
        deps.random = () => 0; // the unluckiest jitter
      },
    });
    assert.equal((report.errors.get("requests") as SourceError | undefined)?.code, "SOURCE_THROTTLED");
    const starts = gate!.starts;
    assert.equal(starts.length, 4, "maxRetries + 1 attempts");
    // at least half of each exponential step (0.2 s, 0.4 s, 0.8 s) was waited, whatever the jitter
    const spent = starts[3]! - starts[0]!;
    assert.ok(spent >= 650, `four attempts took ${Math.round(spent)} ms: the retry budget was burnt without back-off`);
  } finally {
    await h.close();
  }
});

test("a PartialError that is not a limit fails the query with the service's message after a bounded retry, without splitting", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 7, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT20M", minSize: "PT1M" }, concurrency: 1, source: { maxRetries: 2 } },
  });
  try {
    // once: retried, exported exactly once, not split
    h.sim.faults.enqueue(["engine"]);
    const first = await h.exportOnce();
    assert.equal(first.errors.size, 0, errorsText(first));
    assert.equal(h.sim.stats().truncatedResults, 0);
    assert.equal(first.summary.queries.requests!.windows, requestsServed(h.sim) - 1, "no window was split");
    await assertLiveExactlyOnce(h, "requests", "AppRequests");

    // always: maxRetries + 1 requests, then the query fails with the service's own words
    (h.sim.clock as ManualClock).advance(10 * 60_000);
    const before = await h.watermark("requests");
    const served = requestsServed(h.sim);
    h.sim.faults.set({ probabilities: { engine: 1 } });
    const second = await h.exportOnce();
    const err = second.errors.get("requests") as SourceError | undefined;
    assert.ok(err, "the query failed");
    assert.notEqual(err.code, "WINDOW_UNSPLITTABLE", err.message);
    assert.match(err.message, /E_LOW_MEMORY_CONDITION/);
    assert.equal(requestsServed(h.sim) - served, 3, "maxRetries + 1 requests, no split");
    assert.deepEqual(await h.watermark("requests"), before);
  } finally {
    await h.close();
  }
});

test("size: maxBytes defaults to the API's ~100 MiB, above a complete body at the engine's 64,000,000-byte cut", () => {
  const defaults = windowSchema.parse({});
  assert.ok(
    defaults.maxBytes >= DEFAULT_MAX_BYTES * DEFAULT_ENGINE_SIZE_RATIO,
    `maxBytes ${defaults.maxBytes} would split a complete ~${Math.round((DEFAULT_MAX_BYTES * DEFAULT_ENGINE_SIZE_RATIO) / 1e6)} MB body`,
  );
  assert.equal(defaults.maxBytes, 100 * 1024 * 1024);
});

test("size: a body over maxBytes without a PartialError is split, exactly once", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 9, backfill: "PT2H", rowsPerSecond: 1, tables: ["AppRequests"] },
    config: { window: { size: "PT30M", lag: "PT1M", start: "PT90M", minSize: "PT10S", maxBytes: 200_000 } },
  });
  try {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, errorsText(report));
    assert.equal(h.sim.stats().truncatedResults, 0, "the service truncated nothing");
    assert.ok(report.summary.queries.requests!.windows > 3, "windows over maxBytes were split");
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
  } finally {
    await h.close();
  }
});

for (const [status, mode] of [
  ["401", "workspace"],
  ["403", "workspace"],
  ["403", "resource"],
] as const) {
  test(`${status} (${mode}): not retried, a clear error naming what to fix`, async () => {
    const h = await startHarness({
      sim: { clock: createManualClock(T0), seed: 5, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"] },
      config: { window: { size: "PT5M", lag: "PT1M", start: "PT20M" }, concurrency: 1 },
    });
    try {
      if (mode === "resource") await h.writeConfig({ source: { ...(h.config.source as object), workspaceId: undefined, resourceId: h.sim.resourceId } });
      h.sim.faults.set({ probabilities: { [status]: 1 } });
      const report = await h.exportOnce();
      const err = report.errors.get("requests") as SourceError | undefined;
      assert.equal(err?.code, "SOURCE_AUTH");
      assert.equal(err.retryable, false);
      assert.equal(requestsServed(h.sim), 1, "not retried");
      const text = `${err.message}\n${err.hint ?? ""}`;
      if (status === "401") {
        assert.match(text, /AuthenticationFailed|Authentication failed/);
        assert.match(text, /source\.auth/);
      } else {
        assert.match(text, /Log Analytics Reader/);
        assert.match(text, mode === "resource" ? new RegExp(h.sim.resourceId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i") : new RegExp(h.sim.workspaceId, "i"));
        assert.match(text, /up to an hour|60 minutes/);
      }
      assert.equal(await h.watermark("requests"), undefined);
    } finally {
      await h.close();
    }
  });
}

test("the 2-minute response cache: a retry after late rows became visible sees fresh data", async () => {
  const clock = createManualClock(T0);
  const h = await startHarness({
    // rows settle up to 10 min after their ingestion time, so the last window still gains rows
    sim: { clock, seed: 17, backfill: "PT30M", rowsPerSecond: 2, tables: ["AppRequests"], settleJitterMs: 10 * 60_000 },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT6M" }, concurrency: 1, source: { maxRetries: 2, idleTimeout: "PT1S" } },
  });
  try {
    h.sim.faults.enqueue(["reset:0.5"]); // the first attempt's body is cut, after the service computed (and cached) it
    const report = await h.exportOnce({ withDeps: (deps) => void watchGate(deps, (n) => n === 2 && clock.advance(60_000)) });
    assert.equal(report.errors.size, 0, errorsText(report));
    const wm = (await h.watermark("requests"))!;
    const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId)).sort();
    const from = new Date(wm.origin).toISOString();
    const to = new Date(wm.watermark).toISOString();
    const fresh = await rawQuery(
      h.sim,
      { query: `AppRequests | where ingestion_time() >= datetime(${from}) and ingestion_time() < datetime(${to}) | project _ItemId` },
      { "cache-control": "no-cache" },
    );
    const now = ((JSON.parse(fresh.text) as { tables: { rows: string[][] }[] }).tables[0]?.rows ?? []).map((r) => r[0]!).sort();
    assert.ok(now.length > 0);
    assert.deepEqual(compareItemIds(exported, now), { missing: [], duplicated: [], unexpected: [] }, "the retry was answered from the cache");
  } finally {
    await h.close();
  }
});

async function resourceHarness(access?: { deniedTables?: string[]; workspaceDenied?: boolean }): Promise<Harness> {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 23, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"], ...(access ? { access } : {}) },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT30M" } },
  });
  await h.writeConfig({ source: { ...(h.config.source as object), workspaceId: undefined, resourceId: h.sim.resourceId } });
  return h;
}

test("resource-centric: /v1/subscriptions/… (no double slash), exactly once", async () => {
  const h = await resourceHarness();
  try {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, errorsText(report));
    assert.equal(h.sim.stats().requests["404"] ?? 0, 0);
    await assertLiveExactlyOnce(h, "requests", "AppRequests");
  } finally {
    await h.close();
  }
});

for (const access of [{ deniedTables: ["AppRequests"] }, { workspaceDenied: true }]) {
  test(`resource-centric: rows the identity may not read fail the query loudly (${JSON.stringify(access)})`, async () => {
    const h = await resourceHarness(access);
    try {
      const report = await h.exportOnce();
      const err = report.errors.get("requests") as SourceError | undefined;
      assert.ok(err, "the query failed instead of exporting a silently filtered result");
      assert.equal(err.code, "SOURCE_PERMISSIONS", err.message);
      assert.equal(err.retryable, false);
      assert.match(err.message, access.deniedTables ? /AppRequests/ : /workspaces\/monitorlift-sim/);
      assert.match(err.hint ?? "", /Log Analytics Reader|read/);
      assert.equal(await h.watermark("requests"), undefined);
      // once the identity may read everything, the same export is exact
      await control(h.sim, "access", {});
      const again = await h.exportOnce();
      assert.equal(again.errors.size, 0, errorsText(again));
      await assertLiveExactlyOnce(h, "requests", "AppRequests");
    } finally {
      await h.close();
    }
  });
}
