/**
 * Synthetic AppRequests-like raw rows (24 columns covering every type the Parquet mapping has), as
 * the source hands them to an encoder: each cell is the raw JSON text of the response. Deterministic:
 * resetRows() restarts the sequence. Shared by scripts/bench-encoders.ts and
 * scripts/bench-parquet-writers.ts.
 */
import type { Column, RawRow } from "../../src/table.ts";

export const columns: Column[] = [
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

export function row(i: number): RawRow {
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

/** Restart the deterministic sequence (row(i) depends on the calls before it). */
export function resetRows(): void {
  seed = 42;
}
