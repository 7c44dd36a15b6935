/**
 * Row values for the workspace-based App Insights tables. One generator per
 * column name; a per-row "prepare" step draws the values several columns share
 * (outcome, duration, role, client, user...). Only a few strings per row are
 * unique (ids); everything else comes from the pools.
 */
import type { SimValue } from "../catalog.ts";
import { randomHex } from "./ids.ts";
import type { Client, Operation, Pools, Role } from "./pools.ts";
import type { Rng } from "./prng.ts";
import { type AppTableName, columnsOf } from "./schemas.ts";

export interface AppEnv {
  workspaceId: string;
  /** The `_ResourceId` value (lower case, like the service writes it). */
  resourceId: string;
  /** The `_SubscriptionId` value: the subscription part of the resource ID ("" when it has none). */
  subscriptionId: string;
  pools: Pools;
}

/** Mutable per-row scratch state, reused across rows. */
export interface RowContext {
  rng: Rng;
  /** The event's time (TimeGenerated of the App tables; EventTime of MonitorliftEvents_CL). */
  timeGenerated: bigint;
  /** When the row is ingested (ticks); MonitorliftEvents_CL's TimeGenerated is about this. */
  ingestion: bigint;
  itemId: string;
  operationId: string;
  parentId: string;
  role: Role;
  instance: string;
  client: Client;
  user: string;
  session: string;
  properties: SimValue;
  measurements: SimValue;
  success: boolean;
  durationMs: number;
  resultCode: string;
  op: Operation;
  pick: number;
}

export function newRowContext(rng: Rng, pools: Pools): RowContext {
  return {
    rng,
    timeGenerated: 0n,
    ingestion: 0n,
    itemId: "",
    operationId: "",
    parentId: "",
    role: pools.roles[0] as Role,
    instance: "",
    client: pools.serverClient,
    user: "",
    session: "",
    properties: null,
    measurements: null,
    success: true,
    durationMs: 0,
    resultCode: "",
    op: pools.requestOps[0] as Operation,
    pick: 0,
  };
}

type Gen = (c: RowContext) => SimValue;

const DEPENDENCIES = [
  { type: "SQL", target: "sql-contoso.database.windows.net | orders", name: "SELECT Orders", data: "SELECT * FROM Orders WHERE Id = @id" },
  { type: "HTTP", target: "payments.contoso.example", name: "POST /v2/charges", data: "https://payments.contoso.example/v2/charges" },
  { type: "Azure blob", target: "contosostore.blob.core.windows.net", name: "GET contosostore/images", data: "https://contosostore.blob.core.windows.net/images/item.png" },
  { type: "Azure Service Bus", target: "contoso-bus.servicebus.windows.net | orders", name: "Send", data: "" },
];

const EXCEPTIONS = [
  {
    type: "System.InvalidOperationException",
    message: "Sequence contains no elements",
    assembly: "Contoso.Orders, Version=1.4.0.0, Culture=neutral, PublicKeyToken=null",
    method: "Contoso.Orders.OrderService.Place",
  },
  {
    type: "System.TimeoutException",
    message: "The operation has timed out after 00:00:30 — retry later",
    assembly: "Contoso.Payments, Version=2.1.0.0, Culture=neutral, PublicKeyToken=null",
    method: "Contoso.Payments.Client.ChargeAsync",
  },
  {
    type: "System.ArgumentNullException",
    message: "Value cannot be null. (Parameter 'sku')",
    assembly: "Contoso.Catalog, Version=3.0.0.0, Culture=neutral, PublicKeyToken=null",
    method: "Contoso.Catalog.Items.Get",
  },
];

const EXCEPTION_DETAILS: SimValue[] = EXCEPTIONS.map((e, i) => [
  {
    outerId: "0",
    message: e.message,
    type: e.type,
    id: String(46000000 + i),
    parsedStack: [
      { level: 0, method: e.method, assembly: e.assembly, line: 40 + i, fileName: `src/${e.method.split(".").pop()}.cs` },
      { level: 1, method: "Contoso.Web.Program.Main", assembly: e.assembly, line: 12 },
    ],
  },
]);

const TRACES = [
  "Order accepted",
  "Cache miss for catalog page; loading from database",
  "Retrying payment call (attempt 2 of 3)",
  "Payload: {\"sku\":\"A-42\",\"qty\":2}",
  "Großhändler-Import abgeschlossen ✓",
  "Slow query detected\nDuration above threshold",
];
const EVENTS = ["AddToCart", "CheckoutStarted", "CheckoutCompleted", "SearchPerformed", "CouponApplied"];
const METRICS = ["queue-length", "cache-hit-ratio", "orders-per-minute", "gc-heap-mb"];
const LOCATIONS = ["West Europe", "East US", "Japan East", "Brazil South"];
const RESULT_FAIL = ["500", "503", "404", "400"];

/** Typical billed size of a record per table (bytes), before the per-row variation. */
const BILLED_BASE: Record<AppTableName, number> = {
  AppRequests: 1180,
  AppDependencies: 1240,
  AppExceptions: 2950,
  AppTraces: 860,
  AppPageViews: 1320,
  AppEvents: 940,
  AppMetrics: 720,
  AppAvailabilityResults: 1010,
};

