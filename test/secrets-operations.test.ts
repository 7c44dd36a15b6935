/**
 * Secrets stay secret in the operational paths: a PostgreSQL sink whose connection URL carries a
 * sentinel password (the local server trusts loopback, so the password is accepted and ignored) is
 * exported on a schedule with a health listener while a slow service keeps its lock held; meanwhile
 * a replica is skipped ("held by …"), `--require-lock` fails, and `status`, `plan`, `ls`,
 * `backfill --list` and `validate --connect` report on it; then the server is unreachable. No
 * output of any of them — pretty or JSON logs, stdout, health bodies, /metrics — carries the
 * sentinel, the URL's userinfo or the URL itself.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli, type CliResult } from "./support/cli.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { openHarness, type Harness as Db } from "./support/sql-test-harness.ts";
import { freePort } from "./support/telemetry-receivers.ts";

const SENTINEL = `SENTINEL-pw-${process.pid}-Xk7`;
const URL_ENV = "MONITORLIFT_SECRET_TEST_URL";

let h: Harness | undefined;
let db: Db | undefined;
let unavailable: string | undefined;
let pgUrl = "";

before(async () => {
  const opened = await openHarness("postgres");
  if ("unavailable" in opened) {
    if (opened.required) throw new Error(opened.unavailable);
    unavailable = opened.unavailable;
    return;
  }
  db = opened;
  const url = new URL(String((db.config() as Record<string, unknown>).url));
  url.password = SENTINEL;
  pgUrl = url.toString();
  h = await startHarness({
    sim: { seed: 77, backfill: "PT1H", rowsPerSecond: 0.5, tables: ["AppRequests"], settleJitterMs: 500 },
    config: {
      window: { size: "PT10M", lag: "PT5S", start: "PT30M" },
      sink: { type: "sql", dialect: "postgres", urlEnv: URL_ENV, tablePrefix: db.prefix },
      log: { level: "debug", format: "pretty" },
    },
    env: { [URL_ENV]: pgUrl },
  });
});
after(async () => {
  await h?.close();
  await db?.cleanup();
});

function assertNoSecret(what: string, text: string): void {
  assert.ok(text.length > 0 || what.includes("stdout"), `${what}: produced output`);
  for (const needle of [SENTINEL, "pw-", pgUrl, `:${encodeURIComponent(SENTINEL)}@`]) {
    assert.ok(!text.includes(needle), `${what} must not print the secret or the connection URL (${JSON.stringify(needle)}):\n${text.slice(0, 3000)}`);
  }
}

function assertQuiet(what: string, r: CliResult): void {
  assertNoSecret(`${what} stdout`, r.stdout);
  assertNoSecret(`${what} stderr`, r.stderr + " ");
}

test("a sentinel password in the sink URL appears in no log, report, health body or error of the operational commands", { timeout: 150_000 }, async (t) => {
  if (unavailable !== undefined) return t.skip(unavailable);
  const harness = h!;
  const env = { [URL_ENV]: pgUrl };
  const port = await freePort();
  // The scheduled export's requests hang on the slow service, so it holds the query's lock meanwhile.
  harness.sim.faults.set({ probabilities: { slow: 1 }, slowMs: 60_000 });
  const scheduledFile = join(harness.dir, "scheduled.json");
  await writeFile(scheduledFile, JSON.stringify({ ...harness.config, schedule: "*/5 * * * * *", health: { port, host: "127.0.0.1" }, telemetry: { metrics: { exporters: ["prometheus"], prometheus: { host: "127.0.0.1", port } } } }));
  let child: ChildProcess | undefined;
  const scheduled = runCli(["export", "--config", scheduledFile, "--shutdown-grace", "PT2S"], { env, timeoutMs: 120_000, onSpawn: (c) => (child = c) });
  try {
    // wait until it runs (and so holds the lock)
    const deadline = Date.now() + 30_000;
    let running = false;
    while (!running && Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        running = ((await res.json()) as { running?: boolean }).running === true;
      } catch {
        /* not listening yet */
      }
      if (!running) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(running, "the scheduled export is running");
    await new Promise((r) => setTimeout(r, 1000)); // its first request waits on the slow service, the lock held

    for (const path of ["/healthz", "/readyz", "/metrics", "/"]) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
      assertNoSecret(`GET ${path}`, await res.text());
    }
    const jsonConfig = join(harness.dir, "json-logs.json");
    await writeFile(jsonConfig, JSON.stringify({ ...harness.config, log: { level: "debug", format: "json" } }));
    for (const file of [harness.configPath, jsonConfig]) {
      const replica = await runCli(["export", "--once", "--config", file], { env, timeoutMs: 60_000 });
      assert.equal(replica.code, 0, replica.stderr);
      assert.match(replica.stdout + replica.stderr, /held by/, "the replica says who holds the lock");
      assertQuiet(`replica (${file})`, replica);
    }
    const required = await runCli(["export", "--once", "--require-lock", "--lock-wait", "0", "--config", jsonConfig], { env, timeoutMs: 60_000 });
    assert.notEqual(required.code, 0, "--require-lock fails while a live peer holds the lock");
    assertQuiet("export --require-lock", required);
    for (const args of [["status"], ["status", "--json"], ["plan"], ["ls"], ["backfill", "--list"], ["validate", "--connect", "--timeout", "PT10S"]]) {
      const r = await runCli([...args, "--config", harness.configPath], { env, timeoutMs: 60_000 });
      assertQuiet(args.join(" "), r);
    }
  } finally {
    child?.kill("SIGTERM");
    const r = await scheduled;
    harness.sim.faults.set({});
    assertQuiet("scheduled export", r);
  }

  // the database unreachable: the connection error names the server, never the password
  const down = new URL(pgUrl);
  down.port = String(await freePort());
  const downEnv = { [URL_ENV]: down.toString() };
  for (const args of [["export", "--once"], ["validate", "--connect", "--timeout", "PT10S"], ["status"]]) {
    const r = await runCli([...args, "--config", harness.configPath], { env: downEnv, timeoutMs: 60_000 });
    assert.notEqual(r.code, 0, `${args.join(" ")} fails with the database down: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /127\.0\.0\.1|localhost|ECONNREFUSED|connect/i, `${args.join(" ")} says what it could not reach`);
    assertQuiet(`${args.join(" ")} (database down)`, r);
  }
});
