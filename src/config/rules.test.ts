import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "./load.ts";

const WS = "11111111-2222-3333-4444-555555555555";
const base = () => ({
  source: { workspaceId: WS } as Record<string, unknown>,
  queries: [{ name: "requests", table: "AppRequests" }] as Record<string, unknown>[],
  sink: { type: "filesystem", path: "./export" } as Record<string, unknown>,
});

async function check(mutate: (c: ReturnType<typeof base> & Record<string, unknown>) => void, env: Record<string, string> = {}) {
  const c = base() as ReturnType<typeof base> & Record<string, unknown>;
  mutate(c);
  return resolveConfig(c, { configPath: "/etc/monitorlift/config.json", env });
}

test("source: exactly one of workspaceId and resourceId", async () => {
  const none = await check((c) => delete c.source.workspaceId);
  assert.deepEqual(none.errors, ["source.workspaceId: is required — give the workspace ID (a GUID), or source.resourceId for resource-centric queries"]);
  const both = await check((c) => (c.source.resourceId = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/components/app"));
  assert.deepEqual(both.errors, ["source.resourceId: give either workspaceId or resourceId, not both — they are two ways of naming what to query"]);
  const resource = await check((c) => {
    delete c.source.workspaceId;
    c.source.resourceId = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/components/app";
  });
  assert.deepEqual(resource.errors, []);
});

test("endpoint: loopback http is fine, remote http is not, credentials never", async () => {
  for (const endpoint of ["http://127.0.0.1:8080/v1", "http://localhost:9/v1", "http://[::1]:8080/v1", "http://127.8.9.10/v1"]) {
    const local = await check((c) => {
      c.source.endpoint = endpoint;
      c.source.auth = { method: "none" }; // a token is never sent over http (see the credential test below)
    });
    assert.deepEqual(local.errors, [], endpoint);
  }
  assert.match((await check((c) => (c.source.endpoint = "http://10.0.0.5/v1"))).errors[0]!, /^source\.endpoint: http:\/\/10\.0\.0\.5 is plain http/);
  assert.match((await check((c) => (c.source.endpoint = "http://128.0.0.1/v1"))).errors[0]!, /plain http/);
  assert.deepEqual((await check((c) => (c.source.endpoint = "https://u:p@example.com/v1"))).errors, [
    `source.endpoint: must not contain a user name or password — credentials in a URL end up in logs; configure authentication under "auth" instead`,
  ]);
  assert.deepEqual((await check((c) => (c.source.endpoint = "ftp://example.com/v1"))).errors, ["source.endpoint: must be an https:// URL, not ftp://"]);
});

test("auth none: only with a loopback endpoint", async () => {
  const local = await check((c) => {
    c.source.endpoint = "http://127.0.0.1:1234/v1";
    c.source.auth = { method: "none" };
  });
  assert.deepEqual(local.errors, []);
  const remote = await check((c) => (c.source.auth = { method: "none" }));
  assert.match(remote.errors[0]!, /^source\.auth\.method: "none" .* not api\.loganalytics\.azure\.com/);
});

test("credential auth over plain http: refused even on loopback (the Azure client will not send a token over http)", async () => {
  for (const auth of [{ method: "default" }, { method: "managedIdentity" }, { method: "clientSecret", tenantId: "t", clientId: WS }]) {
    const local = await check((c) => {
      c.source.endpoint = "http://127.0.0.1:1234/v1";
      c.source.auth = auth;
    }, { AZURE_CLIENT_SECRET: "x" });
    assert.deepEqual(
      local.errors,
      [`source.auth.method: "${auth.method}" sends an access token, which the Azure client refuses to send over plain http (http://127.0.0.1:1234) — use an https endpoint, or auth.method "none" for a local simulator`],
      auth.method,
    );
    const remote = await check((c) => {
      c.source.endpoint = "http://10.0.0.5/v1";
      c.source.auth = auth;
    }, { AZURE_CLIENT_SECRET: "x" });
    assert.equal(remote.errors.length, 1, `one problem, reported once: ${remote.errors.join(" | ")}`);
    assert.match(remote.errors[0]!, /^source\.endpoint: http:\/\/10\.0\.0\.5 is plain http/);
  }
});

test("auth clientSecret: defaults secretEnv; the secret itself is not a key", async () => {
  const ok = await check((c) => (c.source.auth = { method: "clientSecret", tenantId: "contoso.onmicrosoft.com", clientId: WS }));
  assert.deepEqual(ok.config?.sources.default?.auth, { method: "clientSecret", tenantId: "contoso.onmicrosoft.com", clientId: WS, secretEnv: "AZURE_CLIENT_SECRET" });
  const secret = await check((c) => (c.source.auth = { method: "clientSecret", tenantId: "t", clientId: WS, clientSecret: "hunter2" }));
  assert.deepEqual(secret.errors, [`source.auth.clientSecret: unknown key (allowed here: method, tenantId, clientId, secretEnv, authorityHost)`]);
  const method = await check((c) => (c.source.auth = { method: "clientsecret" }));
  assert.deepEqual(method.errors, [`source.auth.method: "clientsecret" is not allowed: use one of "default", "clientSecret", "managedIdentity", "none" — did you mean "clientSecret"?`]);
});

test("timeouts and retry delays", async () => {
  const r = await check((c) => Object.assign(c.source, { serverTimeout: "PT11M", requestTimeout: "PT12M", retryDelay: "PT2M", maxRetryDelay: "PT1M" }));
  assert.deepEqual(r.errors, ["source.serverTimeout: PT11M is longer than the service allows (PT10M)", "source.maxRetryDelay: PT1M is shorter than retryDelay PT2M"]);
  const w = await check((c) => Object.assign(c.source, { serverTimeout: "PT3M", requestTimeout: "PT3M" }));
  assert.deepEqual(w.errors, []);
  assert.match(w.warnings[0]!, /^source\.requestTimeout: PT3M is not longer than serverTimeout PT3M/);
});

test("window: size ≥ minSize, lookback/future ≥ size, reported at the key to change", async () => {
  const global = await check((c) => (c.window = { size: "PT0.5S" }));
  assert.deepEqual(global.errors, ["window.size: size PT0.5S is shorter than minSize PT1S"]);
  const lookback = await check((c) => (c.window = { size: "P4D" }));
  assert.deepEqual(lookback.errors, ["window.lookback: lookback P3D is shorter than size P4D", "window.future: future P1D is shorter than size P4D"]);
  const short = await check((c) => (c.window = { lookback: "P2D" }));
  assert.deepEqual(short.errors, []);
  assert.match(short.warnings.join("\n"), /^window\.lookback: lookback P2D is shorter than PT60H — the service accepts a record whose TimeGenerated is up to two days before it was received/m);
  assert.deepEqual((await check(() => {})).warnings, [], "the default lookback (P3D) covers the service's 60 h");
  // A query's own size override is what is wrong: report it there, once.
  const perQuery = await check((c) => (c.queries[0]!.window = { size: "P3D", lookback: "P7D" }));
  assert.deepEqual(perQuery.errors, ["queries[0].window.size: future P1D is shorter than size P3D"]);
  const minSize = await check((c) => (c.window = { minSize: "PT0S" }));
  assert.deepEqual(minSize.errors, ["window.minSize: must be at least 1 ms (PT0.001S)"]);
});

test("window: time mode picks a safe default lag; a short one is warned about", async () => {
  const r = await check((c) => (c.window = { mode: "time" }));
  assert.deepEqual(r.warnings, []);
  assert.equal(r.config!.queries[0]!.window.lagMs, 15 * 60_000);
  const i = await check(() => {});
  assert.equal(i.config!.queries[0]!.window.lagMs, 15 * 60_000, "ingestion mode too: rows can become visible minutes after their ingestion time");
  assert.equal(i.config!.queries[0]!.window.reverifyMs, 60 * 60_000);
  const short = await check((c) => (c.window = { mode: "time", lag: "PT9M59S" }));
  assert.equal(short.warnings.length, 1);
  assert.match(short.warnings[0]!, /^window\.lag: lag PT9M59S is short for mode "time"/);
});

test("window: a size that does not divide a day is a warning", async () => {
  const r = await check((c) => (c.window = { size: "PT7M" }));
  assert.deepEqual(r.errors, []);
  assert.match(r.warnings[0]!, /^window\.size: PT7M does not divide a day evenly/);
});

test("window.start: timestamps must exist and have a zone", async () => {
  assert.deepEqual((await check((c) => (c.window = { start: "2026-02-30T00:00:00Z" }))).errors, [
    `window.start: "2026-02-30T00:00:00Z" is not a valid date and time (check the day, month, hour and offset)`,
  ]);
  assert.deepEqual((await check((c) => (c.window = { start: "2026-02-03T00:00:00" }))).errors, [
    `window.start: "2026-02-03T00:00:00" has no time zone — add "Z" for UTC (e.g. "2026-02-03T00:00:00Z")`,
  ]);
  assert.deepEqual((await check((c) => (c.window = { start: "2026-02-03" }))).config?.window.start, { at: Date.parse("2026-02-03T00:00:00Z") });
});

test("nonsense windows: a future start, absurd sizes, a lag longer than the time since start (fixed clock)", async () => {
  const now = Date.parse("2026-11-01T12:00:00Z");
  const at = (window: Record<string, unknown>, queries?: Record<string, unknown>[]) => {
    const c = base() as ReturnType<typeof base> & Record<string, unknown>;
    c.window = window;
    if (queries) c.queries = queries;
    return resolveConfig(c, { configPath: "/etc/monitorlift/config.json", env: {}, now });
  };
  assert.deepEqual((await at({ start: "2099-01-01T00:00:00Z" })).errors, [
    "window.start: 2099-01-01T00:00:00.000Z is in the future — nothing would be exported until then; give a past instant or a duration before now (P1D)",
  ]);
  assert.deepEqual((await at({ start: "2026-11-01T11:00:00Z" })).errors, []);
  for (const key of ["size", "lookback", "future"]) {
    const r = await at({ [key]: "P99999999D", ...(key === "size" ? { lookback: "P99999999D", future: "P99999999D" } : {}) });
    assert.ok(r.errors.some((e) => e.startsWith(`window.${key}: P99999999D is more than P366D — `)), `${key}: ${r.errors.join(" | ")}`);
    assert.equal(r.config, undefined);
  }
  assert.match((await at({ start: "P99999999D" })).errors[0]!, /^window\.start: P99999999D is more than 12 years back/);
  const late = await at({ start: "PT1H", lag: "PT2H" });
  assert.deepEqual(late.errors, []);
  assert.ok(
    late.warnings.includes("window.lag: lag PT2H is longer than the time since window.start (PT1H), so the first run exports nothing — windows begin once start + lag has passed"),
    late.warnings.join(" | "),
  );
  // a query's own override is named at its own path
  const q = await at({}, [{ name: "r", table: "AppRequests", window: { start: "2030-01-01T00:00:00Z" } }]);
  assert.deepEqual(q.errors, ["queries[0].window.start: 2030-01-01T00:00:00.000Z is in the future — nothing would be exported until then; give a past instant or a duration before now (P1D)"]);
});

test("queries: table xor file, transform only with table, names unique ignoring case", async () => {
  assert.deepEqual((await check((c) => (c.queries = [{ name: "q" }]))).errors, [
    `queries[0]: give "table" (a table to export, e.g. "AppRequests") or "file" (a .kql file containing "| $window")`,
  ]);
  const both = await check((c) => (c.queries = [{ name: "q", table: "T", file: "q.kql" }]));
  assert.deepEqual(both.errors, [`queries[0].file: give either "table" or "file", not both`]);
  const transform = await check((c) => (c.queries = [{ name: "q", file: "nope.kql", transform: "take 1" }]));
  assert.equal(transform.errors[0], `queries[0].transform: only applies with "table" — in a .kql file, write the stages after "| $window" in the file itself`);
  const hidden = await check((c) => (c.queries = [{ name: "q", file: "nope.kql", hiddenColumns: ["_ItemId"] }]));
  assert.equal(hidden.errors[0], `queries[0].hiddenColumns: only applies with "table" — in a .kql file, name the columns in its own project (e.g. "| project TimeGenerated, _ItemId, …")`);
  const unknown = await check((c) => (c.queries = [{ name: "q", table: "AppRequests", hiddenColumns: ["_ItemId", "_ResourceId"] }]));
  assert.deepEqual(unknown.errors, [
    `queries[0].hiddenColumns: "_ResourceId" is not a hidden standard column (_ItemId, _BilledSize, _IsBillable, _SubscriptionId) — visible columns are exported anyway`,
  ]);
  const none = await check((c) => (c.queries = [{ name: "q", table: "AppRequests", hiddenColumns: [] }]));
  assert.deepEqual([none.errors, none.config?.queries[0]?.hiddenColumns, none.config?.queries[0]?.kql], [[], [], "AppRequests\n| $window"]);
  const classic = await check((c) => (c.queries = [{ name: "q", table: "requests", window: { timeColumn: "timestamp" } }]));
  assert.match(classic.warnings[0] ?? "", /^queries\[0\]\.hiddenColumns: the query reads a classic Application Insights table/);
  const names = await check((c) => c.queries.push({ name: "Requests", table: "AppRequests" }));
  assert.deepEqual(names.errors, [`queries[1].name: "Requests" differs from queries[0].name "requests" only in case — names must be unique ignoring case (they name folders and tables)`]);
  assert.deepEqual((await check((c) => (c.queries = []))).errors, ["queries: must have at least 1 item"]);
  assert.match((await check((c) => (c.queries = [{ name: "9lives", table: "T" }]))).errors[0]!, /^queries\[0\]\.name: must start with a letter/);
});

test("every query disabled: a warning", async () => {
  const r = await check((c) => (c.queries[0]!.enabled = false));
  assert.deepEqual(r.warnings, [`queries: every query is disabled ("enabled": false) — nothing will be exported`]);
});

test("sink sql: what each dialect needs", async () => {
  const pgNothing = await check((c) => (c.sink = { type: "sql", dialect: "postgres" }));
  assert.deepEqual(pgNothing.errors, ["sink.host: dialect postgres needs url, urlEnv or host to know which server to connect to"]);
  assert.deepEqual((await check((c) => (c.sink = { type: "sql", dialect: "postgres", urlEnv: "PG_URL" }))).errors, []);
  assert.deepEqual((await check((c) => (c.sink = { type: "sql", dialect: "mysql", url: "postgres://h/db" }))).errors, [
    "sink.url: must be a mysql:// or mariadb:// URL for dialect mysql",
  ]);
  const sqlite = await check((c) => (c.sink = { type: "sql", dialect: "sqlite" }));
  assert.deepEqual(sqlite.errors, ["sink.path: dialect sqlite needs the path of the database file"]);
  const sqliteHost = await check((c) => (c.sink = { type: "sql", dialect: "sqlite", path: "x.db", host: "h" }));
  assert.deepEqual(sqliteHost.errors, ["sink.host: does not apply to dialect sqlite (only path does)"]);
  const ok = await check((c) => (c.sink = { type: "sql", dialect: "sqlite", path: "data/x.db" }));
  assert.equal(ok.config?.sink.type === "sql" && ok.config.sink.path, "/etc/monitorlift/data/x.db");
});

test("sink sql: keys that do not apply to the dialect, and the URL scheme (checked here only, not again by the sink)", async () => {
  const errors = async (sink: Record<string, unknown>) => (await check((c) => (c.sink = { type: "sql", ...sink }))).errors;
  assert.deepEqual(await errors({ dialect: "postgres", url: "mysql://h/db" }), ["sink.url: must be a postgres:// or postgresql:// URL for dialect postgres"]);
  assert.deepEqual(await errors({ dialect: "postgres", url: "not a url" }), ["sink.url: must be a postgres:// or postgresql:// URL for dialect postgres"]);
  assert.deepEqual(await errors({ dialect: "mysql", url: "mariadb://h/db" }), []);
  assert.deepEqual(await errors({ dialect: "postgres", host: "h", path: "x.db" }), ["sink.path: only applies to dialect sqlite; for postgres give url, urlEnv or host"]);
  assert.deepEqual(await errors({ dialect: "mysql", host: "h", database: "d", schema: "s" }), ["sink.schema: only applies to dialect postgres"]);
  assert.deepEqual(await errors({ dialect: "postgres", host: "h", schema: "s" }), []);
  assert.deepEqual(await errors({ dialect: "postgres", host: "h", tls: { mode: "require", caFile: "ca.pem" } }), ['sink.tls.caFile: is only used with tls.mode "verify-full"']);
  assert.deepEqual(await errors({ dialect: "sqlite", path: "x.db", tls: { mode: "require" } }), ["sink.tls: does not apply to dialect sqlite"]);
  assert.deepEqual(await errors({ dialect: "sqlite", path: "x.db", url: "postgres://h/d", schema: "s" }), [
    "sink.url: does not apply to dialect sqlite (only path does)",
    "sink.schema: does not apply to dialect sqlite (only path does)",
  ]);
  const ca = await check((c) => (c.sink = { type: "sql", dialect: "postgres", host: "h", tls: { mode: "verify-full", caFile: "certs/ca.pem" } }));
  assert.equal(ca.config?.sink.type === "sql" && ca.config.sink.tls.caFile, "/etc/monitorlift/certs/ca.pem");
});

test("sink sql: a password written in the URL is a warning, one from the environment is not (and is never echoed)", async () => {
  const inline = await check((c) => (c.sink = { type: "sql", dialect: "postgres", url: "postgres://u:secret@h/db" }));
  assert.match(inline.warnings[0]!, /^sink\.url: contains a password written in the file/);
  assert.ok(!inline.warnings[0]!.includes("secret@"));
  const fromEnv = await check((c) => (c.sink = { type: "sql", dialect: "postgres", url: "${env:PG_URL}" }), { PG_URL: "postgres://u:pw@h/db" });
  assert.deepEqual(fromEnv.warnings, []);
  assert.deepEqual(fromEnv.errors, []);
});

test("sink blob: accountUrl required unless a connection string; https unless loopback; no SAS in the URL", async () => {
  assert.deepEqual((await check((c) => (c.sink = { type: "blob", container: "logs" }))).errors, [
    `sink.accountUrl: is required with auth method "default" (e.g. https://<account>.blob.core.windows.net)`,
  ]);
  assert.deepEqual((await check((c) => (c.sink = { type: "adls", container: "logs", auth: { method: "connectionString" } }))).errors, []);
  assert.deepEqual((await check((c) => (c.sink = { type: "blob", container: "logs", accountUrl: "http://127.0.0.1:10000/devstoreaccount1" }))).errors, []);
  assert.match((await check((c) => (c.sink = { type: "blob", container: "logs", accountUrl: "http://acct.blob.core.windows.net" }))).errors[0]!, /^sink\.accountUrl: .* plain http/);
  assert.match(
    (await check((c) => (c.sink = { type: "blob", container: "logs", accountUrl: "https://acct.blob.core.windows.net/?sv=2024&sig=abc" }))).errors[0]!,
    /^sink\.accountUrl: must not contain a query string/,
  );
  const slash = await check((c) => (c.sink = { type: "blob", container: "logs", accountUrl: "https://acct.blob.core.windows.net/" }));
  assert.equal(slash.config?.sink.type === "blob" && slash.config.sink.accountUrl, "https://acct.blob.core.windows.net");
});

test("schema: unknown keys and misspelt values in nested, union-typed objects", async () => {
  const r = await check((c) => {
    c.sink = { type: "filesystem", pat: "./x" };
    c.window = { sise: "PT5M", mode: "ingest" };
    c.Concurrency = 2;
  });
  assert.deepEqual(r.errors, [
    `window.mode: "ingest" is not allowed: use one of "ingestion", "time" — did you mean "ingestion"?`,
    `window.sise: unknown key — did you mean "size"?`,
    "sink.path: is required",
    `sink.pat: unknown key — did you mean "path"?`,
    `Concurrency: unknown key — did you mean "concurrency"?`,
  ]);
  const kind = await check((c) => (c.sink = { type: "filesytem", path: "x" }));
  assert.deepEqual(kind.errors, [`sink.type: "filesytem" is not allowed: use one of "filesystem", "blob", "adls", "sql" — did you mean "filesystem"?`]);
});

test("schema: type errors and ranges", async () => {
  const r = await check((c) => {
    c.concurrency = 9;
    c.source.maxRetries = "6";
    c.window = { maxRows: 1.5, size: 300 };
    c.queries[0]!.enabled = "yes";
  });
  assert.deepEqual(r.errors, [
    `source.maxRetries: must be a number, not the string "6"`,
    `queries[0].enabled: must be true or false, not the string "yes"`,
    `window.size: must be an ISO 8601 duration string — write e.g. "PT5M" (5 minutes), "PT1.5S" or "P2D"`,
    "window.maxRows: must be a whole number, not the number 1.5",
    "concurrency: must be at most 5",
  ]);
});

test("values from the environment never appear in messages", async () => {
  const r = await check((c) => (c.window = { size: "${env:SIZE}" }), { SIZE: "s3cr3t-value" });
  assert.equal(r.errors.length, 1);
  assert.ok(r.errors[0]!.startsWith("window.size: "));
  assert.ok(!r.errors[0]!.includes("s3cr3t"), r.errors[0]);
  const mode = await check((c) => (c.window = { mode: "${env:MODE}" }), { MODE: "hidden-mode" });
  assert.ok(!mode.errors[0]!.includes("hidden-mode"), mode.errors[0]);
});

test("concurrency above maxConcurrentRequests is a warning", async () => {
  const r = await check((c) => {
    c.concurrency = 5;
    c.source.maxConcurrentRequests = 2;
  });
  assert.match(r.warnings[0]!, /^concurrency: 5 windows at once but source\.maxConcurrentRequests is 2/);
});
