/**
 * Run summaries as JSON files, `_runs/<YYYY-MM-DD>/<runId>.json` (written atomically), and the
 * latest summary per query from the most recent days that have any.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { SinkError, messageOf } from "../../errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { RunSummary } from "../sink.ts";
import { runSummaryPath } from "../layout.ts";
import { fsError } from "./fs-errors.ts";
import { listNames, writeFileAtomic } from "./fs-util.ts";

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

const runSummarySchema = z.object({
  runId: z.string(),
  command: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  queries: z.record(
    z.string(),
    z.object({
      outcome: z.enum(["ok", "failed", "skipped"]),
      scope: z.string(),
      rows: z.number(),
      windows: z.number(),
      watermark: z.number().optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
});

export async function writeRunSummary(root: string, summary: RunSummary, durable: boolean): Promise<void> {
  const started = Date.parse(summary.startedAt);
  if (!RUN_ID.test(summary.runId) || Number.isNaN(started)) {
    throw new SinkError("INTERNAL", `cannot record run ${JSON.stringify(summary.runId)}: the run id must be a plain file name and startedAt an ISO time (got ${JSON.stringify(summary.startedAt)})`);
  }
  const file = path.join(root, runSummaryPath(summary.runId, started));
  await writeFileAtomic(file, `${JSON.stringify(summary, null, 2)}\n`, durable, "write the run summary");
}

/** The most recent summary mentioning each query, from the `days` most recent day folders. */
export async function readLastRuns(root: string, days: number, logger: Logger): Promise<Map<string, RunSummary>> {
  const base = path.join(root, "_runs");
  const dayFolders = (await listNames(base)).filter((n) => DATE_FOLDER.test(n)).sort().reverse().slice(0, days);
  const summaries: RunSummary[] = [];
  for (const day of dayFolders) {
    for (const name of await listNames(path.join(base, day))) {
      if (!name.endsWith(".json")) continue;
      const file = path.join(base, day, name);
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (err) {
        throw fsError(err, "read the run summary", file);
      }
      try {
        summaries.push(runSummarySchema.parse(JSON.parse(text)) as RunSummary);
      } catch (err) {
        // A damaged history entry only affects `status`; the export itself does not depend on it.
        logger.warn({ file, err: messageOf(err) }, "ignoring a damaged run summary");
      }
    }
  }
  summaries.sort((a, b) => (Date.parse(b.finishedAt) || 0) - (Date.parse(a.finishedAt) || 0));
  const latest = new Map<string, RunSummary>();
  for (const summary of summaries) {
    for (const query of Object.keys(summary.queries)) if (!latest.has(query)) latest.set(query, summary);
  }
  return latest;
}
