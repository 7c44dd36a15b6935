/**
 * What the simulated identity may read in resource-centric queries (logs/api/azure-resource-queries.md,
 * "Partial access"): rows of a table it may not read, or of a workspace it may not read, are
 * dropped silently, and the answer looks normal. Only with `Prefer: include-permissions=true` does
 * the response carry a `permissions` section telling what was filtered out, in the documented shape:
 *
 *   "permissions": {
 *     "resources":   [{"resourceId": <resource>, "denyTables"?: [..], "dataSources": [<workspace resource>]}],
 *     "dataSources": [{"resourceId": <workspace resource>, "denyTables"?: [..]}]   // only workspaces it may read
 *   }
 *
 * The simulator lists under `denyTables` the denied tables the query touched.
 */
import type { Catalog, SimTable } from "./catalog.ts";

export interface AccessModel {
  /** Tables the identity may not read through the resource (table-level RBAC). Default none. */
  deniedTables?: string[];
  /** The identity may not read the workspace that holds the resource's logs. Default false. */
  workspaceDenied?: boolean;
}

/** The ARM ID of the simulated workspace, as the permissions section names it. */
export const SIM_WORKSPACE_RESOURCE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/monitorlift-sim/providers/Microsoft.OperationalInsights/workspaces/monitorlift-sim";

/** True when the model hides anything. */
export function restricts(access: AccessModel): boolean {
  return access.workspaceDenied === true || (access.deniedTables?.length ?? 0) > 0;
}

/** A view of `catalog` where denied tables are empty; `touched` collects the denied tables a query asked for. */
export function restrictedCatalog(catalog: Catalog, access: AccessModel): { catalog: Catalog; touched: Set<string> } {
  const touched = new Set<string>();
  const denied = new Set(access.deniedTables ?? []);
  const view: Catalog = {
    tableNames: () => catalog.tableNames(),
    table(name) {
      const t = catalog.table(name);
      if (t === undefined) return undefined;
      if (access.workspaceDenied !== true && !denied.has(name)) return t;
      if (denied.has(name)) touched.add(name);
      return emptyTable(t);
    },
  };
  return { catalog: view, touched };
}

function emptyTable(t: SimTable): SimTable {
  return { name: t.name, columns: t.columns, scan: () => [] };
}

export function permissionsSection(resourceId: string, access: AccessModel, touched: ReadonlySet<string>): Record<string, unknown> {
  const deny = [...touched].sort();
  return {
    resources: [{ resourceId, ...(deny.length > 0 ? { denyTables: deny } : {}), dataSources: [SIM_WORKSPACE_RESOURCE_ID] }],
    dataSources: access.workspaceDenied === true ? [] : [{ resourceId: SIM_WORKSPACE_RESOURCE_ID }],
  };
}
