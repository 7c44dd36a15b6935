/**
 * Simulator benchmark: generates 1,000,000 AppRequests rows and serves the whole
 * table as queries paged by ingestion-time windows (each under 500k rows and,
 * at ~860 bytes per AppRequests row, under the 64 MB result size limit),
 * reading the responses over loopback HTTP and reporting rows/s served —
 * without and with gzip, on first read (rows encoded on the fly) and on a
 * second read (rows' JSON remembered). The simulator runs in a worker thread so
 * the client does not share its event loop.
 *
 *   node scripts/bench-simulator.ts [--rows 1000000] [--pages 16] [--precompute] [--no-cache]
 */
import http from "node:http";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createManualClock, startSimulator } from "../src/simulator/index.ts";

interface WorkerInput {
  rows: number;
  startMs: number;
  cacheRows: boolean;
  precompute: boolean;
}

const RATE = 2000; // events per second of backfill

async function serve(input: WorkerInput): Promise<void> {
  const clock = createManualClock(input.startMs);
  const t0 = performance.now();
  const sim = await startSimulator({
    clock,
    seed: 42,
    tables: ["AppRequests"],
    rowsPerSecond: RATE,
    backfill: { from: input.startMs - (input.rows / RATE) * 1000, to: input.startMs },
    live: false,
    cacheRows: input.cacheRows,
    precomputeJson: input.precompute,
  });
  // Every row ingested (the slowest is 60 h late) and settled.
  clock.advance(61 * 3_600_000);
  const generated = sim.stats().tableRows["AppRequests"] ?? 0;
  const genMs = performance.now() - t0;
  const tw = performance.now();
  await sim.warmed();
  const warmMs = performance.now() - tw;
  const mem = process.memoryUsage();
  parentPort?.postMessage({
    kind: "ready",
    origin: sim.origin,
    workspaceId: sim.workspaceId,
    generated,
    genMs,
    warmMs,
    heapMB: Math.round(mem.heapUsed / 1e6),
    rssMB: Math.round(mem.rss / 1e6),
  });
  parentPort?.on("message", (m: { kind: string }) => {
    if (m.kind === "stats") {
      const u = process.memoryUsage();
      parentPort?.postMessage({
        kind: "stats",
        rowsServed: sim.stats().rowsServed,
        heapMB: Math.round(u.heapUsed / 1e6),
        externalMB: Math.round(u.external / 1e6),
      });
    }
    if (m.kind === "close") void sim.close().then(() => process.exit(0));
  });
}

interface Ready {
  origin: string;
  workspaceId: string;
  generated: number;
  genMs: number;
  warmMs: number;
  heapMB: number;
  rssMB: number;
}

function post(origin: string, path: string, body: string, gzip: boolean): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(gzip ? { "accept-encoding": "gzip" } : {}) },
    });
    req.on("response", (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        bytes += c.length;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const rows = arg("--rows", 1_000_000);
  const pages = arg("--pages", 16);
  const cacheRows = !args.includes("--no-cache");
  const precompute = args.includes("--precompute");
  const startMs = Date.UTC(2026, 0, 10, 12, 0, 0);
  const worker = new Worker(new URL(import.meta.url), { workerData: { rows, startMs, cacheRows, precompute } satisfies WorkerInput });
  const messages: ((m: unknown) => void)[] = [];
  worker.on("message", (m) => messages.shift()?.(m));
  const next = <T>() => new Promise<T>((resolve) => messages.push((m) => resolve(m as T)));
  const ready = await next<Ready>();
  console.log(
    `generated ${ready.generated} AppRequests rows in ${(ready.genMs / 1000).toFixed(2)} s ` +
      `(${Math.round(ready.generated / (ready.genMs / 1000)).toLocaleString("en")} rows/s); heap ${ready.heapMB} MB, rss ${ready.rssMB} MB` +
      (precompute ? `; JSON pre-encoded in ${(ready.warmMs / 1000).toFixed(2)} s` : ""),
  );

  // Ingestion-time windows: equal slices of the backfill, the last one open-ended (late rows);
  // any window with more rows than fit the 64 MB result limit is halved (counted with `| count`,
  // before timing), as an exporter would page.
  const path = `/v1/workspaces/${ready.workspaceId}/query`;
  const from = startMs - (rows / RATE) * 1000;
  const step = (startMs - from) / pages;
  const iso = (ms: number) => new Date(ms).toISOString();
  const where = (w: { from: number; to: number }) =>
    `AppRequests | where ingestion_time() >= datetime(${iso(w.from)}) and ingestion_time() < datetime(${iso(w.to)})`;
  const count = async (w: { from: number; to: number }) => {
    const res = await fetch(`${ready.origin}${path}`, { method: "POST", body: JSON.stringify({ query: `${where(w)} | count` }) });
    return Number(/\[\[(\d+)\]\]/.exec(await res.text())?.[1]);
  };
  const pending = Array.from({ length: pages }, (_, i) => ({
    from: from + i * step - (i === 0 ? 86_400_000 : 0),
    to: i === pages - 1 ? startMs + 3 * 86_400_000 : from + (i + 1) * step,
  }));
  const windows: { from: number; to: number }[] = [];
  let expected = 0;
  while (pending.length > 0) {
    const w = pending.shift() as { from: number; to: number };
    const n = await count(w);
    if (n > 60_000) {
      const mid = Math.floor((w.from + w.to) / 2);
      pending.unshift({ from: w.from, to: mid }, { from: mid, to: w.to });
    } else {
      windows.push(w);
      expected += n;
    }
  }
  console.log(`${windows.length} ingestion-time pages, ${expected} rows in all (at most 60,000 per page)`);
  const run = async (label: string, gzip: boolean) => {
    worker.postMessage({ kind: "stats" });
    const before = await next<{ rowsServed: number }>();
    const t = performance.now();
    let bytes = 0;
    for (const w of windows) {
      // The shape the exporter asks for: _ItemId is hidden unless named (and rows are pre-encoded in this shape).
      const query = `${where(w)} | extend _ItemId = _ItemId`;
      const r = await post(ready.origin, path, JSON.stringify({ query }), gzip);
      if (r.status !== 200) throw new Error(`HTTP ${r.status} for ${query}`);
      bytes += r.bytes;
    }
    const secs = (performance.now() - t) / 1000;
    worker.postMessage({ kind: "stats" });
    const after = await next<{ rowsServed: number; heapMB: number; externalMB: number }>();
    const served = after.rowsServed - before.rowsServed;
    console.log(
      `${label.padEnd(34)} ${served} rows in ${secs.toFixed(2)} s = ${Math.round(served / secs).toLocaleString("en").padStart(9)} rows/s, ` +
        `${(bytes / 1e6).toFixed(0)} MB on the wire (${(bytes / 1e6 / secs).toFixed(0)} MB/s); heap ${after.heapMB} MB, buffers ${after.externalMB} MB`,
    );
  };
  const mode = !cacheRows ? "no cache" : precompute ? "pre-encoded" : "first read";
  await run(`identity, ${mode}`, false);
  await run(`identity, ${cacheRows ? "remembered" : "no cache, again"}`, false);
  await run(`gzip, ${cacheRows ? "remembered" : "no cache"}`, true);
  worker.postMessage({ kind: "close" });
  await new Promise((resolve) => worker.once("exit", resolve));
}

if (isMainThread) await main();
else await serve(workerData as WorkerInput);
