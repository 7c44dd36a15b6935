/**
 * Cursor states as JSON files, `_state/<query>/<scope>.json`, replaced atomically. The `version`
 * field is a counter the store increments on every write (kept inside the file); a write that
 * builds on another version than the stored one is refused with STATE_CONFLICT. Files are decoded
 * with the one cursor codec (src/state/cursor.ts): a corrupt file is STATE_CORRUPT naming it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SinkError } from "../../errors.ts";
import { decodeCursor, encodeCursor, type CursorState, type StateKey } from "../../state/cursor.ts";
import { isSameVersion, readForList, stateConflict, type CursorStore, type ListOptions } from "../../state/cursor-store.ts";
import { isValidQueryName, statePath } from "../layout.ts";
import { errnoCode, fsError } from "./fs-errors.ts";
import { listNames, writeFileAtomic } from "./fs-util.ts";

const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Guards the paths built from a key: a query or scope can never climb out of its folder. */
export function checkKey(key: StateKey): void {
  if (!isValidQueryName(key.query) || !SCOPE_PATTERN.test(key.scope)) {
    throw new SinkError("INTERNAL", `invalid state key ${JSON.stringify(key)}: the query must match [A-Za-z][A-Za-z0-9_-]{0,63} and the scope [A-Za-z0-9][A-Za-z0-9._-]*`);
  }
}

function nextVersion(current: string | undefined): string {
  const n = current === undefined ? 0 : Number.parseInt(current, 10);
  return String((Number.isSafeInteger(n) && n >= 0 ? n : 0) + 1);
}

export class StateStore implements CursorStore {
  readonly #root: string;
  readonly #durable: boolean;

  constructor(root: string, durable: boolean) {
    this.#root = root;
    this.#durable = durable;
  }

  locationOf(key: StateKey): string {
    return this.fileOf(key);
  }

  fileOf(key: StateKey): string {
    checkKey(key);
    return path.join(this.#root, statePath(key));
  }

  async read(key: StateKey): Promise<CursorState | undefined> {
    const file = this.fileOf(key);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw fsError(err, "read the state file", file);
    }
    const state = decodeCursor(text, `the state file ${file}`);
    // A file written by hand without a version counts as version 0 (the next write makes it 1).
    return { ...state, version: state.version ?? "0" };
  }

  async list(options?: ListOptions): Promise<Array<{ key: StateKey; state: CursorState }>> {
    const base = path.join(this.#root, "_state");
    const out: Array<{ key: StateKey; state: CursorState }> = [];
    for (const query of (await listNames(base)).sort()) {
      if (!isValidQueryName(query)) continue;
      for (const name of (await listNames(path.join(base, query))).sort()) {
        if (!name.endsWith(".json")) continue; // temporary files of an atomic write end in .tmp
        const scope = name.slice(0, -".json".length);
        if (!SCOPE_PATTERN.test(scope)) continue;
        const key = { query, scope };
        const state = await readForList(() => this.read(key), key, options);
        if (state) out.push({ key, state });
      }
    }
    return out;
  }

  /** Checks `previous`, then writes `next` with an incremented version and returns that version. */
  async write(key: StateKey, next: CursorState, previous: CursorState | undefined): Promise<string> {
    const stored = await this.read(key);
    if (!isSameVersion(stored, previous)) throw stateConflict(key, this.fileOf(key), stored, previous);
    const version = nextVersion(stored?.version);
    const file = this.fileOf(key);
    await writeFileAtomic(file, encodeCursor(next, { version, pretty: true }), this.#durable, "write the state file");
    return version;
  }
}
