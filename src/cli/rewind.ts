/**
 * `monitorlift rewind --query Q --to T [--dry-run]`: moves the live watermark of one query back to T,
 * removing what was exported after T, so the next `export` exports [T, …) again, exactly once
 * (src/runner/rewind-query.ts). Refused while a run holds the query's lock.
 */
import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { LOCK_WAIT_MARGIN_MS } from "../runner/export-query.ts";
import { rewindQuery, type RewindResult } from "../runner/rewind-query.ts";
import { gridFloor } from "../window/plan.ts";
import { formatWindow } from "../window/window.ts";
import { openContext, type GlobalOptions } from "./context.ts";
import { lockingFrom } from "./lock-options.ts";
import { isRelativeArg, parseInstantArg } from "./time-arg.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** What `rewind` prints (pure). */
export function formatRewind(query: string, result: RewindResult, dryRun: boolean): string {
  const { plan } = result;
  if (!plan) return `${query}: the watermark is already there: nothing to rewind`;
  const n = plan.removed.length;
  const head = `${query}: ${dryRun ? "would rewind" : "rewound"} the watermark from ${iso(plan.from)} to ${iso(plan.to)}: ${dryRun ? "would remove" : "removed"} ${n} committed ${n === 1 ? "window" : "windows"}, ${plan.rows} ${plan.rows === 1 ? "row" : "rows"} (rows recorded for the query: ${plan.rowsBefore} → ${plan.next.rows})`;
  const lines = [head, ...plan.removed.map((r) => `  ${formatWindow(r.window)}  ${r.rows} ${r.rows === 1 ? "row" : "rows"}${r.rows === 0 ? " (empty: no data file)" : ""}`)];
  if (!dryRun) lines.push(`the next export exports again from ${iso(plan.to)}`);
  return lines.join("\n");
}

export function rewindCommand(globals: () => GlobalOptions): Command {
  return new Command("rewind")
    .description("Move a query's live watermark back to --to, removing what was exported after it; the next export re-exports that range exactly once.")
    .requiredOption("-q, --query <name>", "the query to rewind (one)")
    .requiredOption("--to <time>", "the new watermark: an ISO timestamp on the query's window grid, or a duration before now (P1D, aligned down to the grid); not before the query's origin")
    .option("--dry-run", "show the windows and rows that would be removed; only reads (takes no lock, creates no folder, container or table)")
    .option("--json", "print JSON instead of lines")
    .option("--lock-wait <duration>", "how long to wait for a lock whose holder is gone or stopped renewing (ISO 8601; default: the sink's lease or stale period + 5 s; 0 = do not wait)")
    .addHelpText(
      "after",
      `
Examples:
  monitorlift rewind --query requests --to 2026-11-30T00:00:00Z --dry-run
  monitorlift rewind --query requests --to 2026-11-30T00:00:00Z
  monitorlift rewind --query requests --to PT6H          # 6 hours before now, aligned down to the grid

Takes the query's lock like an export (a run exporting the query makes rewind fail with
LOCK_HELD, exit 1), moves the watermark back and removes the data of every window from --to
on (files or blobs, or rows in SQL — there in the same transaction as the watermark); the rows
recorded for the query (status, ls) drop by what was removed. The next export re-exports the
range. Safe to kill: a rewind cut short is finished by the next export's recovery. A done rewind
is recorded in the run history: status shows it (lastRewind), never as the query's last run.

Exit codes: 0 ok (also when the watermark is already at --to), 1 failed (LOCK_HELD: a run holds
the query's lock; LOCK_LOST: the lock was lost during the rewind, which stopped at once), 2 usage
error (--to after the watermark, before the query's origin, off its window grid or inside a
committed window of an earlier, larger window.size; a query without a watermark; a window to
remove whose row count is unknown).`,
    )
    .action(async (opts: { query: string; to: string; dryRun?: boolean; json?: boolean; lockWait?: string }) => {
      const now = Date.now();
      const at = parseInstantArg("--to", opts.to, now);
      const locking = lockingFrom({ ...(opts.lockWait === undefined ? {} : { lockWait: opts.lockWait }) });
      const ctx = await openContext(globals(), process.env, { queries: [opts.query] });
      try {
        const job = ctx.jobs[0];
        if (!job) throw new UsageError(`--query '${opts.query}': no such query.`);
        const to = isRelativeArg(opts.to) ? gridFloor(at, job.sizeMs) : at;
        const { sink, locks } = ctx.destination;
        // A dry run only reads: start() would create the export folder, the container or the SQL metadata tables.
        if (!opts.dryRun) await sink.start();
        const result = await rewindQuery(job, ctx.destination, {
          to,
          dryRun: Boolean(opts.dryRun),
          waitMs: locking.waitMs ?? (locks.lapseMs ?? 0) + LOCK_WAIT_MARGIN_MS,
          logger: ctx.logger,
          clock: Date.now,
        });
        if (opts.json) {
          const p = result.plan;
          const out = {
            query: job.name,
            dryRun: Boolean(opts.dryRun),
            changed: p !== undefined && !opts.dryRun,
            from: p ? iso(p.from) : null,
            to: iso(to),
            windows: p ? p.removed.map((r) => ({ window: formatWindow(r.window), rows: r.rows })) : [],
            rows: p?.rows ?? 0,
            recordedRows: p ? { before: p.rowsBefore, after: p.next.rows } : null,
          };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          process.stdout.write(`${formatRewind(job.name, result, Boolean(opts.dryRun))}\n`);
        }
      } finally {
        await ctx.destination.shutdown();
      }
    });
}
