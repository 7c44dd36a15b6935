/**
 * What one committed part adds to a live cursor's `windows`, so that the count is exactly what `ls` lists
 * and a rewind (src/window/rewind.ts) can take it off again from what the sink recorded. Pure.
 *
 * Rules
 *  - A part with rows (a data file, or rows tagged with its window) counts 1: a split window's parts one by one.
 *  - A grid window without data in any of its parts counts 1, once, at the part that completes it (the one
 *    ending on its grid line). Its other empty parts count 0, and so does an empty part of a window that
 *    has data: an empty part leaves no trace in the sink, so no rewind could take it off again.
 *  - Parts come in time order (the live commit order). A run resuming inside a grid window (an earlier run
 *    stopped between the parts of a split window) says whether the parts committed before it held data.
 */
import { gridFloor } from "./plan.ts";
import type { TimeWindow } from "./window.ts";

export class WindowTally {
  readonly #sizeMs: number;
  #cell: number | undefined;
  #data = false;

  /** `resume`: the grid window the watermark lies inside, and whether its committed parts held data. */
  constructor(sizeMs: number, resume?: { cell: number; data: boolean }) {
    this.#sizeMs = sizeMs;
    if (resume) {
      this.#cell = resume.cell;
      this.#data = resume.data;
    }
  }

  /** What committing `part` adds to the cursor's `windows` (0 or 1). */
  add(part: { window: TimeWindow; rows: number }): number {
    const cell = gridFloor(part.window.start, this.#sizeMs);
    if (cell !== this.#cell) {
      this.#cell = cell;
      this.#data = false;
    }
    if (part.rows > 0) {
      this.#data = true;
      return 1;
    }
    return !this.#data && part.window.end >= cell + this.#sizeMs ? 1 : 0;
  }
}
