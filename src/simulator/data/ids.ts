/**
 * Identifier strings (hex ids, GUIDs) built from a seeded Rng. Strings are made
 * from a scratch buffer in one go so they are flat (not concatenation ropes),
 * which keeps a million of them small in memory.
 */
import type { Rng } from "./prng.ts";

const HEX = Buffer.from("0123456789abcdef", "latin1");
const scratch = Buffer.alloc(64);

function fillHex(rng: Rng, offset: number, count: number): void {
  let bits = 0;
  let left = 0;
  for (let i = 0; i < count; i++) {
    if (left === 0) {
      bits = rng.next();
      left = 8;
    }
    scratch[offset + i] = HEX[bits & 15] as number;
    bits >>>= 4;
    left--;
  }
}

/** `count` random lowercase hex digits. */
export function randomHex(rng: Rng, count: number): string {
  fillHex(rng, 0, count);
  return scratch.toString("latin1", 0, count);
}

/** A random GUID in the 8-4-4-4-12 form, version 4 shaped. */
export function randomGuid(rng: Rng): string {
  fillHex(rng, 0, 36);
  scratch[8] = scratch[13] = scratch[18] = scratch[23] = 0x2d;
  scratch[14] = 0x34; // version 4
  scratch[19] = HEX[8 + (rng.next() & 3)] as number; // variant 10xx
  return scratch.toString("latin1", 0, 36);
}

/**
 * A GUID-shaped id that is unique by construction: 16 random hex digits followed
 * by the slot (9 hex digits), the table (1) and the row's index in the slot (6).
 */
export function uniqueItemId(rng: Rng, slot: number, table: number, index: number): string {
  fillHex(rng, 0, 19);
  scratch[8] = scratch[13] = scratch[18] = 0x2d;
  writeHex(19, slot, 4);
  scratch[23] = 0x2d;
  writeHex(24, Math.floor(slot / 65536), 5);
  writeHex(29, table, 1);
  writeHex(30, index, 6);
  return scratch.toString("latin1", 0, 36);
}

function writeHex(offset: number, value: number, digits: number): void {
  let v = value;
  for (let i = digits - 1; i >= 0; i--) {
    scratch[offset + i] = HEX[v % 16] as number;
    v = Math.floor(v / 16);
  }
}
