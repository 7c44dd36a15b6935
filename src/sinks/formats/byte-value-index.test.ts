import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteValueIndex } from "./byte-value-index.ts";

/** Values stored back to back, as a parquet text column stores them, with a Map of their text as the model. */
function store() {
  const bytes = Buffer.alloc(1 << 20);
  const ends = new Int32Array(100_000);
  let used = 0;
  let values = 0;
  const index = new ByteValueIndex(16); // small: many rehashes
  const model = new Map<string, number>();
  return {
    index,
    model,
    /** Looks `text` up as TextColumn does (written after the stored values first); stores it when new. */
    put(text: string): { id: number; found: boolean } {
      const length = bytes.write(text, used, "utf8");
      const id = index.find(bytes, used, used + length, bytes, ends);
      if (id >= 0) return { id, found: true };
      used += length;
      ends[values] = used;
      index.add(values);
      model.set(text, values);
      return { id: values++, found: false };
    },
    takeBackNewest(text: string): void {
      index.removeNewest();
      model.delete(text);
      values--;
      used = values === 0 ? 0 : ends[values - 1]!;
    },
  };
}

test("byte value index: finds exactly the values with the same bytes (5,000 random texts, through rehashes)", () => {
  let seed = 3;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const alphabet = ["a", "b", "é", "🚀", "", " ", "0"];
  const s = store();
  for (let i = 0; i < 5000; i++) {
    const text = Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join("");
    const expected = s.model.get(text);
    const got = s.put(text);
    assert.equal(got.found, expected !== undefined, `"${text}" found`);
    if (expected !== undefined) assert.equal(got.id, expected, `"${text}" is value ${expected}`);
  }
  assert.ok(s.model.size > 500, `${s.model.size} distinct values`);
});

test("byte value index: the newest value taken back is not found again, also after a rehash; others still are", () => {
  const s = store();
  for (let i = 0; i < 7; i++) s.put(`v${i}`);
  s.put("gone"); // the 8th value: the table (16 slots) rehashes on it
  s.takeBackNewest("gone");
  assert.deepEqual(s.put("gone"), { id: 7, found: false }, "stored again, as a new value");
  assert.deepEqual(s.put("gone"), { id: 7, found: true });
  for (let i = 0; i < 7; i++) assert.deepEqual(s.put(`v${i}`), { id: i, found: true });
  s.put("x");
  s.takeBackNewest("x");
  s.index.removeNewest(); // twice: nothing more is removed
  assert.deepEqual(s.put("gone"), { id: 7, found: true });
  assert.throws(() => s.index.add(99), RangeError, "add needs a find that missed");
});
