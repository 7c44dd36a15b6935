/**
 * `monitorlift verify` for one query: compare, window by window, the rows the service holds now with
 * the rows the export committed, and (--repair) re-export the windows that miss rows.
 *
 *   1. the range: the live cursor's committed windows inside [now − since, watermark) (none: nothing to do)
 *   2. the service's counts: the export's own query for the range + `summarize count()` binned on the
 *      window grid (src/window/count-query.ts), one request per day of windows, through the same
 *      delivery step (one retry loop, the request gate, splitting) as an export (every request carries
 *      Cache-Control: no-cache, src/source/logs-source.ts)
 *   3. the committed counts: Sink.windowCounts (the count each commit recorded, per window or part)
 *   4. a window mismatches when the counts differ or the committed count is unknown
 *   5. --repair, under the query's live lock: each mismatched window where the service has MORE rows
 *      (or the count is unknown) is fetched again and committed through the one commit step with the
 *      cursor's watermark untouched (only its row total changes). A part that was committed on its own
 *      (a split window) is redone as that same part, so every chunk is replaced under its own name and
 *      SQL replaces the window's rows in the commit's transaction: never a duplicate. A window where the
 *      service has FEWER rows (retention, purge) is listed but not repaired: that would delete exported rows.
 * A killed repair leaves each window either as it was or replaced; the next verify finds what is left.
 */
import { MonitorliftError, messageOf } from "../errors.ts";
import { liveKey } from "../sinks/layout.ts";
import type { CursorState, HeldLock, Sink, WindowCount, WindowWriter } from "../sinks/sink.ts";
import type { RawRow } from "../table.ts";
import { gridFloor } from "../window/plan.ts";
import { COUNT_ROWS_COLUMN, COUNT_WINDOW_COLUMN } from "../window/count-query.ts";
import { formatWindow, type TimeWindow } from "../window/window.ts";
import { lockLost, type RunDeps } from "./export-query.ts";
import { noopMetrics, sinkLabels } from "../telemetry/metrics.ts";
import { commitPart } from "./ordered-commit.ts";
import { queryLogFields, type QueryJob } from "./query-job.ts";
import { connectionOf } from "./source-connection.ts";
import { abortParts, deliverWindow, type DeliveryContext, type WrittenPart } from "./window-delivery.ts";

const DAY_MS = 86_400_000;

export interface VerifyOptions {
  /** Only windows ending after now − sinceMs are checked (unless `from` is given). */
  sinceMs: number;
  /** Check the committed windows from this instant on instead (export's re-verify: watermark − window.reverify). */
  from?: number;
  repair: boolean;
  /** The query's live lock when the caller already holds it (export); otherwise --repair takes it. */
  lock?: HeldLock;
}

export interface WindowCheck {
  window: TimeWindow;
  /** Rows the service holds for the window now. */
  service: number;
  /** Rows committed for it; undefined when a count was not recorded (a run died between chunk and count). */
  committed: number | undefined;
  /** After --repair: the rows now committed; unset when the window was not repaired. */
  repairedRows?: number;
  /** Why a mismatch was not repaired. */
  note?: string;
}

export interface VerifyResult {
  query: string;
  /** The source it reads, when the config names its sources (`sources`). */
  source?: string;
  /** The range checked, or undefined when the query has no committed window in it. */
  range?: TimeWindow;
  windows: number;
  /** Count requests sent to the service. */
  requests: number;
  mismatches: WindowCheck[];
  error?: unknown;
}

/** True when the window still differs after this run (not repaired, or repaired to a different count). */
export function isOpenMismatch(c: WindowCheck): boolean {
  return c.repairedRows === undefined || c.repairedRows !== c.service;
}

export async function verifyQuery(job: QueryJob, deps: RunDeps, o: VerifyOptions): Promise<VerifyResult> {
  const result: VerifyResult = { query: job.name, ...(job.sourceLabel === undefined ? {} : { source: job.sourceLabel }), windows: 0, requests: 0, mismatches: [] };
  try {
    await verify(job, deps, o, result);
  } catch (error) {
    result.error = error;
  }
  return result;
}

