/**
 * Cursor-based iteration (SCAN, HSCAN, SSCAN, ZSCAN) over JS Maps and Sets.
 *
 * Redis's cursor is a stateless position in a hash table: it walks buckets in reverse-binary order so
 * that a full iteration returns every element present from start to end at least once, whatever
 * rehashing happened in between. A JS Map has no buckets and no seek, so the cursor here names a live
 * Map/Set iterator instead. That keeps the same guarantee for free: V8's Map and Set iterators stay
 * valid under any mutation (including the table being grown or shrunk), skip entries deleted before
 * they are reached and visit entries added later. An element present for the whole iteration is
 * therefore returned exactly once; one deleted and re-added may be returned twice, which SCAN allows.
 *
 * The iterators live in a bounded table, least recently used first out, so abandoned scans cost
 * nothing forever. A cursor whose iterator is gone (evicted, the server restarted, a replayed cursor, a
 * collection replaced by another object under the same key) is not an error: the cursor number also
 * encodes how many elements had been visited, and a fresh iterator skips that many. As insertion order
 * is stable this resumes at the same place unless elements before it were deleted meanwhile, in which
 * case up to that many elements may be skipped: the guarantee then weakens to "best effort", which is
 * the price of a cursor outliving its iterator. The skip costs O(position), once.
 *
 * Cursor layout (decimal, below 2^53 so it survives clients that parse it as a double):
 *   position * 2^20 + tag, with tag in [1, 2^20) a rotating id that tells live cursors apart.
 * 0 is reserved, as in Redis, for "start" and "iteration complete".
 */

const TAG_BITS = 20;
const TAG_SPACE = 2 ** TAG_BITS;
/** Position beyond which the layout would exceed 2^53; such collections restart instead. */
const MAX_POSITION = 2 ** (53 - TAG_BITS) - 1;

/** What can be scanned: the keyspace dict, a hash, a zset's member map, a set. */
export type Scannable = ReadonlyMap<string, unknown> | ReadonlySet<string>;

interface LiveCursor {
  source: Scannable;
  iterator: Iterator<string>;
  /** Elements taken from the iterator so far (the cursor's position). */
  position: number;
  /** An element read ahead to learn whether the iteration is over; served first next time. */
  peeked: string | undefined;
  lastUsed: number;
}

export interface ScanPage {
  /** The cursor to send back: 0 when the iteration is complete. */
  cursor: number;
  /** Elements visited in this step (the caller filters them by MATCH/TYPE and looks values up). */
  keys: string[];
}

export class ScanCursors {
  /** Insertion order doubles as LRU order: a cursor is re-inserted every time it is used. */
  private readonly live = new Map<number, LiveCursor>();
  private nextTag = 1;

