import { encodingOf, noteGrowth } from '../keyspace/encoding.js';
import { parseScanArguments, parseScanCursor, type Scannable, scanCursorsFor } from '../keyspace/scan.js';
import { type RedisValue, SetValue } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import { type CommandSpec, cmd } from './table.js';
import { Err, globMatch, parseInt64, readTyped, writeTyped } from './util.js';

/*
 * Random members. SetValue is a JS Set: compact (V8's ordered hash table, about 3 pointer-sized slots
 * per member) but without random access, so picking the k-th member walks k entries. Redis gets O(1)
 * random picks from its bucket array. Giving every set a side array plus a member→position map would
 * roughly double the memory of all sets to speed up two commands, so the cost is paid only by the
 * sets that need it:
 *  - below RANDOM_INDEX_MIN members, a pick walks to a random position (a few hundred ns);
 *  - a larger set gets a RandomIndex on its first random pick, kept in step by this file's writers
 *    (SADD, SREM, SPOP, SMOVE are the only commands that change a set in place) and dropped with the
 *    set (WeakMap) or when it shrinks back. Picks are then O(1), so draining a 1M-member set with SPOP
 *    costs O(n) in total instead of O(n^2); the price is about as much memory again for those sets.
 *  - k distinct members from an unindexed set are chosen in one pass by selection sampling (Knuth's
 *    algorithm S); with an index, by a partial Fisher-Yates over positions, O(k).
 */

const RANDOM_INDEX_MIN = 512;

/** Dense array of a set's members with each member's position, for O(1) uniform picks. */
class RandomIndex {
  readonly members: string[] = [];
  private readonly position = new Map<string, number>();

  constructor(set: SetValue) {
    for (const m of set) this.added(m);
  }

  added(m: string): void {
    this.position.set(m, this.members.length);
    this.members.push(m);
  }

  /** Swap-remove: the last member takes the removed one's place. */
  removed(m: string): void {
    const i = this.position.get(m);
    if (i === undefined) return;
    this.position.delete(m);
    const last = this.members.pop()!;
    if (i < this.members.length) {
      this.members[i] = last;
      this.position.set(last, i);
    }
  }
}

const randomIndexes = new WeakMap<SetValue, RandomIndex>();

/** The set's index, built on demand for large sets; undefined for small ones. */
function randomIndexOf(set: SetValue): RandomIndex | undefined {
  if (set.size < RANDOM_INDEX_MIN) {
    randomIndexes.delete(set);
    return undefined;
  }
  let index = randomIndexes.get(set);
  // A size mismatch means the set changed behind our back (it cannot, but a rebuild is cheap insurance).
  if (index === undefined || index.members.length !== set.size) {
    index = new RandomIndex(set);
    randomIndexes.set(set, index);
  }
  return index;
}

/** Adds a member, keeping a random index in step; true when it was new. */
function addMember(set: SetValue, m: string): boolean {
  if (set.has(m)) return false;
  set.add(m);
  randomIndexes.get(set)?.added(m);
  return true;
}

/** Removes a member, keeping a random index in step; true when it was there. */
function removeMember(set: SetValue, m: string): boolean {
  if (!set.delete(m)) return false;
  randomIndexes.get(set)?.removed(m);
  return true;
}

function randomInt(bound: number): number {
  return Math.floor(Math.random() * bound);
}

function randomMember(set: SetValue): string {
  const index = randomIndexOf(set);
  if (index !== undefined) return index.members[randomInt(index.members.length)]!;
  let skip = randomInt(set.size);
  for (const m of set) if (skip-- === 0) return m;
  throw new Error('unreachable: empty set');
}

/** `count` members drawn independently (repetitions allowed). */
function randomMembers(set: SetValue, count: number): string[] {
  const members = randomIndexOf(set)?.members ?? [...set];
  return Array.from({ length: count }, () => members[randomInt(members.length)]!);
}

