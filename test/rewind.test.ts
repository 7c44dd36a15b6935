/**
 * `monitorlift rewind` end to end, through the real CLI, on the filesystem sink, the blob sink (Azurite)
 * and every SQL dialect reachable here: export, rewind to a window boundary (a dry run first, which changes nothing), check that
 * the data after it is gone (files or rows) and that the counts `status` and `ls` show equal what is in the
 * sink, export again, and compare the `_ItemId` multiset with the simulator's ground truth (every row once).
 * A rewind is refused (LOCK_HELD, exit 1, nothing changed) while another process holds the query's lock,
 * and a --to off the grid, before the origin or after the watermark is a usage error (exit 2). A done rewind
 * (only that) is in the run history: `status` shows it beside the last run, which stays the export's.
 */
import { test } from "node:test";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import assert from "node:assert/strict";
import { openContext } from "../src/cli/context.ts";
import { liveKey, parseChunkName } from "../src/sinks/layout.ts";
import { startAzurite } from "./support/azurite.ts";
import { blobSink, containerOf, envOf, PREFIX } from "./support/blob-e2e.ts";
import { runCli } from "./support/cli.ts";
import { assertLiveExactlyOnce, startHarness, type Harness } from "./support/harness.ts";
import { readBlobExport } from "./support/read-blob-export.ts";
import { compareItemIds, listDataFiles, readChunk } from "./support/read-export.ts";
import { DIALECTS, assertExactlyOnce, describeSql, storedRows, storedState } from "./support/sql-target.ts";

const SIZE = 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function harnessOptions(seed: number, sink?: Record<string, unknown>, env?: Record<string, string>) {
  return {
    sim: { seed, backfill: "PT2H", rowsPerSecond: 0.5, tables: ["AppRequests"], settleJitterMs: 500 },
    config: {
      queries: [{ name: "requests", table: "AppRequests" }],
      window: { size: "PT10M", lag: "PT5S", start: "PT1H" },
      log: { level: "warn" },
      ...(sink ? { sink } : {}),
    },
    ...(env ? { env } : {}),
  };
}

/** What the sink holds for `requests`, read independently of monitorlift: each row's _ItemId and window start. */
type ReadSink = () => Promise<Array<{ id: string; start: number }>>;

async function cli(h: Harness, env: Record<string, string>, ...args: string[]) {
  return runCli([...args, "--config", h.configPath], { env });
}

interface StatusRow {
  query: string;
  rows: number;
  lastRun: { runId: string; command: string; outcome: string } | null;
  lastRewind: { runId: string; finishedAt: string; from: string; to: string; windows: number; rows: number } | null;
}

/** `status --json` of `requests`. */
async function statusOf(h: Harness, env: Record<string, string>): Promise<StatusRow> {
  const status = await cli(h, env, "status", "--json");
  assert.equal(status.code, 0, status.stderr);
  return (JSON.parse(status.stdout) as StatusRow[]).find((q) => q.query === "requests")!;
}

/** `status` rows and the sum of `ls` counts of `requests` both equal what the sink holds. */
async function assertCountsTrue(h: Harness, env: Record<string, string>, held: number, label: string): Promise<void> {
  const status = await cli(h, env, "status", "--json");
  assert.equal(status.code, 0, status.stderr);
  const live = (JSON.parse(status.stdout) as Array<{ query: string; rows: number; windows: number }>).find((q) => q.query === "requests")!;
  assert.equal(live.rows, held, `${label}: status rows equal the rows in the sink`);
  const ls = await cli(h, env, "ls", "--json", "--since", "P1D");
  assert.equal(ls.code, 0, ls.stderr);
  const listed = (JSON.parse(ls.stdout) as Array<{ query: string; windows: Array<{ rows: number | null }> }>).find((q) => q.query === "requests")!;
  assert.ok(listed.windows.every((w) => w.rows !== null), `${label}: every count known`);
  assert.equal(listed.windows.reduce((n, w) => n + (w.rows ?? 0), 0), held, `${label}: ls counts add up to the rows in the sink`);
  assert.equal(live.windows, listed.windows.length, `${label}: the windows status counts are the windows ls lists`);
}

