/**
 * A dynamic cell's embedded JSON, straight from bytes to bytes: the byte-level twin of
 * dynamicJsonText (src/sinks/cells.ts) for the text formats. The service sends an object or array as a
 * JSON string holding its JSON text ("{\"a\":1}"); the string's escapes are undone into the output
 * buffer and the result is checked to be one JSON object or array, without making a string or an
 * object of it. Anything it cannot decide cheaply (a \u escape of a surrogate, a raw control character,
 * an unknown escape, nesting deeper than MAX_DEPTH) is left to dynamicJsonText, so both always agree.
 */

import { dynamicJsonText } from "../cells.ts";

/** The cell is not embedded: it stays the string token the service sent. */
export const KEEP_STRING = -1;
/** Undecided here: ask dynamicJsonText. */
export const UNDECIDED = -2;

const MAX_DEPTH = 256;

/**
 * Writes the JSON text held by the string token src[start, end) (quotes included) to out at pos, with
 * line breaks between tokens turned into spaces. Returns the position after it, KEEP_STRING when the
 * text is not a JSON object or array, or UNDECIDED. The text is never longer than the token.
 */
export function embedDynamicJson(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  const last = end - 1; // the closing quote
  let o = pos;
  let breaks = false;
  for (let i = start + 1; i < last; ) {
    const c = src[i]!;
    if (c !== 0x5c /* \ */) {
      if (c < 0x20) return UNDECIDED;
      out[o++] = c;
      i++;
      continue;
    }
    const e = src[i + 1];
    i += 2;
    switch (e) {
      case 0x22: // "
      case 0x5c: // \
      case 0x2f: // /
        out[o++] = e;
        break;
      case 0x6e: // n
        out[o++] = 0x0a;
        breaks = true;
        break;
      case 0x72: // r
        out[o++] = 0x0d;
        breaks = true;
        break;
      case 0x74: // t
        out[o++] = 0x09;
        break;
      case 0x62: // b
        out[o++] = 0x08;
        break;
      case 0x66: // f
        out[o++] = 0x0c;
        break;
      case 0x75: {
        // u: four hex digits
        if (i + 4 > last) return UNDECIDED;
        const code = (hex(src[i]!) << 12) | (hex(src[i + 1]!) << 8) | (hex(src[i + 2]!) << 4) | hex(src[i + 3]!);
        if (code < 0 || (code >= 0xd800 && code <= 0xdfff)) return UNDECIDED;
        i += 4;
        if (code < 0x80) {
          out[o++] = code;
          if (code === 0x0a || code === 0x0d) breaks = true;
        } else if (code < 0x800) {
          out[o++] = 0xc0 | (code >> 6);
          out[o++] = 0x80 | (code & 0x3f);
        } else {
          out[o++] = 0xe0 | (code >> 12);
          out[o++] = 0x80 | ((code >> 6) & 0x3f);
          out[o++] = 0x80 | (code & 0x3f);
        }
        break;
      }
      default:
        return UNDECIDED;
    }
  }
  const first = skipSpace(out, pos, o);
  if (first >= o || (out[first] !== 0x7b && out[first] !== 0x5b)) return KEEP_STRING;
  const after = value(out, first, o, 0);
  if (after === UNDECIDED) return UNDECIDED;
  if (after < 0 || skipSpace(out, after, o) !== o) return KEEP_STRING;
  // A valid JSON text holds a line break only between tokens: one line of NDJSON needs spaces there.
  if (breaks) for (let k = pos; k < o; k++) if (out[k] === 0x0a || out[k] === 0x0d) out[k] = 0x20;
  return o;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -0x10000;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** The index after the JSON value at b[i] (within end), -1 when it is not one, or UNDECIDED. */
function value(b: Uint8Array, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i]!;
  if (c === 0x22) return string(b, i, end);
  if (c === 0x7b || c === 0x5b) {
    if (depth >= MAX_DEPTH) return UNDECIDED;
    const object = c === 0x7b;
    const close = object ? 0x7d : 0x5d;
    i = skipSpace(b, i + 1, end);
    if (i < end && b[i] === close) return i + 1;
    for (;;) {
      if (object) {
        if (i >= end || b[i] !== 0x22) return -1;
        i = string(b, i, end);
        if (i < 0) return -1;
        i = skipSpace(b, i, end);
        if (i >= end || b[i] !== 0x3a /* : */) return -1;
        i = skipSpace(b, i + 1, end);
      }
      i = value(b, i, end, depth + 1);
      if (i < 0) return i;
      i = skipSpace(b, i, end);
      if (i >= end) return -1;
      if (b[i] === 0x2c) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      return b[i] === close ? i + 1 : -1;
    }
  }
  if (c === 0x74) return literal(b, i, end, TRUE);
  if (c === 0x66) return literal(b, i, end, FALSE);
  if (c === 0x6e) return literal(b, i, end, NULL);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return number(b, i, end);
  return -1;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function literal(b: Uint8Array, i: number, end: number, word: readonly number[]): number {
  if (i + word.length > end) return -1;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length;
}

function string(b: Uint8Array, i: number, end: number): number {
  let k = i + 1;
  while (k < end) {
    const c = b[k]!;
    if (c === 0x22) return k + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = k + 1 < end ? b[k + 1]! : -1;
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) k += 2;
      else if (e === 0x75) {
        if (k + 6 > end) return -1;
        for (let h = k + 2; h < k + 6; h++) if (hex(b[h]!) < 0) return -1;
        k += 6;
      } else return -1;
    } else k++;
  }
  return -1;
}

function digits(b: Uint8Array, i: number, end: number): number {
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i;
}

function number(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else {
    const d = digits(b, i, end);
    if (d === i) return -1;
    i = d;
  }
  if (i < end && b[i] === 0x2e /* . */) {
    const d = digits(b, i + 1, end);
    if (d === i + 1) return -1;
    i = d;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    const d = digits(b, i, end);
    if (d === i) return -1;
    i = d;
  }
  return i;
}

/**
 * The text of the dynamic cell src[start, end), by dynamicJsonText's rule: written to out at pos (the
 * position after it is returned), or KEEP_STRING when the cell is its own text (a bare token, or a string
 * that is not embedded JSON) for the caller to copy. Only a string whose first character (after
 * whitespace) may open an object or array is decoded; what embedDynamicJson leaves undecided goes through
 * dynamicJsonText. Never longer than the token (unescaping only shortens). `out` may be `src` with pos ≤ start.
 */
export function dynamicCellText(src: Buffer, start: number, end: number, out: Buffer, pos: number): number {
  if (src[start] !== 0x22 /* " */) return KEEP_STRING;
  let j = start + 1;
  while (j < end - 1) {
    const c = src[j]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    j++;
  }
  const first = src[j];
  // `{`, `[`, or an escape (an escaped line break or \u sequence may come first): decode; else a plain string.
  if (first !== 0x7b && first !== 0x5b && first !== 0x5c) return KEEP_STRING;
  const embedded = embedDynamicJson(src, start, end, out, pos);
  if (embedded !== UNDECIDED) return embedded;
  const text = dynamicJsonText(src.toString("utf8", start, end)) ?? "null";
  return pos + out.write(text, pos, "utf8");
}
