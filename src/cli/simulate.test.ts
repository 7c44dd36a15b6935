import assert from "node:assert/strict";
import { test } from "node:test";
import { runSimulate, simulateCommand } from "./simulate.ts";

test("runSimulate serves until aborted and prints a usable source snippet", async () => {
  let out = "";
  const stop = new AbortController();
  const running = runSimulate(
    { port: 0, host: "127.0.0.1", seed: 3, rate: 1, backfill: "PT5M", live: true, tables: ["AppEvents"], maxRows: 10 },
    { write: (t) => (out += t), signal: stop.signal },
  );
  for (let i = 0; i < 200 && !out.includes("Ctrl+C"); i++) await new Promise((r) => setTimeout(r, 10));
  const snippet = JSON.parse(out.slice(out.indexOf("{"), out.lastIndexOf("}") + 1)) as {
    source: { workspaceId: string; endpoint: string; auth: { method: string } };
  };
  assert.equal(snippet.source.auth.method, "none");
  assert.match(snippet.source.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  assert.match(out, /AppEvents \(\d+ rows\)/);
  const res = await fetch(`${snippet.source.endpoint}/workspaces/${snippet.source.workspaceId}/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "AppEvents" }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { tables: { rows: unknown[] }[]; error?: { code: string } };
  assert.equal(body.tables[0]?.rows.length, 10, "--max-rows applies");
  assert.equal(body.error?.code, "PartialError");
  stop.abort();
  await running;
  assert.match(out, /simulator stopped/);
  await assert.rejects(fetch(`${snippet.source.endpoint}/workspaces/${snippet.source.workspaceId}/query`, { method: "POST", body: "{}" }));
});

test("bad arguments are usage errors naming the problem; --help shows examples", async () => {
  const parse = async (args: string[]) => {
    let err = "";
    const cmd = simulateCommand()
      .exitOverride()
      .configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (err += s) });
    try {
      await cmd.parseAsync(args, { from: "user" });
    } catch (e) {
      return { code: (e as { code?: string }).code, err };
    }
    return { code: "none", err };
  };
  const faults = await parse(["--faults", "teapot=1"]);
  assert.equal(faults.code, "commander.invalidArgument");
  assert.match(faults.err, /unknown fault kind 'teapot'/);
  assert.match((await parse(["--backfill", "one day"])).err, /not an ISO 8601 duration/);
  assert.match((await parse(["--tables", "AppNope"])).err, /unknown table\(s\) AppNope/);
  assert.match((await parse(["--rate", "-2"])).err, /--rate must be a non-negative number/);
  const help = await parse(["--help"]);
  assert.equal(help.code, "commander.helpDisplayed");
  assert.match(help.err, /Examples:\n {2}monitorlift simulate/);
  assert.match(help.err, /429=p\[:retryAfterSeconds\]/);
});