/** `count` distinct members, uniformly, in random order (count < size). */
function randomDistinct(set: SetValue, count: number): string[] {
  const index = randomIndexOf(set);
  if (index !== undefined) {
    // Partial Fisher-Yates over positions; the swaps live in a map so the index is left untouched.
    const n = index.members.length;
    const swapped = new Map<number, number>();
    const picked: string[] = [];
    for (let i = 0; i < count; i++) {
      const j = i + randomInt(n - i);
      const at = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      picked.push(index.members[at]!);
    }
    return picked;
  }
  const picked: string[] = [];
  let remaining = set.size;
  for (const m of set) {
    if (randomInt(remaining--) < count - picked.length) {
      picked.push(m);
      if (picked.length === count) break;
    }
  }
  // Selection sampling keeps iteration order; shuffle so the reply order says nothing about it.
  for (let i = picked.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  return picked;
}

// ---- lookups ---------------------------------------------------------------------------------------

function readSet(c: Client, key: string): SetValue | undefined | null {
  return readTyped(c, key, SetValue);
}

function writeSet(c: Client, key: string): SetValue | undefined | null {
  return writeTyped(c, key, SetValue);
}

/** A set reply: `~` in RESP3, an array in RESP2. */
function replySet(c: Client, members: Iterable<string>, size: number): void {
  c.out.setHeader(size);
  for (const m of members) c.out.bulk(m);
}

/** Replaces `key` with a result set, or deletes it when the result is empty (the *STORE commands). */
function storeSet(c: Client, key: string, result: SetValue): void {
  if (result.size > 0) {
    c.db.set(key, result);
    c.server.dirty++;
  } else if (c.db.delete(key)) {
    c.server.dirty++;
  }
  c.out.integer(result.size);
}

// ---- single-set commands ---------------------------------------------------------------------------

function sadd(c: Client, argv: string[]): void {
  const key = argv[1]!;
  let set = writeSet(c, key);
  if (set === null) return;
  if (set === undefined) {
    set = new SetValue();
    c.db.add(key, set);
  }
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (addMember(set, argv[i]!)) added++;
  if (added > 0) {
    noteGrowth(set, c.server.config, ...argv.slice(2));
    c.db.modified(key);
  }
  c.server.dirty += added;
  c.out.integer(added);
}

function srem(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const set = writeSet(c, key);
  if (set === null) return;
  if (set === undefined) {
    c.out.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < argv.length && set.size > 0; i++) if (removeMember(set, argv[i]!)) removed++;
  if (removed > 0) {
    c.db.deleteIfEmpty(key, set);
    c.db.modified(key);
    c.server.dirty += removed;
  }
  c.out.integer(removed);
}

function sismember(c: Client, argv: string[]): void {
  const set = readSet(c, argv[1]!);
  if (set !== null) c.out.integer(set?.has(argv[2]!) ? 1 : 0);
}

function smismember(c: Client, argv: string[]): void {
  const set = readSet(c, argv[1]!);
  if (set === null) return;
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.out.integer(set?.has(argv[i]!) ? 1 : 0);
}

function scard(c: Client, argv: string[]): void {
  const set = readSet(c, argv[1]!);
  if (set !== null) c.out.integer(set?.size ?? 0);
}

function smove(c: Client, argv: string[]): void {
  const [, srcKey, dstKey, member] = argv as [string, string, string, string];
  const src = c.db.lookupWrite(srcKey);
  const dst = c.db.lookupWrite(dstKey);
  if (src === undefined) {
    c.out.integer(0);
    return;
  }
  if (!(src instanceof SetValue) || (dst !== undefined && !(dst instanceof SetValue))) {
    c.out.error(Err.wrongType);
    return;
  }
  if (src === dst) {
    c.out.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!removeMember(src, member)) {
    c.out.integer(0);
    return;
  }
  c.db.deleteIfEmpty(srcKey, src);
  c.db.modified(srcKey);
  c.server.dirty++;
  let target = dst;
  if (target === undefined) {
    target = new SetValue();
    c.db.add(dstKey, target);
  }
  if (addMember(target, member)) {
    noteGrowth(target, c.server.config, member);
    c.db.modified(dstKey);
    c.server.dirty++;
  }
  c.out.integer(1);
}

/**
 * SPOP key [count]. Random choices are never replicated: one member becomes `SREM key member`; a
 * count pops into one `SREM key m` per member (wrapped in MULTI/EXEC by the propagation layer), or a
 * single `DEL key` when it takes the whole set.
 */
function spop(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.out.error(Err.syntax);
    return;
  }
  const key = argv[1]!;
  if (argv.length === 3) {
    spopWithCount(c, key, argv[2]!);
    return;
  }
  const set = writeSet(c, key);
  if (set === null) return;
  if (set === undefined) {
    c.out.nullBulk();
    return;
  }
  const member = randomMember(set);
  removeMember(set, member);
  c.db.deleteIfEmpty(key, set);
  c.db.modified(key);
  c.server.dirty++;
  c.propagate = [['SREM', key, member]];
  c.out.bulk(member);
}

