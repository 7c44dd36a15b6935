/**
 * Finds a stored value by its bytes without making a string of them: the lookup behind a Parquet text
 * column's shared values (TextColumn in parquet.ts). Values are stored back to back in one buffer, value
 * `id` spanning [ends[id - 1] (0 for the first), ends[id]); the index holds their ids in an open-addressing
 * table (linear probing) keyed by an FNV-1a hash of the bytes. `find` remembers where the looked-up bytes
 * would go, so that `add` right after it stores the new value's id there; the newest value can be taken
 * back (a row that failed part way).
 */
export class ByteValueIndex {
  /** Per slot: id + 1; 0 empty; REMOVED for a value taken back (probing goes on past it). */
  private slots: Int32Array;
  private mask: number;
  /** Per id: its hash. */
  private hashes = new Int32Array(1024);
  private filled = 0;
  private lastHash = 0;
  private lastSlot = -1;
  private newestSlot = -1;
  private newestId = -1;

  constructor(capacity = 2048) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The id of the value whose bytes equal src[start, end), or -1 (then `add` may store a new id for them). */
  find(src: Uint8Array, start: number, end: number, stored: Uint8Array, ends: Int32Array): number {
    let h = 0x811c9dc5 | 0; // int32, as the hashes are stored
    for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
    const length = end - start;
    let slot = h & this.mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      if (entry > 0) {
        const id = entry - 1;
        if (this.hashes[id] === h) {
          const from = id === 0 ? 0 : ends[id - 1]!;
          if (ends[id]! - from === length && sameBytes(src, start, stored, from, length)) {
            this.lastSlot = -1;
            return id;
          }
        }
      }
      slot = (slot + 1) & this.mask;
    }
    this.lastHash = h;
    this.lastSlot = slot;
    return -1;
  }

  /** Stores `id` for the bytes the last `find` did not find. */
  add(id: number): void {
    if (this.lastSlot < 0) throw new RangeError("ByteValueIndex.add without a find that missed");
    if (id >= this.hashes.length) {
      const grown = new Int32Array(Math.max(id + 1, this.hashes.length * 2));
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = this.lastHash;
    this.slots[this.lastSlot] = id + 1;
    this.newestSlot = this.lastSlot;
    this.newestId = id;
    this.lastSlot = -1;
    if (++this.filled * 2 > this.slots.length) this.rehash();
  }

  /** Takes back the id stored by the last `add`. */
  removeNewest(): void {
    if (this.newestSlot < 0) return;
    this.slots[this.newestSlot] = REMOVED;
    this.newestSlot = -1;
    this.newestId = -1;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.slots.length - 1;
    this.filled = 0;
    for (const entry of old) {
      if (entry <= 0) continue;
      let slot = this.hashes[entry - 1]! & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = entry;
      if (entry - 1 === this.newestId) this.newestSlot = slot;
      this.filled++;
    }
  }
}

const REMOVED = -1;

function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
