/**
 * Cleans up what killed runs left in a query's partitions inside [from, to): temporary chunk files,
 * and data chunks whose window the cursor does not count as committed. Only files whose whole
 * window lies inside the range are touched. A finite range of up to MAX_ENUMERATED_HOURS is visited
 * hour by hour (layout.partitionsBetween); a longer or open-ended one (to = Infinity, live: all
 * after the watermark) lists the date=/hour= folders that exist instead.
 */
import path from "node:path";
import type { Logger } from "../../telemetry/logger.ts";
import type { TimeWindow } from "../../window/window.ts";
import { parseChunkName, partitionPath, partitionsBetween } from "../layout.ts";
import { listNames, removeFile } from "./fs-util.ts";

const HOUR = 3_600_000;
export const MAX_ENUMERATED_HOURS = 24 * 31;

const DATE_FOLDER = /^date=(\d{4}-\d{2}-\d{2})$/;
const HOUR_FOLDER = /^hour=(\d{2})$/;

/** The existing partitions of `query` whose hour overlaps [from, to). */
async function existingPartitions(root: string, query: string, from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (const dateName of (await listNames(path.join(root, query))).sort()) {
    const date = DATE_FOLDER.exec(dateName)?.[1];
    if (!date) continue;
    const dayStart = Date.parse(`${date}T00:00:00.000Z`);
    if (Number.isNaN(dayStart) || dayStart + 24 * HOUR <= from || dayStart >= to) continue;
    for (const hourName of (await listNames(path.join(root, query, dateName))).sort()) {
      const hour = HOUR_FOLDER.exec(hourName)?.[1];
      if (!hour) continue;
      const hourStart = dayStart + Number(hour) * HOUR;
      if (hourStart + HOUR <= from || hourStart >= to) continue;
      const relative = `${query}/${dateName}/${hourName}`;
      if (relative === partitionPath(query, hourStart)) out.push(relative);
    }
  }
  return out;
}

export async function recoverChunks(
  root: string,
  query: string,
  from: number,
  to: number,
  isCommitted: (w: TimeWindow) => boolean,
  logger: Logger,
): Promise<number> {
  if (!(to > from)) return 0;
  const enumerate = Number.isFinite(from) && Number.isFinite(to) && (to - from) / HOUR <= MAX_ENUMERATED_HOURS;
  const partitions = enumerate ? partitionsBetween(query, from, to) : await existingPartitions(root, query, from, to);
  let removed = 0;
  for (const partition of partitions) {
    const folder = path.join(root, partition);
    for (const name of await listNames(folder)) {
      const parsed = parseChunkName(name);
      if (!parsed) continue;
      const { window, temporary } = parsed;
      if (window.start < from || window.end > to) continue;
      if (!temporary && isCommitted(window)) continue;
      if (await removeFile(path.join(folder, name))) {
        removed++;
        logger.info({ file: path.join(folder, name), temporary }, temporary ? "removed a temporary chunk left by an earlier run" : "removed an uncommitted chunk left by an earlier run");
      }
    }
  }
  return removed;
}
