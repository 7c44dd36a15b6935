/**
 * The metrics the exporter reports about itself: the catalogue of instruments (names by
 * OpenTelemetry conventions, UCUM units, attributes, the StatsD type of each), the `Metrics`
 * interface the runner calls, and the facade that fans each call out to the configured backends
 * (OpenTelemetry SDK, StatsD). `createMetrics()` in ./telemetry.ts builds it from the settings.
 *
 * Rules
 *  - A call never throws and never waits: a backend that fails is ignored for that call.
 *  - Values are given in the catalogue's unit (durations in seconds); StatsD timers get ms.
 *  - The two gauges are computed when read: export lag = now − watermark of each query, and the
 *    time of the last successful run, both in seconds.
 *  - `flush()` and `shutdown()` settle within the configured bound whatever the backends do.
 */
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from "@opentelemetry/semantic-conventions";
import { dropCodeOf, retryCodeOf, type DropCode, type DropContext, type RetryCode } from "./codes.ts";
import type { RunEvent } from "./run-event.ts";
import { noopTracing, type Tracing } from "./tracing.ts";

export type InstrumentKind = "counter" | "histogram" | "gauge";
export type StatsdType = "c" | "ms" | "h" | "g";

export interface InstrumentSpec {
  name: string;
  kind: InstrumentKind;
  unit: string;
  description: string;
  attributes: readonly string[];
  /** How the StatsD backend sends it (timers in ms). */
  statsd: StatsdType;
  /** Histogram bucket boundaries, in the instrument's unit. */
  buckets?: readonly number[];
}

export const ATTR = {
  query: "monitorlift.query",
  /** The query's source, only when the config names its sources (`sources`). */
  source: "monitorlift.source",
  sink: "monitorlift.sink.type",
  format: "monitorlift.format",
  outcome: "monitorlift.outcome",
  retryCode: "monitorlift.retry.code",
  dropCode: "monitorlift.drop.code",
  stage: "monitorlift.stage",
  command: "monitorlift.command",
  status: ATTR_HTTP_RESPONSE_STATUS_CODE,
  errorType: ATTR_ERROR_TYPE,
} as const;

export const INSTRUMENTS = {
  rowsExported: {
    name: "monitorlift.rows.exported",
    kind: "counter",
    unit: "{row}",
    description: "Rows handed to the sink, by outcome: success (committed), retry (written again), dropped (not exported in this run; the watermark waits).",
    attributes: [ATTR.query, ATTR.source, ATTR.sink, ATTR.format, ATTR.outcome, ATTR.retryCode, ATTR.dropCode],
    statsd: "c",
  },
  bytesExported: {
    name: "monitorlift.bytes.exported",
    kind: "counter",
    unit: "By",
    description: "Bytes written to the sink (encoded size), by outcome as for rows.",
    attributes: [ATTR.query, ATTR.source, ATTR.sink, ATTR.format, ATTR.outcome, ATTR.retryCode, ATTR.dropCode],
    statsd: "c",
  },
  requestDuration: {
    name: "monitorlift.source.request.duration",
    kind: "histogram",
    unit: "s",
    description: "Duration of each request to the Log Analytics query API, body included; its count is the number of requests.",
    attributes: [ATTR.query, ATTR.source, ATTR.status, ATTR.errorType],
    statsd: "ms",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  },
  windowRows: {
    name: "monitorlift.window.rows",
    kind: "histogram",
    unit: "{row}",
    description: "Rows per committed window.",
    attributes: [ATTR.query, ATTR.source],
    statsd: "h",
    buckets: [0, 10, 100, 1_000, 10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000],
  },
  windowsCommitted: {
    name: "monitorlift.windows.committed",
    kind: "counter",
    unit: "{window}",
    description: "Windows durably written and committed (the watermark moved).",
    attributes: [ATTR.query, ATTR.source, ATTR.sink],
    statsd: "c",
  },
  windowsSplit: {
    name: "monitorlift.windows.split",
    kind: "counter",
    unit: "{window}",
    description: "Windows split in two because the result was truncated (PartialError or a limit).",
    attributes: [ATTR.query, ATTR.source],
    statsd: "c",
  },
  retries: {
    name: "monitorlift.retries",
    kind: "counter",
    unit: "{retry}",
    description: "Attempts tried again, by retry code and stage (source: the query API; sink: the destination).",
    attributes: [ATTR.query, ATTR.source, ATTR.stage, ATTR.retryCode],
    statsd: "c",
  },
  windowsDropped: {
    name: "monitorlift.windows.dropped",
    kind: "counter",
    unit: "{window}",
    description: "Windows not exported in this run, by drop code. Nothing is lost: the watermark waits for them.",
    attributes: [ATTR.query, ATTR.source, ATTR.sink, ATTR.dropCode],
    statsd: "c",
  },
  exportLag: {
    name: "monitorlift.export.lag",
    kind: "gauge",
    unit: "s",
    description: "Now minus the query's watermark (the SLO gauge): how far behind the export is.",
    attributes: [ATTR.query, ATTR.source],
    statsd: "g",
  },
  lastSuccess: {
    name: "monitorlift.run.last_success.time",
    kind: "gauge",
    unit: "s",
    description: "Unix time of the end of the last run whose every query succeeded.",
    attributes: [ATTR.command],
    statsd: "g",
  },
  statsdDropped: {
    name: "monitorlift.telemetry.statsd.dropped",
    kind: "counter",
    unit: "{line}",
    description: "StatsD lines dropped because the bounded queue was full while the agent was unreachable.",
    attributes: [],
    statsd: "c",
  },
} as const satisfies Record<string, InstrumentSpec>;

