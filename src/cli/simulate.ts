/**
 * `monitorlift simulate`: runs the local Log Analytics-compatible workspace
 * (src/simulator) until SIGINT/SIGTERM, and prints what to put in a config to
 * export from it.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../errors.ts";
import { FaultSpecError, parseFaultConfig, type FaultConfig } from "../simulator/faults.ts";
import { ALL_TABLES, KNOWN_TABLES } from "../simulator/data/schemas.ts";
import { startSimulator, type Simulator, type SimulatorOptions } from "../simulator/index.ts";
import { parseIsoDuration } from "../simulator/timespan.ts";
import { shutdownSignal } from "./signals.ts";

export interface SimulateCliOptions {
  port: number;
  host: string;
  seed: number;
  rate: number;
  backfill: string;
  faults?: FaultConfig;
  maxRows?: number;
  maxBytes?: number;
  tables?: string[];
  workspaceId?: string;
  settleJitter?: number;
  live: boolean;
  /** false: every row visible within the settle jitter (no late-visibility tail). Default true. */
  lateVisibility?: boolean;
}

function nonNegative(what: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${what} must be a non-negative ${integer ? "integer" : "number"}, got '${value}'.`);
    }
    return n;
  };
}

function faultsArg(value: string): FaultConfig {
  try {
    return parseFaultConfig(value);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

function backfillArg(value: string): string {
  if (parseIsoDuration(value) === undefined) throw new InvalidArgumentError(`'${value}' is not an ISO 8601 duration such as PT6H or P1D.`);
  return value;
}

function tablesArg(value: string): string[] {
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = names.filter((n) => !KNOWN_TABLES.includes(n));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown table(s) ${unknown.join(", ")}; known: ${KNOWN_TABLES.join(", ")}.`);
  return names;
}

/** The `source` section that points monitorlift at this simulator. */
export function sourceSnippet(sim: Simulator): string {
  return JSON.stringify({ source: { workspaceId: sim.workspaceId, endpoint: sim.endpoint, auth: { method: "none" } } }, null, 2);
}