async function scenario(h: Harness, env: Record<string, string>, read: ReadSink, diagnostic: (m: string) => void): Promise<void> {
  const first = await cli(h, env, "export", "--once");
  assert.equal(first.code, 0, first.stderr);
  const before = (await h.watermark("requests"))!;
  assert.ok(before.watermark - before.origin >= 5 * SIZE, "several windows exported");
  const to = before.watermark - 3 * SIZE;
  const heldBefore = await read();
  assert.ok(heldBefore.some((r) => r.start >= to), "there is data after the rewind target");
  const exportRun = (await statusOf(h, env)).lastRun;
  assert.equal(exportRun?.command, "export");

  // Usage errors: nothing changes.
  for (const [bad, why] of [
    [iso(to + 60_000), /not on the window grid of query "requests"/],
    [iso(before.origin - SIZE), /before the origin of query "requests"/],
    [iso(before.watermark + SIZE), /after the live watermark of query "requests"/],
  ] as const) {
    const r = await cli(h, env, "rewind", "--query", "requests", "--to", bad);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }

  // Refused while another process holds the query's lock (the same lock an export takes).
  const peer = await openContext({ config: h.configPath }, env);
  await peer.destination.sink.start();
  const lock = await peer.destination.locks.acquire(liveKey("requests"));
  try {
    const refused = await cli(h, env, "rewind", "--query", "requests", "--to", iso(to), "--lock-wait", "PT1S");
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /LOCK_HELD/);
    assert.match(refused.stderr, /rewind never moves a watermark under a running export/);
  } finally {
    await lock.release();
    await peer.destination.shutdown();
  }
  assert.deepEqual(await h.watermark("requests"), before, "the refused rewind changed nothing");

  const dry = await cli(h, env, "rewind", "--query", "requests", "--to", iso(to), "--dry-run", "--json");
  assert.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as { changed: boolean; windows: Array<{ window: string; rows: number }>; rows: number };
  const after = heldBefore.filter((r) => r.start >= to).length;
  assert.equal(planned.changed, false);
  assert.equal(planned.rows, after, "the dry run names the rows that would go");
  assert.equal(planned.windows.length, 3);
  assert.deepEqual(await h.watermark("requests"), before, "the dry run changed nothing");
  assert.equal((await read()).length, heldBefore.length, "the dry run removed nothing");
  assert.equal((await statusOf(h, env)).lastRewind, null, "neither a usage error, a refused rewind nor a dry run is recorded");

  const rewindStarted = Date.now();
  const rewound = await cli(h, env, "rewind", "--query", "requests", "--to", iso(to));
  assert.equal(rewound.code, 0, rewound.stderr);
  assert.match(rewound.stdout, new RegExp(`requests: rewound the watermark from ${iso(before.watermark)} to ${iso(to)}: removed 3 committed windows, ${after} rows`));
  assert.deepEqual(await h.watermark("requests"), { watermark: to, origin: before.origin });
  const held = await read();
  assert.deepEqual(held.filter((r) => r.start >= to), [], "nothing after the new watermark is left");
  assert.deepEqual(
    compareItemIds(
      held.map((r) => r.id),
      h.sim.truth("AppRequests", { ingestedFrom: before.origin, ingestedBefore: to }),
    ),
    { missing: [], duplicated: [], unexpected: [] },
    "the rows before the new watermark are untouched",
  );
  await assertCountsTrue(h, env, held.length, "after the rewind");
  // The rewind is in the run history: status shows it beside the last run, which stays the export's.
  const afterRewind = await statusOf(h, env);
  assert.deepEqual(afterRewind.lastRun, exportRun, "a rewind is never the last run");
  assert.deepEqual({ ...afterRewind.lastRewind!, runId: "", finishedAt: "" }, { runId: "", finishedAt: "", from: iso(before.watermark), to: iso(to), windows: 3, rows: after });
  assert.ok(Date.parse(afterRewind.lastRewind!.finishedAt) >= rewindStarted - 1000, "recorded when it was done");
  const table = await cli(h, env, "status", "--check");
  assert.equal(table.code, 0, `a rewind fails no check: ${table.stderr}`);
  assert.match(table.stdout, new RegExp(`^  requests rewound \\S+: watermark ${iso(before.watermark)} → ${iso(to)}, 3 committed windows and ${after} rows removed; no run since$`, "m"));

  const again = await cli(h, env, "export", "--once");
  assert.equal(again.code, 0, again.stderr);
  const end = (await h.watermark("requests"))!;
  assert.ok(end.watermark >= before.watermark, "the rewound range was exported again");
  const final = await read();
  const truth = h.sim.truth("AppRequests", { ingestedFrom: end.origin, ingestedBefore: end.watermark });
  assert.deepEqual(
    compareItemIds(
      final.map((r) => r.id),
      truth,
    ),
    { missing: [], duplicated: [], unexpected: [] },
    "after export again: every row exactly once",
  );
  await assertCountsTrue(h, env, final.length, "after export again");
  const afterExport = await statusOf(h, env);
  assert.notEqual(afterExport.lastRun?.runId, exportRun?.runId, "the export again is the last run");
  assert.equal(afterExport.lastRun?.outcome, "ok");
  assert.deepEqual(afterExport.lastRewind, afterRewind.lastRewind, "the rewind is still shown");
  assert.doesNotMatch((await cli(h, env, "status")).stdout, /no run since/);

  // A relative --to is aligned down to the grid.
  const t0 = Date.now();
  const relative = await cli(h, env, "rewind", "--query", "requests", "--to", "PT25M");
  assert.equal(relative.code, 0, relative.stderr);
  const wm = (await h.watermark("requests"))!.watermark;
  assert.ok([Math.floor((t0 - 25 * 60_000) / SIZE) * SIZE, Math.floor((Date.now() - 25 * 60_000) / SIZE) * SIZE].includes(wm), `PT25M → ${iso(wm)}`);
  assert.equal((await cli(h, env, "export", "--once")).code, 0);
  const last = (await h.watermark("requests"))!;
  assert.deepEqual(
    compareItemIds(
      (await read()).map((r) => r.id),
      h.sim.truth("AppRequests", { ingestedFrom: last.origin, ingestedBefore: last.watermark }),
    ),
    { missing: [], duplicated: [], unexpected: [] },
    "after a relative rewind and export: every row exactly once",
  );
  diagnostic(`${truth.length} rows; rewound ${after} rows of 3 windows and exported them again`);
}

