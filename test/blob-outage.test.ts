/**
 * Azurite stopped part-way through a run, then restarted on the same port with the same disk:
 * a short outage is ridden out by the storage client's retries (the sink's default policy); a
 * long one fails the run retryably without committing half a window or moving the watermark
 * past what was written, and the next run finishes the export.
 * Either way the container ends with every row of the truth exactly once.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import { openContext } from "../src/cli/context.ts";
import type { BlobSinkConfig } from "../src/config/sinks.ts";
import type { RunDeps } from "../src/runner/export-query.ts";
import { runOnce } from "../src/runner/run.ts";
import { createManualClock } from "../src/simulator/index.ts";
import { createBlobSink } from "../src/sinks/blob/index.ts";
import { startAzurite, type Azurite } from "./support/azurite.ts";
import { FAST_RETRY } from "./support/blob-fixture.ts";
import { assertBlobExactlyOnce, blobSink, containerOf, envOf } from "./support/blob-e2e.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds } from "./support/read-export.ts";
import { itemIdsOf, readBlobExport } from "./support/read-blob-export.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const QUERIES = { requests: "AppRequests" };
const WINDOW_MS = 5 * 60_000;

let dir: string;
let azurite: Azurite;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "monitorlift-azurite-outage-"));
  azurite = await startAzurite({ location: dir });
});
after(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A harness on its own container: 2 h to export in 23 windows of 5 minutes. */
function harness(container: string, seed: number): Promise<Harness> {
  return startHarness({
    sim: { clock: createManualClock(T0), seed, backfill: "PT3H", rowsPerSecond: 2, tables: ["AppRequests"] },
    config: { window: { size: "PT5M", lag: "PT1M", start: "PT2H" }, sink: blobSink(container), concurrency: 2 },
    env: envOf(azurite),
  });
}

test("a short outage mid-run is ridden out by the storage client's retries: the run succeeds, exactly once", { timeout: 60_000 }, async () => {
  const h = await harness("short", 61);
  try {
    const commits: number[] = [];
    let outage: Promise<void> | undefined;
    let restartedAt = Infinity;
    const report = await h.exportOnce({
      onCommitted: () => {
        commits.push(Date.now());
        if (commits.length === 5) {
          outage = (async () => {
            await azurite.stop();
            await new Promise((r) => setTimeout(r, 1500));
            await azurite.restart();
            restartedAt = Date.now();
          })();
        }
      },
    });
    await outage;
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    assert.equal(report.summary.queries.requests!.windows, 23);
    assert.ok(commits.filter((t) => t >= restartedAt).length > 0, "windows were committed after the restart: the outage hit the run");
    await assertBlobExactlyOnce(h, containerOf(azurite, "short"), QUERIES, "after the outage");
  } finally {
    await h.close();
  }
});

/** One `export --once` in-process, with the real config and runner but the sink's storage retries shortened. */
async function exportWithShortRetries(h: Harness, onCommitted?: RunDeps["onCommitted"]) {
  const env = envOf(azurite);
  const ctx = await openContext({ config: h.configPath }, env);
  const destination = createBlobSink(ctx.config.sink as BlobSinkConfig, { logger: ctx.logger, env, baseDir: ctx.config.baseDir }, { retry: FAST_RETRY });
  await destination.sink.start();
  try {
    return await runOnce("export", ctx.jobs, { ...ctx.runDeps(new AbortController().signal, h.sim.clock), destination, onCommitted });
  } finally {
    await destination.shutdown();
    await ctx.destination.shutdown();
  }
}

test("a long outage fails the run retryably with no half window, and the next run finishes exactly once", { timeout: 60_000 }, async () => {
  const h = await harness("long", 62);
  const container: ContainerClient = containerOf(azurite, "long");
  try {
    const committed: number[] = [];
    let stopped: Promise<void> | undefined;
    const failed = await exportWithShortRetries(h, (_q, _p, state) => {
      committed.push(state.watermark);
      if (committed.length === 5) stopped = azurite.stop();
    });
    await stopped;
    const outcome = failed.summary.queries.requests!;
    const error = failed.errors.get("requests") as { code?: string; retryable?: boolean; message?: string } | undefined;
    assert.equal(outcome.outcome, "failed");
    assert.equal(error?.code, "SINK_UNAVAILABLE", error?.message);
    assert.equal(error.retryable, true);
    assert.ok(committed.length >= 5 && committed.length < 23, `${committed.length} windows committed before the outage`);
    assert.equal(outcome.windows, committed.length);

    await azurite.restart();
    // The cursor is exactly the last commit the runner saw; the data up to it is exactly the truth.
    const wm = (await h.watermark("requests"))!;
    assert.equal(wm.watermark, committed.at(-1));
    const exported = await readBlobExport(container, "telemetry/");
    const upTo = exported.chunks.filter((c) => c.window.end <= wm.watermark);
    const beyond = exported.chunks.filter((c) => c.window.end > wm.watermark);
    assert.equal(upTo.length, committed.length);
    assert.deepEqual(
      compareItemIds(upTo.flatMap((c) => itemIdsOf(c.rows)), h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark })),
      { missing: [], duplicated: [], unexpected: [] },
    );
    // Data goes first, then the cursor: at most the one window being committed can be visible beyond
    // the watermark, and only whole (the next run replaces or removes it).
    assert.ok(beyond.length <= 1, `${beyond.length} chunks beyond the watermark`);
    for (const c of beyond) {
      assert.equal(c.window.start, wm.watermark, c.name);
      const truth = h.sim.truth("AppRequests", { ingestedFrom: c.window.start, ingestedBefore: c.window.end });
      assert.deepEqual(compareItemIds(itemIdsOf(c.rows), truth), { missing: [], duplicated: [], unexpected: [] }, `${c.name} is whole`);
    }

    // The failed run could not release its lease; Azurite (unlike Azure) expires every lease when it
    // restarts, so the next run can take over at once and finishes the export.
    const rerun = await exportWithShortRetries(h);
    assert.equal(rerun.errors.size, 0, [...rerun.errors.values()].map(String).join("\n"));
    assert.equal(rerun.summary.queries.requests!.windows, 23 - committed.length);
    assert.equal((await h.watermark("requests"))!.watermark, wm.origin + 23 * WINDOW_MS);
    await assertBlobExactlyOnce(h, container, QUERIES, "after the rerun");
  } finally {
    await h.close();
  }
});
