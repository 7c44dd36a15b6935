/** Run summaries as `_runs/<YYYY-MM-DD>/<runId>.json` blobs, for `status`. */
import type { ContainerClient } from "@azure/storage-blob";
import pLimit from "p-limit";
import type { RunSummary } from "../sink.ts";
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

function isRunSummary(value: unknown): value is RunSummary {
  const v = value as Partial<RunSummary> | null;
  return typeof v === "object" && v !== null && typeof v.runId === "string" && typeof v.startedAt === "string" && typeof v.queries === "object" && v.queries !== null;
}

/** The newest summary mentioning each query (by start time). Reads every stored summary. */
export async function lastRuns(ctx: RunsContext): Promise<Map<string, RunSummary>> {
  const root = `${ctx.prefix}_runs/`;
  const latest = new Map<string, RunSummary>();
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
          try {
            const value: unknown = JSON.parse(found.text);
            if (isRunSummary(value)) return value;
          } catch {
            // fall through
          }
          ctx.logger.warn({ blob: name }, "skipping a run summary that is not valid JSON");
          return undefined;
        }),
      ),
    );
    for (const summary of summaries) {
      if (!summary) continue;
      for (const query of Object.keys(summary.queries)) {
        const seen = latest.get(query);
        if (!seen || Date.parse(summary.startedAt) > Date.parse(seen.startedAt)) latest.set(query, summary);
      }
    }
  } catch (err) {
    throw toSinkError(err, { action: `Reading the run summaries under ${root}`, container: ctx.containerUrl, redact: ctx.redact });
  }
  return latest;
}
