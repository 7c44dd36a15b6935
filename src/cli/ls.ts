/**
 * `monitorlift ls`: what the live export of each query has committed, window by window, in the last
 * `--since`: each committed window (or part of a split window) with the row count recorded at its commit.
 * A committed window without data (empty: no data file) shows 0 rows; a count the sink does not know (a run
 * died between a chunk and its count) shows "?" — `monitorlift verify` checks and repairs those.
 */
import { Command } from "commander";
import { parseDuration } from "../config/duration.ts";
import { UsageError } from "../errors.ts";
import type { QueryJob } from "../runner/query-job.ts";
import { liveKey } from "../sinks/layout.ts";
import type { WindowCount } from "../sinks/sink.ts";
import { gridFloor } from "../window/plan.ts";
import { formatWindow, type TimeWindow } from "../window/window.ts";
import { openContext, type GlobalOptions } from "./context.ts";

export interface ListedWindow {
  window: string;
  /** null: the count is not known (verify repairs it). */
  rows: number | null;
}

export interface QueryListing {
  query: string;
  /** The source it reads, when the config names its sources (`sources`). */
  source?: string;
  /** The live watermark, or null when the query has exported nothing. */
  watermark: string | null;
  windows: ListedWindow[];
}

/**
 * The committed windows of [from, to) on a grid of `size`: the parts the sink recorded where it has them
 * (a split window's parts one by one), else the whole grid window with 0 rows (an empty window has no data). Pure.
 */
export function listWindows(counts: readonly WindowCount[], from: number, to: number, size: number): ListedWindow[] {
  const byGrid = new Map<number, WindowCount[]>();
  for (const c of counts) {
    const g = gridFloor(c.window.start, size);
    byGrid.set(g, [...(byGrid.get(g) ?? []), c]);
  }
  const out: ListedWindow[] = [];
  for (let g = gridFloor(from, size); g < to; g += size) {
    const w: TimeWindow = { start: Math.max(g, from), end: Math.min(g + size, to) };
    const parts = (byGrid.get(g) ?? []).sort((a, b) => a.window.start - b.window.start);
    if (parts.length === 0) out.push({ window: formatWindow(w), rows: 0 });
    for (const p of parts) out.push({ window: formatWindow(p.window), rows: p.rows ?? null });
  }
  return out;
}

/** One query's listing (pure): its name, its source only with named `sources`, its watermark (none: nothing exported). */
export function queryListing(job: Pick<QueryJob, "name" | "sourceLabel">, watermark: number | undefined, windows: ListedWindow[]): QueryListing {
  return {
    query: job.name,
    ...(job.sourceLabel === undefined ? {} : { source: job.sourceLabel }),
    watermark: watermark === undefined ? null : new Date(watermark).toISOString(),
    windows,
  };
}

/** `ls` as lines (pure): each query (and its source, with named `sources`) with its watermark, then its windows. */
export function formatListings(listings: readonly QueryListing[]): string {
  const lines: string[] = [];
  for (const l of listings) {
    const name = l.source === undefined ? l.query : `${l.query} (source ${l.source})`;
    lines.push(l.watermark === null ? `${name}: nothing exported yet` : `${name} (watermark ${l.watermark}): ${l.windows.length} ${l.windows.length === 1 ? "window" : "windows"}`);
    for (const w of l.windows) lines.push(`  ${w.window}  ${w.rows === null ? "? rows (count unknown: run verify)" : `${w.rows} ${w.rows === 1 ? "row" : "rows"}`}`);
  }
  return lines.join("\n");
}

export function lsCommand(globals: () => GlobalOptions): Command {
  return new Command("ls")
    .description("List each query's committed windows in the last --since with the row count recorded at each commit.")
    .option("--since <duration>", "windows ending in the last <duration> (ISO 8601)", "PT6H")
    .option("-q, --query <name...>", "only these queries (default: every enabled query)")
    .option("--json", "print JSON instead of lines")
    .addHelpText("after", "\nExamples:\n  monitorlift ls\n  monitorlift ls --since P1D --query requests --json")
    .action(async (opts: { since: string; query?: string[]; json?: boolean }) => {
      const sinceMs = parseDuration(opts.since);
      if (sinceMs === undefined || sinceMs <= 0) throw new UsageError(`--since '${opts.since}' is not a positive ISO 8601 duration (PT6H, P1D).`);
      const ctx = await openContext(globals(), process.env, { queries: opts.query });
      try {
        const { sink, cursors } = ctx.destination;
        await sink.start();
        const listings: QueryListing[] = [];
        for (const job of ctx.jobs) {
          const stored = await cursors.read(liveKey(job.name));
          if (!stored) {
            listings.push(queryListing(job, undefined, []));
            continue;
          }
          const to = stored.watermark;
          const from = Math.max(stored.origin, gridFloor(Date.now() - sinceMs, job.sizeMs));
          const counts = to > from ? await sink.windowCounts(job.name, from, to) : [];
          listings.push(queryListing(job, to, to > from ? listWindows(counts, from, to, job.sizeMs) : []));
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatListings(listings)}\n`);
      } finally {
        await ctx.destination.shutdown();
      }
    });
}
