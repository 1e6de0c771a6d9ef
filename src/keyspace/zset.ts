/**
 * Sorted set: a member→score dictionary for O(1) ZSCORE plus a skiplist ordered by (score, member)
 * for everything positional. Like Redis's zskiplist, every forward link carries a span (how many
 * nodes it jumps over), so rank queries and "the n-th element" are O(log n) as well as insertion,
 * deletion and seeking the first/last element of a score or lex range.
 *
 * Ties on score order by member, bytewise: members are latin1 binary strings (one byte per UTF-16
 * unit), so JS string comparison is exactly memcmp order.
 */

/** Redis's ZSKIPLIST_MAXLEVEL and ZSKIPLIST_P: enough levels for 2^64 elements with p = 1/4. */
const MAX_LEVEL = 32;
const LEVEL_P = 0.25;

export class ZNode {
  /** The previous node at level 0 (null for the first node): reverse iteration. */
  backward: ZNode | null = null;
  /** next[i] is the following node at level i; span[i] is the rank distance to it. */
  readonly next: (ZNode | null)[];
  readonly span: number[];

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    // Built by push so V8 keeps them packed (no hole checks on every hop).
    const next: (ZNode | null)[] = [];
    const span: number[] = [];
    for (let i = 0; i < level; i++) {
      next.push(null);
      span.push(0);
    }
    this.next = next;
    this.span = span;
  }

  /** The following node in order, or null at the tail. */
  get forward(): ZNode | null {
    return this.next[0]!;
  }
}

/** A score interval as ZRANGEBYSCORE parses it: `(` makes a bound exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/**
 * One end of a lex interval: `-` and `+` are the infinities (Redis's shared.minstring/maxstring),
 * `[x` includes x, `(x` excludes it.
 */
export interface LexBound {
  /** -1 for `-`, +1 for `+`, 0 for a member value. */
  inf: -1 | 0 | 1;
  value: string;
  exclusive: boolean;
}

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** (score, member) order: negative when a sorts before b. */
function before(aScore: number, aMember: string, bScore: number, bMember: string): boolean {
  return aScore < bScore || (aScore === bScore && aMember < bMember);
}

export function scoreGteMin(score: number, r: ScoreRange): boolean {
  return r.minExclusive ? score > r.min : score >= r.min;
}

export function scoreLteMax(score: number, r: ScoreRange): boolean {
  return r.maxExclusive ? score < r.max : score <= r.max;
}

/** Compares a member to a bound, the infinities being beyond every member. */
function compareToBound(member: string, b: LexBound): number {
  if (b.inf !== 0) return -b.inf;
  return member < b.value ? -1 : member > b.value ? 1 : 0;
}

export function lexGteMin(member: string, r: LexRange): boolean {
  const cmp = compareToBound(member, r.min);
  return r.min.exclusive ? cmp > 0 : cmp >= 0;
}

export function lexLteMax(member: string, r: LexRange): boolean {
  const cmp = compareToBound(member, r.max);
  return r.max.exclusive ? cmp < 0 : cmp <= 0;
}

/** True when no string can satisfy the range (min above max, or equal with an exclusive end). */
function lexRangeEmpty(r: LexRange): boolean {
  const a = r.min;
  const b = r.max;
  let cmp: number;
  if (a.inf !== 0 || b.inf !== 0) cmp = a.inf === b.inf ? 0 : a.inf === 1 || b.inf === -1 ? 1 : -1;
  else cmp = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return cmp > 0 || (cmp === 0 && (a.exclusive || b.exclusive));
}

function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive));
}

/** Insertion/deletion scratch: the rightmost node before the target at each level, and its rank. */
const update: ZNode[] = new Array(MAX_LEVEL);
const rankAt: number[] = new Array(MAX_LEVEL).fill(0);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < LEVEL_P) level++;
  return level;
}

export class SortedSetValue {
  lru = 0;
  /** Estimated bytes as last accounted by the keyspace's memory accounting (keyspace/memory.ts). */
  memBytes = 0;
  readonly dict = new Map<string, number>();
  private readonly header = new ZNode('', 0, MAX_LEVEL);
  private last: ZNode | null = null;
  private level = 1;

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /**
   * Inserts or updates; returns true when the member is new. Like Redis, a score that compares equal
   * (0 and -0) leaves the stored one untouched.
   */
  add(member: string, score: number): boolean {
    const current = this.dict.get(member);
    if (current === undefined) {
      this.insertNode(member, score);
      this.dict.set(member, score);
      return true;
    }
    if (current !== score) {
      this.updateScore(member, current, score);
      this.dict.set(member, score);
    }
    return false;
  }

  remove(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.deleteNode(this.findUpdatePath(score, member));
    return true;
  }

  /** The first node in order (lowest score), or null when empty. */
  get first(): ZNode | null {
    return this.header.next[0]!;
  }

  /** The last node in order (highest score), or null when empty. */
  get tail(): ZNode | null {
    return this.last;
  }

  /** Members in ascending (score, member) order. */
  *entries(): IterableIterator<[string, number]> {
    for (let x = this.header.next[0]!; x !== null; x = x.next[0]!) yield [x.member, x.score];
  }