export type InstrumentKey = keyof typeof INSTRUMENTS;
export type Attributes = Record<string, string | number>;

/** What a backend (OpenTelemetry, StatsD) implements; the facade guards every call. */
export interface MetricsBackend {
  readonly name: string;
  add(key: InstrumentKey, value: number, attributes: Attributes): void;
  record(key: InstrumentKey, value: number, attributes: Attributes): void;
  /** The gauges were updated (StatsD sends them; OpenTelemetry reads them when it collects). */
  gaugesChanged?(readings: readonly GaugeReading[]): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  /** shutdown() did not settle within the bound: release sockets and timers now. */
  abandon?(): void;
  /** The run-complete event (backends with an event destination only). */
  emitEvent?(event: RunEvent): void;
}

export interface GaugeReading {
  key: "exportLag" | "lastSuccess";
  value: number;
  attributes: Attributes;
}

/** Where rows went: query name, sink type (filesystem, blob, sql…) and file format (or the SQL dialect). */
export interface SinkLabels {
  query: string;
  sink: string;
  format: string;
}

/** The labels of `query` writing into the configured sink: its type, and its file format or SQL dialect. */
export function sinkLabels(query: string, sink: { type: string; format?: unknown; dialect?: unknown }): SinkLabels {
  const format = typeof sink.format === "string" ? sink.format : typeof sink.dialect === "string" ? sink.dialect : "none";
  return { query, sink: sink.type, format };
}

export type RowOutcome = { outcome: "success" } | { outcome: "retry"; code: RetryCode } | { outcome: "dropped"; code: DropCode };

/** The outcome of rows written in an attempt that failed with `err` and will be tried again. */
export function retriedBecause(err: unknown): RowOutcome {
  return { outcome: "retry", code: retryCodeOf(err) };
}

/** The outcome of rows of a window that ended with `err` and is not exported in this run. */
export function droppedBecause(err: unknown, context?: DropContext): RowOutcome {
  return { outcome: "dropped", code: dropCodeOf(err, context) };
}

export interface RequestResult {
  /** The HTTP status, when an answer came. */
  status?: number;
  /** For a failed request: its retry code, or drop code when it will not be tried again. */
  error?: RetryCode | DropCode;
}

