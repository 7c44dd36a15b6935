/**
 * Starts the local Log Analytics-compatible workspace in-process: generated
 * data (data/), the KQL evaluator (kql/), the HTTP server (server.ts), fault
 * injection (faults.ts) and counters (stats.ts).
 */
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Column } from "../table.ts";
import type { SimRow, SimTable } from "./catalog.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type DelayModel, DEFAULT_SETTLE_JITTER_MS, resolveDelays } from "./data/delays.ts";
import { randomGuid } from "./data/ids.ts";
import { hash32, Rng } from "./data/prng.ts";
import { resolveVisibilityTail, type VisibilityTail } from "./data/visibility.ts";
import type { TruthFilter } from "./data/table-store.ts";
import { type EventInterval, WorkspaceData } from "./data/workspace.ts";
import { type FaultConfig, FaultController } from "./faults.ts";
import { executeKql } from "./kql/index.ts";
import type { AccessModel } from "./access.ts";
import { ResponseCache } from "./response-cache.ts";
import { createSimulatorServer } from "./server.ts";
import { type SimulatorStats, StatsRecorder } from "./stats.ts";
import { parseIsoDuration } from "./timespan.ts";
import { RowJsonCache } from "./wire/row-cache.ts";
import { DEFAULT_ENGINE_SIZE_RATIO } from "./wire/query-body.ts";
import { rowEncoder } from "./wire/row-encoder.ts";
import { JsonWarmer } from "./wire/warmer.ts";

export const DEFAULT_MAX_ROWS = 500_000;
/** The size limit the service reports ("exceed the set limit of 64000000 bytes"). */
export const DEFAULT_MAX_BYTES = 64_000_000;
export const DEFAULT_RESOURCE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/monitorlift-sim/providers/microsoft.insights/components/monitorlift-sim";

export interface SimulatorOptions {
  /** Sees every request before it is handled (tests: e.g. the headers a client sent). */
  onRequest?: (req: IncomingMessage) => void;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Seed of all generated data (default 1). */
  seed?: number;
  /** Workspace GUID (default: derived from the seed). */
  workspaceId?: string;
  /** Resource ID accepted by resource-centric queries and written to _ResourceId (default DEFAULT_RESOURCE_ID). */
  resourceId?: string;
  /** Time source, epoch ms (default: real time). Pass createManualClock() to move time in tests. */
  clock?: Clock;
  /** Past range of generated events: an ISO 8601 duration before the start instant ("P1D"), or {from, to} epoch ms. Default "PT1H". */
  backfill?: string | { from: number; to: number };
  /** Events per second per table, for the backfill and live (default 1). */
  rowsPerSecond?: number;
  /** Per-table override of rowsPerSecond. */
  tableRates?: Record<string, number>;
  /** Keep generating events as the clock advances (default true). */
  live?: boolean;
  /** Tables to create (default: the 8 App tables and MonitorliftTypes; MonitorliftEvents_CL only when listed). */
  tables?: string[];
  /** Random fault configuration (default: none). */
  faults?: FaultConfig;
  /**
   * Result limits (default 500000 rows, 64000000 engine bytes). A body at the size cut is
   * `engineSizeRatio` times the engine's bytes (default 73/64: a recorded cut at 64,000,000 came with ~73 MB).
   */
  limits?: { maxRows?: number; maxBytes?: number; engineSizeRatio?: number };
  /** What the identity may read in resource-centric queries (default: everything). */
  access?: AccessModel;
  /** Maximum settle jitter between ingestion and visibility, ms (default 20000). */
  settleJitterMs?: number;
  /** Ingestion-delay model overrides (see data/delays.ts). */
  delays?: Partial<DelayModel>;
  /** Rows visible minutes after their ingestion time, like the service (data/visibility.ts): default on; `false` turns it off. */
  visibility?: Partial<VisibilityTail> | false;
  /** Pre-encode generated rows' JSON in the background, into the row cache (default true). */
  precomputeJson?: boolean;
  /** Remember each stored row's JSON (outside the JS heap) once encoded (default true). */
  cacheRows?: boolean;
}

export interface Simulator {
  /** Query API base URL, e.g. http://127.0.0.1:PORT/v1 (LogsQueryClient `endpoint`). */
  readonly endpoint: string;
  /** http://127.0.0.1:PORT (control endpoints live under /_control/). */
  readonly origin: string;
  readonly port: number;
  readonly workspaceId: string;
  readonly resourceId: string;
  readonly clock: Clock;
  readonly faults: FaultController;
  /** Every `_ItemId` of `table` generated up to now (visible or not), optionally filtered by ingestion time; sorted. */
  truth(table: string, filter?: TruthFilter): string[];
  stats(): SimulatorStats;
  /** Resolves when background JSON pre-encoding has caught up. */
  warmed(): Promise<void>;
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function backfillInterval(backfill: SimulatorOptions["backfill"], startMs: number): EventInterval | undefined {
  if (backfill === undefined) return { from: startMs - 3_600_000, to: startMs };
  if (typeof backfill === "string") {
    const ticks = parseIsoDuration(backfill);
    if (ticks === undefined) throw new RangeError(`backfill '${backfill}' is not an ISO 8601 duration (e.g. PT1H, P1D)`);
    const ms = Number(ticks / 10_000n);
    return ms > 0 ? { from: startMs - ms, to: startMs } : undefined;
  }
  if (!Number.isFinite(backfill.from) || !Number.isFinite(backfill.to) || backfill.to < backfill.from) {
    throw new RangeError(`backfill {from, to} must be epoch ms with from <= to, got ${JSON.stringify(backfill)}`);
  }
  return backfill.to > backfill.from ? { from: backfill.from, to: backfill.to } : undefined;
}

/** Adjacent or overlapping intervals merged, in order. */
function mergeIntervals(list: EventInterval[]): EventInterval[] {
  const sorted = [...list].sort((a, b) => a.from - b.from);
  const out: EventInterval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.from <= last.to) last.to = Math.max(last.to, i.to);
    else out.push({ ...i });
  }
  return out;
}

