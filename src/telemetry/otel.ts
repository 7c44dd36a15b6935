/**
 * The OpenTelemetry backend: one MeterProvider whose readers are the configured exporters (OTLP
 * over HTTP with protobuf or JSON, a Prometheus scrape endpoint, the console, Azure Monitor), and
 * a LoggerProvider per destination of the run-complete event (OTLP logs; Azure Monitor, where it
 * becomes a customEvent). Each exporter package is imported only when it is configured, so the
 * no-op path loads none of them.
 *
 * Rules
 *  - Every export request is bounded by the flush bound (the exporters' own timeoutMillis), so a
 *    hanging collector cannot keep the process alive after shutdown() returned.
 *  - Azure Monitor: the exporter's own "statsbeat" (telemetry about the SDK, sent to Microsoft) and
 *    its offline disk storage are turned off, and its OneSettings poller (a Microsoft control-plane
 *    endpoint) is stopped: monitorlift sends only to destinations the operator configured.
 *  - Gauges are observable: they are computed from the facade's state each time a reader collects.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpClient } from "@azure/core-rest-pipeline";
import type { Meter, ObservableResult } from "@opentelemetry/api";
import { SeverityNumber, type AnyValueMap, type Logger } from "@opentelemetry/api-logs";
import type { Resource } from "@opentelemetry/resources";
import type { LogRecordExporter } from "@opentelemetry/sdk-logs";
import type { MetricReader, PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { VERSION } from "../version.ts";
import { INSTRUMENTS, type Attributes, type GaugeReading, type InstrumentKey, type MetricsBackend } from "./metrics.ts";
import { RUN_EVENT_NAME, runEventAttributes, type RunEvent } from "./run-event.ts";
import type { TelemetrySettings } from "./settings.ts";

export interface OtelBackendOptions {
  settings: TelemetrySettings;
  readGauges: () => GaugeReading[];
  /** A reader that could not start (e.g. the Prometheus port is taken): reported, the others go on. */
  onWarning: (message: string) => void;
  /** A listener of our own (the health endpoints) that serves /metrics when Prometheus is configured on its port. */
  prometheusOn?: { port: number; attach(handler: (req: IncomingMessage, res: ServerResponse) => void): void };
}

/** The backend, or undefined when no OpenTelemetry exporter is configured. */
export async function createOtelBackend(options: OtelBackendOptions): Promise<MetricsBackend | undefined> {
  const { settings } = options;
  if (!settings.otlp && !settings.prometheus && !settings.console && !settings.azureMonitor && !settings.otlpLogs) return undefined;
  const sdk = await import("@opentelemetry/sdk-metrics");
  const timeoutMillis = settings.flushTimeoutMs;
  const periodic = (exporter: PushMetricExporter) =>
    new sdk.PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: settings.exportIntervalMs,
      exportTimeoutMillis: Math.min(timeoutMillis, settings.exportIntervalMs),
    });
  const readers: MetricReader[] = [];

  if (settings.otlp) {
    const { url, headers, protocol } = settings.otlp;
    const config = { url, headers, timeoutMillis };
    const exporter =
      protocol === "http/json"
        ? new (await import("@opentelemetry/exporter-metrics-otlp-http")).OTLPMetricExporter(config)
        : new (await import("@opentelemetry/exporter-metrics-otlp-proto")).OTLPMetricExporter(config);
    readers.push(periodic(exporter));
  }
  if (settings.prometheus) {
    const { PrometheusExporter } = await import("@opentelemetry/exporter-prometheus");
    const exporter = new PrometheusExporter({ host: settings.prometheus.host, port: settings.prometheus.port, preventServerStart: true });
    try {
      if (options.prometheusOn?.port === settings.prometheus.port) {
        options.prometheusOn.attach((req, res) => exporter.getMetricsRequestHandler(req, res)); // one listener for both
      } else await exporter.startServer();
      readers.push(exporter);
    } catch (err) {
      options.onWarning(`telemetry: the Prometheus endpoint could not listen on ${settings.prometheus.host}:${settings.prometheus.port}: ${(err as Error).message}`);
    }
  }
  if (settings.console) readers.push(periodic(new sdk.ConsoleMetricExporter()));
  const events: EventLogger[] = [];
  if (settings.azureMonitor) {
    const azure = await createAzureMonitorExporters(settings.azureMonitor.connectionString, timeoutMillis, settings.runEvent, options.onWarning);
    if (azure?.metrics) readers.push(periodic(azure.metrics));
    if (azure?.logs) events.push({ exporter: azure.logs, azure: true });
  }
  if (settings.otlpLogs) {
    const { url, headers, protocol } = settings.otlpLogs;
    const config = { url, headers, timeoutMillis };
    events.push({
      exporter:
        protocol === "http/json"
          ? new (await import("@opentelemetry/exporter-logs-otlp-http")).OTLPLogExporter(config)
          : new (await import("@opentelemetry/exporter-logs-otlp-proto")).OTLPLogExporter(config),
      azure: false,
    });
  }
  if (readers.length === 0 && events.length === 0) return undefined;

  const resource = await otelResource(settings);
  const provider = new sdk.MeterProvider({ resource, readers });
  const meter = provider.getMeter("monitorlift", VERSION);
  const logs = events.length > 0 ? await import("@opentelemetry/sdk-logs") : undefined;
  const eventProviders = events.map(({ exporter, azure }) => {
    const logProvider = new logs!.LoggerProvider({ resource, processors: [new logs!.SimpleLogRecordProcessor({ exporter })] });
    return { provider: logProvider, logger: logProvider.getLogger("monitorlift", VERSION), azure };
  });
  return new OtelBackend(provider, meter, options.readGauges, eventProviders);
}

