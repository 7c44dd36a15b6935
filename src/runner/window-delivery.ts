/**
 * One window's life up to (not including) its commit: query the source, pull its rows into a
 * sink writer, retry what is transient, split what was truncated. The result is a list of
 * written-but-uncommitted parts, in time order, for the caller to commit in order.
 *
 * The one retry layer: every attempt is exactly one HTTP request (the source's pipeline does not
 * retry), started through the request gate, and the delay between attempts is the pure
 * `retryDelay()` (the server's Retry-After first). At most `maxRetries + 1` attempts per window
 * part, and none started after `maxRetryElapsedMs`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { MonitorliftError, SinkError, isMonitorliftError } from "../errors.ts";
import type { Sink, StateKey, WindowWriter } from "../sinks/sink.ts";
import type { Logger } from "../telemetry/logger.ts";
import { dropCodeOf, retryCodeOf } from "../telemetry/codes.ts";
import { ATTR, retriedBecause, type Metrics, type SinkLabels } from "../telemetry/metrics.ts";
import { SPAN_ATTR, spanFailure, type SpanAttributes, type TraceSpan } from "../telemetry/tracing.ts";
import type { RowBatch } from "../row-batch.ts";
import type { Column } from "../table.ts";
import type { TimeWindow } from "../window/window.ts";
import { formatWindow } from "../window/window.ts";
import { splitWindow, type SplitMemory } from "../window/index.ts";
import type { QueryRequest, QuerySource } from "../source/logs-source.ts";
import type { RequestGate } from "./request-gate.ts";
import { retryDelay, shouldRetry, type RetryBudget } from "./retry-delay.ts";

export interface WrittenPart {
  window: TimeWindow;
  /** The result's columns, as the service sent them. */
  columns: Column[];
  writer: WindowWriter;
  rows: number;
  bytes: number;
  /** How many times the window was split to get here. */
  splits: number;
}

