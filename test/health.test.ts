/**
 * Long-running mode as an operator meets it: the real CLI exporting on a schedule against the
 * simulator serves /healthz and /readyz (and Prometheus /metrics on the same port), /readyz turns 503
 * after a run that failed permanently, no body carries a secret given in the config or the
 * environment, and SIGTERM ends the process with exit 0 within the shutdown grace. Loopback only.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { runCli, type CliResult } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { freePort } from "./support/telemetry-receivers.ts";

const SENTINEL = `SENTINEL-s3cr3t-${process.pid}-Zq9`;

let h: Harness;
before(async () => {
  h = await startHarness({
    sim: { seed: 52, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"], settleJitterMs: 500 },
    config: { window: { size: "PT10M", lag: "PT5S", start: "PT30M" }, log: { level: "warn" } },
  });
});
after(() => h?.close());

interface Probe {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

async function get(port: number, path: string): Promise<Probe> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* /metrics is text */
  }
  return { status: res.status, text, body };
}

/** Polls `path` until `until` holds (bounded); the last answer. */
async function waitFor(port: number, path: string, until: (p: Probe) => boolean, what: string, timeoutMs = 30_000): Promise<Probe> {
  const deadline = Date.now() + timeoutMs;
  let last: Probe | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await get(port, path);
      if (until(last)) return last;
    } catch (err) {
      lastErr = err; // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what}: not reached within ${timeoutMs} ms; last ${path}: ${last ? `${last.status} ${last.text}` : String(lastErr)}`);
}

/** Starts the CLI in scheduled mode; SIGTERM it with `term()`, which returns the result and how long it took to exit. */
async function startScheduled(name: string, config: Record<string, unknown>, args: string[], env: NodeJS.ProcessEnv = {}) {
  const file = join(h.dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ ...h.config, schedule: "*/2 * * * * *", ...config }));
  let child: ChildProcess | undefined;
  const done = runCli(["export", "--config", file, ...args], { timeoutMs: 90_000, env, onSpawn: (c) => (child = c) });
  return {
    done,
    async term(): Promise<CliResult & { ms: number }> {
      const t0 = Date.now();
      child!.kill("SIGTERM");
      const r = await done;
      return { ...r, ms: Date.now() - t0 };
    },
  };
}

async function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => (socket.destroy(), resolve(false)));
    socket.on("error", () => resolve(true));
  });
}

test("scheduled export: /healthz and /readyz answer 200, Prometheus /metrics shares the port, SIGTERM exits 0 within the grace", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const cli = await startScheduled(
    "healthy",
    { health: { port, host: "127.0.0.1" }, telemetry: { metrics: { exporters: ["prometheus"], prometheus: { host: "127.0.0.1", port } } } },
    ["--shutdown-grace", "PT5S"],
  );
  try {
    const ready = await waitFor(port, "/readyz", (p) => p.status === 200 && p.body.lastRun !== null, "a first run finished and /readyz is 200");
    assert.equal((ready.body.lastRun as { outcome: string }).outcome, "ok", ready.text);
    assert.equal(ready.body.configLoaded, true);
    const live = await get(port, "/healthz");
    assert.equal(live.status, 200, live.text);
    assert.equal(live.body.scheduler, "ticking");
    assert.ok(Date.parse(String(live.body.nextTickAt)) > Date.now() - 1000, `the next tick is ahead: ${live.text}`);
    const metrics = await get(port, "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /monitorlift_/, "the Prometheus exporter answers on the health listener");
    assert.equal((await get(port, "/nope")).status, 404);
  } finally {
    const r = await cli.term();
    assert.equal(r.signal, null, `it exited by itself: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 5000 + 3000, `exited ${r.ms} ms after SIGTERM (grace 5 s)`);
  }
  assert.equal(await refused(port), true, "the port is released");
});

test("a run that fails permanently turns /readyz 503 (/healthz stays 200); no body carries a secret; SIGTERM still exits 0", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const cli = await startScheduled(
    "failing",
    {
      health: { port },
      // the simulator refuses this query (SOURCE_REQUEST_INVALID, category permanent); its error message quotes the sentinel
      queries: [
        { name: "requests", table: "AppRequests" },
        { name: "broken", table: "AppRequests", transform: `where Nope == "${SENTINEL}"` },
      ],
    },
    ["--shutdown-grace", "PT5S"],
    {
      AZURE_CLIENT_SECRET: SENTINEL,
      AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${SENTINEL};EndpointSuffix=core.windows.net`,
      MONITORLIFT_SAS_TOKEN: `sv=2024-01-01&sig=${SENTINEL}`,
      PGPASSWORD: SENTINEL,
    },
  );
  try {
    const notReady = await waitFor(port, "/readyz", (p) => p.status === 503, "/readyz turns 503");
    assert.deepEqual(notReady.body.reasons, ["last run failed permanently"], notReady.text);
    const lastRun = notReady.body.lastRun as { outcome: string; failedQueries: Array<{ query: string; code: string; category: string }> };
    assert.equal(lastRun.outcome, "failed-permanently");
    assert.deepEqual(lastRun.failedQueries, [{ query: "broken", code: "SOURCE_REQUEST_INVALID", category: "permanent" }]);
    const live = await get(port, "/healthz");
    assert.equal(live.status, 200, "a failing query does not make the process dead");
    for (const p of [notReady, live, await get(port, "/metrics"), await get(port, "/")]) {
      assert.doesNotMatch(p.text, /SENTINEL|s3cr3t|AccountKey|sig=|Nope/, `no secret or error message in a health body: ${p.text}`);
    }
  } finally {
    const r = await cli.term();
    assert.equal(r.signal, null, `it exited by itself: ${r.stderr}`);
    assert.equal(r.code, 0, `a graceful stop of a scheduled export exits 0 whatever its runs did: ${r.stderr}`);
    assert.ok(r.ms < 5000 + 3000, `exited ${r.ms} ms after SIGTERM (grace 5 s)`);
  }
});

