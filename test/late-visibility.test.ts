/**
 * Rows that become visible late (issue 8, point 3), end to end against the simulator with its default
 * visibility tail (0.5 % of rows visible 2–15 min after their ingestion time, 0.05 % up to an hour):
 *   - a plain scheduled export with a short lag misses rows: compared with the simulator's ground truth;
 *   - `verify` reports exactly the windows whose committed rows differ from the ground truth, and no other;
 *   - `verify --repair` makes the export exact (every _ItemId once), the watermark untouched;
 *   - a repair killed part-way and run again is still exact.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { createManualClock } from "../src/simulator/index.ts";
import { parseChunkName } from "../src/sinks/layout.ts";
import { isOpenMismatch } from "../src/runner/verify-query.ts";
import { formatWindow } from "../src/window/window.ts";
import { compareItemIds, listDataFiles, readChunk, readQueryRows } from "./support/read-export.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { runCli } from "./support/cli.ts";

const T0 = Date.parse("2026-11-22T12:00:00Z");
const MIN = 60_000;
const QUERY = "requests";
const TABLE = "AppRequests";

/** Exported _ItemIds per committed window (chunk names parse back to their window). */
async function exportedByWindow(h: Harness): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const file of await listDataFiles(join(h.exportDir, QUERY))) {
    const parsed = parseChunkName(basename(file));
    assert.ok(parsed && !parsed.temporary, `a data chunk: ${file}`);
    out.set(formatWindow(parsed.window), (await readChunk(file)).rows.map((r) => String(r._ItemId)));
  }
  return out;
}

/** The windows of [origin, watermark) whose exported ids differ from the ground truth, with both counts. */
async function differingWindows(h: Harness): Promise<Map<string, { truth: number; exported: number }>> {
  const wm = (await h.watermark(QUERY))!;
  const exported = await exportedByWindow(h);
  const out = new Map<string, { truth: number; exported: number }>();
  for (let start = wm.origin; start < wm.watermark; start += 5 * MIN) {
    const w = { start, end: start + 5 * MIN };
    const truth = h.sim.truth(TABLE, { ingestedFrom: w.start, ingestedBefore: w.end });
    const mine = exported.get(formatWindow(w)) ?? [];
    const diff = compareItemIds(mine, truth);
    if (diff.missing.length + diff.duplicated.length + diff.unexpected.length > 0) out.set(formatWindow(w), { truth: truth.length, exported: mine.length });
  }
  return out;
}

async function assertExact(h: Harness, label: string): Promise<void> {
  const wm = (await h.watermark(QUERY))!;
  const truth = h.sim.truth(TABLE, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
  const exported = (await readQueryRows(h.exportDir, QUERY)).map((r) => String(r._ItemId));
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] }, label);
  assert.ok(truth.length > 1000, `${label}: rows to compare (${truth.length})`);
}

/** A harness with the simulator's default visibility tail, exported every 5 minutes for an hour with a 2-minute lag, then left for 70 minutes. */
async function exportedWithShortLag(seed: number): Promise<Harness> {
  const clock = createManualClock(T0);
  const h = await startHarness({
    sim: { clock, seed, backfill: "PT6H", rowsPerSecond: 1, tables: [TABLE], visibility: {} },
    config: { queries: [{ name: QUERY, table: TABLE }], window: { mode: "ingestion", size: "PT5M", lag: "PT2M", start: "PT3H" } },
  });
  for (let run = 0; run < 13; run++) {
    const report = await h.exportOnce();
    assert.equal(report.errors.size, 0, [...report.errors.values()].map(String).join("\n"));
    clock.advance(5 * MIN);
  }
  clock.advance(70 * MIN); // every late row is visible by now; no export runs meanwhile
  return h;
}

let h: Harness;
before(async () => {
  h = await exportedWithShortLag(21);
});
after(() => h?.close());

