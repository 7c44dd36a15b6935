/**
 * Three exporters started at once on one container, round after round: the blob leases let
 * exactly one of them export each query, the others skip it (`skipped`, held by a live peer) or find nothing left,
 * and the container holds every row of the truth exactly once after every round.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createManualClock } from "../src/simulator/index.ts";
import { startAzurite } from "./support/azurite.ts";
import { assertBlobExactlyOnce, blobSink, containerOf, envOf } from "./support/blob-e2e.ts";
import { startHarness } from "./support/harness.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const QUERIES = { requests: "AppRequests", dependencies: "AppDependencies" };

test("three exporters at once on one container export each row exactly once", { timeout: 60_000 }, async () => {
  const azurite = await startAzurite();
  const clock = createManualClock(T0);
  const h = await startHarness({
    sim: { clock, seed: 52, backfill: "PT3H", rowsPerSecond: 1, tables: Object.values(QUERIES) },
    config: {
      queries: Object.entries(QUERIES).map(([name, table]) => ({ name, table })),
      window: { size: "PT5M", lag: "PT1M", start: "PT2H" },
      sink: blobSink("shared"),
    },
    env: envOf(azurite),
  });
  try {
    const container = containerOf(azurite, "shared");
    let origin: number | undefined;
    const previous = new Map<string, number>();
    let held = 0;
    for (let round = 0; round < 4; round++) {
      const reports = await Promise.all([h.exportOnce(), h.exportOnce(), h.exportOnce()]);
      for (const [q, table] of Object.entries(QUERIES)) {
        const outcomes = reports.map((r) => r.summary.queries[q]!);
        // Losing the race for the lease is no failure: the query is skipped, naming the live holder.
        for (const r of reports) assert.equal(r.errors.get(q), undefined, `round ${round}: ${q}: ${String(r.errors.get(q))}`);
        const skipped = outcomes.filter((o) => o.outcome === "skipped");
        for (const o of skipped) assert.match(o.heldBy ?? "", /:\d+ since /, `round ${round}: ${q}: the holder is named`);
        held += skipped.length;
        const wm = (await h.watermark(q))!;
        origin ??= wm.origin;
        const from = previous.get(q) ?? wm.origin;
        previous.set(q, wm.watermark);
        // Identical chunks written twice under one name would look fine to a reader: count the
        // commits instead. Exactly one exporter did the round's work, each window once, each row once.
        const workers = outcomes.filter((o) => o.windows > 0);
        assert.equal(workers.length, 1, `round ${round}: ${q}: one exporter committed (${outcomes.map((o) => o.windows).join(", ")})`);
        assert.equal(workers[0]!.windows, (wm.watermark - from) / (5 * 60_000), `round ${round}: ${q}: windows committed once each`);
        assert.equal(workers[0]!.rows, h.sim.truth(table, { ingestedFrom: from, ingestedBefore: wm.watermark }).length, `round ${round}: ${q}: rows`);
      }
      await assertBlobExactlyOnce(h, container, QUERIES, `round ${round}`);
      clock.advance(11 * 60_000);
    }
    assert.equal(origin, T0 - 2 * 3600_000);
    // They really ran at the same time: the lease turned some of them away.
    assert.ok(held > 0, "some exporter skipped a query a live peer held");
  } finally {
    await h.close();
    await azurite.stop();
  }
});
