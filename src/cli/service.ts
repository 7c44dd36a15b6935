/**
 * Long-running mode of `export` (a schedule, no --once): the health listener (--health-port,
 * --health-host; health.port/host in the config) and the shutdown grace (--shutdown-grace;
 * shutdownGrace in the config). Kept out of export.ts so the command stays a short recipe.
 */
import type { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import type { MonitorliftConfig } from "../config/types.ts";
import { UsageError } from "../errors.ts";
import { HealthState } from "../runner/health.ts";
import type { Logger } from "../telemetry/logger.ts";
import { EXIT_OK } from "./exit.ts";
import { startHealthServer, type HealthServer, type RequestHandler } from "./health-server.ts";

export interface ServiceFlags {
  healthPort?: string;
  healthHost?: string;
  shutdownGrace?: string;
}

export function addServiceOptions(cmd: Command): Command {
  return cmd
    .option("--health-port <port>", "scheduled mode: serve /healthz and /readyz on this port (config health.port; default off)")
    .option("--health-host <address>", "address of the health listener (config health.host; default 127.0.0.1, 0.0.0.0 for a container probe)")
    .option("--shutdown-grace <duration>", "scheduled mode: after SIGTERM, abandon the current window after this long and exit 0 (ISO 8601; config shutdownGrace; default PT25S)");
}

export interface ServiceSettings {
  health?: { host: string; port: number };
  graceMs: number;
}

/** Flags over the config. Throws a UsageError on a malformed flag. */
export function serviceSettings(flags: ServiceFlags, config: Pick<MonitorliftConfig, "health" | "shutdownGraceMs">): ServiceSettings {
  let graceMs = config.shutdownGraceMs;
  if (flags.shutdownGrace !== undefined) {
    const ms = flags.shutdownGrace.trim() === "0" ? 0 : parseDuration(flags.shutdownGrace);
    if (ms === undefined) throw new UsageError(`--shutdown-grace '${flags.shutdownGrace}' is not an ISO 8601 duration (PT30S, PT2M) or 0.`);
    graceMs = ms;
  }
  let health = config.health;
  if (flags.healthPort !== undefined) {
    const port = Number(flags.healthPort);
    if (!/^\d+$/.test(flags.healthPort) || port > 65535) throw new UsageError(`--health-port '${flags.healthPort}' is not a port number (0–65535).`);
    health = { host: config.health?.host ?? "127.0.0.1", port };
  }
  if (flags.healthHost !== undefined) {
    if (!health) throw new UsageError("--health-host needs a health port (--health-port or health.port).");
    health = { ...health, host: flags.healthHost };
  }
  return { ...(health ? { health } : {}), graceMs };
}

export interface Service {
  state: HealthState;
  server?: HealthServer;
  /** For createMetrics: the Prometheus exporter serves /metrics from this listener when its port is this one. */
  prometheusOn?: { port: number; attach(handler: RequestHandler): void };
  /** Runs one scheduled run, recording its start and outcome. */
  track<T extends { errors: ReadonlyMap<string, unknown> }>(run: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startService(
  settings: ServiceSettings,
  logger: Logger,
  signal: AbortSignal,
  options: { now?: () => number; exit?: (code: number) => void } = {},
): Promise<Service> {
  const state = new HealthState(options.now ? { now: options.now } : {});
  state.markConfigLoaded(); // the caller starts the service once the config is loaded
  const server = settings.health ? await startHealthServer(state, settings.health) : undefined;
  if (server) logger.info({ host: settings.health!.host, port: server.port }, "health endpoints: /healthz, /readyz");
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    state.markStopping();
    timer = setTimeout(() => {
      logger.warn({ graceSeconds: settings.graceMs / 1000 }, "shutdown grace over: abandoning the current window (left uncommitted, the next run exports it again)");
      exit(EXIT_OK); // a scheduled export stopped by a signal exits 0 (README "Long-running mode")
    }, settings.graceMs);
    timer.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return {
    state,
    ...(server ? { server, prometheusOn: { port: server.port, attach: (h: RequestHandler) => server.attachMetrics(h) } } : {}),
    async track(run) {
      state.runStarted();
      try {
        const report = await run();
        state.runFinished(report.errors);
        return report;
      } catch (err) {
        state.runFinished(new Map([["*", err]]));
        throw err;
      }
    },
    async close() {
      signal.removeEventListener("abort", onAbort);
      if (timer) clearTimeout(timer);
      await server?.close();
    },
  };
}
