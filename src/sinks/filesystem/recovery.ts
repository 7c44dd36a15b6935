/**
 * Which partition folders recovery visits (the removal rule itself is ../file-commit.ts
 * recoverChunks): a finite range of up to MAX_ENUMERATED_HOURS is visited hour by hour
 * (layout.partitionsBetween); a longer or open-ended one (to = Infinity, live: all after the
 * watermark) lists the date=/hour= folders that exist instead.
 */
import path from "node:path";
import { partitionPath } from "../layout.ts";
import { listNames } from "./fs-util.ts";

const HOUR = 3_600_000;
export const MAX_ENUMERATED_HOURS = 24 * 31;

const DATE_FOLDER = /^date=(\d{4}-\d{2}-\d{2})$/;
const HOUR_FOLDER = /^hour=(\d{2})$/;

/** The existing partitions of `query` whose hour overlaps [from, to). */
export async function existingPartitions(root: string, query: string, from: number, to: number): Promise<string[]> {
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
