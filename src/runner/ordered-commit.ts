/**
 * Delivers windows with bounded look-ahead and commits their parts strictly in time order.
 * A window that fails stops the sequence: every later part already written is aborted, so
 * the watermark never passes a window that was not delivered.
 */
import type { CursorState, Sink, StateKey } from "../sinks/sink.ts";
import type { TimeWindow } from "../window/window.ts";
import { abortParts, type WrittenPart } from "./window-delivery.ts";

export interface CommitProgress {
  window: TimeWindow;
  rows: number;
  bytes: number;
  location: string;
}

type Settled = { ok: true; parts: WrittenPart[] } | { ok: false; error: unknown };

export interface OrderedCommitOptions {
  key: StateKey;
  sink: Sink;
  windows: readonly TimeWindow[];
  /** How many windows may be fetched ahead of the one being committed. */
  lookAhead: number;
  deliver(w: TimeWindow, signal: AbortSignal): Promise<WrittenPart[]>;
  /** The state after committing `part` on top of `state`. */
  nextState(state: CursorState | undefined, part: WrittenPart): CursorState;
  state: CursorState | undefined;
  signal: AbortSignal;
  onCommitted?(progress: CommitProgress, state: CursorState): void;
}

export async function commitInOrder(o: OrderedCommitOptions): Promise<{ state: CursorState | undefined; error?: unknown }> {
  const stopAhead = new AbortController();
  const signal = AbortSignal.any([o.signal, stopAhead.signal]);
  const started: Array<Promise<Settled>> = [];
  const start = () => {
    while (started.length < o.windows.length && started.length < committedCount + o.lookAhead) {
      const w = o.windows[started.length]!;
      started.push(
        o.deliver(w, signal).then(
          (parts): Settled => ({ ok: true, parts }),
          (error: unknown): Settled => ({ ok: false, error }),
        ),
      );
    }
  };
  let committedCount = 0;
  let state = o.state;
  for (let i = 0; i < o.windows.length; i++) {
    start();
    const result = await started[i]!;
    if (!result.ok) {
      stopAhead.abort(result.error);
      await discard(started.slice(i + 1));
      return { state, error: result.error };
    }
    for (let k = 0; k < result.parts.length; k++) {
      const part = result.parts[k]!;
      try {
        const next = o.nextState(state, part);
        const done = await part.writer.commit(next, state);
        state = done.version !== undefined ? { ...next, version: done.version } : await o.sink.readState(o.key);
        if (!state) throw new Error(`the state of ${o.key.query}/${o.key.scope} is missing right after a commit`);
        o.onCommitted?.({ window: part.window, rows: done.rows, bytes: done.bytes, location: done.location }, state);
      } catch (error) {
        stopAhead.abort(error);
        await abortParts(result.parts.slice(k));
        await discard(started.slice(i + 1));
        return { state, error };
      }
    }
    committedCount++;
  }
  return { state };
}

async function discard(pending: ReadonlyArray<Promise<Settled>>): Promise<void> {
  for (const r of await Promise.all(pending)) if (r.ok) await abortParts(r.parts);
}
