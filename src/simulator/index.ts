export {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
  DEFAULT_MAX_ROWS,
  DEFAULT_MAX_BYTES,
  DEFAULT_RESOURCE_ID,
} from "./simulator.ts";
export { type Clock, type ManualClock, createManualClock, systemClock, isManualClock } from "./clock.ts";
export {
  FaultController,
  type Fault,
  type FaultConfig,
  type FaultKind,
  FAULT_KINDS,
  parseFault,
  parseFaultConfig,
  FaultSpecError,
} from "./faults.ts";
export type { SimulatorStats } from "./stats.ts";
export type { TruthFilter } from "./data/table-store.ts";
export type { DelayModel } from "./data/delays.ts";
export { type VisibilityTail, DEFAULT_VISIBILITY_TAIL } from "./data/visibility.ts";
export { APP_TABLES, ALL_TABLES, EVENTS_TABLE, KNOWN_TABLES, TYPES_TABLE } from "./data/schemas.ts";