/** Starts the simulator, prints how to use it, serves until `signal` aborts, then closes. */
export async function runSimulate(opts: SimulateCliOptions, io: { write(text: string): void; signal: AbortSignal }): Promise<void> {
  const options: SimulatorOptions = {
    port: opts.port,
    host: opts.host,
    seed: opts.seed,
    rowsPerSecond: opts.rate,
    backfill: opts.backfill,
    live: opts.live,
  };
  if (opts.faults !== undefined) options.faults = opts.faults;
  if (opts.tables !== undefined) options.tables = opts.tables;
  if (opts.workspaceId !== undefined) options.workspaceId = opts.workspaceId;
  if (opts.settleJitter !== undefined) options.settleJitterMs = opts.settleJitter;
  if (opts.lateVisibility === false) options.visibility = false;
  if (opts.maxRows !== undefined || opts.maxBytes !== undefined) {
    options.limits = {
      ...(opts.maxRows === undefined ? {} : { maxRows: opts.maxRows }),
      ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
    };
  }
  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`monitorlift simulate: ${err.message}`, { cause: err });
    if ((err as { code?: string }).code === "EADDRINUSE") {
      throw new UsageError(`monitorlift simulate: port ${opts.port} on ${opts.host} is already in use; pick another with --port (0 picks a free one).`, {
        cause: err,
      });
    }
    throw err;
  }
  const counts = sim.stats().tableRows;
  io.write(
    [
      `Log Analytics simulator listening on ${sim.endpoint}`,
      `  workspace id: ${sim.workspaceId}`,
      `  resource id:  ${sim.resourceId}`,
      `  tables:       ${Object.entries(counts).map(([t, n]) => `${t} (${n} rows)`).join(", ")}`,
      `  data:         seed ${opts.seed}, ${opts.rate} rows/s per table, backfill ${opts.backfill}${opts.live ? ", live" : ", no live rows"}${opts.lateVisibility === false ? ", no late visibility" : ", 0.5 % of rows visible 2-15 min after ingestion (0.05 % up to 1 h)"}`,
      `  faults:       ${opts.faults === undefined ? "none" : JSON.stringify(opts.faults.probabilities)}`,
      `  control:      ${sim.origin}/_control/ (health, stats, truth?table=…, faults, clock)`,
      "",
      "Paste into your monitorlift config:",
      sourceSnippet(sim),
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await sim.close();
  io.write("simulator stopped\n");
}

export function simulateCommand(): Command {
  return new Command("simulate")
    .description("Run a local Log Analytics-compatible workspace (generated App Insights tables, KQL, fault injection) to try monitorlift on.")
    .addOption(new Option("--port <port>", "TCP port (0 picks a free one)").default(0).argParser(nonNegative("--port", true)))
    .addOption(new Option("--host <address>", "loopback address to listen on").default("127.0.0.1"))
    .addOption(new Option("--seed <n>", "seed of the generated data").default(1).argParser(nonNegative("--seed", true)))
    .addOption(new Option("--rate <rows/s>", "generated rows per second per table (backfill density and live rate)").default(1).argParser(nonNegative("--rate", false)))
    .addOption(new Option("--backfill <duration>", "ISO 8601 duration of past data to generate at start").default("PT1H").argParser(backfillArg))
    .addOption(new Option("--no-live", "do not generate new rows as time passes"))
    .addOption(new Option("--tables <list>", `comma-separated tables (default: all of ${ALL_TABLES.join(", ")}; also MonitorliftEvents_CL on request)`).argParser(tablesArg))
    .addOption(new Option("--faults <spec>", 'random faults, e.g. "429=0.05,503=0.02,500=0.01,reset=0.01,slow=0.01:5000,partial=0.01"').argParser(faultsArg))
    .addOption(new Option("--max-rows <n>", "rows per result before a PartialError (default 500000)").argParser(nonNegative("--max-rows", true)))
    .addOption(new Option("--max-bytes <n>", "bytes of rows per result before a PartialError (default 64000000)").argParser(nonNegative("--max-bytes", true)))
    .addOption(new Option("--settle-jitter <ms>", "largest delay between a row's ingestion and its visibility (default 20000)").argParser(nonNegative("--settle-jitter", true)))
    .addOption(new Option("--no-late-visibility", "make every row visible within the settle jitter (default: like the service, a few rows become visible minutes after their ingestion time)"))
    .addOption(new Option("--workspace-id <guid>", "workspace ID to serve (default: derived from the seed)"))
    .addHelpText(
      "after",
      `
Faults: kind=probability[:parameter], comma-separated —
  429=p[:retryAfterSeconds]  503=p[:retryAfterSeconds]  500=p  slow=p:<ms> (504 past the request's Prefer wait)
  reset=p[:fraction of rows before the connection is cut]  partial=p[:rows kept]  seed=<n>

Examples:
  monitorlift simulate
  monitorlift simulate --port 8099 --backfill P1D --rate 5
  monitorlift simulate --faults "429=0.05,503=0.02,reset=0.01,slow=0.01:5000,partial=0.01" --max-rows 1000
  monitorlift simulate --tables AppRequests,AppTraces --seed 7 --no-live`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const opts: SimulateCliOptions = {
        port: raw["port"] as number,
        host: raw["host"] as string,
        seed: raw["seed"] as number,
        rate: raw["rate"] as number,
        backfill: raw["backfill"] as string,
        live: raw["live"] !== false,
        lateVisibility: raw["lateVisibility"] !== false,
      };
      for (const key of ["faults", "maxRows", "maxBytes", "tables", "workspaceId", "settleJitter"] as const) {
        if (raw[key] !== undefined) (opts as unknown as Record<string, unknown>)[key] = raw[key];
      }
      const stop = shutdownSignal((name) => process.stderr.write(`\n${name}: stopping the simulator\n`));
      try {
        await runSimulate(opts, { write: (t) => process.stdout.write(t), signal: stop.signal });
      } finally {
        stop.dispose();
      }
    });
}
