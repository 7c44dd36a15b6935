/** Run summaries as `_runs/<YYYY-MM-DD>/<runId>.json` blobs, for `status`. */
import type { ContainerClient } from "@azure/storage-blob";
import pLimit from "p-limit";
import { decodeRunSummary, latestRunPerQuery, type LastRuns, type RunHistory, type RunSummary } from "../../state/run-history.ts";
import { runSummaryPath } from "../layout.ts";
import { toSinkError, type Redactor } from "./blob-errors.ts";
import { readBlobWithEtag } from "./blob-state.ts";
import type { Logger } from "../../telemetry/logger.ts";

export interface RunsContext {
  container: ContainerClient;
  containerUrl: string;
  prefix: string;
  redact: Redactor;
  logger: Logger;
}

export async function recordRun(ctx: RunsContext, summary: RunSummary): Promise<void> {
  const started = Date.parse(summary.startedAt);
  const name = ctx.prefix + runSummaryPath(summary.runId, Number.isNaN(started) ? Date.now() : started);
  const body = JSON.stringify(summary);
  try {
    await ctx.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: "application/json" },
    });
  } catch (err) {
    throw toSinkError(err, { action: `Writing the run summary ${name}`, container: ctx.containerUrl, redact: ctx.redact });
  }
}

/** The last run and the latest rewind of each query (the one definition in src/state/run-history.ts). Reads every stored summary. */
export async function lastRuns(ctx: RunsContext): Promise<LastRuns> {
  const root = `${ctx.prefix}_runs/`;
  const limit = pLimit(8);
  try {
    const names: string[] = [];
    for await (const blob of ctx.container.listBlobsFlat({ prefix: root })) {
      if (blob.name.endsWith(".json")) names.push(blob.name);
    }
    const summaries = await Promise.all(
      names.map((name) =>
        limit(async () => {
          const found = await readBlobWithEtag(ctx.container, name);
          if (!found) return undefined;
          const summary = decodeRunSummary(found.text);
          if (!summary) ctx.logger.warn({ blob: name }, "skipping a damaged run summary");
          return summary;
        }),
      ),
    );
    return latestRunPerQuery(summaries.filter((s) => s !== undefined));
  } catch (err) {
    throw toSinkError(err, { action: `Reading the run summaries under ${root}`, container: ctx.containerUrl, redact: ctx.redact });
  }
}

export class BlobRunHistory implements RunHistory {
  readonly #ctx: RunsContext;

  constructor(ctx: RunsContext) {
    this.#ctx = ctx;
  }

  record(summary: RunSummary): Promise<void> {
    return recordRun(this.#ctx, summary);
  }

  lastRuns(): Promise<LastRuns> {
    return lastRuns(this.#ctx);
  }
}
