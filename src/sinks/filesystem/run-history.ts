/**
 * Run summaries as JSON files, `_runs/<YYYY-MM-DD>/<runId>.json` (written atomically); the last run and
 * the latest rewind per query (the one definition in src/state/run-history.ts) among the most recent day folders.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SinkError } from "../../errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { decodeRunSummary, latestRunPerQuery, type LastRuns, type RunHistory, type RunSummary } from "../../state/run-history.ts";
import { runSummaryPath } from "../layout.ts";
import { fsError } from "./fs-errors.ts";
import { listNames, writeFileAtomic } from "./fs-util.ts";

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

export async function writeRunSummary(root: string, summary: RunSummary, durable: boolean): Promise<void> {
  const started = Date.parse(summary.startedAt);
  if (!RUN_ID.test(summary.runId) || Number.isNaN(started)) {
    throw new SinkError("INTERNAL", `cannot record run ${JSON.stringify(summary.runId)}: the run id must be a plain file name and startedAt an ISO time (got ${JSON.stringify(summary.startedAt)})`);
  }
  const file = path.join(root, runSummaryPath(summary.runId, started));
  await writeFileAtomic(file, `${JSON.stringify(summary, null, 2)}\n`, durable, "write the run summary");
}

/** The last run and the latest rewind of each query, from the `days` most recent day folders. */
export async function readLastRuns(root: string, days: number, logger: Logger): Promise<LastRuns> {
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
      const summary = decodeRunSummary(text);
      // A damaged history entry only affects `status`; the export itself does not depend on it.
      if (summary) summaries.push(summary);
      else logger.warn({ file }, "ignoring a damaged run summary");
    }
  }
  return latestRunPerQuery(summaries);
}

export class FilesystemRunHistory implements RunHistory {
  readonly #root: string;
  readonly #days: number;
  readonly #durable: boolean;
  readonly #logger: Logger;

  constructor(root: string, options: { days: number; durable: boolean; logger: Logger }) {
    this.#root = root;
    this.#days = options.days;
    this.#durable = options.durable;
    this.#logger = options.logger;
  }

  record(summary: RunSummary): Promise<void> {
    return writeRunSummary(this.#root, summary, this.#durable);
  }

  lastRuns(): Promise<LastRuns> {
    return readLastRuns(this.#root, this.#days, this.#logger);
  }
}
