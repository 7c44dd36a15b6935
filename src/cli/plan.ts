/**
 * `monitorlift plan`: a dry run of the next `export`: per query, the watermark it would start from (the
 * stored cursor, or the first watermark a query without one gets), the windows it would fetch, and how far
 * behind it would still be after that run. Reads the cursors only: nothing is fetched, locked or exported.
 */
import { Command } from "commander";
import { firstWatermark } from "../runner/export-query.ts";
import type { QueryJob } from "../runner/query-job.ts";
import { liveKey } from "../sinks/layout.ts";
import { planWindows, windowsBehind } from "../window/plan.ts";
import { formatWindow } from "../window/window.ts";
import { openContext, type GlobalOptions } from "./context.ts";

export interface QueryPlan {
  query: string;
  /** The source it reads, when the config names its sources (`sources`). */
  source?: string;
  /** Where the next export starts: the stored watermark, or the first one of a query without a cursor. */
  watermark: string;
  from: "cursor" | "start";
  windows: number;
  first: string | null;
  last: string | null;
  /** Windows still due after that run (window.maxWindowsPerRun stops it earlier). */
  behindAfter: number;
}

/** The plan of one query at `now` from `watermark` (pure). */
export function planOf(job: QueryJob, watermark: number, from: QueryPlan["from"], now: number): QueryPlan {
  const windows = planWindows({ watermark, now, size: job.sizeMs, lag: job.lagMs, maxWindows: job.maxWindowsPerRun });
  const end = windows.at(-1)?.end ?? watermark;
  return {
    query: job.name,
    ...(job.sourceLabel === undefined ? {} : { source: job.sourceLabel }),
    watermark: new Date(watermark).toISOString(),
    from,
    windows: windows.length,
    first: windows[0] ? formatWindow(windows[0]) : null,
    last: windows.at(-1) ? formatWindow(windows.at(-1)!) : null,
    behindAfter: windowsBehind(end, now, job.sizeMs, job.lagMs),
  };
}

export function formatPlan(plans: readonly QueryPlan[]): string {
  return plans
    .map((p) => {
      const start = `${p.query}${p.source === undefined ? "" : ` (source ${p.source})`}: from ${p.watermark} (${p.from === "cursor" ? "stored watermark" : "no cursor yet: window.start"})`;
      if (p.windows === 0) return `${start}: nothing due yet`;
      const span = p.windows === 1 ? `1 window ${p.first}` : `${p.windows} windows ${p.first} … ${p.last}`;
      return `${start}: ${span}${p.behindAfter > 0 ? `; still ${p.behindAfter} ${p.behindAfter === 1 ? "window" : "windows"} behind after it (window.maxWindowsPerRun)` : ""}`;
    })
    .join("\n");
}

export function planCommand(globals: () => GlobalOptions): Command {
  return new Command("plan")
    .description("Dry run: which windows the next export would fetch for each query, from which watermark. Nothing is fetched or written.")
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .option("--json", "print JSON instead of lines")
    .addHelpText("after", "\nExamples:\n  monitorlift plan\n  monitorlift plan --query requests --json")
    .action(async (opts: { query?: string[]; json?: boolean }) => {
      const ctx = await openContext(globals(), process.env, { queries: opts.query });
      try {
        const { sink, cursors } = ctx.destination;
        await sink.start();
        const now = Date.now();
        const plans: QueryPlan[] = [];
        for (const job of ctx.jobs) {
          const stored = await cursors.read(liveKey(job.name));
          plans.push(stored ? planOf(job, stored.watermark, "cursor", now) : planOf(job, await firstWatermark(job, cursors, now), "start", now));
        }
        process.stdout.write(`${opts.json ? JSON.stringify(plans, null, 2) : formatPlan(plans)}\n`);
      } finally {
        await ctx.destination.shutdown();
      }
    });
}
