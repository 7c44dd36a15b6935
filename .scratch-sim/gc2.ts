import http from "node:http";
import { createManualClock, startSimulator } from "../src/simulator/index.ts";
const startMs = Date.UTC(2026, 0, 10, 12, 0, 0);
const clock = createManualClock(startMs);
const rows = 600000, RATE = 2000;
const sim = await startSimulator({ clock, seed: 42, tables: ["AppRequests"], rowsPerSecond: RATE, backfill: { from: startMs - (rows / RATE) * 1000, to: startMs }, live: false, precomputeJson: false });
clock.advance(49 * 3_600_000);
const post = (body: string) => new Promise<string>((resolve) => { const req = http.request(`${sim.endpoint}/workspaces/${sim.workspaceId}/query`, { method: "POST", headers: { prefer: "include-statistics=true" } }); req.on("response", (res) => { let last = ""; res.on("data", (c) => last = c.toString().slice(-600)); res.on("end", () => resolve(last)); }); req.end(body); });
for (const q of [`AppRequests | where ingestion_time() >= datetime(2026-01-10T11:55:00Z) and ingestion_time() < datetime(2026-01-10T11:56:00Z)`, `AppRequests | where ingestion_time() >= datetime(2026-01-10T11:56:00Z) and ingestion_time() < datetime(2026-01-10T11:57:00Z) | count`, `AppRequests | take 70000`]) {
const t = performance.now();
const last = await post(JSON.stringify({ query: q }));
console.log((performance.now() - t).toFixed(0), "ms", /"executionTime":([\d.]+)/.exec(last)?.[1], /"tableRowCount":(\d+)/.exec(last)?.[1]);
}
await sim.close();