async function verify(job: QueryJob, deps: RunDeps, o: VerifyOptions, result: VerifyResult): Promise<void> {
  const key = liveKey(job.name);
  // export's re-verify passes a logger already bound to the query: bind it once (no duplicate JSON key)
  const log = deps.logger.child({ ...(deps.logger.bindings().query === job.name ? {} : queryLogFields(job)), command: "verify" });
  const stored = await deps.destination.cursors.read(key);
  if (!stored) return;
  const from = Math.max(stored.origin, gridFloor(o.from ?? deps.clock() - o.sinceMs, job.sizeMs));
  const to = stored.watermark;
  if (!(to > from)) return;
  result.range = { start: from, end: to };
  const windows = gridWindows(from, to, job.sizeMs);
  result.windows = windows.length;

  const service = await serviceCounts(job, deps, from, to, result);
  const committed = groupParts(await deps.destination.sink.windowCounts(job.name, from, to, deps.signal), job.sizeMs);
  const parts = new Map<number, WindowCount[]>();
  for (const w of windows) {
    const bin = gridFloor(w.start, job.sizeMs);
    const mine = committed.get(bin) ?? [];
    parts.set(w.start, mine);
    const expected = service.get(bin) ?? 0;
    const rows = mine.some((p) => p.rows === undefined) ? undefined : mine.reduce((n, p) => n + p.rows!, 0);
    if (rows !== expected) result.mismatches.push({ window: w, service: expected, committed: rows });
  }
  for (const m of result.mismatches) {
    log.warn({ window: formatWindow(m.window), service: m.service, committed: m.committed ?? "unknown" }, "window count differs from the service");
  }
  if (o.repair && result.mismatches.length > 0) await repair(job, deps, result.mismatches, parts, log, o.lock);
}

/** The grid windows covering [from, to), the first and last clipped to the range. */
function gridWindows(from: number, to: number, size: number): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (let g = gridFloor(from, size); g < to; g += size) out.push({ start: Math.max(g, from), end: Math.min(g + size, to) });
  return out;
}

/** Committed windows and parts by the grid bin they lie in. */
function groupParts(counts: readonly WindowCount[], size: number): Map<number, WindowCount[]> {
  const out = new Map<number, WindowCount[]>();
  for (const c of counts) {
    const bin = gridFloor(c.window.start, size);
    const list = out.get(bin) ?? [];
    list.push(c);
    out.set(bin, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.window.start - b.window.start);
  return out;
}

/** Rows per grid bin from the service: one count query per day of the range. */
async function serviceCounts(job: QueryJob, deps: RunDeps, from: number, to: number, result: VerifyResult): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const collector = new RowCollector();
  const ctx = deliveryContext(job, deps, collector, (w) => job.buildCountQuery(w), noopMetrics);
  for (let start = from; start < to; start = Math.min(start + DAY_MS, to)) {
    const span = { start, end: Math.min(start + DAY_MS, to) };
    await deliverWindow(ctx, span, async (part) => {
      result.requests++;
      const rows = collector.take(part.writer);
      const wi = part.columns.findIndex((c) => c.name === COUNT_WINDOW_COLUMN);
      const ni = part.columns.findIndex((c) => c.name === COUNT_ROWS_COLUMN);
      if (wi < 0 || ni < 0) {
        throw new MonitorliftError("SOURCE_PROTOCOL", `Query '${job.name}': the count query's result has no ${COUNT_WINDOW_COLUMN}/${COUNT_ROWS_COLUMN} columns (got ${part.columns.map((c) => c.name).join(", ")}).`);
      }
      for (const row of rows) {
        const at = Date.parse(JSON.parse(row[wi]!) as string);
        const n = Number(JSON.parse(row[ni]!));
        if (!Number.isFinite(at) || !Number.isSafeInteger(n)) {
          throw new MonitorliftError("SOURCE_PROTOCOL", `Query '${job.name}': unreadable count row ${JSON.stringify(row)}; does the transform keep each row's ingestion time?`);
        }
        const bin = gridFloor(at, job.sizeMs);
        counts.set(bin, (counts.get(bin) ?? 0) + n);
      }
    });
  }
  return counts;
}

/** Count queries report no metrics (their rows are bins, not records); repairs report like an export. */
function deliveryContext(job: QueryJob, deps: RunDeps, sink: Sink, buildQuery: DeliveryContext["buildQuery"], metrics = deps.metrics): DeliveryContext {
  return {
    metrics,
    labels: sinkLabels(job.name, deps.sinkKind),
    key: liveKey(job.name),
    ...connectionOf(deps.sources, job),
    sink,
    logger: deps.logger,
    buildQuery,
    minWindowMs: job.minSizeMs,
    random: deps.random,
    clock: deps.clock,
    signal: deps.signal,
  };
}

