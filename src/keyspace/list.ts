/**
 * A double-ended queue of binary strings backed by a power-of-two ring buffer, so pushes and pops at
 * either end are O(1) and indexing is O(1) (Redis's quicklist gives LINDEX O(n); we do better cheaply).
 */
export class ListValue {
  lru = 0;
  /** Estimated bytes as last accounted by the keyspace's memory accounting (keyspace/memory.ts). */
  memBytes = 0;
  private buf: (string | undefined)[];
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 8) {
    let cap = 8;
    while (cap < initialCapacity) cap <<= 1;
    this.buf = new Array(cap);
  }

  static from(items: Iterable<string>): ListValue {
    const list = new ListValue();
    for (const item of items) list.pushTail(item);
    return list;
  }

  get length(): number {
    return this.count;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<string | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }

  private maybeShrink(): void {
    if (this.buf.length > 64 && this.count < this.buf.length >>> 2) {
      const old = this.buf;
      const next = new Array<string | undefined>(old.length >>> 1);
      for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
      this.buf = next;
      this.head = 0;
    }
  }

  pushTail(item: string): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) & (this.buf.length - 1)] = item;
    this.count++;
  }

  pushHead(item: string): void {
    if (this.count === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = item;
    this.count++;
  }

  popHead(): string | undefined {
    if (this.count === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.count--;
    this.maybeShrink();
    return item;
  }

  popTail(): string | undefined {
    if (this.count === 0) return undefined;
    const idx = (this.head + this.count - 1) & (this.buf.length - 1);
    const item = this.buf[idx];
    this.buf[idx] = undefined;
    this.count--;
    this.maybeShrink();
    return item;
  }

  /** Element at a zero-based index from the head; callers normalise negative indexes. */
  at(index: number): string | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.buf[(this.head + index) & (this.buf.length - 1)];
  }

  set(index: number, item: string): void {
    this.buf[(this.head + index) & (this.buf.length - 1)] = item;
  }

  /** Copies elements [start, end] inclusive; callers clamp the range. */
  range(start: number, end: number): string[] {
    const out: string[] = [];
    for (let i = start; i <= end; i++) out.push(this.buf[(this.head + i) & (this.buf.length - 1)]!);
    return out;
  }

  toArray(): string[] {
    return this.count === 0 ? [] : this.range(0, this.count - 1);
  }

  /** Replaces the whole content; used by the rarer O(n) edits (LINSERT, LREM, LTRIM). */
  replaceAll(items: string[]): void {
    let cap = 8;
    while (cap < items.length) cap <<= 1;
    this.buf = new Array(cap);
    for (let i = 0; i < items.length; i++) this.buf[i] = items[i];
    this.head = 0;
    this.count = items.length;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)]!;
  }

  clone(): ListValue {
    return ListValue.from(this);
  }
}