export interface Metrics {
  /** False for the no-op: callers may skip work done only for metrics. */
  readonly active: boolean;
  /** Spans per run, query and window (noopTracing unless a traces exporter is configured; absent: none); flushed with the metrics. */
  readonly tracing?: Tracing;
  rows(labels: SinkLabels, result: RowOutcome, rows: number): void;
  bytes(labels: SinkLabels, result: RowOutcome, bytes: number): void;
  sourceRequest(query: string, durationSeconds: number, result?: RequestResult): void;
  windowCommitted(labels: SinkLabels, rows: number): void;
  windowSplit(query: string): void;
  retry(query: string, stage: "source" | "sink", code: RetryCode): void;
  /** `windows` (default 1) of the query's planned windows were not exported in this run, for `code`. */
  windowDropped(labels: SinkLabels, code: DropCode, windows?: number): void;
  /** The query's watermark now (after a commit, or as read at the start of a run). */
  watermark(query: string, watermark: Date): void;
  /** A run finished with every query successful, at `at`. */
  runSucceeded(command: string, at?: Date): void;
  /** The run-complete event, to the configured event destinations (OTLP logs, Azure Monitor). */
  runComplete(event: RunEvent): void;
  /** Lines dropped by the StatsD queue so far (0 without StatsD). */
  statsdDropped(): number;
  /** Push what is pending to every backend; settles within the bound, never rejects. */
  flush(): Promise<void>;
  /** Flush, then stop every exporter and close every socket; bounded, never rejects. */
  shutdown(): Promise<void>;
}

/** Metrics that go nowhere: nothing configured, or telemetry turned off. Opens nothing. */
export const noopMetrics: Metrics = Object.freeze({
  active: false,
  tracing: noopTracing,
  rows() {},
  bytes() {},
  sourceRequest() {},
  windowCommitted() {},
  windowSplit() {},
  retry() {},
  windowDropped() {},
  watermark() {},
  runSucceeded() {},
  runComplete() {},
  statsdDropped: () => 0,
  flush: async () => {},
  shutdown: async () => {},
});

export interface FacadeOptions {
  backends: readonly MetricsBackend[];
  flushTimeoutMs: number;
  now?: () => number;
  /** Told once per backend failure kind (never throws into the caller). */
  onError?: (backend: string, err: unknown) => void;
  statsdDropped?: () => number;
  /** Called once after shutdown settled (e.g. to log what the StatsD queue dropped). */
  afterShutdown?: () => void;
  /** The tracer; its backend is one of `backends`, so spans are flushed within the same bound. */
  tracing?: Tracing;
  /**
   * Each query's source, when the config names its sources: every series of a query then carries
   * `monitorlift.source` too. Absent (a single top-level source): the attributes stay as they were.
   */
  querySources?: Readonly<Record<string, string>>;
}

/** The facade over one or more backends, holding the gauge state. */
export class FanOutMetrics implements Metrics {
  readonly active = true;
  readonly tracing: Tracing;
  private readonly watermarks = new Map<string, number>();
  private readonly lastSuccess = new Map<string, number>();
  private readonly now: () => number;
  private closed: Promise<void> | undefined;
  private readonly reported = new Set<string>();

  private readonly options: FacadeOptions;

  constructor(options: FacadeOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.tracing = options.tracing ?? noopTracing;
  }

  /** The gauges as of now, for a backend that reads them when it collects. */
  readGauges(): GaugeReading[] {
    const now = this.now();
    const out: GaugeReading[] = [];
    for (const [query, wm] of this.watermarks) {
      out.push({ key: "exportLag", value: Math.max(0, (now - wm) / 1000), attributes: this.queryAttributes(query) });
    }
    for (const [command, at] of this.lastSuccess) {
      out.push({ key: "lastSuccess", value: at / 1000, attributes: { [ATTR.command]: command } });
    }
    return out;
  }

  /** `monitorlift.query`, and `monitorlift.source` when the config names its sources. */
  private queryAttributes(query: string): Attributes {
    const source = this.options.querySources?.[query];
    return source === undefined ? { [ATTR.query]: query } : { [ATTR.query]: query, [ATTR.source]: source };
  }

  rows(labels: SinkLabels, result: RowOutcome, rows: number): void {
    if (rows > 0) this.each((b) => b.add("rowsExported", rows, { ...this.queryAttributes(labels.query), ...outcomeAttributes(labels, result) }));
  }

  bytes(labels: SinkLabels, result: RowOutcome, bytes: number): void {
    if (bytes > 0) this.each((b) => b.add("bytesExported", bytes, { ...this.queryAttributes(labels.query), ...outcomeAttributes(labels, result) }));
  }

  sourceRequest(query: string, durationSeconds: number, result: RequestResult = {}): void {
    const attributes: Attributes = this.queryAttributes(query);
    if (result.status !== undefined) attributes[ATTR.status] = result.status;
    if (result.error !== undefined) attributes[ATTR.errorType] = result.error;
    this.each((b) => b.record("requestDuration", Math.max(0, durationSeconds), attributes));
  }

