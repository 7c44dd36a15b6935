/** `monitorlift status`: per query the watermark, how far it lags behind now, and the last run. */
import { Command } from "commander";
import { LIVE_SCOPE, parseScopeRange } from "../sinks/layout.ts";
import { openContext, type GlobalOptions } from "./context.ts";

export interface QueryStatus {
  query: string;
  enabled: boolean;
  watermark: string | null;
  /** now − watermark, in seconds. */
  lagSeconds: number | null;
  rows: number;
  windows: number;
  lastRun: { runId: string; command: string; finishedAt: string; outcome: string; rows: number; error?: { code: string; message: string }; heldBy?: string } | null;
  backfills: Array<{ scope: string; watermark: string; rows: number; done: boolean }>;
}

export function statusCommand(globals: () => GlobalOptions): Command {
  return new Command("status")
    .description("Show each query's watermark, its lag behind now, the last run's outcome and rows, and backfills.")
    .option("--json", "print JSON instead of a table")
    .addHelpText("after", "\nExamples:\n  monitorlift status\n  monitorlift status --json | jq '.[] | select(.lagSeconds > 900)'")
    .action(async (opts: { json?: boolean }) => {
      const ctx = await openContext(globals(), process.env);
      try {
        const { sink, cursors, runs: history } = ctx.destination;
        await sink.start();
        const states = await cursors.list();
        // The last run of each query: the one definition in src/state/run-history.ts.
        const runs = await history.lastRuns();
        const now = Date.now();
        const rows: QueryStatus[] = ctx.config.queries.map((q) => {
          const live = states.find((s) => s.key.query === q.name && s.key.scope === LIVE_SCOPE)?.state;
          const run = runs.get(q.name);
          const outcome = run?.queries[q.name];
          return {
            query: q.name,
            enabled: q.enabled,
            watermark: live ? new Date(live.watermark).toISOString() : null,
            lagSeconds: live ? Math.round((now - live.watermark) / 1000) : null,
            rows: live?.rows ?? 0,
            windows: live?.windows ?? 0,
            lastRun:
              run && outcome
                ? { runId: run.runId, command: run.command, finishedAt: run.finishedAt, outcome: outcome.outcome, rows: outcome.rows, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.heldBy ? { heldBy: outcome.heldBy } : {}) }
                : null,
            backfills: states
              .filter((s) => s.key.query === q.name && s.key.scope !== LIVE_SCOPE)
              .map((s) => ({
                scope: s.key.scope,
                watermark: new Date(s.state.watermark).toISOString(),
                rows: s.state.rows,
                done: parseScopeRange(s.key.scope)?.to === s.state.watermark,
              })),
          };
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatStatusTable(rows)}\n`);
      } finally {
        await ctx.destination.shutdown();
      }
    });
}

export function formatStatusTable(rows: readonly QueryStatus[]): string {
  const header = ["QUERY", "WATERMARK", "LAG", "ROWS", "LAST RUN", "OUTCOME"];
  const body = rows.map((r) => [
    r.enabled ? r.query : `${r.query} (disabled)`,
    r.watermark ?? "-",
    r.lagSeconds === null ? "-" : humanSeconds(r.lagSeconds),
    String(r.rows),
    r.lastRun ? `${r.lastRun.finishedAt} (${r.lastRun.command})` : "-",
    r.lastRun
      ? r.lastRun.heldBy
        ? `skipped (held by ${r.lastRun.heldBy})`
        : r.lastRun.error
          ? `${r.lastRun.outcome}: ${r.lastRun.error.code}`
          : `${r.lastRun.outcome}, ${r.lastRun.rows} rows`
      : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [line(header), ...body.map(line)];
  for (const r of rows) for (const b of r.backfills) out.push(`  ${r.query} ${b.scope}: up to ${b.watermark}, ${b.rows} rows${b.done ? " (done)" : ""}`);
  return out.join("\n");
}

function humanSeconds(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
