/**
 * The cursor: one small typed record per query and scope, and its ONE codec. Every store
 * (filesystem file, blob, SQL state table) writes encodeCursor() and reads decodeCursor(), so a
 * cursor means the same thing wherever it lives. A stored cursor that cannot be decoded is a loud
 * STATE_CORRUPT error naming where it was found, never "no state" (that would silently restart a query).
 */
import { z } from "zod";
import { COLUMN_TYPES, type Column } from "../table.ts";
import { SinkError, messageOf } from "../errors.ts";
import type { TimeWindow } from "../window/window.ts";
import type { SplitMemoryState } from "../window/split-memory.ts";

/** Which cursor a piece of work moves: the live export of a query, or one backfill job of it. */
export interface StateKey {
  /** The query's name (validated: [A-Za-z][A-Za-z0-9_-]{0,63}). */
  readonly query: string;
  /** "live", or "backfill-<from>-<to>" with compact UTC timestamps (see src/sinks/layout.ts). */
  readonly scope: string;
}

/** A small typed record per query and scope, stored next to the data it describes. */
export interface CursorState {
  /** Every window ending at or before this instant (epoch ms) has been delivered. */
  watermark: number;
  /** Where this cursor began (epoch ms): live: the first window's start; backfill: --from. */
  origin: number;
  /** Backfill only: committed windows beyond the contiguous watermark (parallel windows commit out of order). */
  completed?: TimeWindow[];
  /** Columns of the last committed window. */
  columns?: Column[];
  /** Rows and windows committed under this cursor so far. */
  rows: number;
  windows: number;
  /** ISO time of the last commit. */
  updatedAt: string;
  /** What the query's split memory knew at this commit (part size the service returns whole): the next run starts from it. */
  split?: SplitMemoryState;
  /** Opaque optimistic-concurrency token set by the store (ETag, counter, row version); never stored in the body. */
  version?: string;
}

const windowSchema = z.object({ start: z.number().finite(), end: z.number().finite() });
const count = z.number().int().nonnegative();
const splitSchema = z.object({
  partMs: z.number().int().positive().optional(),
  clean: count,
  wait: z.number().int().positive(),
  probing: z.boolean(),
  longest: count,
  wholeRows: count,
  wholeBytes: count,
});

/** The stored body (without `version`, which each store keeps beside it). Unknown fields are dropped. */
export const cursorSchema = z.object({
  watermark: z.number().finite(),
  origin: z.number().finite(),
  completed: z.array(windowSchema).optional(),
  columns: z.array(z.object({ name: z.string(), type: z.enum(COLUMN_TYPES) })).optional(),
  rows: z.number().int().nonnegative(),
  windows: z.number().int().nonnegative(),
  updatedAt: z.string(),
  split: splitSchema.optional(),
  /** Only where the store keeps its version inside the body (the filesystem's counter). */
  version: z.string().optional(),
});

/**
 * A stored cursor (JSON text, or an already parsed value such as a jsonb column) → CursorState
 * (with `version` only when the body carries one). Throws SinkError STATE_CORRUPT naming `where` (a file, blob or table row).
 */
export function decodeCursor(raw: unknown, where: string): CursorState {
  let problem: string;
  try {
    const value: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
    const parsed = cursorSchema.safeParse(value);
    if (parsed.success) return stripUndefined(parsed.data);
    problem = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  } catch (err) {
    problem = `not valid JSON: ${messageOf(err)}`;
  }
  throw new SinkError(
    "STATE_CORRUPT",
    `the cursor stored in ${where} is corrupt (${problem}), so the export position it records is unknown and nothing was exported.`,
    {
      hint:
        "Restore it from a backup or repair it by hand (fields: watermark, origin, rows, windows, updatedAt); deleting it makes the query start again from its configured start, which rewrites windows that were already exported.",
    },
  );
}

/**
 * The stored body of a cursor: JSON without the caller's `version` (a store keeps its version beside
 * the body: ETag, column), unless `options.version` is given (a store that keeps it inside the body).
 */
export function encodeCursor(state: CursorState, options: { version?: string; pretty?: boolean } = {}): string {
  const { version: _ignored, ...body } = state;
  const checked = cursorSchema.parse(options.version === undefined ? body : { ...body, version: options.version });
  return options.pretty ? `${JSON.stringify(checked, null, 2)}\n` : JSON.stringify(checked);
}

function stripUndefined(value: z.infer<typeof cursorSchema>): CursorState {
  const out: CursorState = { watermark: value.watermark, origin: value.origin, rows: value.rows, windows: value.windows, updatedAt: value.updatedAt };
  if (value.completed !== undefined) out.completed = value.completed;
  if (value.columns !== undefined) out.columns = value.columns as Column[];
  if (value.split !== undefined) out.split = value.split;
  if (value.version !== undefined) out.version = value.version;
  return out;
}