  windowCommitted(labels: SinkLabels, rows: number): void {
    this.each((b) => {
      b.add("windowsCommitted", 1, { ...this.queryAttributes(labels.query), [ATTR.sink]: labels.sink });
      b.record("windowRows", rows, this.queryAttributes(labels.query));
    });
  }

  windowSplit(query: string): void {
    this.each((b) => b.add("windowsSplit", 1, this.queryAttributes(query)));
  }

  retry(query: string, stage: "source" | "sink", code: RetryCode): void {
    this.each((b) => b.add("retries", 1, { ...this.queryAttributes(query), [ATTR.stage]: stage, [ATTR.retryCode]: code }));
  }

  windowDropped(labels: SinkLabels, code: DropCode, windows = 1): void {
    if (windows > 0) this.each((b) => b.add("windowsDropped", windows, { ...this.queryAttributes(labels.query), [ATTR.sink]: labels.sink, [ATTR.dropCode]: code }));
  }

  watermark(query: string, watermark: Date): void {
    const t = watermark.getTime();
    if (!Number.isFinite(t)) return;
    this.watermarks.set(query, t);
    this.gaugesChanged();
  }

  runSucceeded(command: string, at: Date = new Date(this.now())): void {
    this.lastSuccess.set(command, at.getTime());
    this.gaugesChanged();
  }

  runComplete(event: RunEvent): void {
    this.each((b) => b.emitEvent?.(event));
  }

  statsdDropped(): number {
    return this.options.statsdDropped?.() ?? 0;
  }

  async flush(): Promise<void> {
    this.gaugesChanged();
    await this.settleAll("flush", (b) => b.flush());
  }

  shutdown(): Promise<void> {
    this.closed ??= (async () => {
      this.gaugesChanged();
      await this.settleAll("shutdown", (b) => b.shutdown());
      try {
        this.options.afterShutdown?.();
      } catch {
        // reporting must not break the exit
      }
    })();
    return this.closed;
  }

  private gaugesChanged(): void {
    const readings = this.readGauges();
    this.each((b) => b.gaugesChanged?.(readings));
  }

  private each(call: (b: MetricsBackend) => void): void {
    if (this.closed) return;
    for (const b of this.options.backends) this.guard(b, () => call(b));
  }

  private guard(b: MetricsBackend, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.report(b.name, err);
    }
  }

  /** Runs `call` on every backend at once and returns when all settled or the bound passed. */
  private async settleAll(what: string, call: (b: MetricsBackend) => Promise<void>): Promise<void> {
    const all = Promise.all(
      this.options.backends.map(async (b) => {
        try {
          await call(b);
        } catch (err) {
          this.report(b.name, err);
        }
      }),
    );
    const outcome = await withTimeout(all, this.options.flushTimeoutMs);
    if (outcome === "timeout") {
      this.report(what, new TelemetryTimeoutError(`did not finish within ${this.options.flushTimeoutMs} ms; left behind`));
      if (what === "shutdown") for (const b of this.options.backends) this.guard(b, () => b.abandon?.());
    }
  }

  private report(backend: string, err: unknown): void {
    const key = `${backend}:${(err as Error)?.message ?? String(err)}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    try {
      this.options.onError?.(backend, err);
    } catch {
      // a broken error callback must not break the export either
    }
  }
}

function outcomeAttributes(labels: SinkLabels, result: RowOutcome): Attributes {
  const attributes: Attributes = {
    [ATTR.query]: labels.query,
    [ATTR.sink]: labels.sink,
    [ATTR.format]: labels.format,
    [ATTR.outcome]: result.outcome,
  };
  if (result.outcome === "retry") attributes[ATTR.retryCode] = result.code;
  if (result.outcome === "dropped") attributes[ATTR.dropCode] = result.code;
  return attributes;
}

/** A flush or shutdown that passed its bound (reported, never thrown to the caller). */
export class TelemetryTimeoutError extends Error {
  override name = "TelemetryTimeoutError";
}

/** Resolves "done" or "timeout" (the timer keeps the process alive only while it waits). */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<"done" | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([promise.then(() => "done" as const, () => "done" as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
