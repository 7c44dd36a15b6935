/**
 * Column lists of the simulated tables.
 *
 * The workspace-based Application Insights tables use their real column names and
 * types (Azure Monitor table reference, azure-monitor-ref/tables/*). AppRequests
 * follows the column order of a recorded live response (azure-rest-api-specs
 * batch-query-example.json; azure-sdk-assets test recordings), which also shows two
 * columns the reference omits (PerformanceBucket, OperationLinks); the other tables
 * use the same ordering pattern. The hidden standard columns follow (`_BilledSize`,
 * `_IsBillable`, `_SubscriptionId`, `_ItemId`, types as in the table reference): on the
 * service `AppRequests | take 1` returns none of them, yet they can be filtered on
 * and projected (azure-monitor-docs logs/log-standard-columns.md: "they won't show in
 * query results unless you explicitly specify the column in the output"; the recorded
 * AppRequests response ends at `_ResourceId`). `_ItemId` is last, so the exporter's
 * `extend _ItemId = _ItemId` shows it where a visible last column would be.
 *
 * `MonitorliftTypes` is simulator-only: one column of every Log Analytics type,
 * filled with edge values (see edge-rows.ts), and a hidden `_ItemId` last.
 */
import type { Column, ColumnType } from "../../table.ts";

export const APP_TABLES = [
  "AppRequests",
  "AppDependencies",
  "AppExceptions",
  "AppTraces",
  "AppPageViews",
  "AppEvents",
  "AppMetrics",
  "AppAvailabilityResults",
] as const;

export type AppTableName = (typeof APP_TABLES)[number];

export const TYPES_TABLE = "MonitorliftTypes";

/** The tables a simulator has unless told otherwise. */
export const ALL_TABLES: readonly string[] = [...APP_TABLES, TYPES_TABLE];

/**
 * A simulator-only custom log table (on request only): like a table fed through the Logs Ingestion
 * API whose source time is in its own column. `TimeGenerated` is the time the service received the
 * record (what the service writes when the source does not set it, logs/data-ingestion-time.md) and
 * `EventTime` is when it happened, earlier by the ingestion delay (later by clock skew).
 */
export const EVENTS_TABLE = "MonitorliftEvents_CL";

/** Every table a simulator can have. */
export const KNOWN_TABLES: readonly string[] = [...ALL_TABLES, EVENTS_TABLE];

type Spec = readonly (readonly [string, ColumnType])[];

/** The standard columns every workspace table ends with: Type, _ResourceId, then the hidden ones (HIDDEN_COLUMNS). */
const STANDARD_TAIL: Spec = [
  ["Type", "string"],
  ["_ResourceId", "string"],
  ["_BilledSize", "real"],
  ["_IsBillable", "string"],
  ["_SubscriptionId", "string"],
  ["_ItemId", "string"],
];

const HEAD: Spec = [
  ["TenantId", "string"],
  ["TimeGenerated", "datetime"],
];

/** Columns shared by every App table after the table-specific ones. */
function commonTail(opts: { measurements: boolean; operationLinks?: boolean; referenced: boolean }): Spec {
  return [
    ["Properties", "dynamic"],
    ...(opts.measurements ? ([["Measurements", "dynamic"]] as const) : []),
    ["OperationName", "string"],
    ["OperationId", "string"],
    ...(opts.operationLinks ? ([["OperationLinks", "dynamic"]] as const) : []),
    ["ParentId", "string"],
    ["SyntheticSource", "string"],
    ["SessionId", "string"],
    ["UserId", "string"],
    ["UserAuthenticatedId", "string"],
    ["UserAccountId", "string"],
    ["AppVersion", "string"],
    ["AppRoleName", "string"],
    ["AppRoleInstance", "string"],
    ["ClientType", "string"],
    ["ClientModel", "string"],
    ["ClientOS", "string"],
    ["ClientIP", "string"],
    ["ClientCity", "string"],
    ["ClientStateOrProvince", "string"],
    ["ClientCountryOrRegion", "string"],
    ["ClientBrowser", "string"],
    ["ResourceGUID", "string"],
    ["IKey", "string"],
    ["SDKVersion", "string"],
    ["ItemCount", "int"],
    ...(opts.referenced
      ? ([
          ["ReferencedItemId", "string"],
          ["ReferencedType", "string"],
        ] as const)
      : []),
    ["SourceSystem", "string"],
    ...STANDARD_TAIL,
  ];
}

