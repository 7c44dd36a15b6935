import assert from "node:assert/strict";
import { test } from "node:test";
import type { SimRow } from "../catalog.ts";
import { TableStore } from "./table-store.ts";

const cols = [{ name: "_ItemId", type: "string" as const }];
const T = 10_000n;

/** Rows whose ingestion (ms) is given; visibility = ingestion + jitter. */
function batch(items: [ingestMs: number, jitter: number][], tag: string): { rows: SimRow[]; vis: number[] } {
  return {
    rows: items.map(([ms], i) => ({ values: [`${tag}${i}`], ingestion: BigInt(ms) * T })),
    vis: items.map(([ms, j]) => ms + j),
  };
}

test("scan returns exactly the rows visible at now, across merged runs", () => {
  const store = new TableStore("X", cols, 100, () => {});
  let seed = 1;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const all: { id: string; vis: number; ingest: number }[] = [];
  for (let b = 0; b < 40; b++) {
    const items: [number, number][] = Array.from({ length: 1 + Math.floor(rnd() * 50) }, () => [
      Math.floor(rnd() * 10_000),
      Math.floor(rnd() * 100),
    ]);
    const { rows, vis } = batch(items, `b${b}-`);
    rows.forEach((r, i) => all.push({ id: String(r.values[0]), vis: vis[i] as number, ingest: items[i]![0] }));
    store.add(rows, vis);
  }
  for (const now of [-1, 0, 50, 1234, 5000, 9999, 10_099, 20_000]) {
    const got = [...store.scan({ now: BigInt(now) * T })].map((r) => String(r.values[0])).sort();
    const want = all.filter((r) => r.vis <= now).map((r) => r.id).sort();
    assert.deepEqual(got, want, `now=${now}`);
  }
  // Ingestion hints: a superset of the rows with ingestion in [from, to), never one outside the visibility cut.
  const got = [...store.scan({ now: 8000n * T, ingestionFrom: 3000n * T, ingestionTo: 4000n * T })].map((r) => String(r.values[0]));
  const want = all.filter((r) => r.vis <= 8000 && r.ingest >= 3000 && r.ingest < 4000).map((r) => r.id);
  for (const id of want) assert.ok(got.includes(id), id);
  assert.ok(got.length < all.length / 3, "the hints narrow the scan");
  assert.equal(store.size, all.length);
});

test("truth lists every stored row's _ItemId, filtered by ingestion time", () => {
  const store = new TableStore("X", cols, 10, () => {});
  const { rows, vis } = batch([[100, 0], [200, 5], [300, 9]], "r");
  store.add(rows, vis);
  assert.deepEqual(store.truth(), ["r0", "r1", "r2"]);
  assert.deepEqual(store.truth({ ingestedBefore: 300 }), ["r0", "r1"]);
  assert.deepEqual(store.truth({ ingestedFrom: 200 }), ["r1", "r2"]);
  assert.equal(store.sample(2).length, 2);
});

test("scan asks for generation up to its now first", () => {
  const seen: number[] = [];
  const store = new TableStore("X", cols, 10, (nowMs) => seen.push(nowMs));
  [...store.scan({ now: 123_4567n })];
  assert.deepEqual(seen, [123]);
});
