/**
 * Recovery of a query's chunks after a killed run: chunks inside [from, to) whose window
 * is not committed according to the cursor are deleted, so a re-run writes them once.
 * Listing walks the query's `date=` folders in range (one listing per day), not the
 * whole container. Staged-but-uncommitted blocks of a killed attempt need nothing: they
 * are invisible, and the service drops them at the blob's next commit or after a week.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { TimeWindow } from "../../window/window.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { parseChunkName } from "../layout.ts";
import { toSinkError, type Redactor } from "./blob-errors.ts";

export interface RecoverContext {
  container: ContainerClient;
  containerUrl: string;
  prefix: string;
  redact: Redactor;
  logger: Logger;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export async function recoverChunks(
  ctx: RecoverContext,
  query: string,
  from: number,
  to: number,
  isCommitted: (w: TimeWindow) => boolean,
): Promise<number> {
  if (!(to > from)) return 0;
  const root = `${ctx.prefix}${query}/`;
  const firstDay = dayOf(from);
  const lastDay = Number.isFinite(to) ? dayOf(to - 1) : undefined;
  const errorContext = (action: string) => ({ action, container: ctx.containerUrl, redact: ctx.redact });
  let removed = 0;
  try {
    const days: string[] = [];
    for await (const item of ctx.container.listBlobsByHierarchy("/", { prefix: root })) {
      if (item.kind !== "prefix") continue;
      const m = /^date=(\d{4}-\d{2}-\d{2})\/$/.exec(item.name.slice(root.length));
      if (!m) continue;
      const day = m[1]!;
      if (day >= firstDay && (lastDay === undefined || day <= lastDay)) days.push(item.name);
    }
    for (const dayPrefix of days) {
      for await (const blob of ctx.container.listBlobsFlat({ prefix: dayPrefix })) {
        const base = blob.name.slice(blob.name.lastIndexOf("/") + 1);
        const chunk = parseChunkName(base);
        if (!chunk) continue;
        const w = chunk.window;
        if (w.start < from || w.end > to) continue;
        if (!chunk.temporary && isCommitted(w)) continue;
        await ctx.container.getBlobClient(blob.name).deleteIfExists({ deleteSnapshots: "include" });
        ctx.logger.info({ blob: blob.name }, chunk.temporary ? "removed a temporary chunk" : "removed a chunk of an uncommitted window");
        removed++;
      }
    }
  } catch (err) {
    throw toSinkError(err, errorContext(`Recovering the chunks of query ${query} under ${root}`));
  }
  return removed;
}
