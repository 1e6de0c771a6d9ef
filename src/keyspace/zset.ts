/**
 * Sorted set: a member→score dictionary plus an ordered index (a skiplist with spans, as Redis does)
 * so that rank and range queries are O(log n). Ties on score order by member, bytewise.
 *
 * NOTE: placeholder implementation with the final API; replaced by the skiplist.
 */
export class SortedSetValue {
  lru = 0;
  readonly dict = new Map<string, number>();

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Inserts or updates; returns true when the member is new. */
  add(member: string, score: number): boolean {
    const isNew = !this.dict.has(member);
    this.dict.set(member, score);
    return isNew;
  }

  remove(member: string): boolean {
    return this.dict.delete(member);
  }

  /** Members in ascending (score, member) order. */
  *entries(): IterableIterator<[string, number]> {
    const all = [...this.dict.entries()].sort((a, b) =>
      a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
    yield* all;
  }

  clone(): SortedSetValue {
    const copy = new SortedSetValue();
    for (const [m, s] of this.dict) copy.add(m, s);
    return copy;
  }
}