  /** The 0-based ascending rank of a member, or undefined when absent. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && (y.score < score || (y.score === score && y.member <= member))) {
        rank += x.span[i]!;
        x = y;
        y = x.next[i]!;
      }
      if (x !== this.header && x.member === member) return rank - 1;
    }
    return undefined;
  }

  /** The node at a 0-based ascending rank, or null when out of range. */
  nodeAt(rank: number): ZNode | null {
    if (rank < 0 || rank >= this.size) return null;
    const target = rank + 1;
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i]! <= target) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** The lowest node whose score is within the range, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.mayIntersectScores(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !scoreGteMin(x.next[i]!.score, r)) x = x.next[i]!;
    }
    const found = x.next[0]!;
    return found !== null && scoreLteMax(found.score, r) ? found : null;
  }

  /** The highest node whose score is within the range, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.mayIntersectScores(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && scoreLteMax(x.next[i]!.score, r)) x = x.next[i]!;
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  /** The lowest node whose member is within the range, assuming equal scores as Redis does. */
  firstInLexRange(r: LexRange): ZNode | null {
    if (!this.mayIntersectLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !lexGteMin(x.next[i]!.member, r)) x = x.next[i]!;
    }
    const found = x.next[0]!;
    return found !== null && lexLteMax(found.member, r) ? found : null;
  }

  /** The highest node whose member is within the range, assuming equal scores as Redis does. */
  lastInLexRange(r: LexRange): ZNode | null {
    if (!this.mayIntersectLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && lexLteMax(x.next[i]!.member, r)) x = x.next[i]!;
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /** How many members have a score within the range: two O(log n) rank lookups. */
  countInScoreRange(r: ScoreRange): number {
    const first = this.firstInScoreRange(r);
    if (first === null) return 0;
    const last = this.lastInScoreRange(r)!;
    return this.rank(last.member)! - this.rank(first.member)! + 1;
  }

  countInLexRange(r: LexRange): number {
    const first = this.firstInLexRange(r);
    if (first === null) return 0;
    const last = this.lastInLexRange(r);
    if (last === null) return 0;
    return Math.max(0, this.rank(last.member)! - this.rank(first.member)! + 1);
  }

  clone(): SortedSetValue {
    const copy = new SortedSetValue();
    // Appending in order is the cheap path of insertNode: the update path is the right edge.
    for (let x = this.header.next[0]!; x !== null; x = x.next[0]!) copy.add(x.member, x.score);
    return copy;
  }

  // ---- skiplist internals --------------------------------------------------------------------------

  private mayIntersectScores(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return false;
    const last = this.last;
    const first = this.header.next[0]!;
    return last !== null && scoreGteMin(last.score, r) && first !== null && scoreLteMax(first.score, r);
  }

  private mayIntersectLex(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return false;
    const last = this.last;
    const first = this.header.next[0]!;
    return last !== null && lexGteMin(last.member, r) && first !== null && lexLteMax(first.member, r);
  }

  private insertNode(member: string, score: number): ZNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1]!;
      let y = x.next[i]!;
      while (y !== null && before(y.score, y.member, score, member)) {
        rankAt[i]! += x.span[i]!;
        x = y;
        y = x.next[i]!;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.header;
        // The header's link at a new level spans the whole list (to the virtual end).
        this.header.span[i] = this.dict.size;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const prev = update[i]!;
      node.next[i] = prev.next[i]!;
      prev.next[i] = node;
      node.span[i] = prev.span[i]! - (rankAt[0]! - rankAt[i]!);
      prev.span[i] = rankAt[0]! - rankAt[i]! + 1;
    }
    // Links above the new node's height now jump over one more node.
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.header ? null : update[0]!;
    if (node.next[0] !== null) node.next[0]!.backward = node;
    else this.last = node;
    return node;
  }

  /** Fills `update` for the node holding (score, member) and returns that node. */
  private findUpdatePath(score: number, member: string): ZNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && before(y.score, y.member, score, member)) {
        x = y;
        y = x.next[i]!;
      }
      update[i] = x;
    }
    return x.next[0]!;
  }

  /** Unlinks a node, `update` having been filled by findUpdatePath. */
  private deleteNode(node: ZNode): void {
    for (let i = 0; i < this.level; i++) {
      const prev = update[i]!;
      if (prev.next[i] === node) {
        prev.span[i]! += node.span[i]! - 1;
        prev.next[i] = node.next[i]!;
      } else {
        prev.span[i]!--;
      }
    }
    if (node.next[0] !== null) node.next[0]!.backward = node.backward;
    else this.last = node.backward;
    while (this.level > 1 && this.header.next[this.level - 1] === null) {
      this.header.span[this.level - 1] = 0;
      this.level--;
    }
  }

  /**
   * Moves a member to a new score. When the new score keeps it between its neighbours (the common
   * case for small increments) the node is updated in place, as Redis's zslUpdateScore does.
   */
  private updateScore(member: string, current: number, score: number): void {
    const node = this.findUpdatePath(current, member);
    const prev = node.backward;
    const next = node.next[0]!;
    if (
      (prev === null || before(prev.score, prev.member, score, member)) &&
      (next === null || before(score, member, next.score, next.member))
    ) {
      node.score = score;
      return;
    }
    this.deleteNode(node);
    // dict.size still counts the member: insertNode reads it as the length before insertion.
    this.dict.delete(member);
    this.insertNode(member, score);
  }
}
