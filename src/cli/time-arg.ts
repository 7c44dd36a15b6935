/** Command-line instants: an ISO timestamp, or an ISO duration meaning "that long before now". */
import { parseDuration } from "../config/duration.ts";
import { parseTimestamp } from "../config/normalise.ts";
import { UsageError } from "../errors.ts";

export function parseInstantArg(flag: string, text: string, now: number): number {
  const at = parseTimestamp(text);
  if (at !== undefined) return at;
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  throw new UsageError(
    `${flag} '${text}' is neither an ISO 8601 timestamp (2026-11-01T00:00:00Z) nor a duration before now (P7D, PT6H).`,
  );
}

/** True when `text` is a duration before now (it moves with the clock), false for an ISO timestamp. */
export function isRelativeArg(text: string): boolean {
  return parseTimestamp(text) === undefined;
}
