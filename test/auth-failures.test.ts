/**
 * Auth failures (issue 13, point 5): a token the directory refuses (SOURCE_CREDENTIAL, 401 or 400
 * invalid_client) and a token the query API refuses (SOURCE_AUTH, 401/403) exit 3 after exactly one
 * attempt — no retries, counted at the endpoints — with a message that names the tenant, the client and
 * where the secret comes from, and never the secret. A token endpoint answering 503 is
 * SOURCE_TOKEN_UNAVAILABLE: transient, retried by the runner's loop, then exit 1. The token endpoint is a stand-in for Entra ID on 127.0.0.1 over HTTPS
 * (test/support/entra-endpoint.ts); the 401/403 of the query API also come from the simulator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { startEntraEndpoint, type EntraEndpoint } from "./support/entra-endpoint.ts";
import { startHarness } from "./support/harness.ts";
import { haveOpenssl } from "./support/telemetry-receivers.ts";

const SECRET = "sentinel-Secret-7f3a9c~never-printed";
const TENANT = "contoso-test.onmicrosoft.com";
const CLIENT = "5b0a2c1e-7d44-4c1a-9e5f-0123456789ab";
const WORKSPACE = "11111111-2222-3333-4444-555555555555";
const noOpenssl = !haveOpenssl();

async function configFor(entra: EntraEndpoint, queries: string[], source: Record<string, unknown> = {}): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-auth-"));
  const path = join(dir, "monitorlift.json");
  const config = {
    source: {
      workspaceId: WORKSPACE,
      endpoint: `${entra.origin}/v1`,
      auth: { method: "clientSecret", tenantId: TENANT, clientId: CLIENT, secretEnv: "MONITORLIFT_TEST_SECRET", authorityHost: entra.origin },
      maxRetries: 4,
      retryDelay: "PT0.01S",
      maxRetryDelay: "PT0.05S",
      ...source,
    },
    queries: queries.map((name) => ({ name, table: "AppRequests" })),
    window: { size: "PT5M", lag: "PT1M", start: "PT30M" },
    sink: { type: "filesystem", path: join(dir, "export"), format: "ndjson" },
    concurrency: 1,
    log: { level: "info" },
  };
  await writeFile(path, JSON.stringify(config));
  return { dir, path };
}

function cliEnv(entra: EntraEndpoint): NodeJS.ProcessEnv {
  // the Azure SDK reads AZURE_* variables of the environment: none leak in from the machine
  const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("AZURE_")).map((k) => [k, undefined]));
  return { ...clean, NODE_EXTRA_CA_CERTS: entra.caFile, MONITORLIFT_TEST_SECRET: SECRET };
}

test("a token that cannot be had: exit 3, SOURCE_CREDENTIAL naming tenant, client and secret variable, one token request, no query sent", { skip: noOpenssl && "openssl is needed for a throw-away certificate", timeout: 60_000 }, async () => {
  const entra = await startEntraEndpoint({ token: "refuse" });
  const { dir, path } = await configFor(entra, ["requests"]);
  try {
    const r = await runCli(["export", "--once", "--config", path], { env: cliEnv(entra), timeoutMs: 45_000 });
    const all = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 3, all);
    assert.match(r.stdout, /^FAILED requests: 0 rows in 0 windows/m);
    assert.match(all, /error \[SOURCE_CREDENTIAL\]: Could not get an access token for source\.auth clientSecret/);
    assert.ok(all.includes(`tenant ${TENANT}`) && all.includes(`client ${CLIENT}`) && all.includes("$MONITORLIFT_TEST_SECRET"), all);
    assert.match(all, /AADSTS7000215/, "the directory's own reason");
    assert.match(all, /secret's current value/, "what to do");
    assert.ok(!all.includes(SECRET), "the secret is never printed");
    assert.equal(entra.counts.token, 1, "one token request: not retried");
    assert.equal(entra.counts.query, undefined, "no query request without a token");
    assert.ok(entra.tokenBodies[0]!.includes(CLIENT), "the token was asked for the configured client");
    const written = (await readdir(join(dir, "export")).catch(() => [] as string[])).filter((f) => f !== "_locks" && f !== "_runs");
    assert.deepEqual(written, [], "no data, no watermark: only the lock and the run record");
  } finally {
    await entra.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a token endpoint answering 400 invalid_client: exit 3, SOURCE_CREDENTIAL, one token request", { skip: noOpenssl && "openssl is needed for a throw-away certificate", timeout: 60_000 }, async () => {
  const entra = await startEntraEndpoint({ token: "invalid" });
  const { dir, path } = await configFor(entra, ["requests"]);
  try {
    const r = await runCli(["export", "--once", "--config", path], { env: cliEnv(entra), timeoutMs: 45_000 });
    const all = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 3, all);
    assert.match(all, /error \[SOURCE_CREDENTIAL\]: Could not get an access token for source\.auth clientSecret .*invalid_client/);
    assert.ok(!all.includes(SECRET));
    assert.equal(entra.counts.token, 1, "a refusal is not retried, neither by the identity library nor by us");
    assert.equal(entra.counts.query, undefined);
  } finally {
    await entra.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a token endpoint answering 503: SOURCE_TOKEN_UNAVAILABLE, retried by the runner's loop, then the query fails with exit 1", { skip: noOpenssl && "openssl is needed for a throw-away certificate", timeout: 90_000 }, async () => {
  const entra = await startEntraEndpoint({ token: "unavailable" });
  const { dir, path } = await configFor(entra, ["requests"], { maxRetries: 2 });
  try {
    const r = await runCli(["export", "--once", "--config", path], { env: cliEnv(entra), timeoutMs: 80_000 });
    const all = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 1, all);
    assert.match(r.stdout, /^FAILED requests: 0 rows in 0 windows/m);
    assert.match(r.stdout, /error \[SOURCE_TOKEN_UNAVAILABLE\]: Could not get an access token for source\.auth clientSecret \(tenant contoso-test\.onmicrosoft\.com.* now: the token service is unavailable or unreachable: .*AADSTS90033/);
    assert.doesNotMatch(all, /SOURCE_CREDENTIAL/);
    assert.ok(!all.includes(SECRET));
    // our one retry loop tried the window again, twice (source.maxRetries), each time for the same reason
    const retries = r.stderr.split("\n").filter((l) => l.includes("window attempt failed, retrying") && l.includes("SOURCE_TOKEN_UNAVAILABLE"));
    assert.equal(retries.length, 2, r.stderr);
    // the identity library's own retries of the first attempt reached the endpoint (1 + its retries); ours
    // within 60 s are answered by MSAL from the 503 it stored (its throttling), without a request
    const tokens = entra.counts.token ?? 0;
    assert.ok(tokens > 1, `token requests: ${tokens}`);
    assert.equal(entra.counts.query, undefined, "no query request without a token");
    // and the same endpoint with no retry of ours: as many token requests, one attempt
    const c0 = await configFor(entra, ["requests"], { maxRetries: 0 });
    try {
      const before = tokens;
      const once = await runCli(["export", "--once", "--config", c0.path], { env: cliEnv(entra), timeoutMs: 80_000 });
      assert.equal(once.code, 1, `${once.stdout}\n${once.stderr}`);
      assert.equal((entra.counts.token ?? 0) - before, tokens, "a new process asks the endpoint again, as often");
      assert.doesNotMatch(once.stderr, /retrying/);
    } finally {
      await rm(c0.dir, { recursive: true, force: true });
    }
  } finally {
    await entra.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("validate --connect without a token: exit 3, the other queries not tried", { skip: noOpenssl && "openssl is needed for a throw-away certificate", timeout: 60_000 }, async () => {
  const entra = await startEntraEndpoint({ token: "refuse" });
  const { dir, path } = await configFor(entra, ["requests", "more_requests"]);
  try {
    const r = await runCli(["validate", "--connect", "--config", path], { env: cliEnv(entra), timeoutMs: 45_000 });
    const all = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 3, all);
    assert.match(r.stdout, /^query requests: error \[SOURCE_CREDENTIAL\]: .*tenant contoso-test\.onmicrosoft\.com/m);
    assert.match(r.stdout, /^query more_requests: not tried \(no access token\)$/m);
    assert.ok(!all.includes(SECRET));
    assert.equal(entra.counts.token, 1);
  } finally {
    await entra.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a token the query API refuses (403): exit 3, SOURCE_AUTH naming the identity and the role to grant, one query request", { skip: noOpenssl && "openssl is needed for a throw-away certificate", timeout: 60_000 }, async () => {
  const entra = await startEntraEndpoint({ token: "grant" });
  const { dir, path } = await configFor(entra, ["requests"]);
  try {
    const r = await runCli(["export", "--once", "--config", path], { env: cliEnv(entra), timeoutMs: 45_000 });
    const all = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.code, 3, all);
    assert.match(all, /error \[SOURCE_AUTH\]: The query API refused the token of source\.auth clientSecret \(tenant contoso-test\.onmicrosoft\.com, client 5b0a2c1e-7d44-4c1a-9e5f-0123456789ab, secret from \$MONITORLIFT_TEST_SECRET.*\(HTTP 403\)/);
    assert.match(all, new RegExp(`Log Analytics Reader role on the workspace ${WORKSPACE}`));
    assert.ok(!all.includes(SECRET) && !all.includes("test-access-token"), "neither the secret nor the token is printed");
    assert.equal(entra.counts.query, 1, "one query request: not retried");
    assert.equal(entra.counts.token, 1);
  } finally {
    await entra.close();
    await rm(dir, { recursive: true, force: true });
  }
});

for (const status of ["401", "403"] as const) {
  test(`the simulator answering ${status}: exit 3, SOURCE_AUTH, one request`, { timeout: 60_000 }, async () => {
    const h = await startHarness({
      sim: { seed: 3, backfill: "PT1H", rowsPerSecond: 0.2, tables: ["AppRequests"] },
      config: { window: { size: "PT5M", lag: "PT1M", start: "PT30M" }, concurrency: 1, log: { level: "warn" } },
    });
    try {
      h.sim.faults.set({ probabilities: { [status]: 1 } });
      const r = await runCli(["export", "--once", "--config", h.configPath], { timeoutMs: 45_000 });
      assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`error \\[SOURCE_AUTH\\]: The query API refused the token of source\\.auth none \\(no token\\) \\(HTTP ${status}\\)`));
      assert.equal(Object.values(h.sim.stats().requests).reduce((a, b) => a + b, 0), 1, "not retried");
      assert.equal(await h.watermark("requests"), undefined);
    } finally {
      await h.close();
    }
  });
}