/**
 * The shape rows are pre-encoded in: the visible columns plus `_ItemId`, in table order — what
 * the exporter's default table query (`… | extend _ItemId = _ItemId`) returns. select is
 * undefined when that is every column.
 */
function warmShape(table: SimTable): { columns: readonly Column[]; select?: readonly number[] } {
  const hidden = table.hidden;
  if (hidden === undefined || hidden.size === 0) return { columns: table.columns };
  const select: number[] = [];
  table.columns.forEach((c, i) => {
    if (!hidden.has(c.name) || c.name === "_ItemId") select.push(i);
  });
  if (select.length === table.columns.length) return { columns: table.columns };
  return { columns: select.map((i) => table.columns[i]!), select };
}

/** Expected bytes of the JSON of every stored row, from a sample of each table. */
function estimateJsonBytes(data: WorkspaceData): number {
  let total = 0;
  for (const name of data.tableNames()) {
    const store = data.store(name);
    const sample = store.sample(64);
    if (sample.length === 0) continue;
    const shape = warmShape(store);
    const enc = rowEncoder(shape.columns, shape.select);
    let bytes = 0;
    for (const row of sample) bytes += Buffer.byteLength(enc.text(row.values));
    total += (bytes / sample.length + 1) * store.size;
  }
  return total;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new RangeError(`the simulator only listens on loopback addresses, not '${host}'`);
  const seed = options.seed ?? 1;
  const clock = options.clock ?? systemClock;
  const startMs = clock();
  const workspaceId = options.workspaceId ?? randomGuid(new Rng(hash32(seed, 0x3057)));
  const resourceId = options.resourceId ?? DEFAULT_RESOURCE_ID;
  const maxRows = options.limits?.maxRows ?? DEFAULT_MAX_ROWS;
  const maxBytes = options.limits?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxRows >= 0) || !(maxBytes >= 0)) throw new RangeError("limits.maxRows and limits.maxBytes must be >= 0");
  const engineSizeRatio = options.limits?.engineSizeRatio ?? DEFAULT_ENGINE_SIZE_RATIO;
  if (!(engineSizeRatio >= 1)) throw new RangeError("limits.engineSizeRatio must be >= 1");

  const intervals: EventInterval[] = [];
  const back = backfillInterval(options.backfill, startMs);
  if (back !== undefined) intervals.push(back);
  if (options.live !== false) intervals.push({ from: startMs, to: Infinity });

  const rowCache = options.cacheRows === false ? undefined : new RowJsonCache();
  const warmer = rowCache === undefined || options.precomputeJson === false ? undefined : new JsonWarmer(rowCache);
  const data = new WorkspaceData({
    seed,
    workspaceId,
    resourceId,
    clock,
    intervals: mergeIntervals(intervals),
    rowsPerSecond: options.rowsPerSecond ?? 1,
    ...(options.tableRates === undefined ? {} : { tableRates: options.tableRates }),
    ...(options.tables === undefined ? {} : { tables: options.tables }),
    delays: resolveDelays(options.delays),
    settleJitterMs: options.settleJitterMs ?? DEFAULT_SETTLE_JITTER_MS,
    visibility: resolveVisibilityTail(options.visibility),
    startMs,
    ...(warmer === undefined
      ? {}
      : {
          onRows: (table: SimTable, rows: readonly SimRow[]) => {
            const shape = warmShape(table);
            warmer.add(rows, shape.columns, shape.select);
          },
        }),
  });
  data.materializeTo(startMs);
  if (rowCache !== undefined) {
    const rows = Object.values(data.rowCounts()).reduce((a, b) => a + b, 0);
    rowCache.reserve(estimateJsonBytes(data) * 1.05, Math.ceil(rows * 1.1) + 1024);
  }

  const faults = new FaultController(options.faults ?? {});
  const stats = new StatsRecorder();
  const known = workspaceId.toLowerCase();
  const server = createSimulatorServer({
    workspaceId,
    resourceId,
    resourceIds: [resourceId],
    clock,
    data,
    faults,
    stats,
    rowCache,
    engineSizeRatio,
    access: { ...(options.access ?? {}) },
    responseCache: new ResponseCache(),
    exec: {
      catalog: data,
      clock,
      execute: (text, ctx) => executeKql(text, { ...ctx, workspaceIds: [workspaceId, ...(ctx.workspaceIds ?? [])] }),
      isKnownWorkspace: (id) => id.toLowerCase() === known,
      maxRows,
      maxBytes,
    },
  });
  if (options.onRequest) server.prependListener("request", options.onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `${origin}/v1`,
    origin,
    port,
    workspaceId,
    resourceId,
    clock,
    faults,
    truth: (table, filter) => data.truth(table, filter),
    stats: () => stats.snapshot(faults.injected(), data.rowCounts()),
    warmed: () => warmer?.idle() ?? Promise.resolve(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        warmer?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
