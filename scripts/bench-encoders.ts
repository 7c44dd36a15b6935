/**
 * Encoder throughput: 500k synthetic AppRequests-like raw rows (batches of 10k, as the source
 * hands them over) through ndjson.gz, ndjson.zst and parquet; prints rows/s, output bytes and
 * the peak RSS seen. Row generation is not timed. With --expose-gc it also reports the largest
 * live heap after a full GC between batches (what an open chunk really keeps), untimed.
 *
 *   node [--expose-gc] scripts/bench-encoders.ts [rows]
 */
import { createChunkEncoder, type FormatSpec } from "../src/sinks/formats/index.ts";
import type { Column, RawRow } from "../src/table.ts";

const TOTAL = Number(process.argv[2] ?? 500_000);
const BATCH = 10_000;

const columns: Column[] = [
  { name: "TenantId", type: "string" },
  { name: "TimeGenerated", type: "datetime" },
  { name: "Id", type: "string" },
  { name: "Name", type: "string" },
  { name: "Url", type: "string" },
  { name: "Success", type: "bool" },
  { name: "ResultCode", type: "string" },
  { name: "DurationMs", type: "real" },
  { name: "PerformanceBucket", type: "string" },
  { name: "Properties", type: "dynamic" },
  { name: "Measurements", type: "dynamic" },
  { name: "OperationName", type: "string" },
  { name: "OperationId", type: "string" },
  { name: "ParentId", type: "string" },
  { name: "SessionId", type: "string" },
  { name: "AppRoleName", type: "string" },
  { name: "AppRoleInstance", type: "string" },
  { name: "ClientType", type: "string" },
  { name: "ClientIP", type: "string" },
  { name: "ClientCountryOrRegion", type: "string" },
  { name: "ResourceGUID", type: "guid" },
  { name: "ItemCount", type: "int" },
  { name: "_BilledSize", type: "long" },
  { name: "Elapsed", type: "timespan" },
];

let seed = 42;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(rand() * 16)]).join("");
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const NAMES = ["GET /api/orders", "GET /api/orders/{id}", "POST /api/orders", "GET /health", "GET /api/users/{id}", "PUT /api/cart"];
const CODES = ["200", "200", "200", "201", "204", "404", "500"];
const ROLES = ["orders-api", "users-api", "cart-api"];
const COUNTRIES = ["Germany", "United States", "France", "Japan", "Brazil"];
const BUCKETS = ["<250ms", "250ms-500ms", "500ms-1sec", "1sec-3sec"];
const tenant = JSON.stringify("8f2b6a1e-0c3d-4e5f-9a8b-7c6d5e4f3a2b");
const start = Date.UTC(2026, 10, 22, 3, 0, 0);

function row(i: number): RawRow {
  const t = start + i * 7; // ~7 ms apart
  const iso = new Date(t).toISOString().slice(0, 19);
  const frac = String(Math.floor(rand() * 10_000_000)).padStart(7, "0");
  const name = pick(NAMES);
  const code = pick(CODES);
  const duration = Math.round(rand() * 200_000) / 100;
  const op = hex(32);
  const props = JSON.stringify({ "_MS.ProcessedByMetricExtractors": "(Name:'Requests', Ver:'1.1')", AspNetCoreEnvironment: "Production", DeveloperMode: "false", userId: hex(8) });
  return [
    tenant,
    `"${iso}.${frac}Z"`,
    JSON.stringify(hex(16)),
    JSON.stringify(name),
    JSON.stringify(`https://shop.example.com${name.slice(name.indexOf(" ") + 1).replace("{id}", String(Math.floor(rand() * 100000)))}`),
    code.startsWith("5") ? "false" : "true",
    JSON.stringify(code),
    String(duration),
    JSON.stringify(pick(BUCKETS)),
    JSON.stringify(props),
    rand() < 0.7 ? "null" : JSON.stringify(JSON.stringify({ "queue.length": Math.floor(rand() * 50) })),
    JSON.stringify(name),
    JSON.stringify(op),
    JSON.stringify(hex(16)),
    JSON.stringify(hex(22)),
    JSON.stringify(pick(ROLES)),
    JSON.stringify(`${pick(ROLES)}-${hex(10)}`),
    '"PC"',
    JSON.stringify(`10.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.0`),
    JSON.stringify(pick(COUNTRIES)),
    '"6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"',
    "1",
    String(900 + Math.floor(rand() * 600)),
    `"00:00:0${Math.floor(rand() * 10)}.${frac}"`,
  ];
}

async function run(label: string, spec: FormatSpec): Promise<void> {
  seed = 42;
  const encoder = createChunkEncoder(spec, columns);
  let inputBytes = 0;
  let outputBytes = 0;
  let encodeMs = 0;
  let peakRss = 0;
  let peakLive = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let done = 0; done < TOTAL; done += BATCH) {
    const batch: RawRow[] = [];
    for (let i = done; i < Math.min(TOTAL, done + BATCH); i++) batch.push(row(i));
    for (const r of batch) for (const c of r) inputBytes += c.length;
    const t0 = performance.now();
    for (const part of await encoder.encode(batch)) outputBytes += part.byteLength;
    encodeMs += performance.now() - t0;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (gc) {
      batch.length = 0;
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
    }
  }
  const t0 = performance.now();
  for (const part of await encoder.finish()) outputBytes += part.byteLength;
  encodeMs += performance.now() - t0;
  const rate = Math.round(TOTAL / (encodeMs / 1000));
  console.log(
    `${label.padEnd(12)} ${String(TOTAL).padStart(7)} rows  ${(encodeMs / 1000).toFixed(2).padStart(6)} s  ${String(rate).padStart(8)} rows/s  ` +
      `raw cells ${(inputBytes / 1e6).toFixed(1)} MB → ${(outputBytes / 1e6).toFixed(1)} MB  peak RSS ${(peakRss / 1e6).toFixed(0)} MB` +
      (gc ? `  live heap ≤ ${(peakLive / 1e6).toFixed(0)} MB` : ""),
  );
}

await run("ndjson", { format: "ndjson", compression: "none" });
await run("ndjson.gz", { format: "ndjson", compression: "gzip" });
await run("ndjson.zst", { format: "ndjson", compression: "zstd" });
await run("parquet", { format: "parquet", compression: "none" });