test("a malformed --health-port or --shutdown-grace is a usage error, a taken health port a config error (exit 2)", { timeout: 30_000 }, async () => {
  const bad = await runCli(["export", "--config", h.configPath, "--health-port", "http"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--health-port 'http' is not a port number/);
  const grace = await runCli(["export", "--config", h.configPath, "--shutdown-grace", "30s"]);
  assert.equal(grace.code, 2, grace.stderr);
  assert.match(grace.stderr, /--shutdown-grace '30s'/);
  // a health port that is taken is a configuration error of the scheduled export, before any run
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  try {
    const port = (taken.address() as net.AddressInfo).port;
    const file = join(h.dir, "taken.json");
    await writeFile(file, JSON.stringify({ ...h.config, schedule: "*/2 * * * * *" }));
    const busy = await runCli(["export", "--config", file, "--health-port", String(port)], { timeoutMs: 30_000 });
    assert.equal(busy.code, 2, busy.stderr);
    assert.match(busy.stderr, new RegExp(`health: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  } finally {
    await new Promise((r) => taken.close(r));
  }
});

// The shutdown signal cancels a request in flight, so this run ends well within the grace; the grace itself
// (abandoning work that ignores the signal) is exercised by the PostgreSQL test below and src/cli/service.test.ts.
test("SIGTERM while a window hangs on a slow service: exit 0 within the grace, the window left uncommitted", { timeout: 60_000 }, async () => {
  const before = await h.watermark("requests");
  h.sim.faults.set({ probabilities: { slow: 1 }, slowMs: 45_000 });
  try {
    const port = await freePort();
    // A query without a watermark: its first run has windows to fetch whatever the time (the other queries
    // are caught up, and their next 10-minute window may not be due while this test runs).
    const queries = [...(h.config.queries as object[]), { name: "stuck", table: "AppRequests" }];
    const cli = await startScheduled("stuck", { health: { port }, queries }, ["--shutdown-grace", "PT2S"]);
    await waitFor(port, "/healthz", (p) => p.status === 200 && p.body.running === true, "a run is going");
    await new Promise((r) => setTimeout(r, 500)); // its first request is waiting on the slow service
    const r = await cli.term();
    assert.equal(r.signal, null, `it exited by itself: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 2000 + 3000, `exited ${r.ms} ms after SIGTERM (grace 2 s; the service would answer after 45 s)`);
    assert.deepEqual(await h.watermark("requests"), before, "nothing committed by the abandoned run");
    assert.equal(await h.watermark("stuck"), undefined, "nothing committed by the abandoned run");
  } finally {
    h.sim.faults.set({});
  }
});
