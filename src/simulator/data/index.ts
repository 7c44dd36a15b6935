export { WorkspaceData, type WorkspaceDataOptions, type EventInterval } from "./workspace.ts";
export { type TruthFilter, TableStore } from "./table-store.ts";
export { type DelayModel, DEFAULT_DELAYS, DEFAULT_SETTLE_JITTER_MS, resolveDelays } from "./delays.ts";
export { APP_TABLES, ALL_TABLES, EVENTS_TABLE, KNOWN_TABLES, TYPES_TABLE, columnsOf, type AppTableName } from "./schemas.ts";
export { Rng, hash32 } from "./prng.ts";
