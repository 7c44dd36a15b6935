/**
 * The remembered JSON of stored rows, outside the JS heap: UTF-8 bytes in large
 * blocks, located by the row's key (row-key.ts) through typed arrays. Serving a
 * remembered row is a byte copy with no allocation; remembering one allocates
 * nothing on the JS heap either (the GC never has to trace the cache).
 *
 * Each row is stored right after a comma, so rows remembered one after another
 * form a ready-made `row,row,row` byte range that is copied in one go.
 *
 * Blocks are few and large on purpose: V8 starts a full GC for every ~64 MB of
 * new external memory, and a full GC of a heap holding a million rows is
 * expensive, so the cache reserves its expected size up front (reserve()) and
 * otherwise grows geometrically. An entry is valid for one column-type signature
 * (the row's table). One cache per simulated workspace (row keys are per workspace).
 */

const MIN_BLOCK = 1024 * 1024;
const MAX_BLOCK = 256 * 1024 * 1024;
const COMMA = 0x2c;

export class RowJsonCache {
  private readonly blocks: Buffer[] = [];
  private current = Buffer.alloc(0);
  private off = 0;
  private blockOf = new Int32Array(1024);
  private startOf = new Int32Array(1024);
  private lenOf = new Int32Array(1024).fill(-1);
  private sigOf = new Int32Array(1024);
  private bytes = 0;

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** Byte length of the row's remembered JSON for this signature, or -1. */
  length(key: number, sig: number): number {
    if (key >= this.lenOf.length || this.sigOf[key] !== sig) return -1;
    return this.lenOf[key] as number;
  }

  /** True when row `key` is remembered in some shape (signature). */
  has(key: number): boolean {
    return key < this.lenOf.length && (this.lenOf[key] as number) >= 0;
  }

  /** Index of the block holding row `key` (see block()). */
  blockIndex(key: number): number {
    return this.blockOf[key] as number;
  }

  /** Offset of row `key`'s first byte in its block; the byte before it is a comma. */
  start(key: number): number {
    return this.startOf[key] as number;
  }

  block(index: number): Buffer {
    return this.blocks[index] as Buffer;
  }

  /** Makes sure at least `bytes` of rows with keys below `keys` can be stored without allocating again. */
  reserve(bytes: number, keys = 0): void {
    if (keys > 0) this.grow(keys - 1);
    if (this.current.length - this.off >= bytes) return;
    this.newBlock(Math.max(MIN_BLOCK, Math.ceil(bytes)));
  }

  /** Remembers `text` as the JSON of row `key` (signature `sig`); returns its byte length. */
  store(key: number, sig: number, text: string): number {
    const worst = text.length * 3 + 1;
    if (this.off + worst > this.current.length) {
      this.newBlock(Math.max(worst, Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, this.bytes))));
    }
    this.current[this.off++] = COMMA;
    const n = this.current.write(text, this.off, "utf8");
    this.grow(key);
    this.blockOf[key] = this.blocks.length - 1;
    this.startOf[key] = this.off;
    this.lenOf[key] = n;
    this.sigOf[key] = sig;
    this.off += n;
    this.bytes += n + 1;
    return n;
  }

  private newBlock(size: number): void {
    this.current = Buffer.allocUnsafeSlow(size);
    this.blocks.push(this.current);
    this.off = 0;
  }

  private grow(key: number): void {
    if (key < this.lenOf.length) return;
    let cap = this.lenOf.length;
    while (cap <= key) cap *= 2;
    const widen = (a: Int32Array, fill: number) => {
      const b = new Int32Array(cap);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    this.blockOf = widen(this.blockOf, 0);
    this.startOf = widen(this.startOf, 0);
    this.lenOf = widen(this.lenOf, -1);
    this.sigOf = widen(this.sigOf, 0);
  }
}
