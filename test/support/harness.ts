/**
 * End-to-end harness: a simulator (in-process, usually on a manual clock), a temp folder with
 * a config file pointing at it, and in-process runs of the real exporter (config loading,
 * source, runner, sink) — the same code the CLI runs.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openContext, type Context } from "../../src/cli/context.ts";
import type { BackfillRange } from "../../src/runner/backfill-query.ts";
import type { RunDeps } from "../../src/runner/export-query.ts";
import { runOnce, type RunReport } from "../../src/runner/run.ts";
import { verifyQuery, type VerifyOptions, type VerifyResult } from "../../src/runner/verify-query.ts";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../src/simulator/index.ts";
import { LIVE_SCOPE } from "../../src/sinks/layout.ts";
import type { CursorState } from "../../src/state/cursor.ts";
import { compareItemIds, readQueryRows } from "./read-export.ts";

export interface HarnessOptions {
  sim?: SimulatorOptions;
  /** Config JSON merged over the defaults (shallow per top-level key). */
  config?: Record<string, unknown>;
  /** Environment of the in-process runs (secrets named by the config, e.g. a storage connection string); default {}. */
  env?: NodeJS.ProcessEnv;
}

export interface Harness {
  sim: Simulator;
  dir: string;
  exportDir: string;
  configPath: string;
  config: Record<string, unknown>;
  writeConfig(patch?: Record<string, unknown>): Promise<void>;
  /** One `export --once` in-process, on the simulator's clock. */
  exportOnce(options?: { queries?: string[]; signal?: AbortSignal; onCommitted?: RunDeps["onCommitted"]; withDeps?: (deps: RunDeps) => void }): Promise<RunReport>;
  /** One `verify` in-process (every selected query), on the simulator's clock. */
  verify(options: Partial<VerifyOptions> & { queries?: string[]; signal?: AbortSignal; withDeps?: (deps: RunDeps) => void }): Promise<VerifyResult[]>;
  backfill(range: BackfillRange, options?: { queries?: string[]; signal?: AbortSignal; onCommitted?: RunDeps["onCommitted"] }): Promise<RunReport>;
  /** The live watermark of a query (epoch ms), read from the sink. */
  watermark(query: string): Promise<{ watermark: number; origin: number } | undefined>;
  /** The live cursor of a query, read from the sink. */
  cursor(query: string): Promise<CursorState | undefined>;
  close(): Promise<void>;
}

export function baseConfig(sim: Simulator, exportDir: string): Record<string, unknown> {
  return {
    source: {
      workspaceId: sim.workspaceId,
      endpoint: sim.endpoint,
      auth: { method: "none" },
      requestTimeout: "PT20S",
      serverTimeout: "PT10S",
      maxRetries: 4,
      retryDelay: "PT0.01S",
      maxRetryDelay: "PT0.2S",
      maxRetryElapsed: "PT30S",
    },
    queries: [{ name: "requests", table: "AppRequests" }],
    window: { mode: "ingestion", size: "PT5M", lag: "PT1M", start: "PT3H" },
    sink: { type: "filesystem", path: exportDir, format: "ndjson", compression: "gzip" },
    concurrency: 4,
    log: { level: "silent" },
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  // The simulator's visibility tail (rows visible minutes after their ingestion time, default on like
  // the service) is off here unless a test asks for it: tests of crashes, faults and sinks compare with
  // the ground truth of every ingested row at lag PT1M and without re-verification. The tail and how the
  // exporter handles it are proven in test/late-visibility.test.ts and test/export-exactly-once.test.ts.
  const sim = await startSimulator({ visibility: false, ...options.sim });
  const dir = await mkdtemp(join(tmpdir(), "monitorlift-e2e-"));
  const exportDir = join(dir, "export");
  const configPath = join(dir, "monitorlift.json");
  const base = baseConfig(sim, exportDir);
  // "source" is merged key by key (tests change its timeouts, never its endpoint); other keys are replaced.
  let config: Record<string, unknown> = {
    ...base,
    ...options.config,
    source: { ...(base.source as object), ...((options.config?.source as object | undefined) ?? {}) },
    // Export's re-verification (window.reverify, default PT1H) sends a count query per query and run; it is
    // off unless a test sets it, so tests that count requests or inject faults by request see only exports.
    window: { reverify: "PT0S", ...((options.config?.window as object | undefined) ?? (base.window as object)) },
  };
  const writeConfig = async (patch: Record<string, unknown> = {}) => {
    config = { ...config, ...patch };
    await writeFile(configPath, JSON.stringify(config, null, 2));
  };
  await writeConfig();
  const withContext = async <T>(queries: string[] | undefined, work: (ctx: Context) => Promise<T>): Promise<T> => {
    const ctx = await openContext({ config: configPath }, options.env ?? {}, { queries });
    await ctx.destination.sink.start();
    try {
      return await work(ctx);
    } finally {
      await ctx.destination.shutdown();
    }
  };
  return {
    sim,
    dir,
    exportDir,
    configPath,
    get config() {
      return config;
    },
    writeConfig,
    exportOnce: (o = {}) =>
      withContext(o.queries, (ctx) => {
        const deps = ctx.runDeps(o.signal ?? new AbortController().signal, sim.clock);
        deps.onCommitted = o.onCommitted;
        o.withDeps?.(deps); // a test may wrap the gate, the source or the sink
        return runOnce("export", ctx.jobs, deps);
      }),
    verify: (o) =>
      withContext(o.queries, (ctx) => {
        const deps = ctx.runDeps(o.signal ?? new AbortController().signal, sim.clock);
        o.withDeps?.(deps);
        return Promise.all(ctx.jobs.map((job) => verifyQuery(job, deps, { sinceMs: o.sinceMs ?? 86_400_000, repair: o.repair ?? false })));
      }),
    backfill: (range, o = {}) =>
      withContext(o.queries, (ctx) => {
        const deps = ctx.runDeps(o.signal ?? new AbortController().signal, sim.clock);
        deps.onCommitted = o.onCommitted;
        return runOnce("backfill", ctx.jobs, deps, range);
      }),
    watermark: (query) =>
      withContext(undefined, async (ctx) => {
        const s = await ctx.destination.cursors.read({ query, scope: LIVE_SCOPE });
        return s ? { watermark: s.watermark, origin: s.origin } : undefined;
      }),
    cursor: (query) => withContext(undefined, (ctx) => ctx.destination.cursors.read({ query, scope: LIVE_SCOPE })),
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The filesystem export of `query` holds exactly the simulator's rows of `table` ingested in
 * [origin, watermark) of its live cursor: none missing, none twice, none extra. Returns how many.
 */
export async function assertLiveExactlyOnce(h: Harness, query: string, table: string): Promise<number> {
  const wm = await h.watermark(query);
  assert.ok(wm, `${query} has a watermark`);
  const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
  const exported = (await readQueryRows(h.exportDir, query)).map((r) => String(r._ItemId));
  assert.deepEqual(compareItemIds(exported, truth), { missing: [], duplicated: [], unexpected: [] });
  assert.ok(truth.length > 0);
  return truth.length;
}
