/**
 * Traces: one span per run, per query and per window, when a traces exporter is configured (OTLP
 * over HTTP with protobuf or JSON, or the console). The runner sees only `Tracing` and `TraceSpan`;
 * the OpenTelemetry SDK (`@opentelemetry/sdk-trace-base` and the OTLP trace exporters) is imported
 * only when traces are configured, so the no-op path loads none of it and opens nothing.
 *
 * Rules
 *  - Spans are parented explicitly (run → query → window); no global context manager is needed.
 *  - `headers()` gives the W3C trace context (`traceparent`, `tracestate`) of a span, injected through
 *    the @opentelemetry/api propagation API, for the query API requests of its window.
 *  - Attributes carry names, times, counts and codes only: never data values, query text, error
 *    messages or secrets. A failed span's status is ERROR with the error's code as its description.
 *  - This module imports nothing of ./metrics.ts at run time (metrics.ts imports noopTracing from here).
 *  - Spans are batched and sent by the same bounded flush as the metrics (the backend below is one
 *    of the metrics facade's backends); a failing collector never changes the export.
 */
import type { Span, Tracer } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { MonitorliftError, isMonitorliftError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import type { MetricsBackend } from "./metrics.ts";
import { dropCodeOf, type DropContext } from "./codes.ts";
import type { TelemetrySettings } from "./settings.ts";

export type SpanAttributes = Record<string, string | number | boolean>;

/** Why a span failed, in codes only. */
export interface SpanFailure {
  /** The MonitorliftError code (e.g. SINK_WRITE), INTERNAL for anything else. */
  code: string;
  /** The drop code the metrics count the failure under. */
  dropCode: string;
}

export interface TraceSpan {
  /** False for the no-op span: callers may skip work done only for traces. */
  readonly recording: boolean;
  set(attributes: SpanAttributes): void;
  event(name: string, attributes?: SpanAttributes): void;
  /** The W3C trace context of this span for an outgoing request ({} when not recording). */
  headers(): Record<string, string>;
  child(name: string, attributes?: SpanAttributes): TraceSpan;
  /** Ends the span (once); with a failure its status is ERROR and the codes are set as attributes. */
  end(failure?: SpanFailure): void;
}

export interface Tracing {
  readonly active: boolean;
  /** A new trace: the run's span. */
  root(name: string, attributes?: SpanAttributes): TraceSpan;
}

export const SPAN = { run: "monitorlift.run", query: "monitorlift.query", window: "monitorlift.window" } as const;

/** Span attributes besides the metrics' ATTR (monitorlift.query, monitorlift.outcome, …). */
export const SPAN_ATTR = {
  runId: "monitorlift.run.id",
  scope: "monitorlift.scope",
  queries: "monitorlift.queries",
  failedQueries: "monitorlift.queries.failed",
  windowStart: "monitorlift.window.start",
  windowEnd: "monitorlift.window.end",
  rows: "monitorlift.rows",
  bytes: "monitorlift.bytes",
  windows: "monitorlift.windows",
  parts: "monitorlift.window.parts",
  splits: "monitorlift.window.splits",
  attempt: "monitorlift.attempt",
  errorCode: "monitorlift.error.code",
} as const;

export const noopSpan: TraceSpan = Object.freeze({
  recording: false,
  set() {},
  event() {},
  headers: () => ({}),
  child: () => noopSpan,
  end() {},
});

export const noopTracing: Tracing = Object.freeze({ active: false, root: () => noopSpan });

/** The codes of `err` for a span's end (the same drop code the metrics count). */
export function spanFailure(err: unknown, context: Omit<DropContext, "retriesExhausted"> = {}): SpanFailure {
  return {
    code: err instanceof MonitorliftError ? err.code : "INTERNAL",
    dropCode: dropCodeOf(err, { ...context, retriesExhausted: isMonitorliftError(err) && err.retryable }),
  };
}

/** The tracer and the backend that flushes it, or undefined when no traces exporter is configured. */
export async function createTracing(settings: TelemetrySettings, resource: Resource): Promise<{ tracing: Tracing; backend: MetricsBackend } | undefined> {
  if (!settings.otlpTraces && !settings.consoleTraces) return undefined;
  const sdk = await import("@opentelemetry/sdk-trace-base");
  const api = await import("@opentelemetry/api");
  const { W3CTraceContextPropagator } = await import("@opentelemetry/core");
  const timeoutMillis = settings.flushTimeoutMs;
  const exporters: SpanExporter[] = [];
  if (settings.otlpTraces) {
    const { url, headers, protocol } = settings.otlpTraces;
    const config = { url, headers, timeoutMillis };
    exporters.push(
      protocol === "http/json"
        ? new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter(config)
        : new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter(config),
    );
  }
  if (settings.consoleTraces) exporters.push(new sdk.ConsoleSpanExporter());
  const provider = new sdk.BasicTracerProvider({
    resource,
    spanProcessors: exporters.map(
      (exporter) => new sdk.BatchSpanProcessor(exporter, { maxQueueSize: 8192, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: timeoutMillis }),
    ),
  });
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracer = provider.getTracer("monitorlift", VERSION);

  const wrap = (span: Span): TraceSpan => {
    let ended = false;
    const self: TraceSpan = {
      recording: true,
      set: (attributes) => void span.setAttributes(attributes),
      event: (name, attributes) => void span.addEvent(name, attributes),
      headers() {
        const carrier: Record<string, string> = {};
        api.propagation.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), carrier);
        return carrier;
      },
      child: (name, attributes) => wrap(start(tracer, name, attributes, span)),
      end(failure) {
        if (ended) return;
        ended = true;
        if (failure) {
          span.setAttributes({ [SPAN_ATTR.errorCode]: failure.code, [ATTR_ERROR_TYPE]: failure.dropCode, "monitorlift.drop.code": failure.dropCode });
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: failure.code });
        }
        span.end();
      },
    };
    return self;
  };
  const start = (t: Tracer, name: string, attributes: SpanAttributes | undefined, parent: Span | undefined): Span =>
    t.startSpan(name, attributes ? { attributes } : {}, parent ? api.trace.setSpan(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT);

  const tracing: Tracing = { active: true, root: (name, attributes) => wrap(start(tracer, name, attributes, undefined)) };
  const backend: MetricsBackend = {
    name: "traces",
    add() {},
    record() {},
    flush: () => provider.forceFlush(),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        api.propagation.disable();
      }
    },
  };
  return { tracing, backend };
}