  /**
   * @param capacity live iterators kept at most; beyond that the least recently used is dropped.
   * @param idleMs iterators unused for this long are dropped, so that a scan abandoned halfway does not
   *   pin a large deleted collection in memory until capacity pressure evicts it.
   */
  constructor(
    readonly capacity = 1024,
    readonly idleMs = 5 * 60_000,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /**
   * Visits up to `count` elements of `source` from `cursor` (0 = start). `now` is the server's cached
   * clock, used only to expire idle cursors.
   */
  scan(source: Scannable, cursor: number, count: number, now: number): ScanPage {
    this.dropIdle(now);
    const state = this.resume(source, cursor, now);
    const keys: string[] = [];
    if (state.peeked !== undefined) {
      // Read ahead by the previous step; it may have been deleted since.
      if (source.has(state.peeked)) keys.push(state.peeked);
      state.peeked = undefined;
    }
    while (keys.length < count) {
      const next = state.iterator.next();
      if (next.done) return { cursor: 0, keys };
      state.position++;
      keys.push(next.value);
    }
    // Read one ahead so that a step ending exactly at the last element reports completion (cursor 0),
    // as Redis does when the table walk wraps, instead of one more empty page.
    const ahead = state.iterator.next();
    if (ahead.done) return { cursor: 0, keys };
    state.position++;
    state.peeked = ahead.value;
    return { cursor: this.park(state), keys };
  }

  private resume(source: Scannable, cursor: number, now: number): LiveCursor {
    if (cursor !== 0) {
      // A cursor of another collection (a replayed HSCAN cursor used on another key) is left alone.
      const found = this.live.get(cursor);
      if (found !== undefined && found.source === source) {
        this.live.delete(cursor);
        found.lastUsed = now;
        return found;
      }
    }
    const state: LiveCursor = {
      source,
      iterator: source.keys(),
      position: 0,
      peeked: undefined,
      lastUsed: now,
    };
    // Unknown cursor: resume by position (see the file comment for what this can miss).
    const skip = cursor === 0 ? 0 : Math.floor(cursor / TAG_SPACE);
    // The element at position `skip` was read ahead but not returned: stop one before it.
    const target = skip > 0 ? skip - 1 : 0;
    while (state.position < target && !state.iterator.next().done) state.position++;
    return state;
  }

  /** Stores a cursor's iterator under a new number and returns that number. */
  private park(state: LiveCursor): number {
    if (state.position > MAX_POSITION) {
      // Absurdly large collection: degrade to an unknown-cursor resume from the largest position.
      state.position = MAX_POSITION;
    }
    const tag = this.nextTag;
    this.nextTag = tag + 1 === TAG_SPACE ? 1 : tag + 1;
    const cursor = state.position * TAG_SPACE + tag;
    this.live.delete(cursor);
    this.live.set(cursor, state);
    if (this.live.size > this.capacity) {
      const oldest = this.live.keys().next().value;
      if (oldest !== undefined) this.live.delete(oldest);
    }
    return cursor;
  }

  private dropIdle(now: number): void {
    for (const [cursor, state] of this.live) {
      if (now - state.lastUsed < this.idleMs) break; // LRU order: the rest are more recent
      this.live.delete(cursor);
    }
  }

  /** Forgets every live iterator (FLUSHALL, tests). */
  clear(): void {
    this.live.clear();
  }
}

/**
 * The cursor tables, one per owner (a Server), created on first use. Keyed weakly so that a server
 * that is closed and dropped takes its iterators with it.
 */
const tables = new WeakMap<object, ScanCursors>();

export function scanCursorsFor(owner: object): ScanCursors {
  let table = tables.get(owner);
  if (table === undefined) {
    table = new ScanCursors();
    tables.set(owner, table);
  }
  return table;
}

/**
 * Parses a cursor argument as Redis does (strtoul, base 10): digits with an optional sign, no leading
 * space, nothing after; an empty string is cursor 0 and a negative one wraps around (we read it as an
 * unknown cursor). Returns undefined for "ERR invalid cursor".
 */
export function parseScanCursor(text: string): number | undefined {
  if (!/^[+-]?\d*$/.test(text)) return undefined;
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  if (digits.length === 0) return text.length === 0 ? 0 : undefined;
  const value = BigInt(digits);
  if (value > 0xffff_ffff_ffff_ffffn) return undefined; // ERANGE
  if (negative) return value === 0n ? 0 : Number(2n ** 64n - value);
  return Number(value);
}

export interface ScanArguments {
  cursor: number;
  count: number;
  /** Undefined when no MATCH was given or the pattern is `*`. */
  pattern: string | undefined;
  /** SCAN's TYPE filter, lower-cased by the caller when comparing. */
  type: string | undefined;
}

/**
 * Parses `<cursor> [MATCH pattern] [COUNT count] [TYPE type]` starting at argv[cursorIndex]. TYPE is
 * only accepted when `allowType` (SCAN, not the per-collection scans). Returns the Redis error text
 * instead of arguments on failure.
 */
export function parseScanArguments(
  argv: readonly string[],
  cursorIndex: number,
  allowType: boolean,
): ScanArguments | string {
  const cursor = parseScanCursor(argv[cursorIndex]!);
  if (cursor === undefined) return 'ERR invalid cursor';
  const args: ScanArguments = { cursor, count: 10, pattern: undefined, type: undefined };
  for (let i = cursorIndex + 1; i < argv.length; i += 2) {
    const option = argv[i]!.toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) return 'ERR syntax error';
    if (option === 'count') {
      const count = parseCount(value);
      if (count === undefined) return 'ERR value is not an integer or out of range';
      if (count < 1) return 'ERR syntax error';
      args.count = count;
    } else if (option === 'match') {
      args.pattern = value === '*' ? undefined : value;
    } else if (option === 'type' && allowType) {
      args.type = value;
    } else {
      return 'ERR syntax error';
    }
  }
  return args;
}

/** A long (strict string2ll); huge counts are only a hint, so they are clamped. */
function parseCount(text: string): number | undefined {
  if (!/^(0|-?[1-9]\d*)$/.test(text)) return undefined;
  const value = BigInt(text);
  if (value > 9223372036854775807n || value < -9223372036854775808n) return undefined;
  return value > 2n ** 31n ? 2 ** 31 : Number(value);
}
