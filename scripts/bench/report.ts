/** The bench's table (markdown) and its JSON record. */
import type { RoundTrip } from "./roundtrip.ts";

export interface Result {
  name: string;
  rows: number;
  wallS: number;
  /** What the pipeline timed itself (the floor: its parses alone); rows/s uses it when present. */
  timedS?: number;
  cpuS: number;
  peakRssMB: number;
  rowsPerS: number;
  mbPerS: number;
  xFloor?: number;
  xNaive?: number;
  /** × the variant's own reference (SQL sinks: their bulk load). */
  xRef?: number;
  reference?: string;
  roundTrip: RoundTrip;
}

const num = (x: number | undefined, digits = 2) => (x === undefined ? "—" : x.toFixed(digits));

export function table(results: readonly Result[]): string {
  const lines = [
    "| pipeline | rows/s | MB/s (response JSON) | × floor | × naive | × own reference | CPU s | peak RSS MB | round trip |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const ref = r.xRef === undefined ? "—" : `${num(r.xRef)} (${r.reference})`;
    const rt = r.roundTrip.ok ? `ok (${r.roundTrip.rows}${r.roundTrip.sampled ? `, ${r.roundTrip.sampled} rows compared` : ""})` : `FAILED: ${r.roundTrip.problems[0]}`;
    lines.push(`| ${r.name} | ${Math.round(r.rowsPerS).toLocaleString("en")} | ${num(r.mbPerS, 1)} | ${num(r.xFloor)} | ${num(r.xNaive)} | ${ref} | ${num(r.cpuS, 1)} | ${Math.round(r.peakRssMB)} | ${rt} |`);
  }
  return lines.join("\n");
}

/** Fills the × columns from the floor, naive and reference rows of the same run. */
export function relate(results: Result[]): void {
  const by = new Map(results.map((r) => [r.name, r]));
  for (const r of results) {
    const floor = by.get("floor");
    const naive = by.get("naive");
    if (floor) r.xFloor = r.rowsPerS / floor.rowsPerS;
    if (naive) r.xNaive = r.rowsPerS / naive.rowsPerS;
    const ref = r.reference ? by.get(r.reference) : undefined;
    if (ref) r.xRef = r.rowsPerS / ref.rowsPerS;
  }
}