async function repair(job: QueryJob, deps: RunDeps, mismatches: WindowCheck[], parts: Map<number, WindowCount[]>, log: RunDeps["logger"], held?: HeldLock): Promise<void> {
  const key = liveKey(job.name);
  const { sink, cursors, locks } = deps.destination;
  const lock = held ?? (await locks.acquire(key, deps.signal));
  const signal = AbortSignal.any([deps.signal, lock.signal]);
  try {
    let state = await cursors.read(key);
    const ctx = deliveryContext(job, { ...deps, signal }, sink, (w) => job.buildQuery(w));
    for (const m of mismatches) {
      if (!state || m.window.end > state.watermark) {
        m.note = "the cursor changed under the repair";
        continue;
      }
      if (m.committed !== undefined && m.service < m.committed) {
        m.note = "the service holds fewer rows than were exported (retention or purge?): not repaired, that would delete exported rows";
        continue;
      }
      // Staging leftovers of a killed repair of this window (committed data is kept).
      await sink.recover(key, m.window.start, m.window.end, () => true);
      const old = parts.get(m.window.start) ?? [];
      const targets: TimeWindow[] = old.length > 0 ? old.map((p) => p.window) : [m.window];
      let rows = 0;
      for (const [i, target] of targets.entries()) {
        const written: WrittenPart[] = [];
        await deliverWindow(ctx, target, async (part) => void written.push(part)).catch(async (error: unknown) => {
          await abortParts(written);
          throw error;
        });
        if (written.length !== 1) {
          await abortParts(written);
          throw new MonitorliftError(
            "WINDOW_UNSPLITTABLE",
            `Query '${job.name}': repairing ${formatWindow(target)} needs a split now (the service holds more rows than one result carries); a split repair would publish new parts beside the old chunk, so it was not repaired.`,
            { hint: "Raise window.maxRows/maxBytes if the service allows, or re-export the range with backfill into a fresh destination." },
          );
        }
        const oldRows = old[i]?.rows ?? 0;
        state = await commitPart(
          {
            nextState: (s, part) => ({ ...withoutVersion(s!), rows: Math.max(0, s!.rows - oldRows + part.rows), updatedAt: new Date(deps.clock()).toISOString() }),
          },
          state,
          written[0]!,
        );
        rows += written[0]!.rows;
        deps.metrics.rows(sinkLabels(job.name, deps.sinkKind), { outcome: "success" }, Math.max(0, written[0]!.rows - oldRows));
      }
      m.repairedRows = rows;
      log.info({ window: formatWindow(m.window), before: m.committed ?? "unknown", rows }, "window repaired");
    }
  } catch (error) {
    throw lock.signal.aborted ? lockLost(job.name, error) : error;
  } finally {
    if (!held) await lock.release().catch((err: unknown) => log.warn({ err: messageOf(err) }, "could not release the lock"));
  }
}

function withoutVersion(s: CursorState): CursorState {
  const { version: _v, ...rest } = s;
  return rest;
}

/** A data-less "sink" that keeps the rows of the count results in memory (a few hundred per request). */
class RowCollector implements Sink {
  readonly description = "verify counts (memory)";
  readonly #rows = new Map<WindowWriter, RawRow[]>();

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async probe(): Promise<void> {}
  async recover(): Promise<number> {
    return 0;
  }
  async windowCounts(): Promise<WindowCount[]> {
    return [];
  }
  async rewind(): Promise<number> {
    throw new MonitorliftError("INTERNAL", "verify counts are never rewound");
  }
  async openWindow(): Promise<WindowWriter> {
    const rows: RawRow[] = [];
    const writer: WindowWriter = {
      write: async (batch) => void rows.push(...batch.rows),
      end: async () => undefined,
      commit: async () => {
        throw new MonitorliftError("INTERNAL", "verify counts are never committed");
      },
      abort: async () => void this.#rows.delete(writer),
    };
    this.#rows.set(writer, rows);
    return writer;
  }

  /** The rows written to `writer`, which is then forgotten. */
  take(writer: WindowWriter): RawRow[] {
    const rows = this.#rows.get(writer) ?? [];
    this.#rows.delete(writer);
    return rows;
  }
}
