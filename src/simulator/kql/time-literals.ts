/**
 * Datetime and timespan text ⇄ ticks (100 ns), by character scanning.
 * Datetimes: ISO-8601-like "2026-01-01", "2026-01-01T10:20", "2026-01-01 10:20:30.1234567Z",
 * with an optional "Z" or "+hh:mm" offset. Timespans: KQL literals ("5m", "1.5h", "100ms",
 * "1tick") and .NET constant form ("[-][d.]hh:mm[:ss[.fffffff]]").
 */

export const TICKS_PER_SECOND = 10_000_000n;
export const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;
export const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE;
export const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;

/** Ticks of the smallest and largest datetime (0001-01-01 and 9999-12-31T23:59:59.9999999). */
export const MIN_DATETIME = -62135596800n * TICKS_PER_SECOND;
export const MAX_DATETIME = 253402300800n * TICKS_PER_SECOND - 1n;

const UNIT_TICKS: ReadonlyMap<string, bigint> = new Map<string, bigint>([
  ["d", TICKS_PER_DAY],
  ["day", TICKS_PER_DAY],
  ["days", TICKS_PER_DAY],
  ["h", TICKS_PER_HOUR],
  ["hr", TICKS_PER_HOUR],
  ["hrs", TICKS_PER_HOUR],
  ["hour", TICKS_PER_HOUR],
  ["hours", TICKS_PER_HOUR],
  ["m", TICKS_PER_MINUTE],
  ["min", TICKS_PER_MINUTE],
  ["minute", TICKS_PER_MINUTE],
  ["minutes", TICKS_PER_MINUTE],
  ["s", TICKS_PER_SECOND],
  ["sec", TICKS_PER_SECOND],
  ["second", TICKS_PER_SECOND],
  ["seconds", TICKS_PER_SECOND],
  ["ms", 10_000n],
  ["milli", 10_000n],
  ["millis", 10_000n],
  ["millisecond", 10_000n],
  ["milliseconds", 10_000n],
  ["microsecond", 10n],
  ["microseconds", 10n],
  ["tick", 1n],
  ["ticks", 1n],
]);

/** Ticks per unit for a KQL timespan unit suffix, or undefined. */
export function timespanUnitTicks(unit: string): bigint | undefined {
  return UNIT_TICKS.get(unit);
}