/** The standard columns the service hides in every App table. */
export const HIDDEN_COLUMNS: ReadonlySet<string> = new Set(["_BilledSize", "_IsBillable", "_SubscriptionId", "_ItemId"]);

const SPECS: Record<AppTableName, Spec> = {
  AppRequests: [
    ...HEAD,
    ["Id", "string"],
    ["Source", "string"],
    ["Name", "string"],
    ["Url", "string"],
    ["Success", "bool"],
    ["ResultCode", "string"],
    ["DurationMs", "real"],
    ["PerformanceBucket", "string"],
    ...commonTail({ measurements: true, operationLinks: true, referenced: true }),
  ],
  AppDependencies: [
    ...HEAD,
    ["Id", "string"],
    ["Target", "string"],
    ["DependencyType", "string"],
    ["Name", "string"],
    ["Data", "string"],
    ["Success", "bool"],
    ["ResultCode", "string"],
    ["DurationMs", "real"],
    ...commonTail({ measurements: true, referenced: true }),
  ],
  AppExceptions: [
    ...HEAD,
    ["ProblemId", "string"],
    ["HandledAt", "string"],
    ["ExceptionType", "string"],
    ["Assembly", "string"],
    ["Method", "string"],
    ["OuterType", "string"],
    ["OuterMessage", "string"],
    ["OuterAssembly", "string"],
    ["OuterMethod", "string"],
    ["InnermostType", "string"],
    ["InnermostMessage", "string"],
    ["InnermostAssembly", "string"],
    ["InnermostMethod", "string"],
    ["SeverityLevel", "int"],
    ["Details", "dynamic"],
    ["Message", "string"],
    ...commonTail({ measurements: true, referenced: false }),
  ],
  AppTraces: [
    ...HEAD,
    ["Message", "string"],
    ["SeverityLevel", "int"],
    ...commonTail({ measurements: true, referenced: true }),
  ],
  AppPageViews: [
    ...HEAD,
    ["Id", "string"],
    ["Name", "string"],
    ["Url", "string"],
    ["DurationMs", "real"],
    ...commonTail({ measurements: true, referenced: false }),
  ],
  AppEvents: [...HEAD, ["Name", "string"], ...commonTail({ measurements: true, referenced: false })],
  AppMetrics: [
    ...HEAD,
    ["Name", "string"],
    ["Sum", "real"],
    ["Min", "real"],
    ["Max", "real"],
    ...commonTail({ measurements: false, referenced: false }),
  ],
  AppAvailabilityResults: [
    ...HEAD,
    ["Id", "string"],
    ["Name", "string"],
    ["Location", "string"],
    ["Success", "bool"],
    ["Message", "string"],
    ["DurationMs", "real"],
    ...commonTail({ measurements: true, referenced: false }),
  ],
};

/** The simulator-only table with one column of every type. */
const TYPES_SPEC: Spec = [
  ["TimeGenerated", "datetime"],
  ["BoolValue", "bool"],
  ["DatetimeValue", "datetime"],
  ["DynamicValue", "dynamic"],
  ["IntValue", "int"],
  ["LongValue", "long"],
  ["RealValue", "real"],
  ["DecimalValue", "decimal"],
  ["StringValue", "string"],
  ["GuidValue", "guid"],
  ["TimespanValue", "timespan"],
  ["Type", "string"],
  ["_ItemId", "string"],
];

const EVENTS_SPEC: Spec = [
  ["TenantId", "string"],
  ["TimeGenerated", "datetime"],
  ["EventTime", "datetime"],
  ["Computer", "string"],
  ["Level", "string"],
  ["Message", "string"],
  ...STANDARD_TAIL,
];

export function columnsOf(table: string): Column[] {
  const spec = table === TYPES_TABLE ? TYPES_SPEC : table === EVENTS_TABLE ? EVENTS_SPEC : SPECS[table as AppTableName];
  if (spec === undefined) throw new RangeError(`unknown simulated table '${table}'`);
  return spec.map(([name, type]) => ({ name, type }));
}

const TYPES_HIDDEN: ReadonlySet<string> = new Set(["_ItemId"]);

/** The hidden columns of a simulated table (MonitorliftTypes, simulator-only, has just `_ItemId`, last, like the App tables). */
export function hiddenColumnsOf(table: string): ReadonlySet<string> | undefined {
  return isAppTable(table) || table === EVENTS_TABLE ? HIDDEN_COLUMNS : table === TYPES_TABLE ? TYPES_HIDDEN : undefined;
}

export function isAppTable(name: string): name is AppTableName {
  return (APP_TABLES as readonly string[]).includes(name);
}