test("filesystem: export, rewind (dry run, lock held, bad --to), files removed and counts true, export again: every _ItemId once", { timeout: 120_000 }, async (t) => {
  const h = await startHarness(harnessOptions(131));
  try {
    // Every data file under the query (the layout a lake engine reads), with the window its name stands for.
    const read: ReadSink = async () => {
      const out: Array<{ id: string; start: number }> = [];
      for (const file of await listDataFiles(join(h.exportDir, "requests"))) {
        const parsed = parseChunkName(basename(file));
        assert.ok(parsed && !parsed.temporary, `only data chunks: ${file}`);
        out.push(...(await readChunk(file)).rows.map((row) => ({ id: String(row._ItemId), start: parsed.window.start })));
      }
      return out;
    };
    await scenario(h, {}, read, (m) => t.diagnostic(m));
  } finally {
    await h.close();
  }
});

test("a dry run only reads: against a fresh filesystem or SQLite destination it creates nothing (no folder, no database file)", { timeout: 60_000 }, async () => {
  const h = await startHarness(harnessOptions(134));
  try {
    for (const sink of [undefined, { type: "sql", dialect: "sqlite", path: join(h.dir, "fresh", "monitorlift.db"), tablePrefix: "t_" }]) {
      if (sink) await h.writeConfig({ sink });
      const dry = await cli(h, {}, "rewind", "--query", "requests", "--to", iso(Date.now() - 6 * SIZE), "--dry-run");
      assert.equal(dry.code, 2, dry.stderr);
      assert.match(dry.stderr, /query "requests" has no live watermark yet/);
      assert.equal(existsSync(h.exportDir), false, "the export folder was not created");
      assert.equal(existsSync(join(h.dir, "fresh")), false, "neither the SQLite file nor its folder was created");
    }
  } finally {
    await h.close();
  }
});