/** The resource every signal carries: OTEL_RESOURCE_ATTRIBUTES, service.name, service.version. */
export async function otelResource(settings: TelemetrySettings): Promise<Resource> {
  const { resourceFromAttributes, defaultResource } = await import("@opentelemetry/resources");
  return defaultResource().merge(
    resourceFromAttributes({ ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION }),
  );
}

interface EventLogger {
  exporter: LogRecordExporter;
  /** Azure Monitor: the record carries the customEvent name attribute. */
  azure: boolean;
}

interface EventProvider {
  provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  logger: Logger;
  azure: boolean;
}

type Instrument = { add?: (v: number, a: Attributes) => void; record?: (v: number, a: Attributes) => void };

class OtelBackend implements MetricsBackend {
  readonly name = "opentelemetry";
  private readonly instruments = new Map<InstrumentKey, Instrument>();

  private readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  private readonly events: readonly EventProvider[];

  constructor(provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> }, meter: Meter, readGauges: () => GaugeReading[], events: readonly EventProvider[]) {
    this.provider = provider;
    this.events = events;
    for (const [key, spec] of Object.entries(INSTRUMENTS) as [InstrumentKey, (typeof INSTRUMENTS)[InstrumentKey]][]) {
      const base = { unit: spec.unit, description: spec.description };
      if (spec.kind === "counter") this.instruments.set(key, meter.createCounter(spec.name, base));
      else if (spec.kind === "histogram") {
        const buckets = "buckets" in spec ? [...spec.buckets] : undefined;
        this.instruments.set(key, meter.createHistogram(spec.name, { ...base, ...(buckets ? { advice: { explicitBucketBoundaries: buckets } } : {}) }));
      } else {
        const gauge = meter.createObservableGauge(spec.name, base);
        gauge.addCallback((result: ObservableResult) => {
          for (const r of readGauges()) if (r.key === key) result.observe(r.value, r.attributes);
        });
      }
    }
  }

  add(key: InstrumentKey, value: number, attributes: Attributes): void {
    this.instruments.get(key)?.add?.(value, attributes);
  }

  record(key: InstrumentKey, value: number, attributes: Attributes): void {
    this.instruments.get(key)?.record?.(value, attributes);
  }

  emitEvent(event: RunEvent): void {
    const attributes = runEventAttributes(event);
    for (const e of this.events) {
      e.logger.emit({
        eventName: RUN_EVENT_NAME,
        severityNumber: SeverityNumber.INFO,
        severityText: "INFO",
        body: e.azure ? RUN_EVENT_NAME : (event as unknown as AnyValueMap),
        attributes: e.azure ? { ...attributes, [AZURE_CUSTOM_EVENT_NAME]: RUN_EVENT_NAME } : attributes,
      });
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.provider.forceFlush(), ...this.events.map((e) => e.provider.forceFlush())]);
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.provider.shutdown(), ...this.events.map((e) => e.provider.shutdown())]);
  }
}

/** The log-record attribute the Azure Monitor exporter turns into a customEvent of that name. */
const AZURE_CUSTOM_EVENT_NAME = "microsoft.custom_event.name";

const AZURE_QUIET_ENV: Readonly<Record<string, string>> = {
  // No statsbeat / SDK stats: they report on the SDK to Microsoft-owned endpoints.
  APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
  APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
  APPLICATIONINSIGHTS_SDKSTATS_DISABLED: "true",
};

/**
 * The Azure Monitor metric exporter for an Application Insights connection string, with statsbeat,
 * offline storage and the OneSettings poller off. These switches exist only as environment
 * variables read by the exporter, so they are set on process.env (only where unset) before it is
 * constructed; the poller is stopped through the exporter's own module (pinned version 1.0.0-beta.47).
 */
async function createAzureMonitorExporters(
  connectionString: string,
  timeoutMs: number,
  withEvents: boolean,
  warn: (m: string) => void,
): Promise<{ metrics: PushMetricExporter; logs?: LogRecordExporter } | undefined> {
  for (const [k, v] of Object.entries(AZURE_QUIET_ENV)) process.env[k] ??= v;
  try {
    const { AzureMonitorMetricExporter, AzureMonitorLogExporter } = await import("@azure/monitor-opentelemetry-exporter");
    const { createDefaultHttpClient } = await import("@azure/core-rest-pipeline");
    const base = createDefaultHttpClient();
    // The exporter's requests have no deadline of their own: a hanging endpoint would keep the process alive.
    const httpClient: HttpClient = {
      sendRequest(request) {
        request.timeout = request.timeout > 0 ? Math.min(request.timeout, timeoutMs) : timeoutMs;
        return base.sendRequest(request);
      },
    };
    const options = { connectionString, disableOfflineStorage: true, httpClient };
    const metrics = new AzureMonitorMetricExporter(options) as unknown as PushMetricExporter;
    const logs = withEvents ? (new AzureMonitorLogExporter(options) as unknown as LogRecordExporter) : undefined;
    await stopAzureOneSettingsPoller();
    return logs ? { metrics, logs } : { metrics };
  } catch (err) {
    warn(`telemetry: the Azure Monitor exporter could not start: ${(err as Error).message}`);
    return undefined;
  }
}

/** Stops the Azure exporter's control-plane poller; true when it was found and stopped. */
export async function stopAzureOneSettingsPoller(): Promise<boolean> {
  try {
    const entry = import.meta.resolve("@azure/monitor-opentelemetry-exporter");
    const mod = (await import(new URL("./_configuration/configurationManager.js", entry).href)) as {
      ConfigurationManager?: { getInstance(): { shutdown(): void; worker?: unknown } };
    };
    const manager = mod.ConfigurationManager?.getInstance();
    if (!manager) return false;
    manager.shutdown();
    return manager.worker === undefined;
  } catch {
    return false;
  }
}