test("with the visibility tail on, a plain export with lag PT2M misses rows (compared with the ground truth)", async () => {
  const wm = (await h.watermark(QUERY))!;
  const truth = h.sim.truth(TABLE, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
  const exported = (await readQueryRows(h.exportDir, QUERY)).map((r) => String(r._ItemId));
  const diff = compareItemIds(exported, truth);
  assert.ok(diff.missing.length > 0, "rows visible after their window was exported are missing");
  assert.deepEqual({ duplicated: diff.duplicated, unexpected: diff.unexpected }, { duplicated: [], unexpected: [] }, "nothing is duplicated or invented");
});

test("verify lists exactly the windows that differ from the ground truth, with the service's and the committed counts, and changes nothing", async () => {
  const expected = await differingWindows(h);
  assert.ok(expected.size > 0);
  const before = await h.watermark(QUERY);
  const [result] = await h.verify({});
  assert.equal(result!.error, undefined, String(result!.error));
  const found = new Map(result!.mismatches.map((m) => [formatWindow(m.window), { truth: m.service, exported: m.committed }]));
  assert.deepEqual(found, expected);
  assert.equal(result!.windows, (before!.watermark - before!.origin) / (5 * MIN), "every committed window was checked");
  assert.ok(result!.requests <= 2, `one count request per day of windows (${result!.requests})`);
  assert.deepEqual(await h.watermark(QUERY), before);
  assert.deepEqual(await differingWindows(h), expected, "verify without --repair changes nothing");
});

test("verify --repair re-exports exactly those windows: the export is exact, the watermark untouched, and a second verify finds nothing", async () => {
  const before = await h.watermark(QUERY);
  const expected = await differingWindows(h);
  const untouched = new Map([...(await exportedByWindow(h))].filter(([w]) => !expected.has(w)));
  const [result] = await h.verify({ repair: true });
  assert.equal(result!.error, undefined, String(result!.error));
  assert.equal(result!.mismatches.length, expected.size);
  assert.deepEqual(result!.mismatches.filter(isOpenMismatch), [], "every mismatch was repaired");
  await assertExact(h, "after verify --repair");
  assert.deepEqual(await h.watermark(QUERY), before, "the watermark did not move");
  const now = await exportedByWindow(h);
  for (const [w, ids] of untouched) assert.deepEqual(now.get(w), ids, `window ${w} was not rewritten`);
  const [again] = await h.verify({});
  assert.deepEqual(again!.mismatches, []);
});

test("a repair killed part-way and run again is still exact", async () => {
  const k = await exportedWithShortLag(22);
  try {
    const expected = await differingWindows(k);
    assert.ok(expected.size >= 3, `enough windows to kill a repair in the middle (${expected.size})`);
    const stop = new AbortController();
    let requests = 0;
    const [killed] = await k.verify({
      repair: true,
      signal: stop.signal,
      withDeps: (deps) => {
        for (const connection of deps.sources.values()) {
          const source = connection.source;
          connection.source = {
            query: (req, signal) => {
              // Request 1 counts; 2 and 3 repair two windows; the run is killed at the 4th.
              if (++requests === 4) stop.abort(new Error("killed"));
              return source.query(req, signal);
            },
          };
        }
      },
    });
    assert.ok(killed!.error !== undefined, "the killed repair failed");
    const left = await differingWindows(k);
    assert.ok(left.size > 0 && left.size < expected.size, `some windows were repaired before the kill (${left.size} of ${expected.size} left)`);
    for (const w of left.keys()) assert.ok(expected.has(w), `${w}: only windows that differed before still differ`);
    const [rerun] = await k.verify({ repair: true });
    assert.equal(rerun!.error, undefined, String(rerun!.error));
    assert.equal(rerun!.mismatches.length, left.size, "the re-run finds what the killed run left");
    await assertExact(k, "after the re-run");
  } finally {
    await k.close();
  }
});

test("the CLI: `verify` lists the differing windows and exits 1, `verify --repair` exits 0, and a second `verify` exits 0", async () => {
  const now = Date.now();
  const clock = createManualClock(now - 3 * 3_600_000);
  const c = await startHarness({
    sim: { clock, seed: 23, backfill: "PT6H", rowsPerSecond: 1, tables: [TABLE], visibility: {} },
    config: { queries: [{ name: QUERY, table: TABLE }], window: { mode: "ingestion", size: "PT5M", lag: "PT2M", start: "PT3H" } },
  });
  try {
    for (let run = 0; run < 13; run++) {
      assert.equal((await c.exportOnce()).errors.size, 0);
      clock.advance(5 * MIN);
    }
    clock.advance(Math.max(0, Date.now() - clock())); // the CLI plans with real time; the tail has passed by now
    const expected = await differingWindows(c);
    assert.ok(expected.size > 0);
    const first = await runCli(["verify", "--since", "PT6H", "-c", c.configPath]);
    assert.equal(first.code, 1, first.stderr);
    for (const w of expected.keys()) assert.ok(first.stdout.includes(w), `${w} is listed:\n${first.stdout}`);
    assert.match(first.stdout, new RegExp(`^${QUERY}: .* ${expected.size} differ \\(1 count requests\\)`, "m"));
    const repaired = await runCli(["verify", "--since", "PT6H", "--repair", "--json", "-c", c.configPath]);
    assert.equal(repaired.code, 0, repaired.stderr);
    const [json] = JSON.parse(repaired.stdout) as Array<{ mismatches: Array<{ repairedRows?: number; service: number }> }>;
    assert.equal(json!.mismatches.length, expected.size);
    for (const m of json!.mismatches) assert.equal(m.repairedRows, m.service);
    await assertExact(c, "after the CLI's repair");
    const again = await runCli(["verify", "--since", "PT6H", "-c", c.configPath]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
  } finally {
    await c.close();
  }
});