test("after a window.size change, a --to inside a window of the earlier, larger size is refused (exit 2, nothing changed); its bounds work, every _ItemId once", { timeout: 120_000 }, async () => {
  const h = await startHarness(harnessOptions(135));
  try {
    await h.writeConfig({ window: { size: "PT20M", lag: "PT5S", start: "PT1H", reverify: "PT0S" } });
    assert.equal((await cli(h, {}, "export", "--once")).code, 0);
    await h.writeConfig({ window: { size: "PT10M", lag: "PT5S", start: "PT1H", reverify: "PT0S" } });
    const before = (await h.watermark("requests"))!;
    const old = { start: before.watermark - 2 * SIZE, end: before.watermark }; // a 20-minute window, with data
    const inside = await cli(h, {}, "rewind", "--query", "requests", "--to", iso(old.start + SIZE));
    assert.equal(inside.code, 2, inside.stderr);
    assert.match(inside.stderr, new RegExp(`lies inside the committed window ${iso(old.start)}/${iso(old.end)} of query "requests".*Use ${iso(old.start)} or ${iso(old.end)}`));
    assert.deepEqual(await h.watermark("requests"), before, "nothing changed");
    const rewound = await cli(h, {}, "rewind", "--query", "requests", "--to", iso(old.start));
    assert.equal(rewound.code, 0, rewound.stderr);
    assert.equal((await cli(h, {}, "export", "--once")).code, 0);
    assert.ok((await assertLiveExactlyOnce(h, "requests", "AppRequests")) > 0);
  } finally {
    await h.close();
  }
});

test("blob: export, rewind (dry run, lock held, bad --to), blobs removed and counts true, export again: every _ItemId once", { timeout: 180_000 }, async (t) => {
  const azurite = await startAzurite();
  const env = envOf(azurite);
  const h = await startHarness(harnessOptions(133, blobSink("rewind"), env));
  try {
    const container = containerOf(azurite, "rewind");
    // Every data blob of the container (listed and read as a lake engine would), with the window its name
    // stands for; below the prefix nothing else but the exporter's bookkeeping (no temporary chunk left).
    const read: ReadSink = async () => {
      const exported = await readBlobExport(container, PREFIX);
      for (const name of exported.skipped) assert.match(name.slice(PREFIX.length), /^_(state|locks|runs)\//, `only bookkeeping besides the data: ${name}`);
      assert.deepEqual([...new Set(exported.chunks.map((c) => c.query))].filter((q) => q !== "requests"), []);
      return exported.chunks.flatMap((c) => c.rows.map((row) => ({ id: String(row._ItemId), start: c.window.start })));
    };
    await scenario(h, env, read, (m) => t.diagnostic(m));
  } finally {
    await h.close();
    await azurite.stop();
  }
});

await describeSql("rewind", DIALECTS, ({ dialect, db, sinkConfig, env }) => {
  test(`${dialect}: export, rewind (dry run, lock held, bad --to), rows removed and counts true, export again: every _ItemId once`, { timeout: 120_000 }, async (t) => {
    const h = await startHarness(harnessOptions(132, sinkConfig, env));
    try {
      await scenario(h, env, async () => (await storedRows(db, "requests")).map((r) => ({ id: r.id, start: r.start })), (m) => t.diagnostic(m));
      const state = await storedState(db, "requests");
      assert.ok(state);
      await assertExactlyOnce(h, db, "requests", "AppRequests", "after rewinds and exports");
    } finally {
      await h.close();
    }
  });
});
