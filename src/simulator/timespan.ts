/**
 * The request body's `timespan`: an ISO 8601 interval in one of the forms the
 * service accepts — `start/end`, `start/duration`, `duration/end`, or a bare
 * `duration` (ending now on the simulator clock). Durations: PnYnMnWnDTnHnMnS
 * with decimal fractions (P1DT2H3M4.5S); a year counts 365 days and a month 30
 * days. Instants: ISO 8601 with up to 7 fraction digits, `Z`, an offset, or no
 * zone (UTC). Everything is computed in exact 100 ns ticks.
 */

const TICKS_PER_SECOND = 10_000_000n;
const UNIT_TICKS = {
  Y: 365n * 86400n * TICKS_PER_SECOND,
  Mo: 30n * 86400n * TICKS_PER_SECOND,
  W: 7n * 86400n * TICKS_PER_SECOND,
  D: 86400n * TICKS_PER_SECOND,
  H: 3600n * TICKS_PER_SECOND,
  Mi: 60n * TICKS_PER_SECOND,
  S: TICKS_PER_SECOND,
};

export interface TimeRange {
  /** Inclusive start, ticks since the Unix epoch. */
  start: bigint;
  /** End, ticks since the Unix epoch. */
  end: bigint;
}

export class TimespanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimespanError";
  }
}

const NUM = String.raw`(\d+(?:[.,]\d+)?)`;
const DURATION_RE = new RegExp(
  `^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`,
  "i",
);

function decimalTicks(text: string, unit: bigint): bigint {
  const [intPart = "0", fracPart = ""] = text.replace(",", ".").split(".");
  const frac = fracPart.slice(0, 18);
  let ticks = BigInt(intPart) * unit;
  if (frac !== "") ticks += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
  return ticks;
}

/** Ticks of an ISO 8601 duration, or undefined if `text` is not one. */
export function parseIsoDuration(text: string): bigint | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m || text.trim().toUpperCase().endsWith("T")) return undefined;
  const units = [UNIT_TICKS.Y, UNIT_TICKS.Mo, UNIT_TICKS.W, UNIT_TICKS.D, UNIT_TICKS.H, UNIT_TICKS.Mi, UNIT_TICKS.S];
  let total = 0n;
  let any = false;
  units.forEach((unit, i) => {
    const part = m[i + 1];
    if (part !== undefined) {
      any = true;
      total += decimalTicks(part, unit);
    }
  });
  return any ? total : undefined;
}

const INSTANT_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** Ticks of an ISO 8601 instant, or undefined if `text` is not one. */
export function parseIsoInstant(text: string): bigint | undefined {
  const m = INSTANT_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, hh = "00", mi = "00", ss = "00", frac = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(hh);
  const minute = Number(mi);
  const second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day && hour !== 24) return undefined;
  let ms = date.getTime();
  if (zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
    ms -= sign * offsetMin * 60_000;
  }
  const fracTicks = BigInt(frac.slice(0, 7).padEnd(7, "0"));
  return (BigInt(ms) / 1000n) * TICKS_PER_SECOND + fracTicks;
}

/**
 * The time range of a `timespan` value, relative to `nowTicks` for a bare duration.
 * Throws TimespanError with a message naming the value when it is not valid.
 */
export function parseTimespan(value: string, nowTicks: bigint): TimeRange {
  const text = value.trim();
  const parts = text.split("/");
  const fail = (why: string): never => {
    throw new TimespanError(`The timespan '${value}' is not valid: ${why}.`);
  };
  let range: TimeRange;
  if (parts.length === 1) {
    const d = parseIsoDuration(text);
    if (d === undefined) return fail("expected an ISO 8601 duration such as PT1H or an interval such as start/end");
    range = { start: nowTicks - d, end: nowTicks };
  } else if (parts.length === 2) {
    const [a = "", b = ""] = parts;
    const startInstant = parseIsoInstant(a);
    const endInstant = parseIsoInstant(b);
    if (startInstant !== undefined && endInstant !== undefined) range = { start: startInstant, end: endInstant };
    else if (startInstant !== undefined) {
      const d = parseIsoDuration(b);
      if (d === undefined) return fail(`'${b}' is neither an ISO 8601 instant nor a duration`);
      range = { start: startInstant, end: startInstant + d };
    } else if (endInstant !== undefined) {
      const d = parseIsoDuration(a);
      if (d === undefined) return fail(`'${a}' is neither an ISO 8601 instant nor a duration`);
      range = { start: endInstant - d, end: endInstant };
    } else return fail("neither side is an ISO 8601 instant");
  } else return fail("expected at most one '/'");
  if (range.end < range.start) fail("its end is before its start");
  return range;
}
