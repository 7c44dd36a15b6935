/**
 * The replay server (its own process): renders the data set once with the simulator, then serves the
 * window queries of every pipeline from pre-rendered, pre-gzipped bytes, so serving costs almost nothing.
 *
 * Rendering: the simulator generates `--rows` AppRequests rows over `--rows / --window-rows` hours
 * (one window per hour); each window is queried in `--blocks` equal blocks with the exporter's own query
 * text, and each block's rows (the JSON between `"rows":[` and `]`) are gzipped as one gzip member.
 * Serving: a query names its window in its ingestion_time() filter; the answer is the gzip members of
 * the blocks in that window (a gzipped "," between non-empty ones) between a gzipped header and tail —
 * a multi-member gzip stream, which every gzip reader decodes as the concatenation. A window that is not
 * made of whole blocks (a split deeper than the blocks) is refused with a 400 naming it.
 *
 *   node scripts/bench/replay-server.ts --rows 100000 --window-rows 50000 --dir DIR [--blocks 16]
 * Prints "ready <port>" once serving; writes DIR/manifest.json.
 */
import http from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { createManualClock, startSimulator } from "../../src/simulator/index.ts";
import { ResultParser } from "../../src/source/result-parser.ts";
import type { RawRow } from "../../src/table.ts";
import { HOUR, TABLE, windowOfQuery, windowRequest, type Manifest } from "./dataset.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    "window-rows": { type: "string", default: "50000" },
    blocks: { type: "string", default: "16" },
    dir: { type: "string" },
    samples: { type: "string", default: "300" },
  },
});
const rows = Number(values.rows);
const windowRows = Number(values["window-rows"]);
const blocks = Number(values.blocks);
const windows = Math.max(1, Math.round(rows / windowRows));
const blockMs = HOUR / blocks;
if (!Number.isInteger(blockMs)) throw new RangeError(`--blocks must divide an hour in whole ms, got ${blocks}`);

// The data ends at the last full hour at least 10 minutes ago, so that every window is due for the
// exporter (window lag PT1M) however soon after the hour it runs (ending at the last full hour itself, a
// run in the first minute of an hour left the last window out: half the rows of the tiny mode, in CI).
// The exporter plans exactly these windows, and at most one empty one after them.
const end = Math.floor((Date.now() - 10 * 60_000) / HOUR) * HOUR;
const from = end - windows * HOUR;
const clock = createManualClock(end);
const sim = await startSimulator({
  clock,
  seed: 1,
  tables: [TABLE],
  rowsPerSecond: windowRows / 3600,
  // An hour earlier, so the first window gets its late arrivals like the others.
  backfill: { from: from - HOUR, to: end },
  live: false,
  limits: { maxRows: 1e9, maxBytes: 1e13 },
  cacheRows: false,
});
clock.advance(61 * HOUR); // every row ingested and visible

const url = `${sim.endpoint}/workspaces/${sim.workspaceId}/query`;
const blockGz: Buffer[] = [];
const blockRows: number[] = [];
let header = "";
let tail = "";
const manifest: Manifest = { windows: [], rows: 0, bytes: 0, columns: [], sample: [], sampleStep: 1, workspaceId: sim.workspaceId, blocksPerWindow: blocks };
manifest.sampleStep = Math.max(1, Math.floor(rows / Number(values.samples)));
let seen = 0;
/**
 * One block's response. Retried on a failed connection: on a loaded machine the parsing and gzipping of
 * a large block can outlast the simulator's keep-alive, and the next request then meets a closed socket.
 */
async function render(block: { start: number; end: number }): Promise<{ res: Response; text: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "accept-encoding": "identity" }, body: JSON.stringify(windowRequest(block)) });
      return { res, text: await res.text() };
    } catch (err) {
      if (attempt >= 3) throw err;
      console.error(`rendering ${JSON.stringify(block)}: ${(err as Error).message}, trying again`);
    }
  }
}
for (let w = 0; w < windows; w++) {
  const win = { start: from + w * HOUR, end: from + (w + 1) * HOUR, rows: 0, bytes: 0 };
  let nonEmpty = 0;
  for (let b = 0; b < blocks; b++) {
    const block = { start: win.start + b * blockMs, end: win.start + (b + 1) * blockMs };
    const { res, text } = await render(block);
    if (res.status !== 200) throw new Error(`rendering ${JSON.stringify(block)}: HTTP ${res.status} ${text.slice(0, 300)}`);
    const open = text.indexOf('"rows":[') + '"rows":['.length;
    const close = text.lastIndexOf("]}]");
    if (header === "") {
      header = text.slice(0, open);
      tail = text.slice(close);
      if (tail !== "]}]}") throw new Error(`unexpected body tail ${tail.slice(0, 200)}`);
    }
    const parser = new ResultParser();
    const parsed: readonly RawRow[] = parser.push(text)?.rows ?? [];
    parser.end();
    if (manifest.columns.length === 0) manifest.columns = parser.columns!;
    for (const row of parsed) {
      if (seen++ % manifest.sampleStep === 0) manifest.sample.push(row);
    }
    const inner = text.slice(open, close);
    blockGz.push(gzipSync(inner, { level: 6 }));
    blockRows.push(parsed.length);
    win.rows += parsed.length;
    win.bytes += Buffer.byteLength(inner);
    if (parsed.length > 0) nonEmpty++;
  }
  win.bytes += Buffer.byteLength(header) + tail.length + Math.max(0, nonEmpty - 1);
  manifest.windows.push(win);
  manifest.rows += win.rows;
  manifest.bytes += win.bytes;
}
await sim.close();
await writeFile(join(values.dir!, "manifest.json"), JSON.stringify(manifest));

const headerGz = gzipSync(header);
const tailGz = gzipSync(tail);
const commaGz = gzipSync(",");

/** The gzip members answering window [start, end), or a reason it cannot be answered. */
function answer(start: number, stop: number): Buffer[] | string {
  const first = (start - from) / blockMs;
  const last = (stop - from) / blockMs;
  if (!Number.isInteger(first) || !Number.isInteger(last)) return `window ${new Date(start).toISOString()}/${new Date(stop).toISOString()} is not made of whole ${blockMs} ms blocks (raise --blocks)`;
  const out: Buffer[] = [headerGz];
  let any = false;
  for (let b = Math.max(0, first); b < Math.min(last, blockGz.length); b++) {
    if (blockRows[b] === 0) continue;
    if (any) out.push(commaGz);
    out.push(blockGz[b]!);
    any = true;
  }
  out.push(tailGz);
  return out;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const fail = (status: number, message: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "BadArgumentError", message } }));
    };
    if (req.method !== "POST" || !req.url?.endsWith("/query")) return fail(404, `no such endpoint ${req.method} ${req.url}`);
    if (!/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) return fail(400, "the replay server only serves gzip");
    let w;
    try {
      w = windowOfQuery((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { query: string }).query);
    } catch {
      w = undefined;
    }
    if (!w) return fail(400, "not a window query");
    const parts = answer(w.start, w.end);
    if (typeof parts === "string") return fail(400, parts);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-encoding": "gzip",
      "content-length": parts.reduce((n, p) => n + p.length, 0),
    });
    for (const p of parts) res.write(p);
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  const port = (server.address() as { port: number }).port;
  process.stdout.write(`ready ${port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