/** `intDigits.fracDigits` units, in ticks (truncated toward zero below one tick). */
export function scaleToTicks(intDigits: string, fracDigits: string, unitTicks: bigint): bigint {
  const scale = 10n ** BigInt(fracDigits.length);
  const mantissa = BigInt((intDigits === "" ? "0" : intDigits) + fracDigits);
  return (mantissa * unitTicks) / scale;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parses datetime text into ticks since the Unix epoch; undefined when it is not a datetime. */
export function parseDatetime(input: string): bigint | undefined {
  const s = input.trim();
  let i = 0;
  const readInt = (min: number, max: number): number | undefined => {
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i)) && i - start < max) i++;
    if (i - start < min) return undefined;
    return Number(s.slice(start, i));
  };
  const expect = (ch: string): boolean => {
    if (s[i] === ch) {
      i++;
      return true;
    }
    return false;
  };
  const year = readInt(4, 4);
  if (year === undefined || !expect("-")) return undefined;
  const month = readInt(1, 2);
  if (month === undefined || !expect("-")) return undefined;
  const day = readInt(1, 2);
  if (day === undefined) return undefined;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fraction = 0n;
  if (s[i] === "T" || s[i] === "t" || s[i] === " ") {
    i++;
    while (s[i] === " ") i++;
    const h = readInt(1, 2);
    if (h === undefined || !expect(":")) return undefined;
    const m = readInt(2, 2);
    if (m === undefined) return undefined;
    hour = h;
    minute = m;
    if (expect(":")) {
      const sec = readInt(2, 2);
      if (sec === undefined) return undefined;
      second = sec;
      if (expect(".")) {
        const start = i;
        while (i < s.length && isDigit(s.charCodeAt(i))) i++;
        const digits = s.slice(start, i);
        if (digits.length === 0) return undefined;
        fraction = BigInt(digits.slice(0, 7).padEnd(7, "0"));
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return undefined;
  }
  let offsetMinutes = 0;
  while (s[i] === " ") i++;
  if (s[i] === "Z" || s[i] === "z") {
    i++;
  } else if (s[i] === "+" || s[i] === "-") {
    const sign = s[i] === "-" ? -1 : 1;
    i++;
    const oh = readInt(2, 2);
    if (oh === undefined) return undefined;
    expect(":");
    const om = readInt(2, 2);
    if (om === undefined || oh > 14 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  if (i !== s.length) return undefined;
  const days = BigInt(daysFromCivil(year, month, day));
  const seconds = BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  const ticks = days * TICKS_PER_DAY + seconds * TICKS_PER_SECOND + fraction;
  if (ticks < MIN_DATETIME || ticks > MAX_DATETIME) return undefined;
  return ticks;
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, "0");
}

/** "2026-01-01T00:00:00.0000000Z", the service's text form of a datetime. */
export function formatDatetime(ticks: bigint): string {
  let days = ticks / TICKS_PER_DAY;
  let rest = ticks % TICKS_PER_DAY;
  if (rest < 0n) {
    rest += TICKS_PER_DAY;
    days -= 1n;
  }
  const { year, month, day } = civilFromDays(Number(days));
  const seconds = rest / TICKS_PER_SECOND;
  const fraction = rest % TICKS_PER_SECOND;
  const h = seconds / 3600n;
  const m = (seconds % 3600n) / 60n;
  const sec = seconds % 60n;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(sec, 2)}.${pad(fraction, 7)}Z`;
}

/** .NET constant ("c") form: "[-][d.]hh:mm:ss[.fffffff]". */
export function formatTimespan(ticks: bigint): string {
  const negative = ticks < 0n;
  const abs = negative ? -ticks : ticks;
  const days = abs / TICKS_PER_DAY;
  const rest = abs % TICKS_PER_DAY;
  const seconds = rest / TICKS_PER_SECOND;
  const fraction = rest % TICKS_PER_SECOND;
  const h = seconds / 3600n;
  const m = (seconds % 3600n) / 60n;
  const s = seconds % 60n;
  let text = `${negative ? "-" : ""}${days > 0n ? `${days}.` : ""}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  if (fraction > 0n) text += `.${pad(fraction, 7)}`;
  return text;
}

/**
 * Parses timespan text: a KQL literal ("5m", "1.5h", "-2d", "100ms") or the
 * constant form ("01:00:00", "1.02:03:04.5"). Undefined when it is neither.
 */
export function parseTimespan(input: string): bigint | undefined {
  const s = input.trim();
  let i = 0;
  let negative = false;
  if (s[i] === "-" || s[i] === "+") {
    negative = s[i] === "-";
    i++;
  }
  const start = i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  const first = s.slice(start, i);
  if (first === "") return undefined;
  let ticks: bigint | undefined;
  if (s[i] === ":" || (s[i] === "." && s.indexOf(":", i) > 0)) {
    ticks = parseClockForm(s, start);
  } else {
    let frac = "";
    if (s[i] === ".") {
      i++;
      const fs = i;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      frac = s.slice(fs, i);
    }
    const unit = s.slice(i);
    const per = unit === "" ? TICKS_PER_DAY : timespanUnitTicks(unit);
    if (per === undefined) return undefined;
    ticks = scaleToTicks(first, frac, per);
  }
  if (ticks === undefined) return undefined;
  return negative ? -ticks : ticks;
}

/** "[d.]hh:mm[:ss[.fffffff]]" starting at `from`, to the end of `s`. */
function parseClockForm(s: string, from: number): bigint | undefined {
  let i = from;
  const readDigits = (): string => {
    const st = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    return s.slice(st, i);
  };
  let days = 0n;
  let first = readDigits();
  if (s[i] === ".") {
    i++;
    days = BigInt(first);
    first = readDigits();
  }
  if (first === "" || s[i] !== ":") return undefined;
  i++;
  const minutes = readDigits();
  if (minutes === "") return undefined;
  let seconds = "0";
  let fraction = "";
  if (s[i] === ":") {
    i++;
    seconds = readDigits();
    if (seconds === "") return undefined;
    if (s[i] === ".") {
      i++;
      fraction = readDigits();
      if (fraction === "") return undefined;
    }
  }
  if (i !== s.length) return undefined;
  const h = BigInt(first);
  const m = BigInt(minutes);
  const sec = BigInt(seconds);
  if (h > 23n || m > 59n || sec > 59n) return undefined;
  const frac = fraction === "" ? 0n : BigInt(fraction.slice(0, 7).padEnd(7, "0"));
  return days * TICKS_PER_DAY + h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE + sec * TICKS_PER_SECOND + frac;
}
