/**
 * The blob (ADLS Gen2) sink end to end, against a private Azurite and the simulator: the real
 * exporter writes the container, and an independent reader (listing + Hive layout parsing +
 * decompression + NDJSON) finds every row of the simulator's truth exactly once, in the chunk
 * of its own window — over a first run, repeated scheduled runs with late data, and an idle run.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerClient } from "@azure/storage-blob";
import { createManualClock } from "../src/simulator/index.ts";
import { startAzurite, type Azurite } from "./support/azurite.ts";
import { assertBlobExactlyOnce, blobSink, containerOf, envOf, PREFIX } from "./support/blob-e2e.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { readBlobExport } from "./support/read-blob-export.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const QUERIES = { requests: "AppRequests", traces: "AppTraces" };
const CONTAINER = "lake";

let azurite: Azurite;
let h: Harness;
let container: ContainerClient;
before(async () => {
  azurite = await startAzurite();
  h = await startHarness({
    sim: { clock: createManualClock(T0), seed: 51, backfill: "PT4H", rowsPerSecond: 1, tables: Object.values(QUERIES) },
    config: {
      queries: Object.entries(QUERIES).map(([name, table]) => ({ name, table })),
      window: { mode: "ingestion", size: "PT5M", lag: "PT1M", start: "PT3H" },
      sink: blobSink(CONTAINER),
    },
    env: envOf(azurite),
  });
  container = containerOf(azurite, CONTAINER);
});
after(async () => {
  await h?.close();
  await azurite?.stop();
});

test("a first run writes every row exactly once, in the documented layout, readable by an independent reader", async () => {
  assert.equal(await container.exists(), false, "the container does not exist before the run (createContainer makes it)");
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
  for (const q of Object.keys(QUERIES)) {
    assert.equal(report.summary.queries[q]!.outcome, "ok");
    assert.ok(report.summary.queries[q]!.windows >= 35, `${q} committed ${report.summary.queries[q]!.windows} windows`);
  }
  const exported = await assertBlobExactlyOnce(h, container, QUERIES, "first run");
  const total = [...exported.rows.values()].reduce((n, rows) => n + rows.length, 0);
  assert.ok(total > 2 * 3 * 3600 * 0.9, `about 3 h of rows per table (${total})`);

  // Every chunk: 5-minute window, gzip NDJSON with matching Content-Type / Content-Encoding.
  for (const chunk of exported.chunks) {
    assert.equal(chunk.window.end - chunk.window.start, 5 * 60_000, chunk.name);
    assert.equal(chunk.contentType, "application/x-ndjson", chunk.name);
    assert.equal(chunk.contentEncoding, "gzip", chunk.name);
    assert.match(chunk.name, /^telemetry\/(requests|traces)\/date=2026-11-2[12]\/hour=\d{2}\/\d{8}T\d{6}\.000Z_\d{8}T\d{6}\.000Z\.ndjson\.gz$/);
    for (const row of chunk.rows) assert.equal(typeof row.TimeGenerated, "string", `${chunk.name}: rows carry their columns`);
  }
  // What a lake engine skips is exactly the exporter's own bookkeeping.
  const bookkeeping = exported.skipped.map((n) => n.slice(PREFIX.length).replace(/_runs\/[^/]+\/[^/]+\.json$/, "_runs/<run>.json"));
  assert.deepEqual([...new Set(bookkeeping)].sort(), [
    "_locks/requests/live.lock",
    "_locks/traces/live.lock",
    "_runs/<run>.json",
    "_state/requests/live.json",
    "_state/traces/live.json",
  ]);
  // Nothing lands outside the prefix.
  const outside: string[] = [];
  for await (const b of container.listBlobsFlat()) if (!b.name.startsWith(PREFIX)) outside.push(b.name);
  assert.deepEqual(outside, []);
});

test("repeated scheduled runs pick up late rows, still exactly once", async () => {
  const clock = h.sim.clock as ReturnType<typeof createManualClock>;
  let previous = await h.watermark("requests");
  for (let run = 0; run < 4; run++) {
    clock.advance(7 * 60_000 + 13_000);
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    await assertBlobExactlyOnce(h, container, QUERIES, `run ${run}`);
    const now = await h.watermark("requests");
    assert.ok(now!.watermark > previous!.watermark, "the watermark moved forward");
    previous = now;
  }
});

test("a run with nothing new commits nothing and changes no data blob", async () => {
  const before = await readBlobExport(container, PREFIX);
  const watermarks = await Promise.all(Object.keys(QUERIES).map((q) => h.watermark(q)));
  const report = await h.exportOnce();
  assert.equal(report.errors.size, 0);
  for (const q of Object.keys(QUERIES)) assert.equal(report.summary.queries[q]!.windows, 0);
  assert.deepEqual(await Promise.all(Object.keys(QUERIES).map((q) => h.watermark(q))), watermarks);
  const after = await readBlobExport(container, PREFIX);
  assert.deepEqual(after.chunks, before.chunks);
});
