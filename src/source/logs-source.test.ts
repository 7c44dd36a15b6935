/**
 * The source's pull API against the simulator and against small hand-written servers whose bodies
 * stall, break or lie: one call is one request, the batches are pulled (the idle watchdog runs only
 * while a network read is pending), stopping early releases the connection, and each way a body can
 * end is told apart (ok, truncated, cut = retryable, unreadable = permanent).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError } from "../errors.ts";
import { createManualClock, startSimulator } from "../simulator/index.ts";
import type { RawRow } from "../table.ts";
import { LogsSource, drain, type LogsSourceOptions, type QueryOutcome } from "./logs-source.ts";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
process.on("unhandledRejection", onUnhandled);
after(() => {
  process.off("unhandledRejection", onUnhandled);
  assert.deepEqual(unhandled, [], "no unhandled rejections");
});

const T0 = Date.parse("2026-11-22T12:00:00Z");

function sourceFor(endpoint: string, workspaceId: string, options: Partial<LogsSourceOptions> = {}): LogsSource {
  return new LogsSource({
    endpoint,
    workspaceId,
    auth: { method: "none" },
    env: {},
    serverTimeoutMs: 10_000,
    requestTimeoutMs: 20_000,
    idleTimeoutMs: 2_000,
    maxRows: 500_000,
    maxBytes: 64_000_000,
    ...options,
  });
}

const HEAD = '{"tables":[{"name":"PrimaryResult","columns":[{"name":"n","type":"long"},{"name":"s","type":"string"}],"rows":[';

/** A one-route HTTP server; `handle` writes the response of each query request. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<{ endpoint: string; server: Server; closed: Promise<void>[] }> {
  const closed: Promise<void>[] = [];
  const server = createServer((req, res) => {
    closed.push(new Promise((resolve) => res.on("close", () => resolve())));
    req.resume();
    req.on("end", () => void handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, closed };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function within(p: Promise<unknown>, ms: number, what: string): Promise<void> {
  const timeout = new AbortController();
  try {
    await Promise.race([p, sleep(ms, undefined, { signal: timeout.signal }).then(() => assert.fail(`not within ${ms} ms: ${what}`))]);
  } finally {
    timeout.abort();
  }
}

function rowsText(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `[${from + i},"row ${from + i} ${"x".repeat(40)}"]`).join(",");
}

async function outcomeOf(endpoint: string, options: Partial<LogsSourceOptions> = {}): Promise<{ outcome: QueryOutcome; rows: number }> {
  const result = await sourceFor(endpoint, "w", options).query({ query: "T" }, new AbortController().signal);
  let rows = 0;
  for await (const batch of result.batches) rows += batch.length;
  return { outcome: await result.outcome, rows };
}

test("the SDK pipeline keeps auth-free plumbing but none of its retry policies", () => {
  const policies = sourceFor("http://127.0.0.1:1/v1", "w").policies;
  assert.deepEqual(policies.filter((p) => /retry/i.test(p)), []);
  for (const kept of ["userAgentPolicy", "decompressResponsePolicy", "redirectPolicy", "logPolicy"]) assert.ok(policies.includes(kept), kept);
});

test("workspaceId and resourceId: exactly one, or a config error", () => {
  const options = { endpoint: "http://127.0.0.1:1/v1", auth: { method: "none" as const }, env: {}, serverTimeoutMs: 1, requestTimeoutMs: 1, idleTimeoutMs: 1, maxRows: 1, maxBytes: 1 };
  assert.throws(() => new LogsSource(options), (e: unknown) => e instanceof ConfigError && /exactly one of workspaceId and resourceId/.test(e.message));
  assert.throws(() => new LogsSource({ ...options, workspaceId: "w", resourceId: "/r" }), ConfigError);
});

test("one query() is one request: a 503 is not retried inside the source", async () => {
  const sim = await startSimulator({ clock: createManualClock(T0), seed: 2, backfill: "PT1H", tables: ["AppRequests"] });
  try {
    sim.faults.enqueue(["503:7", "429:3"]);
    const source = sourceFor(sim.endpoint, sim.workspaceId);
    await assert.rejects(source.query({ query: "AppRequests | take 1" }, new AbortController().signal), (e: any) => {
      return e.code === "SOURCE_UNAVAILABLE" && e.retryable === true && e.retryAfterMs === 7000;
    });
    await assert.rejects(source.query({ query: "AppRequests | take 1" }, new AbortController().signal), (e: any) => {
      return e.code === "SOURCE_THROTTLED" && e.retryable === true && e.retryAfterMs === 3000;
    });
    assert.deepEqual(sim.stats().requests, { "503": 1, "429": 1 });
  } finally {
    await sim.close();
  }
});

test("columns first, then every row in batches, then an ok outcome with counts; a PartialError is 'truncated'", async () => {
  const sim = await startSimulator({ clock: createManualClock(T0), seed: 2, backfill: "PT1H", rowsPerSecond: 1, tables: ["AppRequests"] });
  try {
    const source = sourceFor(sim.endpoint, sim.workspaceId, { batchBytes: 16_384 });
    const result = await source.query({ query: "AppRequests | project _ItemId, TimeGenerated" }, new AbortController().signal);
    assert.deepEqual(result.columns.map((c) => c.name), ["_ItemId", "TimeGenerated"]);
    const batches: RawRow[][] = [];
    for await (const b of result.batches) batches.push([...b.rows]);
    const outcome = await result.outcome;
    assert.equal(outcome.kind, "ok");
    const total = batches.reduce((n, b) => n + b.length, 0);
    assert.equal(outcome.kind === "ok" && outcome.rows, total);
    assert.equal(total, sim.stats().rowsServed);
    assert.ok(batches.length > 1, `${batches.length} batches`);
    assert.ok(batches.every((b) => b.length > 0 && b.every((r) => r.length === 2)));

    sim.faults.enqueue(["partial:10"]);
    const partial = await source.query({ query: "AppRequests" }, new AbortController().signal);
    for await (const _ of partial.batches);
    const cut = await partial.outcome;
    assert.equal(cut.kind, "truncated");
    assert.match(cut.kind === "truncated" ? cut.reason : "", /partial result/);
    sim.faults.enqueue(["partial:1"]);
    await assert.rejects(drain(await source.query({ query: "AppRequests" }, new AbortController().signal)), (e: any) => e.code === "SOURCE_TRUNCATED");
  } finally {
    await sim.close();
  }
});

test("a consumer slower than idleTimeout between batches does not trip the watchdog; a silent network does", async () => {
  // 400 rows in 20 pieces, one every 50 ms (well within idleTimeout), then the end
  const fast = await serve(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(HEAD);
    for (let i = 0; i < 20; i++) {
      if (i > 0) await sleep(50);
      res.write((i > 0 ? "," : "") + rowsText(i * 20, 20));
    }
    res.end("]}]}");
  });
  // 100 rows, then silence for longer than idleTimeout, then the rest
  const stalling = await serve(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(HEAD + rowsText(0, 100));
    await sleep(1_000);
    if (!res.destroyed) res.end("]}]}");
  });
  try {
    const source = sourceFor(fast.endpoint, "w", { idleTimeoutMs: 200, batchBytes: 500 });
    const result = await source.query({ query: "T" }, new AbortController().signal);
    let rows = 0;
    let batches = 0;
    for await (const b of result.batches) {
      rows += b.length;
      if (batches++ < 2) await sleep(700); // a slow sink write, over three times idleTimeout
    }
    const outcome = await result.outcome;
    assert.equal(outcome.kind, "ok", JSON.stringify(outcome));
    assert.equal(outcome.kind === "ok" && outcome.rows, 400);
    assert.equal(rows, 400);
    assert.ok(batches > 2, `${batches} batches`);

    const stalled = await outcomeOf(stalling.endpoint, { idleTimeoutMs: 150 });
    assert.equal(stalled.outcome.kind, "error");
    const err = (stalled.outcome as { error: { code: string; retryable: boolean; message: string } }).error;
    assert.equal(err.code, "SOURCE_TIMEOUT");
    assert.equal(err.retryable, true);
    assert.match(err.message, /stalled for 150 ms/);
  } finally {
    await stop(fast.server);
    await stop(stalling.server);
  }
});

test("stopping early (break, or cancel before reading) destroys the body and closes the connection", async () => {
  // a body that never ends on its own
  const endless = await serve(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(HEAD + rowsText(0, 50));
    for (let i = 1; !res.destroyed && i < 500; i++) {
      await sleep(20);
      if (!res.destroyed) res.write("," + rowsText(i * 50, 50));
    }
  });
  try {
    const source = sourceFor(endless.endpoint, "w", { batchBytes: 100 });
    const first = await source.query({ query: "T" }, new AbortController().signal);
    for await (const _ of first.batches) break;
    const stopped = await first.outcome;
    assert.equal(stopped.kind, "error");
    assert.equal((stopped as { error: { code: string } }).error.code, "ABORTED");
    await within(endless.closed[0]!, 2_000, "the server sees the connection go"); // (the body would run 10 s)

    const second = await source.query({ query: "T" }, new AbortController().signal);
    second.cancel();
    second.cancel(); // idempotent
    assert.equal((await second.outcome).kind, "error");
    await within(endless.closed[1]!, 2_000, "the server sees the connection go after cancel()");
    // and nothing more comes out of it
    for await (const _ of second.batches) assert.fail("no batch after cancel()");
  } finally {
    await stop(endless.server);
  }
});

test("a body cut part-way is retryable; a whole body that is not a readable result is permanent", async () => {
  const bodies: Record<string, (res: ServerResponse) => void> = {
    // the connection is reset in the middle of the rows
    reset: (res) => {
      res.write(HEAD + rowsText(0, 30));
      setTimeout(() => res.socket?.destroy(), 20);
    },
    // the body ends cleanly (chunked encoding closed) in the middle of the rows or of the tail
    endedInRows: (res) => res.end(HEAD + rowsText(0, 30)),
    endedInTail: (res) => res.end(HEAD + rowsText(0, 3) + ']}],"statistics":{"query":'),
    endedMidCharacter: (res) => res.end(Buffer.concat([Buffer.from(HEAD + '[1,"caf'), Buffer.from([0xc3])])),
    // complete but wrong
    notJson: (res) => res.end("<html>proxy error</html>"),
    invalidUtf8: (res) => res.end(Buffer.concat([Buffer.from(HEAD + '[1,"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"]]}]}')])),
    wrongWidth: (res) => res.end(HEAD + '[1,"a"],[2,"b",3]]}]}'),
    badTail: (res) => res.end(HEAD + '[1,"a"]]}],"statistics":{"query":nope}}'),
  };
  const server = await serve((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    bodies[new URL(req.url!, "http://x").pathname.split("/")[3]!]!(res);
  });
  try {
    const expected: Record<string, { code: string; retryable: boolean }> = {
      reset: { code: "SOURCE_CONNECTION", retryable: true },
      endedInRows: { code: "SOURCE_PROTOCOL", retryable: true },
      endedInTail: { code: "SOURCE_PROTOCOL", retryable: true },
      endedMidCharacter: { code: "SOURCE_PROTOCOL", retryable: true },
      notJson: { code: "SOURCE_PROTOCOL", retryable: false },
      invalidUtf8: { code: "SOURCE_PROTOCOL", retryable: false },
      wrongWidth: { code: "SOURCE_PROTOCOL", retryable: false },
      badTail: { code: "SOURCE_PROTOCOL", retryable: false },
    };
    for (const [name, want] of Object.entries(expected)) {
      const source = sourceFor(server.endpoint, name);
      let got: { code: string; retryable: boolean; message: string };
      try {
        const result = await source.query({ query: "T" }, new AbortController().signal);
        for await (const _ of result.batches);
        const outcome = await result.outcome;
        assert.equal(outcome.kind, "error", name);
        got = (outcome as { error: typeof got }).error;
      } catch (e) {
        got = e as typeof got; // the head itself was unreadable
      }
      assert.deepEqual({ code: got.code, retryable: got.retryable }, want, `${name}: ${got.message}`);
    }
  } finally {
    await stop(server.server);
  }
});

test("a body over maxBytes ends as truncated without reading the rest", async () => {
  const big = await serve(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(HEAD + rowsText(0, 10));
    for (let i = 1; i < 1000 && !res.destroyed; i++) {
      await sleep(5);
      if (!res.destroyed) res.write("," + rowsText(i * 10, 10));
    }
    if (!res.destroyed) res.end("]}]}");
  });
  try {
    const { outcome } = await outcomeOf(big.endpoint, { maxBytes: 4_000, batchBytes: 500 });
    assert.equal(outcome.kind, "truncated");
    assert.match((outcome as { reason: string }).reason, /exceeded 4000 bytes/);
    await within(big.closed[0]!, 2_000, "the rest of the body is not read");
  } finally {
    await stop(big.server);
  }
});

test("shutdown while reading ends the batches with ABORTED", async () => {
  const slow = await serve(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(HEAD + rowsText(0, 10));
    await sleep(2_000);
    if (!res.destroyed) res.end("]}]}");
  });
  try {
    const shutdown = new AbortController();
    const result = await sourceFor(slow.endpoint, "w").query({ query: "T" }, shutdown.signal);
    setTimeout(() => shutdown.abort(new Error("SIGTERM")), 50);
    for await (const _ of result.batches);
    const outcome = await result.outcome;
    assert.equal(outcome.kind, "error");
    assert.equal((outcome as { error: { code: string } }).error.code, "ABORTED");
  } finally {
    await stop(slow.server);
  }
});

test("what every request says: one-slash resource URL, Cache-Control: no-cache, one Prefer header (wait + include-permissions for a resource)", async () => {
  const seen: { url: string; prefer: string | string[] | undefined; cache: string | undefined }[] = [];
  const { endpoint, server } = await serve((req, res) => {
    seen.push({ url: req.url ?? "", prefer: req.headers["prefer"], cache: req.headers["cache-control"] });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`${HEAD}[1,"a"]]}]}`);
  });
  try {
    const rid = "/subscriptions/s/resourceGroups/g/providers/microsoft.insights/components/c";
    const byResource = new LogsSource({ ...optionsFor(endpoint), workspaceId: undefined, resourceId: rid });
    await drain(await byResource.query({ query: "T" }, new AbortController().signal));
    await drain(await sourceFor(endpoint, "w").query({ query: "T" }, new AbortController().signal));
    assert.deepEqual(seen, [
      { url: `/v1${rid}/query`, prefer: "wait=10,include-permissions=true", cache: "no-cache" },
      { url: "/v1/workspaces/w/query", prefer: "wait=10", cache: "no-cache" },
    ]);
  } finally {
    await stop(server);
  }
});

test("204 No Content is an empty, complete result; a withheld table or a non-limit PartialError is an error outcome", async () => {
  const bodies = [
    "204",
    `${HEAD}[1,"a"]]}],"permissions":{"resources":[{"resourceId":"/r","denyTables":["SecurityEvent"],"dataSources":["/ws1"]}],"dataSources":[{"resourceId":"/ws1"}]}}`,
    `${HEAD}[1,"a"]]}],"permissions":{"resources":[{"resourceId":"/r","dataSources":["/ws1","/ws2"]}],"dataSources":[{"resourceId":"/ws1"}]}}`,
    `${HEAD}[1,"a"]]}],"error":{"code":"PartialError","message":"There were some errors when processing your query.","details":[{"code":"EngineError","message":"m","innererror":{"code":"X","message":"Partial query failure: Low memory condition (E_LOW_MEMORY_CONDITION)."}}]}}`,
  ];
  const { endpoint, server } = await serve((_req, res) => {
    const body = bodies.shift()!;
    if (body === "204") {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
  try {
    const empty = await sourceFor(endpoint, "w").query({ query: "T" }, new AbortController().signal);
    assert.deepEqual(empty.columns, []);
    assert.deepEqual(await drain(empty), { kind: "ok", rows: 0, bytes: 0 });
    const table = await outcomeOf(endpoint);
    assert.ok(table.outcome.kind === "error" && table.outcome.error.code === "SOURCE_PERMISSIONS" && /SecurityEvent of \/r/.test(table.outcome.error.message));
    const ws = await outcomeOf(endpoint);
    assert.ok(ws.outcome.kind === "error" && ws.outcome.error.code === "SOURCE_PERMISSIONS" && /workspace \/ws2/.test(ws.outcome.error.message));
    const engine = await outcomeOf(endpoint);
    assert.ok(engine.outcome.kind === "error" && engine.outcome.error.code === "SOURCE_QUERY_FAILED" && engine.outcome.error.retryable);
    assert.match(engine.outcome.kind === "error" ? engine.outcome.error.message : "", /E_LOW_MEMORY_CONDITION/);
  } finally {
    await stop(server);
  }
});

function optionsFor(endpoint: string): LogsSourceOptions {
  return { endpoint, auth: { method: "none" }, env: {}, serverTimeoutMs: 10_000, requestTimeoutMs: 20_000, idleTimeoutMs: 2_000, maxRows: 500_000, maxBytes: 64_000_000 };
}

test("QueryRequest.headers: sent with the request (a traceparent), never replacing the source's own headers; none by default", async () => {
  const seen: IncomingMessage["headers"][] = [];
  const { endpoint, server } = await serve((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`${HEAD}[1,"a"]]}]}`);
  });
  try {
    const source = sourceFor(endpoint, "ws");
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await drain(await source.query({ query: "T", headers: { traceparent, "cache-control": "max-age=60", accept: "text/plain" } }, new AbortController().signal));
    await drain(await source.query({ query: "T" }, new AbortController().signal));
    assert.equal(seen[0]!.traceparent, traceparent);
    assert.equal(seen[0]!["cache-control"], "no-cache", "the source's no-cache wins");
    assert.equal(seen[0]!.accept, "application/json");
    assert.equal(seen[1]!.traceparent, undefined);
  } finally {
    await stop(server);
  }
});
