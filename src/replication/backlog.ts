/**
 * The replication backlog: the last `size` bytes of the replication stream, so a replica that lost its
 * link can continue from where it was (PSYNC) instead of reloading everything.
 *
 * A fixed circular buffer. Offsets are absolute stream offsets as Redis counts them: the first byte ever
 * produced is offset 1, and `endOffset` (Redis's master_repl_offset) is the offset of the last byte.
 */
export class Backlog {
  private buf: Buffer;
  /** Where the next byte goes in `buf`. */
  private head = 0;
  /** Bytes of history held (≤ size). */
  private len = 0;

  constructor(
    size: number,
    /** master_repl_offset at creation: the backlog then starts empty at `endOffset + 1`. */
    private end: number,
  ) {
    this.buf = Buffer.alloc(size);
  }

  get size(): number {
    return this.buf.length;
  }

  /** master_repl_offset: offset of the last byte appended. */
  get endOffset(): number {
    return this.end;
  }

  get histlen(): number {
    return this.len;
  }

  /** repl_backlog_first_byte_offset: the oldest offset still held. */
  get firstByteOffset(): number {
    return this.end - this.len + 1;
  }

  append(data: Buffer): void {
    const size = this.buf.length;
    this.end += data.length;
    if (data.length >= size) {
      data.copy(this.buf, 0, data.length - size);
      this.head = 0;
      this.len = size;
      return;
    }
    const first = Math.min(data.length, size - this.head);
    data.copy(this.buf, this.head, 0, first);
    if (first < data.length) data.copy(this.buf, 0, first);
    this.head = (this.head + data.length) % size;
    this.len = Math.min(size, this.len + data.length);
  }

  /** True when a replica may continue from `offset` (the first byte it lacks). */
  canServe(offset: number): boolean {
    return offset >= this.firstByteOffset && offset <= this.end + 1;
  }

  /** The bytes from `offset` (inclusive) to the end; `canServe(offset)` must hold. */
  readFrom(offset: number): Buffer {
    if (!this.canServe(offset)) throw new RangeError(`offset ${offset} not in backlog`);
    const n = this.end - offset + 1;
    const out = Buffer.allocUnsafe(n);
    const size = this.buf.length;
    const start = (this.head - n + size) % size;
    const first = Math.min(n, size - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** repl-backlog-size changed at run time: keeps as much recent history as fits. */
  resize(size: number): void {
    if (size === this.buf.length) return;
    const keep = Math.min(this.len, size);
    const recent = keep > 0 ? this.readFrom(this.end - keep + 1) : Buffer.alloc(0);
    this.buf = Buffer.alloc(size);
    recent.copy(this.buf, 0);
    this.head = keep % size;
    this.len = keep;
  }
}
