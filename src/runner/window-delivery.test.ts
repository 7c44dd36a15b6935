/**
 * deliverWindow against a scripted source and a recording sink: the one retry loop (attempts,
 * gate passes, Retry-After), the writer opened only once columns are known and aborted on every
 * path that does not hand a part out, truncation split into halves, and a sink's error thrown as is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SinkError, SourceError, type MonitorliftError } from "../errors.ts";
import type { QueryOutcome, QueryResult, QuerySource } from "../source/logs-source.ts";
import type { Sink, WindowWriter } from "../sinks/sink.ts";
import { createLogger } from "../telemetry/logger.ts";
import { noopMetrics } from "../telemetry/metrics.ts";
import { RowBatch } from "../row-batch.ts";
import type { RawRow } from "../table.ts";
import type { TimeWindow } from "../window/window.ts";
import { deliverWindow, type DeliveryContext, type WrittenPart } from "./window-delivery.ts";
import { SplitMemory } from "../window/split-memory.ts";

type Step = { error: MonitorliftError } | { rows: RawRow[][]; outcome: QueryOutcome };

/** A source that answers each query() with the next step of `script` and records what happened to each result. */
function scriptedSource(script: Step[]) {
  const seen = { queries: [] as string[], cancelled: 0, drained: 0 };
  const source: QuerySource = {
    async query(req) {
      seen.queries.push(req.timespan ?? "");
      const step = script.shift();
      assert.ok(step, "more queries than scripted");
      if ("error" in step) throw step.error;
      let settle!: (o: QueryOutcome) => void;
      const outcome = new Promise<QueryOutcome>((resolve) => (settle = resolve));
      let done = false;
      const finish = (o: QueryOutcome) => {
        if (done) return;
        done = true;
        settle(o);
      };
      const rows = [...step.rows];
      const result: QueryResult = {
        columns: [{ name: "n", type: "long" }],
        batches: {
          [Symbol.asyncIterator]: () => ({
            next: async () => {
              const value = done ? undefined : rows.shift();
              if (value) return { done: false, value: RowBatch.of(value) };
              if (!done) seen.drained++;
              finish(step.outcome);
              return { done: true, value: undefined };
            },
            return: async () => {
              finish({ kind: "error", error: new SourceError("ABORTED", "stopped") });
              return { done: true, value: undefined };
            },
          }),
        },
        outcome,
        cancel: () => {
          if (!done) seen.cancelled++;
          finish({ kind: "error", error: new SourceError("ABORTED", "cancelled") });
        },
      };
      return result;
    },
  };
  return { source, seen };
}

function recordingSink(options: { failOpen?: Error; failWrite?: Error; failEnd?: Error } = {}) {
  const log = { opened: 0, written: [] as RawRow[][], aborted: 0, ended: 0 };
  const sink = {
    async openWindow(): Promise<WindowWriter> {
      log.opened++;
      if (options.failOpen) throw options.failOpen;
      return {
        write: async (rows) => {
          if (options.failWrite) throw options.failWrite;
          log.written.push([...rows.rows]);
        },
        end: async () => {
          if (options.failEnd) throw options.failEnd;
          log.ended++;
        },
        commit: async () => assert.fail("deliverWindow never commits"),
        abort: async () => void log.aborted++,
      };
    },
  } as unknown as Sink;
  return { sink, log };
}

function context(source: QuerySource, sink: Sink, retry: Partial<DeliveryContext["retry"]> = {}) {
  const gate = { passes: 0 };
  const ctx: DeliveryContext = {
    key: { query: "q", scope: "live" },
    source,
    sink,
    gate: { run: (work) => (gate.passes++, work()) },
    logger: createLogger({ level: "silent" }),
    buildQuery: (w) => ({ query: "T", timespan: `${w.start}/${w.end}` }),
    metrics: noopMetrics,
    labels: { query: "q", sink: "test", format: "none" },
    minWindowMs: 10,
    retry: { maxRetries: 3, retryDelayMs: 1, maxRetryDelayMs: 2, maxRetryElapsedMs: 60_000, ...retry },
    random: () => 0,
    clock: Date.now,
    signal: new AbortController().signal,
  };
  return { ctx, gate };
}

const W: TimeWindow = { start: 0, end: 100 };
const ok = (rows: number): QueryOutcome => ({ kind: "ok", rows, bytes: 10 * rows });

async function deliver(ctx: DeliveryContext): Promise<WrittenPart[]> {
  const parts: WrittenPart[] = [];
  await deliverWindow(ctx, W, async (p) => void parts.push(p));
  return parts;
}

test("a transient error costs one more attempt, each through the gate, after Retry-After", async () => {
  const { source, seen } = scriptedSource([
    { error: new SourceError("SOURCE_THROTTLED", "429", { retryable: true, retryAfterMs: 150 }) },
    { rows: [[["1"]], [["2"], ["3"]]], outcome: { kind: "error", error: new SourceError("SOURCE_CONNECTION", "reset", { retryable: true }) } },
    { rows: [[["1"]], [["2"], ["3"]]], outcome: ok(3) },
  ]);
  const { sink, log } = recordingSink();
  const { ctx, gate } = context(source, sink);
  const began = Date.now();
  const parts = await deliver(ctx);
  assert.ok(Date.now() - began >= 150, "waited for Retry-After");
  assert.equal(seen.queries.length, 3);
  assert.equal(gate.passes, 3);
  assert.equal(log.opened, 2, "a writer only for the attempts that got columns");
  assert.equal(log.aborted, 1, "the attempt whose body broke was aborted");
  assert.equal(log.ended, 1, "the delivered attempt's writer was ended before it was handed on");
  assert.deepEqual(parts.map((p) => ({ rows: p.rows, bytes: p.bytes, splits: p.splits })), [{ rows: 3, bytes: 30, splits: 0 }]);
});

