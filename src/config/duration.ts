/**
 * ISO 8601 durations as used in the configuration ("PT5M", "PT1.5S", "P2D", "P1W"), turned into
 * milliseconds. Years and months are refused: they have no fixed length, and "P5M" (five months)
 * is a classic slip for "PT5M" (five minutes).
 */

/** The accepted grammar, also published as the JSON Schema `pattern` of every duration key. */
export const ISO_DURATION_PATTERN = /^P(?=\d|T\d)(?:\d+W|(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,3})?S)?)?)$/;

const PARTS = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,3}))?S)?)?)$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Milliseconds of an ISO 8601 duration, or undefined when the text is not one we accept. */
export function parseDuration(text: string): number | undefined {
  if (!ISO_DURATION_PATTERN.test(text)) return undefined;
  const m = PARTS.exec(text);
  if (!m) return undefined;
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const fraction = m[6] === undefined ? 0 : Number(m[6].padEnd(3, "0"));
  const ms = n(1) * 7 * DAY + n(2) * DAY + n(3) * HOUR + n(4) * MINUTE + n(5) * SECOND + fraction;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest ISO 8601 text for a number of milliseconds: 300000 → "PT5M", 172800000 → "P2D". */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in milliseconds: ${ms}`);
  if (ms === 0) return "PT0S";
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = Math.floor(rest / SECOND);
  const millis = rest - seconds * SECOND;
  let time = "";
  if (hours) time += `${hours}H`;
  if (minutes) time += `${minutes}M`;
  if (seconds || millis) time += millis ? `${seconds}.${String(millis).padStart(3, "0").replace(/0+$/, "")}S` : `${seconds}S`;
  return `P${days ? `${days}D` : ""}${time ? `T${time}` : ""}`;
}

/** Why `value` is not an accepted duration, as the tail of a "path: message" line. */
export function badDurationMessage(value: unknown): string {
  const example = `write e.g. "PT5M" (5 minutes), "PT1.5S" or "P2D"`;
  if (typeof value !== "string") return `must be an ISO 8601 duration string — ${example}`;
  const shown = JSON.stringify(value);
  if (ISO_DURATION_PATTERN.test(value.toUpperCase())) return `${shown} must be written in upper case: "${value.toUpperCase()}"`;
  if (/^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T.*)?$/i.test(value) && /^P[^T]*[YM]/i.test(value)) {
    return `${shown} uses years or months, which have no fixed length — for minutes write "PT${/(\d+)M/i.exec(value)?.[1] ?? "5"}M", for days e.g. "P30D"`;
  }
  const short = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(value.trim());
  if (short) {
    const unit = short[2]!.toLowerCase();
    const iso = unit === "d" ? `P${short[1]}D` : unit === "ms" ? `PT${Number(short[1]) / 1000}S` : `PT${short[1]}${unit.toUpperCase()}`;
    return `${shown} is not an ISO 8601 duration — write "${iso}"`;
  }
  if (/^P.*\.\d{4,}S$/i.test(value)) return `${shown} has more than millisecond precision — use at most 3 decimals of seconds`;
  return `${shown} is not an ISO 8601 duration — ${example}`;
}