function spopWithCount(c: Client, key: string, countArg: string): void {
  const v = parseInt64(countArg);
  if (v === undefined || v < 0n) {
    c.out.error(Err.notPositive);
    return;
  }
  const set = writeSet(c, key);
  if (set === null) return;
  if (set === undefined || v === 0n) {
    c.out.setHeader(0);
    return;
  }
  const size = set.size;
  if (v >= BigInt(size)) {
    replySet(c, set, size);
    c.db.delete(key);
    c.server.dirty += size;
    c.propagate = [['DEL', key]];
    return;
  }
  const count = Number(v);
  const popped = randomDistinct(set, count);
  for (const m of popped) removeMember(set, m);
  c.db.modified(key);
  c.server.dirty += count;
  c.propagate = popped.map((m) => ['SREM', key, m]);
  replySet(c, popped, count);
}

/**
 * A deliberate limit where Redis 7.0 has none: it would try to answer `SRANDMEMBER k -9223372036854775807`
 * and stall the server building an endless reply; we refuse counts whose reply could not fit in memory.
 */
export const MAX_REPEATED_PICKS = 2n ** 24n;

/** SRANDMEMBER key [count]: a negative count allows repetitions. */
function srandmember(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.out.error(Err.syntax);
    return;
  }
  const key = argv[1]!;
  if (argv.length === 2) {
    const set = readSet(c, key);
    if (set === null) return;
    if (set === undefined) c.out.nullBulk();
    else c.out.bulk(randomMember(set));
    return;
  }
  const v = parseInt64(argv[2]!);
  if (v === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  if (v < -9223372036854775807n) {
    c.out.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    return;
  }
  const set = readSet(c, key);
  if (set === null) return;
  if (set === undefined || v === 0n) {
    c.out.arrayHeader(0);
    return;
  }
  const size = set.size;
  if (v < 0n || v === 1n) {
    if (-v > MAX_REPEATED_PICKS) {
      c.out.error('ERR value is out of range');
      return;
    }
    c.out.bulkArray(randomMembers(set, Number(v < 0n ? -v : v)));
    return;
  }
  if (v >= BigInt(size)) {
    c.out.bulkArray([...set]);
    return;
  }
  c.out.bulkArray(randomDistinct(set, Number(v)));
}

// ---- multi-set commands ----------------------------------------------------------------------------

/** Looks every key up as a set (missing = undefined); null after replying WRONGTYPE. */
function readSets(c: Client, keys: readonly string[]): (SetValue | undefined)[] | null {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const set = readSet(c, key);
    if (set === null) return null;
    sets.push(set);
  }
  return sets;
}

/** Members common to all sets, walking the smallest and probing the others; stops at `limit` (0 = all). */
function intersect(sets: readonly SetValue[], limit = 0): SetValue {
  const order = [...sets].sort((a, b) => a.size - b.size);
  const out = new SetValue();
  for (const m of order[0]!) {
    let everywhere = true;
    for (let i = 1; i < order.length && everywhere; i++) everywhere = order[i]!.has(m);
    if (everywhere) {
      out.add(m);
      if (limit > 0 && out.size >= limit) break;
    }
  }
  return out;
}

