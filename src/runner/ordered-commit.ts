/**
 * The commit step of every export, live and backfill: windows are delivered with bounded
 * look-ahead, and their written parts are committed ONE AT A TIME through commitPart(), each on top
 * of the cursor the previous commit returned. Two orders:
 *   - commitInOrder (live): strictly in time order, each part as soon as every part before it is
 *     committed, so the watermark never passes a window that was not delivered;
 *   - commitAsDelivered (backfill): in the order parts arrive (the backfill cursor records windows
 *     done beyond its contiguous watermark).
 * A failure stops the sequence: later deliveries are stopped, and every part written but not
 * committed is aborted.
 *
 * Transient sink errors at commit time are NOT retried here: the failed part is aborted, the query
 * stops with the typed error (retryable errors exit as failures that a re-run — the next scheduled
 * tick — continues from the stored watermark). A commit is not idempotent from the writer's side
 * (its staged data is consumed), so retrying would mean re-fetching the window; that is what the
 * next run does.
 */
import { MonitorliftError } from "../errors.ts";
import type { CursorState, StateKey } from "../sinks/sink.ts";
import type { TimeWindow } from "../window/window.ts";
import pLimit from "p-limit";
import { abortParts, type WrittenPart } from "./window-delivery.ts";

export interface CommitProgress {
  window: TimeWindow;
  rows: number;
  bytes: number;
  location: string;
}

export interface OrderedCommitOptions {
  key: StateKey;
  windows: readonly TimeWindow[];
  /** How many windows may be fetched ahead of the one being committed (backfill: fetched at once). */
  lookAhead: number;
  /** Delivers one window, handing its parts to `onPart` in time order. */
  deliver(w: TimeWindow, signal: AbortSignal, onPart: (part: WrittenPart) => Promise<void>): Promise<void>;
  /** The state after committing `part` on top of `state`. */
  nextState(state: CursorState | undefined, part: WrittenPart): CursorState;
  state: CursorState | undefined;
  signal: AbortSignal;
  onCommitted?(progress: CommitProgress, state: CursorState): void;
  /** Parts written but not committed because the sequence stopped on `error`; they are aborted (never visible). */
  onDiscarded?(parts: readonly WrittenPart[], error: unknown): void;
}

export interface CommitOutcome {
  /** The last committed cursor (with its version), or the starting one when nothing was committed. */
  state: CursorState | undefined;
  error?: unknown;
}

/** The parts of one or more windows as they arrive, and how their delivery ended. */
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

/** The one commit step: commit `part` on top of `state`; returns the new cursor (with its version). */
export async function commitPart(o: Pick<OrderedCommitOptions, "nextState" | "onCommitted">, state: CursorState | undefined, part: WrittenPart): Promise<CursorState> {
  const next = o.nextState(state, part);
  const done = await part.writer.commit(next, state);
  const committed: CursorState = { ...next, version: done.version };
  o.onCommitted?.({ window: part.window, rows: done.rows, bytes: done.bytes, location: done.location }, committed);
  return committed;
}

function deliveryFailed(error: unknown): unknown {
  return error ?? new MonitorliftError("INTERNAL", "a window delivery failed without an error");
}

/** Live: parts commit strictly in time order (see the header). */
export async function commitInOrder(o: OrderedCommitOptions): Promise<CommitOutcome> {
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
          (error: unknown) => q.end(deliveryFailed(error)),
        ),
      );
    }
  };
  const fail = async (error: unknown, pending: WrittenPart[]) => {
    stopAhead.abort(error);
    await abortParts(pending);
    await Promise.all(deliveries); // every delivery has ended: the queues hold all that is left
    const rest = queues.flatMap((q) => q.parts.splice(0));
    await abortParts(rest);
    o.onDiscarded?.([...pending, ...rest], error);
    return { state, error };
  };
  let state = o.state;
  for (let i = 0; i < o.windows.length; i++) {
    startUpTo(i + Math.max(1, o.lookAhead));
    const queue = queues[i]!;
    for (let part = await queue.next(); part; part = await queue.next()) {
      try {
        state = await commitPart(o, state, part);
      } catch (error) {
        return fail(error, [part]);
      }
    }
    if (queue.error !== undefined) return fail(queue.error, []);
  }
  return { state };
}

/**
 * Backfill: up to `lookAhead` windows are delivered at once and parts commit as they arrive (see the
 * header). A delivery's onPart resolves once its part is committed (rejects when it was not), so at most
 * `lookAhead` parts are written-but-uncommitted at any time (each may hold a connection or a file).
 */
export async function commitAsDelivered(o: OrderedCommitOptions): Promise<CommitOutcome> {
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const queue = new PartQueue();
  const settled = new Map<WrittenPart, { resolve(): void; reject(error: unknown): void }>();
  let firstError: unknown;
  const limit = pLimit(Math.max(1, o.lookAhead));
  const deliveries = Promise.all(
    o.windows.map((w) =>
      limit(async () => {
        if (firstError !== undefined || signal.aborted) return;
        try {
          await o.deliver(w, signal, (part) =>
            new Promise<void>((resolve, reject) => {
              settled.set(part, { resolve, reject });
              queue.push(part);
            }),
          );
        } catch (error) {
          firstError ??= deliveryFailed(error);
          stop.abort(firstError);
        }
      }),
    ),
  ).then(() => queue.end());
  let state = o.state;
  for (let part = await queue.next(); part; part = await queue.next()) {
    const settle = settled.get(part)!;
    settled.delete(part);
    if (firstError !== undefined) {
      await abortParts([part]);
      o.onDiscarded?.([part], firstError);
      settle.reject(firstError);
      continue;
    }
    try {
      state = await commitPart(o, state, part);
      settle.resolve();
    } catch (error) {
      firstError = error;
      stop.abort(error);
      await abortParts([part]);
      o.onDiscarded?.([part], error);
      settle.reject(error);
    }
  }
  await deliveries;
  return firstError === undefined ? { state } : { state, error: firstError };
}
