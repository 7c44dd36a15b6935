/**
 * Where cursors live: read one, list all, and write one conditionally (optimistic concurrency on
 * the stored version: a counter in the filesystem, the ETag in blob storage, a version column in
 * SQL). Implementations: sinks/filesystem/state-store.ts, sinks/blob/blob-state.ts, and the SQL
 * sink's state table (sinks/sql/sql-sink.ts), which also moves the cursor inside each window's
 * transaction. All of them encode and decode through state/cursor.ts.
 */
import { SinkError, isMonitorliftError, type MonitorliftError } from "../errors.ts";
import type { CursorState, StateKey } from "./cursor.ts";

export interface CursorStore {
  /** The stored cursor with `version` set, or undefined when there is none. STATE_CORRUPT when it cannot be decoded. */
  read(key: StateKey): Promise<CursorState | undefined>;
  /**
   * Every stored cursor (for `status`, backfill overlap checks and the live start). One that cannot be
   * decoded fails the whole list with STATE_CORRUPT — unless `options.onCorrupt` is given: then it is
   * told that cursor's key and error, and the list goes on without it (status shows the others).
   */
  list(options?: ListOptions): Promise<Array<{ key: StateKey; state: CursorState }>>;
  /**
   * Stores `next` only if the stored version is still `previous?.version` (previous undefined: none
   * may exist yet); returns the new version. Otherwise throws SinkError STATE_CONFLICT and changes
   * nothing. Never mutates `next` or `previous`.
   */
  write(key: StateKey, next: CursorState, previous: CursorState | undefined): Promise<string>;
  /** Where the cursor of `key` is stored (a file, a blob URL), for messages. Optional. */
  locationOf?(key: StateKey): string;
}

export interface ListOptions {
  /** A cursor that does not decode (STATE_CORRUPT): reported here and left out, instead of failing the list. */
  onCorrupt?: (key: StateKey, err: MonitorliftError) => void;
  signal?: AbortSignal;
}

/**
 * `read()`, under CursorStore.list's rule: a STATE_CORRUPT cursor is told to `onCorrupt` and read as
 * absent when there is one, else thrown. Every store's list() reads through it.
 */
export async function readForList(read: () => Promise<CursorState | undefined>, key: StateKey, options: ListOptions | undefined): Promise<CursorState | undefined> {
  try {
    return await read();
  } catch (err) {
    if (!options?.onCorrupt || !isMonitorliftError(err) || err.code !== "STATE_CORRUPT") throw err;
    options.onCorrupt(key, err);
    return undefined;
  }
}

/** Whether `stored` is exactly the state `previous` expects (both absent, or the same version). */
export function isSameVersion(stored: CursorState | undefined, previous: CursorState | undefined): boolean {
  if (stored === undefined || previous === undefined) return stored === undefined && previous === undefined;
  return stored.version === previous.version;
}

/** The STATE_CONFLICT every store throws when the stored version is not the one a write builds on. */
export function stateConflict(key: StateKey, where: string, stored: CursorState | undefined, previous: CursorState | undefined): SinkError {
  return new SinkError(
    "STATE_CONFLICT",
    `the cursor of query "${key.query}" (${key.scope}) in ${where} is at version ${stored?.version ?? "(none)"}, but this commit builds on version ${previous?.version ?? "(none)"}: another run moved it. ` +
      "This run stopped without changing it.",
    { hint: "Make sure only one monitorlift process exports this query to this destination, then run again (it continues from the stored watermark)." },
  );
}

/** A rewind moves a stored cursor back, never forward (Sink.rewind: the caller checked the target; every sink guards its seam with this). */
export function checkRewind(key: StateKey, next: CursorState, previous: CursorState): void {
  if (previous.version === undefined || !(next.watermark < previous.watermark) || next.watermark < previous.origin) {
    throw new SinkError(
      "INTERNAL",
      `cannot rewind query "${key.query}" (${key.scope}) from ${new Date(previous.watermark).toISOString()} to ${new Date(next.watermark).toISOString()}: ` +
        "a rewind moves a stored cursor back, not past its origin",
    );
  }
}
