/**
 * The OpenTelemetry backend: one MeterProvider whose readers are the configured exporters (OTLP
 * over HTTP with protobuf or JSON, a Prometheus scrape endpoint, the console, Azure Monitor). Each
 * exporter package is imported only when it is configured, so the no-op path loads none of them.
 *
 * Rules
 *  - Every export request is bounded by the flush bound (the exporters' own timeoutMillis), so a
 *    hanging collector cannot keep the process alive after shutdown() returned.
 *  - Azure Monitor: the exporter's own "statsbeat" (telemetry about the SDK, sent to Microsoft) and
 *    its offline disk storage are turned off, and its OneSettings poller (a Microsoft control-plane
 *    endpoint) is stopped: monitorlift sends only to destinations the operator configured.
 *  - Gauges are observable: they are computed from the facade's state each time a reader collects.
 */
import type { HttpClient } from "@azure/core-rest-pipeline";
import type { Meter, ObservableResult } from "@opentelemetry/api";
import type { MetricReader, PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { VERSION } from "../version.ts";
import { INSTRUMENTS, type Attributes, type GaugeReading, type InstrumentKey, type MetricsBackend } from "./metrics.ts";
import type { TelemetrySettings } from "./settings.ts";

export interface OtelBackendOptions {
  settings: TelemetrySettings;
  readGauges: () => GaugeReading[];
  /** A reader that could not start (e.g. the Prometheus port is taken): reported, the others go on. */
  onWarning: (message: string) => void;
}

/** The backend, or undefined when no OpenTelemetry exporter is configured. */
export async function createOtelBackend(options: OtelBackendOptions): Promise<MetricsBackend | undefined> {
  const { settings } = options;
  if (!settings.otlp && !settings.prometheus && !settings.console && !settings.azureMonitor) return undefined;
  const sdk = await import("@opentelemetry/sdk-metrics");
  const { resourceFromAttributes, defaultResource } = await import("@opentelemetry/resources");
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
      await exporter.startServer();
      readers.push(exporter);
    } catch (err) {
      options.onWarning(`telemetry: the Prometheus endpoint could not listen on ${settings.prometheus.host}:${settings.prometheus.port}: ${(err as Error).message}`);
    }
  }
  if (settings.console) readers.push(periodic(new sdk.ConsoleMetricExporter()));
  if (settings.azureMonitor) {
    const exporter = await createAzureMonitorExporter(settings.azureMonitor.connectionString, timeoutMillis, options.onWarning);
    if (exporter) readers.push(periodic(exporter));
  }
  if (readers.length === 0) return undefined;

  const resource = defaultResource().merge(
    resourceFromAttributes({ ...settings.resourceAttributes, "service.name": settings.serviceName, "service.version": VERSION }),
  );
  const provider = new sdk.MeterProvider({ resource, readers });
  const meter = provider.getMeter("monitorlift", VERSION);
  return new OtelBackend(provider, meter, options.readGauges);
}

type Instrument = { add?: (v: number, a: Attributes) => void; record?: (v: number, a: Attributes) => void };

class OtelBackend implements MetricsBackend {
  readonly name = "opentelemetry";
  private readonly instruments = new Map<InstrumentKey, Instrument>();

  private readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };

  constructor(provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> }, meter: Meter, readGauges: () => GaugeReading[]) {
    this.provider = provider;
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

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

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
async function createAzureMonitorExporter(connectionString: string, timeoutMs: number, warn: (m: string) => void): Promise<PushMetricExporter | undefined> {
  for (const [k, v] of Object.entries(AZURE_QUIET_ENV)) process.env[k] ??= v;
  try {
    const { AzureMonitorMetricExporter } = await import("@azure/monitor-opentelemetry-exporter");
    const { createDefaultHttpClient } = await import("@azure/core-rest-pipeline");
    const base = createDefaultHttpClient();
    // The exporter's requests have no deadline of their own: a hanging endpoint would keep the process alive.
    const httpClient: HttpClient = {
      sendRequest(request) {
        request.timeout = request.timeout > 0 ? Math.min(request.timeout, timeoutMs) : timeoutMs;
        return base.sendRequest(request);
      },
    };
    const exporter = new AzureMonitorMetricExporter({ connectionString, disableOfflineStorage: true, httpClient });
    await stopAzureOneSettingsPoller();
    return exporter as unknown as PushMetricExporter;
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
