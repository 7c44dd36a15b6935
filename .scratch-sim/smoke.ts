import { startSimulator, createManualClock } from "../src/simulator/index.ts";
import { LogsQueryClient } from "@azure/monitor-query-logs";
const clock = createManualClock(Date.UTC(2026, 0, 10, 12, 0, 0));
const sim = await startSimulator({ clock, seed: 7, backfill: "PT1H", rowsPerSecond: 2 });
console.log(sim.endpoint, sim.workspaceId, sim.stats().tableRows);
const r = await fetch(`${sim.endpoint}/workspaces/${sim.workspaceId}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "MonitorliftTypes | take 3" }) });
console.log(r.status, (await r.text()).slice(0, 600));
const client = new LogsQueryClient({ getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3600e3 }) }, { endpoint: sim.endpoint, allowInsecureConnection: true } as any);
client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
const res = await client.queryWorkspace(sim.workspaceId, "AppRequests | count", { duration: "PT30M" });
console.log(JSON.stringify(res));
const res2 = await client.queryResource(sim.resourceId, "AppRequests | where ingestion_time() > ago(10m) | take 2 | project TimeGenerated, _ItemId", { duration: "P1D" });
console.log(JSON.stringify(res2));
try { await client.queryWorkspace(sim.workspaceId, "Nope | take 1", { duration: "P1D" }); } catch (e: any) { console.log("err", e.statusCode, JSON.stringify(e.details)); }
await sim.close();
