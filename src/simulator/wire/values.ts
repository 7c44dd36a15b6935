/**
 * The service's JSON text for each Log Analytics type (from recorded live
 * responses, e.g. azure-sdk-assets CanQueryAllSupportedTypes):
 *   datetime  "2015-12-31T23:59:59.9Z" — ISO, Z, up to 7 fraction digits, trailing zeros dropped
 *   timespan  "00:00:10", "1.02:03:04.5000000" — .NET "c" format, 7 fraction digits when not whole
 *   bool/int/long/real  JSON literals (long exact beyond 2^53)
 *   guid, string, decimal  JSON strings
 *   dynamic   objects and arrays: a JSON string holding their compact JSON text; a string: the bare
 *             string; a number or bool: a JSON string holding its text (so "42" and 42 look alike)
 * Not verified against the service (kept JS-style): real NaN/±Infinity as the
 * strings "NaN"/"Infinity"/"-Infinity", and reals needing an exponent ("1e+21").
 */
import type { SimValue } from "../catalog.ts";

const TICKS_PER_SECOND = 10_000_000n;
const SECONDS_PER_DAY = 86400;

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

function pad4(n: number): string {
  return n >= 1000 ? String(n) : String(n).padStart(4, "0");
}

/** 7-digit fraction without trailing zeros ("" when zero). */
function trimmedFraction(frac: number): string {
  if (frac === 0) return "";
  let f = frac;
  let digits = 7;
  while (f % 10 === 0) {
    f /= 10;
    digits--;
  }
  return "." + String(f).padStart(digits, "0");
}

/**
 * "YYYY-MM-DDTHH:MM:SS" of an epoch second. Results of a query cluster in time,
 * so a small direct-mapped cache of recent seconds saves most of the work.
 */
const PREFIX_SLOTS = 4096;
const prefixKey = new Float64Array(PREFIX_SLOTS).fill(Number.NaN);
const prefixText: string[] = new Array<string>(PREFIX_SLOTS).fill("");

function secondText(secs: number): string {
  const slot = ((secs % PREFIX_SLOTS) + PREFIX_SLOTS) % PREFIX_SLOTS;
  if (prefixKey[slot] === secs) return prefixText[slot] as string;
  const days = Math.floor(secs / SECONDS_PER_DAY);
  const sod = secs - days * SECONDS_PER_DAY;
  // civil-from-days (proleptic Gregorian)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(sod / 3600);
  const mm = Math.floor((sod - hh * 3600) / 60);
  const ss = sod - hh * 3600 - mm * 60;
  const text = `${pad4(year)}-${PAD2[month]}-${PAD2[day]}T${PAD2[hh]}:${PAD2[mm]}:${PAD2[ss]}`;
  prefixKey[slot] = secs;
  prefixText[slot] = text;
  return text;
}

/** ISO 8601 UTC text of a datetime given in 100 ns ticks since the Unix epoch. */
export function formatDatetime(ticks: bigint): string {
  let seconds = ticks / TICKS_PER_SECOND;
  let frac = ticks - seconds * TICKS_PER_SECOND;
  if (frac < 0n) {
    frac += TICKS_PER_SECOND;
    seconds -= 1n;
  }
  const f = frac === 0n ? "" : trimmedFraction(Number(frac));
  return secondText(Number(seconds)) + f + "Z";
}

/** .NET TimeSpan "c" text ([-][d.]hh:mm:ss[.fffffff]) of a duration in 100 ns ticks. */
export function formatTimespan(ticks: bigint): string {
  const negative = ticks < 0n;
  const abs = negative ? -ticks : ticks;
  const totalSeconds = abs / TICKS_PER_SECOND;
  const frac = Number(abs - totalSeconds * TICKS_PER_SECOND);
  const days = totalSeconds / 86400n;
  const sod = Number(totalSeconds - days * 86400n);
  const hh = Math.floor(sod / 3600);
  const mm = Math.floor((sod - hh * 3600) / 60);
  const ss = sod - hh * 3600 - mm * 60;
  return (
    (negative ? "-" : "") +
    (days > 0n ? `${days}.` : "") +
    PAD2[hh] +
    ":" +
    PAD2[mm] +
    ":" +
    PAD2[ss] +
    (frac === 0 ? "" : "." + String(frac).padStart(7, "0"))
  );
}

/** JSON text of a real. */
export function realText(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** JSON.rawJSON (ES2025; in Node 24, not yet in TypeScript's lib): emits `text` verbatim from JSON.stringify. */
export const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? rawJson(value.toString()) : value;
}

/** Compact JSON text of a dynamic value (bigints written exactly). */
export function dynamicJson(v: SimValue): string {
  try {
    return JSON.stringify(v) ?? "null";
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(v, bigintReplacer) ?? "null";
    throw err;
  }
}
