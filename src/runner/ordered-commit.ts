/**
 * Delivers windows with bounded look-ahead and commits their parts strictly in time order, each
 * part as soon as every part before it is committed. A window that fails stops the sequence:
 * every later part already written is aborted, so the watermark never passes a window that was
 * not delivered.
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

export interface OrderedCommitOptions {
  key: StateKey;
  sink: Sink;
  windows: readonly TimeWindow[];
  /** How many windows may be fetched ahead of the one being committed. */
  lookAhead: number;
  /** Delivers one window, handing its parts to `onPart` in time order. */
  deliver(w: TimeWindow, signal: AbortSignal, onPart: (part: WrittenPart) => Promise<void>): Promise<void>;
  /** The state after committing `part` on top of `state`. */
  nextState(state: CursorState | undefined, part: WrittenPart): CursorState;
  state: CursorState | undefined;
  signal: AbortSignal;
  onCommitted?(progress: CommitProgress, state: CursorState): void;
}

/** The parts of one window as they arrive, and how its delivery ended. */
class PartQueue {
  readonly parts: WrittenPart[] = [];
  ended = false;
  error: unknown = undefined;
  private wake: (() => void) | undefined;

  push(part: WrittenPart): void {
    this.parts.push(part);
    this.notify();
  }

  end(error?: unknown): void {
    this.ended = true;
    this.error = error;
    this.notify();
  }

  /** The next part, or undefined once the delivery has ended and every part was taken. */
  async next(): Promise<WrittenPart | undefined> {
    while (this.parts.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.parts.shift();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export async function commitInOrder(o: OrderedCommitOptions): Promise<{ state: CursorState | undefined; error?: unknown }> {
  const stopAhead = new AbortController();
  const signal = AbortSignal.any([o.signal, stopAhead.signal]);
  const queues: PartQueue[] = [];
  const deliveries: Promise<void>[] = [];
  const startUpTo = (limit: number) => {
    while (queues.length < Math.min(o.windows.length, limit)) {
      const q = new PartQueue();
      queues.push(q);
      deliveries.push(
        o.deliver(o.windows[queues.length - 1]!, signal, async (part) => q.push(part)).then(
          () => q.end(),
          (error: unknown) => q.end(error ?? new Error("window delivery failed")),
        ),
      );
    }
  };
  const fail = async (error: unknown, pending: WrittenPart[]) => {
    stopAhead.abort(error);
    await abortParts(pending);
    await Promise.all(deliveries); // every delivery has ended: the queues hold all that is left
    await abortParts(queues.flatMap((q) => q.parts.splice(0)));
    return { state, error };
  };
  let state = o.state;
  for (let i = 0; i < o.windows.length; i++) {
    startUpTo(i + Math.max(1, o.lookAhead));
    const queue = queues[i]!;
    for (let part = await queue.next(); part; part = await queue.next()) {
      try {
        const next = o.nextState(state, part);
        const done = await part.writer.commit(next, state);
        state = done.version !== undefined ? { ...next, version: done.version } : await o.sink.readState(o.key);
        if (!state) throw new Error(`the state of ${o.key.query}/${o.key.scope} is missing right after a commit`);
        o.onCommitted?.({ window: part.window, rows: done.rows, bytes: done.bytes, location: done.location }, state);
      } catch (error) {
        return fail(error, [part]);
      }
    }
    if (queue.error !== undefined) return fail(queue.error, []);
  }
  return { state };
}