test("a persistent transient error: exactly maxRetries + 1 attempts, then that error", async () => {
  const unavailable = new SourceError("SOURCE_UNAVAILABLE", "503", { retryable: true });
  const { source, seen } = scriptedSource(Array.from({ length: 3 }, () => ({ error: unavailable })));
  const { sink, log } = recordingSink();
  const { ctx, gate } = context(source, sink, { maxRetries: 2 });
  await assert.rejects(deliver(ctx), (e) => e === unavailable);
  assert.equal(seen.queries.length, 3);
  assert.equal(gate.passes, 3);
  assert.equal(log.opened, 0);
});

test("a permanent error is not retried", async () => {
  const bad = new SourceError("SOURCE_PROTOCOL", "unreadable", { retryable: false });
  const { source, seen } = scriptedSource([{ rows: [[["1"]]], outcome: { kind: "error", error: bad } }]);
  const { sink, log } = recordingSink();
  await assert.rejects(deliver(context(source, sink).ctx), (e) => e === bad);
  assert.equal(seen.queries.length, 1);
  assert.equal(log.aborted, 1);
});

test("a truncated result is aborted and the window delivered in halves, in order", async () => {
  const { source, seen } = scriptedSource([
    { rows: [[["1"], ["2"]]], outcome: { kind: "truncated", reason: "the result reached the 2-row limit", rows: 2, bytes: 20 } },
    { rows: [[["1"]]], outcome: ok(1) },
    { rows: [[["2"]]], outcome: ok(1) },
  ]);
  const { sink, log } = recordingSink();
  const parts = await deliver(context(source, sink).ctx);
  assert.deepEqual(seen.queries, ["0/100", "0/50", "50/100"]);
  assert.equal(log.aborted, 1);
  assert.equal(log.ended, 2, "each delivered half was ended; the truncated whole was not");
  assert.deepEqual(parts.map((p) => [p.window, p.splits]), [[{ start: 0, end: 50 }, 1], [{ start: 50, end: 100 }, 1]]);
});

test("a sink's errors are thrown as the sink raised them, and the body is released", async () => {
  const openFailure = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  const a = scriptedSource([{ rows: [[["1"]]], outcome: ok(1) }]);
  await assert.rejects(deliver(context(a.source, recordingSink({ failOpen: openFailure }).sink).ctx), (e) => e === openFailure);
  assert.equal(a.seen.cancelled, 1, "the result was cancelled without being read");

  const writeFailure = new SinkError("SINK_WRITE", "disk full", { retryable: false });
  const b = scriptedSource([{ rows: [[["1"]], [["2"]]], outcome: ok(2) }]);
  const { sink, log } = recordingSink({ failWrite: writeFailure });
  await assert.rejects(deliver(context(b.source, sink).ctx), (e) => e === writeFailure);
  assert.equal(b.seen.drained, 0, "the batches were not read on after the failed write");
  assert.equal(log.aborted, 1);
  assert.equal(b.seen.queries.length, 1, "not retried");

  const endFailure = new SinkError("SINK_WRITE", "fsync failed", { retryable: false });
  const c = scriptedSource([{ rows: [[["1"]]], outcome: ok(1) }]);
  const ending = recordingSink({ failEnd: endFailure });
  await assert.rejects(deliver(context(c.source, ending.sink).ctx), (e) => e === endFailure);
  assert.equal(ending.log.aborted, 1, "a writer whose end() failed is aborted");
});

test("with a split memory, the next window is fetched in the parts that fitted, and a part truncated there teaches it", async () => {
  const trunc = (rows: number): QueryOutcome => ({ kind: "truncated", reason: "limit", rows, bytes: 10 * rows });
  const { source, seen } = scriptedSource([
    { rows: [[["1"]]], outcome: trunc(1) }, // 0/100
    { rows: [[["1"]]], outcome: ok(1) }, // 0/50
    { rows: [[["2"]]], outcome: ok(1) }, // 50/100
    { rows: [[["3"]]], outcome: ok(1) }, // 100/150: no whole-window attempt
    { rows: [[["4"]]], outcome: trunc(1) }, // 150/200 is denser
    { rows: [[["4"]]], outcome: ok(1) }, // 150/175
    { rows: [[["5"]]], outcome: ok(1) }, // 175/200
    { rows: [[["6"]]], outcome: ok(1) }, // 200/225: the smaller size from now on
  ]);
  const { sink } = recordingSink();
  const { ctx } = context(source, sink);
  ctx.splitMemory = new SplitMemory();
  const parts: WrittenPart[] = [];
  for (const w of [W, { start: 100, end: 200 }]) await deliverWindow(ctx, w, async (p) => void parts.push(p));
  await deliverWindow(ctx, { start: 200, end: 225 }, async (p) => void parts.push(p));
  assert.deepEqual(seen.queries, ["0/100", "0/50", "50/100", "100/150", "150/200", "150/175", "175/200", "200/225"]);
  assert.deepEqual(
    parts.map((p) => [`${p.window.start}/${p.window.end}`, p.splits]),
    [["0/50", 1], ["50/100", 1], ["100/150", 1], ["150/175", 2], ["175/200", 2], ["200/225", 0]],
  );
});
