/**
 * SIGKILL at random moments with the blob sink: the real CLI (`monitorlift export --once`) is
 * killed over and over part-way through, then allowed to finish; the container still holds
 * every row exactly once. A killed exporter's lease outlives it: the next run, started at once,
 * waits for that lease to lapse (15 s here) and takes over by itself — no operator breaking leases.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createManualClock } from "../src/simulator/index.ts";
import { startAzurite } from "./support/azurite.ts";
import { assertBlobExactlyOnce, blobSink, breakLeases, containerOf, envOf, PREFIX } from "./support/blob-e2e.ts";
import { runCli, seededRandom } from "./support/cli.ts";
import { startHarness } from "./support/harness.ts";
import { readBlobExport } from "./support/read-blob-export.ts";

const QUERIES = { requests: "AppRequests", dependencies: "AppDependencies" };

test("an exporter killed at random moments, then re-run at once, writes every row to the container exactly once", { timeout: 300_000 }, async () => {
  const azurite = await startAzurite();
  const env = envOf(azurite);
  const h = await startHarness({
    sim: { seed: 53, backfill: "PT5H", rowsPerSecond: 2, tables: Object.values(QUERIES), settleJitterMs: 1000 },
    config: {
      queries: Object.entries(QUERIES).map(([name, table]) => ({ name, table })),
      window: { size: "PT2M", lag: "PT10S", start: "PT4H" },
      sink: blobSink("crash", { leaseSeconds: 15 }),
      log: { level: "warn" },
    },
    env,
  });
  const container = containerOf(azurite, "crash");
  const args = ["export", "--once", "--config", h.configPath];
  try {
    // 1. Killed right after its first commit: it still holds the lease. The next run, started at once,
    // waits for that lease to lapse (it says so, naming the lock it waits for) and then takes over.
    const firstState = container.getBlobClient(`${PREFIX}_state/requests/live.json`);
    const committed = (async () => {
      while (!(await firstState.exists())) await sleep(20);
    })();
    const first = await runCli(args, { env, killWhen: committed });
    assert.equal(first.signal, "SIGKILL", `the first run was killed mid-way (exit ${first.code}): ${first.stderr}`);
    const wm0 = (await h.watermark("requests"))!;
    const resumed = await runCli(args, { env, killWhen: (async () => {
      while (((await h.watermark("requests"))?.watermark ?? 0) === wm0.watermark) await sleep(25);
    })() });
    assert.equal(resumed.signal, "SIGKILL", `the next run waited, took over and committed (exit ${resumed.code}): ${resumed.stderr}`);
    assert.match(resumed.stderr, /lock held: waiting for it/);
    assert.doesNotMatch(resumed.stderr, /LOCK_HELD/);

    // 2. Killed at random moments; each next run starts at once and waits out the leases the killed one left. The first at a random instant
    // (start-up, lease, recovery, first windows); the others a random moment after they committed their first
    // window (staging, commit, next windows), so each kill lands in the middle of work however slowly the
    // machine starts a process (the same scheme as test/sql-kill.test.ts).
    const random = seededRandom(4242);
    const watermarkOf = async () => (await h.watermark("requests"))?.watermark ?? 0;
    let killed = 0;
    for (let i = 0; i < 6; i++) {
      const before = await watermarkOf();
      let exited = false;
      const killWhen =
        i === 0
          ? sleep(400 + random() * 900)
          : (async () => {
              while (!exited && (await watermarkOf()) === before) await sleep(25);
              await sleep(random() * 150);
            })();
      const r = await runCli(args, { env, killWhen });
      exited = true;
      if (r.signal === "SIGKILL") killed++;
      else assert.equal(r.code, 0, r.stderr);
    }
    assert.ok(killed >= 4, `most runs were killed part-way (${killed} of 6)`);
    const progressed = (await h.watermark("requests"))!.watermark;
    assert.ok(progressed > wm0.watermark, "the killed runs made progress in between");

    // 3. A run to the end; then the container must be exactly the truth.
    const last = await runCli(args, { env });
    assert.equal(last.code, 0, last.stderr);
    for (const q of Object.keys(QUERIES)) assert.ok((await h.watermark(q))!.watermark > Date.now() - 3 * 60_000, `${q} is caught up`);
    const exported = await assertBlobExactlyOnce(h, container, QUERIES, "after the kills");
    assert.ok(exported.rows.get("requests")!.length > 25_000, `${exported.rows.get("requests")!.length} rows`);
  } finally {
    await h.close();
    await azurite.stop();
  }
});

test("a first run killed between its first chunk and its first cursor leaves nothing the next run duplicates", { timeout: 60_000 }, async () => {
  const azurite = await startAzurite();
  // Not on the window grid: the configured start ("3 h ago") moves with the clock between runs, but a
  // relative start is aligned down to the window grid, so both runs start at the same grid line.
  const clock = createManualClock(Date.parse("2026-11-22T12:00:17Z"));
  const h = await startHarness({
    sim: { clock, seed: 54, backfill: "PT4H", rowsPerSecond: 2, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT3H" }, sink: blobSink("first"), concurrency: 1 },
    env: envOf(azurite),
  });
  const container = containerOf(azurite, "first");
  try {
    // The first window's chunk is committed, then the "kill" lands before its cursor: no state at all.
    const stop = new AbortController();
    await h.exportOnce({ signal: stop.signal, onCommitted: () => stop.abort(new Error("killed")) });
    const orphan = await readBlobExport(container, PREFIX);
    assert.equal(orphan.chunks.length, 1, orphan.chunks.map((c) => c.name).join(", "));
    await container.getBlobClient(`${PREFIX}_state/requests/live.json`).delete();
    await breakLeases(container);

    // 20 s later "3 h ago" is 20 s later too; aligned to the grid it is the same start, and the
    // orphan (same window, same name) is replaced rather than duplicated.
    clock.advance(20_000);
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    const wm = (await h.watermark("requests"))!;
    assert.equal(wm.origin, orphan.chunks[0]!.window.start);
    assert.equal(wm.origin % (5 * 60_000), 0, "the first watermark is on the window grid");
    await assertBlobExactlyOnce(h, container, { requests: "AppRequests" }, "after the rerun");
  } finally {
    await h.close();
    await azurite.stop();
  }
});
