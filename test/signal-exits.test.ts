/**
 * SIGTERM (or SIGINT) stops `export --once` and `backfill` cleanly: the window being committed finishes,
 * the others are left uncommitted, re-running the same command ends exact, and the exit code is the run's
 * without the stop's own cancellations — 0, unless a query failed otherwise before the stop (then 1, as
 * without the stop). A scheduled `export` exits 0 (test/health*.test.ts). Real CLI processes against the
 * simulator, signalled mid-run (each window answers slowly).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { compareItemIds, listDataFiles, readQueryRows } from "./support/read-export.ts";

let h: Harness;
before(async () => {
  // real clock: the CLI runs in its own process on its own clock
  h = await startHarness({
    sim: { seed: 43, backfill: "PT4H", rowsPerSecond: 0.5, tables: ["AppRequests"], settleJitterMs: 500 },
    config: { window: { size: "PT5M", lag: "PT10S", start: "PT1H" }, log: { level: "warn" }, concurrency: 1 },
  });
});
after(() => h?.close());

/** Runs the CLI, sends `signal` once `n` data files exist (in `exportDir`), and returns the result. */
async function signalledAfterFiles(args: string[], signal: NodeJS.Signals, n: number, exportDir = h.exportDir) {
  let child: ChildProcess | undefined;
  const run = runCli(args, { onSpawn: (c) => (child = c), timeoutMs: 90_000 });
  let exited = false;
  void run.then(() => (exited = true));
  for (;;) {
    const files = await listDataFiles(exportDir).catch(() => []);
    if (files.length >= n || exited) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(!exited, "the run was still going when signalled");
  child!.kill(signal);
  return run;
}

test("export --once stopped by SIGTERM exits 0; the next run carries on exactly once", { timeout: 120_000 }, async () => {
  h.sim.faults.set({ probabilities: { slow: 1 }, slowMs: 300 }); // ~12 windows of 0.3 s each
  const stopped = await signalledAfterFiles(["export", "--once", "--config", h.configPath], "SIGTERM", 2);
  assert.equal(stopped.signal, null, "it exited by itself");
  assert.equal(stopped.code, 0, `${stopped.stdout}\n${stopped.stderr}`);
  assert.match(stopped.stderr, /SIGTERM: finishing the current window, then stopping/);
  const partial = (await h.watermark("requests"))!;
  h.sim.faults.set({});
  const next = await runCli(["export", "--once", "--config", h.configPath]);
  assert.equal(next.code, 0, next.stderr);
  const wm = (await h.watermark("requests"))!;
  assert.ok(wm.watermark > partial.watermark, "the stopped run left windows for the next one");
  const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
  const truth = h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
});

test("export --once with a query that failed permanently, then stopped by SIGTERM, exits 1 and names the failure", { timeout: 120_000 }, async () => {
  // its own export directory and config: the other tests' export holds the one query `requests`
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-signal-fail-"));
  try {
    const exportDir = join(dir, "export");
    const configPath = join(dir, "monitorlift.json");
    const queries = [
      { name: "requests", table: "AppRequests" },
      { name: "broken", table: "AppRequests", transform: "where Nope == 1" }, // the simulator refuses it: SOURCE_REQUEST_INVALID, permanent
    ];
    await writeFile(configPath, JSON.stringify({ ...h.config, queries, sink: { ...(h.config.sink as object), path: exportDir } }));
    h.sim.faults.set({ probabilities: { slow: 1 }, slowMs: 300 });
    // three committed windows of `requests`: the broken query's one request (0.3 s) was answered long before
    const stopped = await signalledAfterFiles(["export", "--once", "--config", configPath], "SIGTERM", 3, exportDir);
    h.sim.faults.set({});
    assert.equal(stopped.signal, null, "it exited by itself");
    assert.equal(stopped.code, 1, `${stopped.stdout}\n${stopped.stderr}`);
    assert.match(stopped.stderr, /SIGTERM: finishing the current window, then stopping/);
    assert.match(stopped.stdout, /FAILED broken: .*\n.*error \[SOURCE_REQUEST_INVALID\]/);
  } finally {
    h.sim.faults.set({});
    await rm(dir, { recursive: true, force: true });
  }
});

test("a signal while the sink is being opened is a clean stop too: exit 0, no error", { timeout: 60_000 }, async () => {
  // a blob endpoint that accepts the connection and never answers: `export` waits in sink.start (create the container)
  const sockets: net.Socket[] = [];
  let connected!: () => void;
  const reached = new Promise<void>((resolve) => (connected = resolve));
  const silent = net.createServer((socket) => {
    sockets.push(socket);
    connected();
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-signal-start-"));
  try {
    const configPath = join(dir, "monitorlift.json");
    const sink = { type: "blob", accountUrl: `http://127.0.0.1:${port}/devstoreaccount1`, container: "silent", createContainer: true, auth: { method: "sas", env: "MY_SAS" }, format: "ndjson" };
    await writeFile(configPath, JSON.stringify({ ...h.config, sink }));
    let child: ChildProcess | undefined;
    const run = runCli(["export", "--once", "--config", configPath], { onSpawn: (c) => (child = c), env: { MY_SAS: "sv=2024-01-01&sig=x" }, timeoutMs: 45_000 });
    await reached;
    child!.kill("SIGTERM");
    const r = await run;
    assert.equal(r.signal, null, "it exited by itself");
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /error \[ABORTED\]/);
    assert.match(r.stderr, /SIGTERM: finishing the current window, then stopping/);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
    await rm(dir, { recursive: true, force: true });
  }
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`backfill stopped by ${signal} exits 0; the same command resumes it`, { timeout: 120_000 }, async () => {
    const range = signal === "SIGTERM" ? ["--from", "PT4H", "--to", "PT3H"] : ["--from", "PT3H", "--to", "PT2H"];
    const args = ["backfill", ...range, "--config", h.configPath];
    const before = (await listDataFiles(h.exportDir)).length;
    h.sim.faults.set({ probabilities: { slow: 1 }, slowMs: 300 });
    const stopped = await signalledAfterFiles(args, signal, before + 2);
    assert.equal(stopped.signal, null, "it exited by itself");
    assert.equal(stopped.code, 0, `${stopped.stdout}\n${stopped.stderr}`);
    assert.match(stopped.stderr, new RegExp(`${signal}: finishing committed windows, then stopping \\(re-run to resume\\)`));
    h.sim.faults.set({});
    const resumed = await runCli(args);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    const list = await runCli(["backfill", "--list", "--config", h.configPath]);
    const row = list.stdout.split("\n").find((l) => l.startsWith("requests\t") && l.endsWith("\tyes") && l.split("\t")[3] === l.split("\t")[2]);
    assert.ok(row, list.stdout);
  });
}

test("after the stops and re-runs, the export holds every row of the live range and of both backfill ranges exactly once", async () => {
  const exported = (await readQueryRows(h.exportDir, "requests")).map((r) => String(r._ItemId));
  const wm = (await h.watermark("requests"))!;
  const list = await runCli(["backfill", "--list", "--config", h.configPath]);
  const ranges = list.stdout.trim().split("\n").slice(1).map((l) => l.split("\t")).map(([, from, to]) => ({ from: Date.parse(from!), to: Date.parse(to!) }));
  assert.equal(ranges.length, 2, list.stdout);
  const truth = [
    ...h.sim.truth("AppRequests", { ingestedFrom: wm.origin, ingestedBefore: wm.watermark }),
    ...ranges.flatMap((r) => h.sim.truth("AppRequests", { ingestedFrom: r.from, ingestedBefore: r.to })),
  ];
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
});