/** The retry knobs, named as in the config (`source.maxRetries`, `retryDelay`, …), durations in ms. */
export interface RetrySettings extends RetryBudget {
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export interface DeliveryContext {
  key: StateKey;
  source: QuerySource;
  sink: Sink;
  gate: RequestGate;
  logger: Logger;
  buildQuery(w: TimeWindow): QueryRequest;
  minWindowMs: number;
  retry: RetrySettings;
  random: () => number;
  clock: () => number;
  signal: AbortSignal;
  /** Where requests, retries and splits are counted (noopMetrics when nothing is configured). */
  metrics: Metrics;
  labels: SinkLabels;
  /** The window's span: its trace context goes with every request, its retries and splits are events. */
  span?: TraceSpan;
  /** The query's split memory for this run (export and backfill; verify's repairs redo exact parts and go without). */
  splitMemory?: SplitMemory;
}

/**
 * Delivers `w`, halved while truncated, handing each written part to `onPart` in time order as soon
 * as it is written (parts are fetched one after the other, so a consumer can commit the first part
 * while the next is fetched, and only one uncommitted part of a split window is open at a time).
 * With `ctx.splitMemory`, a part longer than the query's remembered part size is halved before it is
 * fetched, and every truncation teaches the memory (src/window/split-memory.ts). After a failure,
 * parts already handed out are the consumer's to commit or abort.
 */
export async function deliverWindow(ctx: DeliveryContext, w: TimeWindow, onPart: (part: WrittenPart) => Promise<void>): Promise<void> {
  const memory = ctx.splitMemory;
  const pending: { window: TimeWindow; depth: number }[] = [{ window: w, depth: 0 }];
  let truncations = 0;
  while (pending.length > 0) {
    const { window: part, depth } = pending.shift()!;
    const planned = memory?.halve(part, ctx.minWindowMs);
    if (planned) {
      if (depth === 0) ctx.logger.debug({ window: formatWindow(w), partMs: memory!.partMs }, "fetching the window in parts of the size that fitted before");
      pending.unshift({ window: planned[0], depth: depth + 1 }, { window: planned[1], depth: depth + 1 });
      continue;
    }
    const first = await fetchWithRetries(ctx, part);
    if (first.kind === "written") {
      memory?.fitted(first.part.rows, first.part.bytes);
      await onPart({ ...first.part, splits: depth });
      continue;
    }
    if (memory?.truncated(part, first.rows, first.bytes)) truncations++;
    const halves = splitWindow(part, ctx.minWindowMs);
    if (!halves) {
      throw new MonitorliftError(
        "WINDOW_UNSPLITTABLE",
        `Query '${ctx.key.query}': the window ${formatWindow(part)} is still truncated and cannot be split further (minimum ${ctx.minWindowMs} ms): ${first.reason}`,
        { hint: "Narrow the query with a transform (project fewer columns, filter rows) or lower window.minSize; the watermark has not moved past this window." },
      );
    }
    ctx.logger.info({ window: formatWindow(part), reason: first.reason }, "window truncated, splitting"); // the logger carries the query
    ctx.metrics.windowSplit(ctx.key.query);
    ctx.span?.event("split", { [SPAN_ATTR.windowStart]: iso(part.start), [SPAN_ATTR.windowEnd]: iso(part.end) });
    pending.unshift({ window: halves[0], depth: depth + 1 }, { window: halves[1], depth: depth + 1 });
  }
  memory?.windowDelivered(w, truncations);
}

export async function abortParts(parts: readonly WrittenPart[]): Promise<void> {
  await Promise.allSettled(parts.map((p) => p.writer.abort()));
}

type Attempt = { kind: "written"; part: Omit<WrittenPart, "splits"> } | { kind: "truncated"; reason: string; rows: number; bytes: number };

async function fetchWithRetries(ctx: DeliveryContext, w: TimeWindow): Promise<Attempt> {
  const began = ctx.clock();
  for (let attempt = 1; ; attempt++) {
    const written = { rows: 0 };
    try {
      return await ctx.gate.run(() => fetchOnce(ctx, w, written));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const retryable = isMonitorliftError(err) && err.retryable;
      if (!retryable || !shouldRetry(attempt, ctx.clock() - began, ctx.retry)) throw err;
      ctx.metrics.retry(ctx.key.query, err instanceof SinkError ? "sink" : "source", retryCodeOf(err));
      ctx.span?.event("retry", { [ATTR.stage]: err instanceof SinkError ? "sink" : "source", [ATTR.retryCode]: retryCodeOf(err), [SPAN_ATTR.attempt]: attempt });
      if (written.rows > 0) ctx.metrics.rows(ctx.labels, retriedBecause(err), written.rows);
      const delay = retryDelay({
        attempt,
        retryDelayMs: ctx.retry.retryDelayMs,
        maxRetryDelayMs: ctx.retry.maxRetryDelayMs,
        retryAfterMs: (err as MonitorliftError).retryAfterMs,
        random: ctx.random,
      });
      ctx.logger.warn(
        { window: formatWindow(w), attempt, delayMs: delay, code: (err as MonitorliftError).code, err: (err as Error).message },
        "window attempt failed, retrying",
      );
      await sleep(delay, undefined, { signal: ctx.signal });
    }
  }
}

/**
 * One attempt: one request. The writer is opened once the columns are known, and batches are
 * pulled and written one at a time, so the body is read only as fast as the sink writes. Errors
 * before the columns and in the body come typed from the source; a sink's error is thrown as the
 * sink raised it (the source never sees it).
 */
async function fetchOnce(ctx: DeliveryContext, w: TimeWindow, written: { rows: number }): Promise<Attempt> {
  const started = performance.now();
  let result: Awaited<ReturnType<QuerySource["query"]>>;
  try {
    const headers = ctx.span?.headers();
    result = await ctx.source.query(headers && Object.keys(headers).length > 0 ? { ...ctx.buildQuery(w), headers } : ctx.buildQuery(w), ctx.signal);
  } catch (err) {
    reportRequest(ctx, started, err);
    throw err;
  }
  let writer: WindowWriter | undefined;
  try {
    writer = await ctx.sink.openWindow({ key: ctx.key, window: w, columns: result.columns, signal: ctx.signal });
    // Not `for await`: V8 keeps a for-await loop's last value alive while it waits for the next
    // one, which holds two batches per window in memory instead of one (measured: +15 MB live,
    // ~+170 MB peak RSS at concurrency 4). Clearing `batch` after each write lets it go.
    const batches = result.batches[Symbol.asyncIterator]();
    for (;;) {
      let batch: IteratorResult<RowBatch> | undefined = await batches.next();
      if (batch.done) break;
      await writer.write(batch.value);
      written.rows += batch.value.length;
      batch = undefined;
    }
  } catch (err) {
    result.cancel();
    await writer?.abort().catch(() => undefined);
    reportRequest(ctx, started); // the answer came; the sink failed
    throw err;
  }
  const outcome = await result.outcome;
  reportRequest(ctx, started, outcome.kind === "error" ? outcome.error : undefined);
  if (outcome.kind === "ok") {
    try {
      await writer.end(); // the part may wait for its turn to commit: it holds no encoder meanwhile
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
    return { kind: "written", part: { window: w, columns: result.columns, writer, rows: outcome.rows, bytes: outcome.bytes } };
  }
  await writer.abort().catch(() => undefined);
  if (outcome.kind === "truncated") return { kind: "truncated", reason: `Result truncated: ${outcome.reason}.`, rows: outcome.rows, bytes: outcome.bytes };
  throw outcome.error;
}

/** One request to the query API, for the request-duration histogram: its status, and for a failure its retry or drop code. */
function reportRequest(ctx: DeliveryContext, started: number, err?: unknown): void {
  if (!ctx.metrics.active) return;
  const seconds = (performance.now() - started) / 1000;
  if (err === undefined) return ctx.metrics.sourceRequest(ctx.key.query, seconds, { status: 200 });
  const status = (err as { status?: unknown }).status;
  ctx.metrics.sourceRequest(ctx.key.query, seconds, {
    ...(typeof status === "number" ? { status } : {}),
    error: isMonitorliftError(err) && err.retryable ? retryCodeOf(err) : dropCodeOf(err),
  });
}

/** A window span's attributes at its start: query, scope, the window's bounds (UTC). */
export function windowSpanAttributes(query: string, key: StateKey, w: TimeWindow): SpanAttributes {
  return { [ATTR.query]: query, [SPAN_ATTR.scope]: key.scope, [SPAN_ATTR.windowStart]: iso(w.start), [SPAN_ATTR.windowEnd]: iso(w.end) };
}

/**
 * Runs one window's delivery inside `span`: counts the parts handed on (rows, bytes, splits) and ends the
 * span with the outcome (success, or failed with its codes). The span covers the requests and the writes,
 * up to the hand-over for commit.
 */
export async function traceWindow(
  span: TraceSpan,
  signal: AbortSignal,
  onPart: (part: WrittenPart) => Promise<void>,
  deliver: (onPart: (part: WrittenPart) => Promise<void>) => Promise<void>,
): Promise<void> {
  if (!span.recording) return deliver(onPart);
  const seen = { rows: 0, bytes: 0, parts: 0, splits: 0 };
  try {
    await deliver((part) => {
      seen.rows += part.rows;
      seen.bytes += part.bytes;
      seen.parts += 1;
      seen.splits = Math.max(seen.splits, part.splits);
      return onPart(part);
    });
    span.set({ [SPAN_ATTR.rows]: seen.rows, [SPAN_ATTR.bytes]: seen.bytes, [SPAN_ATTR.parts]: seen.parts, [SPAN_ATTR.splits]: seen.splits, [ATTR.outcome]: "success" });
    span.end();
  } catch (err) {
    span.set({ [SPAN_ATTR.rows]: seen.rows, [SPAN_ATTR.parts]: seen.parts, [ATTR.outcome]: "dropped" });
    span.end(spanFailure(err, { shuttingDown: signal.aborted }));
    throw err;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
