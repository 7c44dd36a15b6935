/**
 * Encoder throughput: 500k synthetic AppRequests-like raw rows (batches of 10k, as the source
 * hands them over) through ndjson.gz, ndjson.zst and parquet; prints rows/s, output bytes and
 * the peak RSS seen. Row generation is not timed. With --expose-gc it also reports the largest
 * live heap after a full GC between batches (what an open chunk really keeps), untimed.
 *
 *   node [--expose-gc] scripts/bench-encoders.ts [rows]
 */
import { createChunkEncoder, type FormatSpec } from "../src/sinks/formats/index.ts";
import type { RawRow } from "../src/table.ts";
import { columns, resetRows, row } from "./bench/encoder-rows.ts";
import { RowBatch } from "../src/row-batch.ts";

const TOTAL = Number(process.argv[2] ?? 500_000);
const BATCH = 10_000;

async function run(label: string, spec: FormatSpec): Promise<void> {
  resetRows();
  const encoder = createChunkEncoder(spec, columns);
  let inputBytes = 0;
  let outputBytes = 0;
  let encodeMs = 0;
  let peakRss = 0;
  let peakLive = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let done = 0; done < TOTAL; done += BATCH) {
    const batch: RawRow[] = [];
    for (let i = done; i < Math.min(TOTAL, done + BATCH); i++) batch.push(row(i));
    for (const r of batch) for (const c of r) inputBytes += c.length;
    const t0 = performance.now();
    for (const part of await encoder.encode(RowBatch.of(batch))) outputBytes += part.byteLength;
    encodeMs += performance.now() - t0;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (gc) {
      batch.length = 0;
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
    }
  }
  const t0 = performance.now();
  for (const part of await encoder.finish()) outputBytes += part.byteLength;
  encodeMs += performance.now() - t0;
  const rate = Math.round(TOTAL / (encodeMs / 1000));
  console.log(
    `${label.padEnd(12)} ${String(TOTAL).padStart(7)} rows  ${(encodeMs / 1000).toFixed(2).padStart(6)} s  ${String(rate).padStart(8)} rows/s  ` +
      `raw cells ${(inputBytes / 1e6).toFixed(1)} MB → ${(outputBytes / 1e6).toFixed(1)} MB  peak RSS ${(peakRss / 1e6).toFixed(0)} MB` +
      (gc ? `  live heap ≤ ${(peakLive / 1e6).toFixed(0)} MB` : ""),
  );
}

await run("ndjson", { format: "ndjson", compression: "none" });
await run("ndjson.gz", { format: "ndjson", compression: "gzip" });
await run("ndjson.zst", { format: "ndjson", compression: "zstd" });
await run("parquet", { format: "parquet", compression: "none" });
