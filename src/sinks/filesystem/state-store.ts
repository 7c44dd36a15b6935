/**
 * Cursor states as JSON files, `_state/<query>/<scope>.json`, replaced atomically. The `version`
 * field is a counter the store increments on every write; a write that builds on another version
 * than the stored one is refused with STATE_CONFLICT. A file that cannot be parsed or validated is
 * a loud error naming it, never "no state" (that would silently restart a query).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { COLUMN_TYPES } from "../../table.ts";
import { SinkError, messageOf } from "../../errors.ts";
import type { CursorState, StateKey } from "../sink.ts";
import { isValidQueryName, statePath } from "../layout.ts";
import { errnoCode, fsError } from "./fs-errors.ts";
import { listNames, writeFileAtomic } from "./fs-util.ts";

const windowSchema = z.object({ start: z.number().finite(), end: z.number().finite() });

const cursorStateSchema = z.object({
  watermark: z.number().finite(),
  origin: z.number().finite(),
  completed: z.array(windowSchema).optional(),
  columns: z.array(z.object({ name: z.string(), type: z.enum(COLUMN_TYPES) })).optional(),
  rows: z.number().int().nonnegative(),
  windows: z.number().int().nonnegative(),
  updatedAt: z.string(),
  version: z.string().optional(),
});

const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Guards the paths built from a key: a query or scope can never climb out of its folder. */
export function checkKey(key: StateKey): void {
  if (!isValidQueryName(key.query) || !SCOPE_PATTERN.test(key.scope)) {
    throw new SinkError("INTERNAL", `invalid state key ${JSON.stringify(key)}: the query must match [A-Za-z][A-Za-z0-9_-]{0,63} and the scope [A-Za-z0-9][A-Za-z0-9._-]*`);
  }
}

export function parseCursorState(text: string, file: string, key: StateKey): CursorState {
  let json: unknown;
  let problem: string;
  try {
    json = JSON.parse(text);
    const parsed = cursorStateSchema.safeParse(json);
    if (parsed.success) return parsed.data as CursorState;
    problem = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  } catch (err) {
    problem = `not valid JSON: ${messageOf(err)}`;
  }
  throw new SinkError(
    "SINK_SCHEMA",
    `the state file ${file} is corrupt (${problem}), so the export position of query "${key.query}" (${key.scope}) is unknown and nothing was exported. ` +
      "Restore the file from a backup or repair it by hand (fields: watermark, origin, rows, windows, updatedAt, version); deleting it makes the query start again from its configured start, which rewrites windows that were already exported.",
  );
}

export function nextVersion(current: string | undefined): string {
  const n = current === undefined ? 0 : Number.parseInt(current, 10);
  return String((Number.isSafeInteger(n) && n >= 0 ? n : 0) + 1);
}

export class StateStore {
  readonly #root: string;
  readonly #durable: boolean;

  constructor(root: string, durable: boolean) {
    this.#root = root;
    this.#durable = durable;
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
    return parseCursorState(text, file, key);
  }

  async list(): Promise<Array<{ key: StateKey; state: CursorState }>> {
    const base = path.join(this.#root, "_state");
    const out: Array<{ key: StateKey; state: CursorState }> = [];
    for (const query of (await listNames(base)).sort()) {
      if (!isValidQueryName(query)) continue;
      for (const name of (await listNames(path.join(base, query))).sort()) {
        if (!name.endsWith(".json")) continue; // temporary files of an atomic write end in .tmp
        const scope = name.slice(0, -".json".length);
        if (!SCOPE_PATTERN.test(scope)) continue;
        const key = { query, scope };
        const state = await this.read(key);
        if (state) out.push({ key, state });
      }
    }
    return out;
  }

  /**
   * Refuses with STATE_CONFLICT when the stored version is not `previous`'s; the state is untouched then.
   * Returns the stored state it checked (undefined when none).
   */
  async check(key: StateKey, previous: CursorState | undefined): Promise<CursorState | undefined> {
    const stored = await this.read(key);
    if (stored?.version !== previous?.version || (stored === undefined) !== (previous === undefined)) {
      throw new SinkError(
        "STATE_CONFLICT",
        `the state of query "${key.query}" (${key.scope}) in ${this.fileOf(key)} is at version ${stored?.version ?? "(none)"}, but this commit builds on version ${previous?.version ?? "(none)"}: another run moved it. ` +
          "This run stopped without changing it; make sure only one monitorlift process exports this query to this folder, then run again.",
      );
    }
    return stored;
  }

  /** Checks `previous`, then writes `next` with an incremented version and returns that version. */
  async write(key: StateKey, next: CursorState, previous: CursorState | undefined): Promise<string> {
    const stored = await this.check(key, previous);
    const version = nextVersion(stored?.version);
    const file = this.fileOf(key);
    await writeFileAtomic(file, `${JSON.stringify({ ...next, version }, null, 2)}\n`, this.#durable, "write the state file");
    return version;
  }
}
