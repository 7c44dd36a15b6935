/**
 * Windows, rows and cursors for sink tests (not a test itself): a fixed clock origin T0, windows
 * in minutes after it, rows tagged so a reader can tell them apart, and the cursor the runner
 * would build on top of the previous one.
 */
import assert from "node:assert/strict";
import type { MonitorliftError } from "../../src/errors.ts";
import type { Column, RawRow } from "../../src/table.ts";
import type { TimeWindow } from "../../src/window/window.ts";
import type { CursorState, Sink, StateKey, WindowWriter } from "../../src/sinks/sink.ts";
import { RowBatch } from "../../src/row-batch.ts";

export const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);
export const MIN = 60_000;
export const win = (a: number, b: number): TimeWindow => ({ start: T0 + a * MIN, end: T0 + b * MIN });
export const never = new AbortController().signal;

export const COLS: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "Name", type: "string" },
  { name: "n", type: "long" },
];

/** `count` rows inside window `w`, tagged with `tag` in Name. */
export function rowsFor(w: TimeWindow, count: number, tag = "r"): RawRow[] {
  return Array.from({ length: count }, (_, i) => [JSON.stringify(new Date(w.start + i * 1000).toISOString()), JSON.stringify(`${tag}${i}`), String(i)]);
}

export function nextState(previous: CursorState | undefined, w: TimeWindow, rows: number): CursorState {
  return {
    watermark: w.end,
    origin: previous?.origin ?? w.start,
    rows: (previous?.rows ?? 0) + rows,
    windows: (previous?.windows ?? 0) + 1,
    updatedAt: new Date().toISOString(),
  };
}

export async function open(sink: Sink, key: StateKey, w: TimeWindow, columns: Column[] = COLS): Promise<WindowWriter> {
  return sink.openWindow({ key, window: w, columns, signal: never });
}

/** Writes and commits one window on top of `previous`; returns the new state as the runner would keep it. */
export async function commitWindow(
  sink: Sink,
  key: StateKey,
  w: TimeWindow,
  rows: RawRow[],
  previous: CursorState | undefined,
  columns: Column[] = COLS,
): Promise<CursorState> {
  const writer = await open(sink, key, w, columns);
  await writer.write(RowBatch.of(rows));
  const next = nextState(previous, w, rows.length);
  const done = await writer.commit(next, previous);
  assert.equal(done.rows, rows.length);
  return { ...next, version: done.version! };
}

export async function rejectsWith(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<MonitorliftError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a ${code} error, got success`);
  const e = caught as MonitorliftError;
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  for (const f of fragments) assert.ok(e.message.includes(f), `message should mention ${JSON.stringify(f)}: ${e.message}`);
  return e;
}

/** Window bounds stored in a table, as epoch ms, whatever type the driver returns. */
export function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const s = String(value);
  return s.includes("T") ? Date.parse(s) : Date.parse(`${s.replace(" ", "T")}Z`);
}
