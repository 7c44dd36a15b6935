/**
 * Bad input gets a clear error and loses nothing: a query the service rejects fails alone
 * (the others export), its watermark never moves; two exporters started at once on the same
 * sink never export a row twice; backfills never overlap the live export.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { compareItemIds, readQueryRows } from "./support/read-export.ts";
import { startHarness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");

test("a query the service rejects fails with the service's message while the good one exports", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 31, backfill: "PT2H", rowsPerSecond: 0.5, tables: ["AppRequests"] },
    config: {
      queries: [
        { name: "good", table: "AppRequests" },
        { name: "bad", table: "AppRequests", transform: "where NoSuchColumn == 1" },
        { name: "missing_table", table: "AppNoSuchTable" },
      ],
      window: { size: "PT10M", lag: "PT1M", start: "PT1H" },
    },
  });
  try {
    const report = await h.exportOnce();
    assert.equal(report.summary.queries.good!.outcome, "ok");
    assert.ok(report.summary.queries.good!.rows > 0);
    for (const name of ["bad", "missing_table"]) {
      const err = report.errors.get(name) as { code?: string; message?: string; status?: number };
      assert.equal(err?.code, "SOURCE_REQUEST_INVALID", name);
      assert.equal(err.status, 400);
      assert.match(err.message!, name === "bad" ? /NoSuchColumn/ : /AppNoSuchTable/);
      assert.equal(report.summary.queries[name]!.outcome, "failed");
      assert.equal(await h.watermark(name), undefined, `${name}: no watermark`);
      assert.deepEqual(await readQueryRows(h.exportDir, name), []);
    }
    const wm = (await h.watermark("good"))!;
    const exported = (await readQueryRows(h.exportDir, "good")).map((r) => String(r._ItemId));
    assert.deepEqual(compareItemIds(exported, h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark })), {
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    // a permanent error is not retried
    // a permanent error is not retried: at most the windows already in flight (concurrency 4) were asked, once each
    assert.ok((h.sim.stats().requests["400"] ?? 0) <= 2 * 4, JSON.stringify(h.sim.stats().requests));
  } finally {
    await h.close();
  }
});

test("two exporters started at once on the same sink export each row exactly once", async () => {
  const h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 32, backfill: "PT4H", rowsPerSecond: 1, tables: ["AppRequests", "AppTraces"] },
    config: {
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "traces", table: "AppTraces" },
      ],
      window: { size: "PT5M", lag: "PT1M", start: "PT3H" },
    },
  });
  try {
    const clock = h.sim.clock as ReturnType<typeof createManualClock>;
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([h.exportOnce(), h.exportOnce()]);
      for (const q of ["requests", "traces"]) {
        const outcomes = [a, b].map((r) => r.summary.queries[q]!);
        // each query is exported by one of them; the other skips it, held by a live peer (or finds nothing left)
        assert.ok(outcomes.some((o) => o.outcome === "ok"), `${q}: someone exported`);
        for (const r of [a, b]) assert.equal(r.errors.get(q), undefined, `${q}: ${String(r.errors.get(q))}`);
        for (const o of outcomes) assert.ok(o.outcome === "ok" || (o.outcome === "skipped" && o.heldBy), `${q}: ${JSON.stringify(o)}`);
      }
      for (const [q, table] of [["requests", "AppRequests"], ["traces", "AppTraces"]] as const) {
        const wm = (await h.watermark(q))!;
        const exported = (await readQueryRows(h.exportDir, q)).map((r) => String(r._ItemId));
        assert.deepEqual(compareItemIds(exported, h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark })), {
          missing: [],
          duplicated: [],
          unexpected: [],
        });
      }
      clock.advance(11 * 60_000);
    }
  } finally {
    await h.close();
  }
});

test("a backfill covers history, resumes, and never overlaps the live export", async () => {
  const clock = createManualClock(T0);
  const h = await startHarness({
    sim: { clock, seed: 33, backfill: "PT12H", rowsPerSecond: 0.3, tables: ["AppRequests"] },
    config: { window: { size: "PT10M", lag: "PT1M", start: "PT2H" } },
  });
  try {
    const live = await h.exportOnce();
    assert.equal(live.errors.size, 0);
    const wm = (await h.watermark("requests"))!;
    assert.equal(wm.origin, T0 - 2 * 3600_000);

    // overlapping the live export's range is refused loudly
    const overlap = await h.backfill({ from: T0 - 4 * 3600_000, to: T0 - 3600_000 });
    assert.equal((overlap.errors.get("requests") as { code?: string }).code, "BACKFILL_OVERLAP");

    // interrupted backfill (stopped like SIGINT after a few windows), then resumed by the same command
    const range = { from: T0 - 8 * 3600_000, to: wm.origin };
    const stop = new AbortController();
    let commits = 0;
    const first = await h.backfill(range, { signal: stop.signal, onCommitted: () => void (++commits === 5 && stop.abort(new Error("interrupted"))) });
    assert.equal(first.summary.queries.requests!.outcome, "failed");
    assert.ok(first.summary.queries.requests!.windows >= 5 && first.summary.queries.requests!.windows < 36, `${first.summary.queries.requests!.windows} windows before the stop`);
    const second = await h.backfill(range);
    assert.ok(second.summary.queries.requests!.windows <= 36 - 5, "the second run only did what was left");
    assert.equal(second.errors.size, 0, [...second.errors.values()].map(String).join("\n"));

    // history + live = exactly the truth from the backfill's start to the live watermark
    const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
    const truth = h.sim.truth("AppRequests", { ingestedFrom: range.from, ingestedBefore: wm.watermark });
    assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
    assert.deepEqual(await h.watermark("requests"), wm, "the backfill did not touch the live watermark");

    // a later live run continues from its own watermark
    clock.advance(30 * 60_000);
    assert.equal((await h.exportOnce()).errors.size, 0);
    const after = (await h.watermark("requests"))!;
    const all = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
    assert.deepEqual(compareItemIds(all, h.sim.truth("AppRequests", { ingestedFrom: range.from, ingestedBefore: after.watermark })), {
      missing: [],
      duplicated: [],
      unexpected: [],
    });
  } finally {
    await h.close();
  }
});
