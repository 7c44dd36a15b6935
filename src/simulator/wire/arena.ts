/**
 * Where remembered row JSON lives: UTF-8 bytes appended to 1 MiB blocks that
 * are never reused (the rows keep views into them). Keeping these bytes apart
 * from response chunks lets the chunks be recycled.
 */

const BLOCK_BYTES = 1024 * 1024;

export class ByteArena {
  private block = Buffer.alloc(0);
  private off = 0;
  private total = 0;

  /** Bytes stored so far. */
  get size(): number {
    return this.total;
  }

  /** Stores the UTF-8 of `text`; returns a view of exactly its bytes. */
  store(text: string): Uint8Array {
    const worst = text.length * 3;
    if (this.off + worst > this.block.length) {
      this.block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, worst));
      this.off = 0;
    }
    const n = this.block.write(text, this.off, "utf8");
    const view = this.block.subarray(this.off, this.off + n);
    this.off += n;
    this.total += n;
    return view;
  }
}

/** The process-wide arena for remembered rows. */
export const rowArena = new ByteArena();