function sinterGeneric(c: Client, keys: readonly string[], dest: string | undefined): void {
  const sets = readSets(c, keys);
  if (sets === null) return;
  // A missing key is an empty set, and so is any intersection with it.
  const result = sets.includes(undefined) ? new SetValue() : intersect(sets as SetValue[]);
  if (dest !== undefined) storeSet(c, dest, result);
  else replySet(c, result, result.size);
}

function sinter(c: Client, argv: string[]): void {
  sinterGeneric(c, argv.slice(1), undefined);
}

function smembers(c: Client, argv: string[]): void {
  const set = readSet(c, argv[1]!);
  if (set === null) return;
  if (set === undefined) c.out.setHeader(0);
  else replySet(c, set, set.size);
}

function sinterstore(c: Client, argv: string[]): void {
  sinterGeneric(c, argv.slice(2), argv[1]!);
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] */
function sintercard(c: Client, argv: string[]): void {
  const n = parseInt64(argv[1]!);
  if (n === undefined || n < 1n) {
    c.out.error('ERR numkeys should be greater than 0');
    return;
  }
  if (n > BigInt(argv.length - 2)) {
    c.out.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const numkeys = Number(n);
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (argv[j]!.toLowerCase() === 'limit' && more > 0) {
      j++;
      const l = parseInt64(argv[j]!);
      if (l === undefined || l < 0n) {
        c.out.error("ERR LIMIT can't be negative");
        return;
      }
      limit = l > 2n ** 53n ? 0 : Number(l);
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  const sets = readSets(c, argv.slice(2, 2 + numkeys));
  if (sets === null) return;
  c.out.integer(sets.includes(undefined) ? 0 : intersect(sets as SetValue[], limit).size);
}

function unionOrDiff(
  c: Client,
  keys: readonly string[],
  op: 'union' | 'diff',
  dest: string | undefined,
): void {
  const sets = readSets(c, keys);
  if (sets === null) return;
  const result = new SetValue();
  if (op === 'union') {
    for (const set of sets) if (set) for (const m of set) result.add(m);
  } else if (sets[0] !== undefined) {
    for (const m of sets[0]) {
      let elsewhere = false;
      for (let i = 1; i < sets.length && !elsewhere; i++) elsewhere = sets[i]?.has(m) ?? false;
      if (!elsewhere) result.add(m);
    }
  }
  if (dest !== undefined) storeSet(c, dest, result);
  else replySet(c, result, result.size);
}

function sunion(c: Client, argv: string[]): void {
  unionOrDiff(c, argv.slice(1), 'union', undefined);
}
function sunionstore(c: Client, argv: string[]): void {
  unionOrDiff(c, argv.slice(2), 'union', argv[1]!);
}
function sdiff(c: Client, argv: string[]): void {
  unionOrDiff(c, argv.slice(1), 'diff', undefined);
}
function sdiffstore(c: Client, argv: string[]): void {
  unionOrDiff(c, argv.slice(2), 'diff', argv[1]!);
}

// ---- SSCAN / ZSCAN ---------------------------------------------------------------------------------

/** How a collection is scanned: whole in one step, or by cursor over a Set/Map of member names. */
export interface ScanPlan {
  /**
   * Set when Redis would hold the collection in a compact encoding (intset, listpack), which it
   * returns whole, in its stored order, with cursor 0 whatever the COUNT.
   */
  all: (() => string[]) | undefined;
  source: Scannable;
  /** Appends a visited member's reply items (the member; for zsets also its score). */
  expand: (member: string, out: string[]) => void;
}

/**
 * The body of SSCAN/ZSCAN (and usable by HSCAN): cursor, then the key and its type, then the options,
 * in the order Redis checks them. `plan` returns undefined when the value has the wrong type.
 */
export function scanCollection(
  c: Client,
  argv: string[],
  plan: (v: RedisValue) => ScanPlan | undefined,
): void {
  const cursor = parseScanCursor(argv[2]!);
  if (cursor === undefined) {
    c.out.error('ERR invalid cursor');
    return;
  }
  const value = c.db.lookupRead(argv[1]!);
  if (value === undefined) {
    c.out.arrayHeader(2);
    c.out.bulk('0');
    c.out.arrayHeader(0);
    return;
  }
  const how = plan(value);
  if (how === undefined) {
    c.out.error(Err.wrongType);
    return;
  }
  const args = parseScanArguments(argv, 2, false);
  if (typeof args === 'string') {
    c.out.error(args);
    return;
  }
  let next = 0;
  let visited: string[];
  if (how.all !== undefined) {
    visited = how.all();
  } else {
    const page = scanCursorsFor(c.server).scan(how.source, args.cursor, args.count, c.server.now());
    next = page.cursor;
    visited = page.keys;
  }
  const out: string[] = [];
  for (const member of visited) {
    if (args.pattern !== undefined && !globMatch(args.pattern, member)) continue;
    how.expand(member, out);
  }
  c.out.arrayHeader(2);
  c.out.bulk(String(next));
  c.out.bulkArray(out);
}

/** An intset's members in its stored order: numeric. */
function intsetOrder(set: SetValue): string[] {
  const values = [...set].map((m) => BigInt(m));
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return values.map(String);
}

function sscan(c: Client, argv: string[]): void {
  scanCollection(c, argv, (v) => {
    if (!(v instanceof SetValue)) return undefined;
    const intset = encodingOf(v, c.server.config) === 'intset';
    return {
      all: intset ? () => intsetOrder(v) : undefined,
      source: v,
      expand: (member, out) => {
        if (v.has(member)) out.push(member);
      },
    };
  });
}

// ---- registration ----------------------------------------------------------------------------------

function sintercardKeys(argv: string[]): number[] {
  const n = Number(parseInt64(argv[1] ?? '') ?? 0n);
  if (n < 1 || 1 + n >= argv.length) return [];
  return Array.from({ length: n }, (_, i) => 2 + i);
}

export const setCommands: CommandSpec[] = [
  cmd('sadd', -3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'set', sadd),
  cmd('srem', -3, ['write', 'fast'], [1, 1, 1], 'set', srem),
  cmd('sismember', 3, ['readonly', 'fast'], [1, 1, 1], 'set', sismember),
  cmd('smismember', -3, ['readonly', 'fast'], [1, 1, 1], 'set', smismember),
  cmd('smembers', 2, ['readonly'], [1, 1, 1], 'set', smembers),
  cmd('scard', 2, ['readonly', 'fast'], [1, 1, 1], 'set', scard),
  cmd('spop', -2, ['write', 'fast'], [1, 1, 1], 'set', spop),
  cmd('srandmember', -2, ['readonly'], [1, 1, 1], 'set', srandmember),
  cmd('smove', 4, ['write', 'fast'], [1, 2, 1], 'set', smove),
  cmd('sinter', -2, ['readonly'], [1, -1, 1], 'set', sinter),
  cmd('sintercard', -3, ['readonly'], [0, 0, 0], 'set', sintercard, { getKeys: sintercardKeys }),
  cmd('sinterstore', -3, ['write', 'denyoom'], [1, -1, 1], 'set', sinterstore),
  cmd('sunion', -2, ['readonly'], [1, -1, 1], 'set', sunion),
  cmd('sunionstore', -3, ['write', 'denyoom'], [1, -1, 1], 'set', sunionstore),
  cmd('sdiff', -2, ['readonly'], [1, -1, 1], 'set', sdiff),
  cmd('sdiffstore', -3, ['write', 'denyoom'], [1, -1, 1], 'set', sdiffstore),
  cmd('sscan', -3, ['readonly'], [1, 1, 1], 'set', sscan),
];