/** The subscription GUID of an Azure resource ID, or "" (docs: the subscription part of the resource ID). */
export function subscriptionOf(resourceId: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1]?.toLowerCase() ?? "";
}

function performanceBucket(ms: number): string {
  if (ms < 250) return "<250ms";
  if (ms < 500) return "250ms-500ms";
  if (ms < 1000) return "500ms-1sec";
  if (ms < 3000) return "1sec-3sec";
  if (ms < 7000) return "3sec-7sec";
  if (ms < 15000) return "7sec-15sec";
  if (ms < 30000) return "15sec-30sec";
  if (ms < 60000) return "30sec-1min";
  return "1min-2min";
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function commonGens(table: AppTableName, env: AppEnv): Record<string, Gen> {
  const p = env.pools;
  return {
    TenantId: () => env.workspaceId,
    TimeGenerated: (c) => c.timeGenerated,
    Properties: (c) => c.properties,
    Measurements: (c) => c.measurements,
    OperationName: (c) => c.op.name,
    OperationId: (c) => c.operationId,
    OperationLinks: () => null,
    ParentId: (c) => c.parentId,
    SyntheticSource: () => "",
    SessionId: (c) => c.session,
    UserId: (c) => c.user,
    UserAuthenticatedId: (c) => (c.pick % 7 === 0 ? c.user : ""),
    UserAccountId: () => "",
    AppVersion: (c) => c.role.version,
    AppRoleName: (c) => c.role.name,
    AppRoleInstance: (c) => c.instance,
    ClientType: (c) => c.client.type,
    ClientModel: (c) => c.client.model,
    ClientOS: (c) => c.client.os,
    ClientIP: (c) => c.client.ip,
    ClientCity: (c) => c.client.city,
    ClientStateOrProvince: (c) => c.client.state,
    ClientCountryOrRegion: (c) => c.client.country,
    ClientBrowser: (c) => c.client.browser,
    ResourceGUID: () => p.resourceGuid,
    IKey: () => p.ikey,
    SDKVersion: (c) => c.role.sdk,
    ItemCount: (c) => (c.pick % 11 === 0 ? 5 : 1),
    ReferencedItemId: () => "",
    ReferencedType: () => "",
    SourceSystem: () => "Azure",
    Type: () => table,
    _ResourceId: () => env.resourceId,
    // Billed bytes of the record: a table-typical base plus what its variable parts add.
    _BilledSize: (c) => BILLED_BASE[table] + 48 * (c.pick % 16) + (c.user === "" ? 0 : 96),
    _IsBillable: () => "True",
    _SubscriptionId: () => env.subscriptionId,
    _ItemId: (c) => c.itemId,
  };
}

function tableGens(table: AppTableName): Record<string, Gen> {
  switch (table) {
    case "AppRequests":
      return {
        Id: (c) => randomHex(c.rng, 16),
        Source: () => "",
        Name: (c) => c.op.name,
        Url: (c) => c.op.urls[c.pick % c.op.urls.length] as string,
        Success: (c) => c.success,
        ResultCode: (c) => c.resultCode,
        DurationMs: (c) => c.durationMs,
        PerformanceBucket: (c) => performanceBucket(c.durationMs),
      };
    case "AppDependencies":
      return {
        Id: (c) => randomHex(c.rng, 16),
        Target: (c) => DEPENDENCIES[c.pick % DEPENDENCIES.length]!.target,
        DependencyType: (c) => DEPENDENCIES[c.pick % DEPENDENCIES.length]!.type,
        Name: (c) => DEPENDENCIES[c.pick % DEPENDENCIES.length]!.name,
        Data: (c) => DEPENDENCIES[c.pick % DEPENDENCIES.length]!.data,
        Success: (c) => c.success,
        ResultCode: (c) => (c.success ? (c.pick % DEPENDENCIES.length === 0 ? "0" : "200") : c.resultCode),
        DurationMs: (c) => c.durationMs,
      };
    case "AppExceptions": {
      const ex = (c: RowContext) => EXCEPTIONS[c.pick % EXCEPTIONS.length]!;
      return {
        ProblemId: (c) => `${ex(c).type} at ${ex(c).method}`,
        HandledAt: (c) => (c.pick % 4 === 0 ? "Unhandled" : "UserCode"),
        ExceptionType: (c) => ex(c).type,
        Assembly: (c) => ex(c).assembly,
        Method: (c) => ex(c).method,
        OuterType: (c) => ex(c).type,
        OuterMessage: (c) => ex(c).message,
        OuterAssembly: (c) => ex(c).assembly,
        OuterMethod: (c) => ex(c).method,
        InnermostType: (c) => ex(c).type,
        InnermostMessage: (c) => ex(c).message,
        InnermostAssembly: (c) => ex(c).assembly,
        InnermostMethod: (c) => ex(c).method,
        SeverityLevel: (c) => (c.pick % 4 === 0 ? 4 : 3),
        Details: (c) => EXCEPTION_DETAILS[c.pick % EXCEPTION_DETAILS.length] as SimValue,
        Message: (c) => ex(c).message,
      };
    }
    case "AppTraces":
      return {
        Message: (c) => TRACES[c.pick % TRACES.length] as string,
        SeverityLevel: (c) => c.pick % 5,
      };
    case "AppPageViews":
      return {
        Id: (c) => randomHex(c.rng, 16),
        Name: (c) => c.op.name,
        Url: (c) => c.op.urls[c.pick % c.op.urls.length] as string,
        DurationMs: (c) => c.durationMs,
      };
    case "AppEvents":
      return { Name: (c) => EVENTS[c.pick % EVENTS.length] as string };
    case "AppMetrics":
      return {
        Name: (c) => METRICS[c.pick % METRICS.length] as string,
        Sum: (c) => round4(c.durationMs * 3),
        Min: (c) => round4(c.durationMs / 2),
        Max: (c) => round4(c.durationMs * 1.5),
      };
    case "AppAvailabilityResults":
      return {
        Id: (c) => randomHex(c.rng, 16),
        Name: () => "home-page-ping",
        Location: (c) => LOCATIONS[c.pick % LOCATIONS.length] as string,
        Success: (c) => c.success,
        Message: (c) => (c.success ? "Passed" : "Failed: request timed out after 30 s"),
        DurationMs: (c) => c.durationMs,
      };
  }
}

/** Draws the values shared by several columns of one row. */
function prepare(table: AppTableName, c: RowContext, p: Pools): void {
  const rng = c.rng;
  c.pick = rng.next();
  c.operationId = randomHex(rng, 32);
  c.parentId = randomHex(rng, 16);
  c.role = p.roles[c.pick % p.roles.length] as Role;
  c.instance = c.role.instances[(c.pick >>> 8) % c.role.instances.length] as string;
  const browserSide = table === "AppPageViews" || table === "AppEvents";
  c.client = browserSide ? (p.clients[(c.pick >>> 4) % p.clients.length] as Client) : p.serverClient;
  c.user = browserSide || c.pick % 3 === 0 ? (p.users[rng.int(p.users.length)] as string) : "";
  c.session = c.user === "" ? "" : (p.sessions[rng.int(p.sessions.length)] as string);
  c.properties = p.properties[(c.pick >>> 12) % p.properties.length] as SimValue;
  c.measurements = p.measurements[(c.pick >>> 16) % p.measurements.length] as SimValue;
  c.success = rng.float() >= 0.06;
  c.resultCode = c.success ? "200" : (RESULT_FAIL[(c.pick >>> 20) % RESULT_FAIL.length] as string);
  c.durationMs = round4(rng.exponential(table === "AppPageViews" ? 900 : 120));
  c.op =
    table === "AppPageViews"
      ? (p.pageOps[(c.pick >>> 3) % p.pageOps.length] as Operation)
      : (p.requestOps[(c.pick >>> 3) % p.requestOps.length] as Operation);
}

/** A column of schemas.ts that this file cannot generate: a bug in the simulator, not a bad option (not a RangeError). */
class MissingGeneratorError extends Error {
  override name = "MissingGeneratorError";
}

/** A function building one row's values (in the table's column order) from a prepared context. */
export function appRowBuilder(table: AppTableName, env: AppEnv): (c: RowContext) => SimValue[] {
  const columns = columnsOf(table);
  const gens = { ...commonGens(table, env), ...tableGens(table) };
  const ordered = columns.map((col) => {
    const g = gens[col.name];
    if (g === undefined) throw new MissingGeneratorError(`no value generator for ${table}.${col.name}`);
    return g;
  });
  const n = ordered.length;
  const pools = env.pools;
  return (c) => {
    prepare(table, c, pools);
    const row: SimValue[] = new Array(n);
    for (let i = 0; i < n; i++) row[i] = (ordered[i] as Gen)(c);
    return row;
  };
}

const LEVELS = ["Information", "Information", "Information", "Warning", "Error"];
const EVENT_MESSAGES = ["batch imported", "order 42 shipped", "retrying upload (attempt 2)", "disk 91 % full", "worker restarted"];
const COMPUTERS = ["batch-01", "batch-02", "edge-gw-7"];

/**
 * A row builder for MonitorliftEvents_CL (schemas.ts): TimeGenerated is the receipt time, taken
 * as the ingestion time truncated to the millisecond; EventTime is the event's own time.
 */
export function eventRowBuilder(env: AppEnv): (c: RowContext) => SimValue[] {
  return (c) => {
    const pick = c.rng.next();
    const received = c.ingestion - (c.ingestion % 10_000n);
    return [
      env.workspaceId,
      received,
      c.timeGenerated,
      COMPUTERS[pick % COMPUTERS.length] as string,
      LEVELS[(pick >>> 3) % LEVELS.length] as string,
      EVENT_MESSAGES[(pick >>> 6) % EVENT_MESSAGES.length] as string,
      "MonitorliftEvents_CL",
      env.resourceId,
      320 + 16 * (pick % 24),
      "True",
      env.subscriptionId,
      c.itemId,
    ];
  };
}
