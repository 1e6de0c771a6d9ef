import { ListValue } from '../keyspace/list.js';
import type { Client } from '../server/client.js';
import { type CommandSpec, cmd } from './table.js';
import { blockingDeadline, clampRange, Err, parseLong, readTyped, writeTyped } from './util.js';

/*
 * The list commands, following Redis 7.0's t_list.c: argument checks in the same order (so the same
 * error wins when several apply), the same replies in RESP2 and RESP3, and the same propagation. The
 * blocking forms pop immediately when they can; otherwise they block, and are served by the
 * BlockingManager from the key that became ready, propagating their non-blocking equivalent.
 */

const HEAD = 0;
const TAIL = 1;
type End = typeof HEAD | typeof TAIL;

// ---- small helpers -----------------------------------------------------------------------------------

/** The list at key for reading: undefined when missing, null after replying WRONGTYPE. */
function readList(c: Client, key: string): ListValue | undefined | null {
  return readTyped(c, key, ListValue);
}

/** The list at key for changing in place: undefined when missing, null after replying WRONGTYPE. */
function writeList(c: Client, key: string): ListValue | undefined | null {
  return writeTyped(c, key, ListValue);
}

function pop(list: ListValue, end: End): string {
  return (end === HEAD ? list.popHead() : list.popTail())!;
}

function push(list: ListValue, end: End, item: string): void {
  if (end === HEAD) list.pushHead(item);
  else list.pushTail(item);
}

/** LEFT / RIGHT, any case; replies a syntax error otherwise. */
function endArg(c: Client, s: string): End | undefined {
  const lower = s.toLowerCase();
  if (lower === 'left') return HEAD;
  if (lower === 'right') return TAIL;
  c.out.error(Err.syntax);
  return undefined;
}

function endName(end: End): string {
  return end === HEAD ? 'LEFT' : 'RIGHT';
}

/** Redis's getLongFromObjectOrReply. */
function longArg(c: Client, s: string): number | undefined {
  const v = parseLong(s);
  if (v === undefined) c.out.error(Err.notInteger);
  return v;
}

/**
 * Redis's getRangeLongFromObjectOrReply with a message: a non-integer and an out-of-range value both
 * answer `msg` (getPositiveLongFromObjectOrReply's default is "value is out of range, must be positive").
 */
function rangeArg(c: Client, s: string, min: number, msg: string): number | undefined {
  const v = parseLong(s);
  if (v === undefined || v < min) {
    c.out.error(msg);
    return undefined;
  }
  return v;
}

/**
 * The bookkeeping after elements were popped (Redis's listElementsRemoved): an emptied list is
 * deleted, WATCH is told, and each element counts as a change.
 */
function elementsRemoved(c: Client, key: string, list: ListValue, count: number): void {
  c.db.deleteIfEmpty(key, list);
  c.db.modified(key);
  c.server.dirty += count;
}

/** Pops up to `count` elements from one end and replies them as an array, in popping order. */
function popRangeReply(c: Client, list: ListValue, end: End, count: number): number {
  const n = Math.min(count, list.length);
  c.out.arrayHeader(n);
  for (let i = 0; i < n; i++) c.out.bulk(pop(list, end));
  return n;
}

// ---- pushes ------------------------------------------------------------------------------------------

/** LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...] */
function pushGeneric(c: Client, argv: string[], end: End, onlyIfExists: boolean): void {
  const key = argv[1]!;
  let list = writeList(c, key);
  if (list === null) return;
  const created = list === undefined;
  if (list === undefined) {
    if (onlyIfExists) {
      c.out.integer(0);
      return;
    }
    list = new ListValue();
  }
  for (let i = 2; i < argv.length; i++) push(list, end, argv[i]!);
  // Adding the key signals clients blocked on it; a list that already existed has no waiters.
  if (created) c.db.add(key, list);
  else c.db.modified(key);
  c.server.dirty += argv.length - 2;
  c.out.integer(list.length);
}

// ---- pops --------------------------------------------------------------------------------------------

/** LPOP/RPOP key [count]: a bulk without count, an array with one (null array for a missing key). */
function popGeneric(c: Client, argv: string[], end: End): void {
  if (argv.length > 3) {
    c.out.error(`ERR wrong number of arguments for '${argv[0]!.toLowerCase()}' command`);
    return;
  }
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const n = rangeArg(c, argv[2]!, 0, Err.notPositive);
    if (n === undefined) return;
    count = n;
  }
  const key = argv[1]!;
  const list = writeList(c, key);
  if (list === null) return;
  if (list === undefined) {
    if (hasCount) c.out.nullArray();
    else c.out.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    c.out.arrayHeader(0);
    return;
  }
  if (!hasCount) {
    c.out.bulk(pop(list, end));
    elementsRemoved(c, key, list, 1);
    return;
  }
  elementsRemoved(c, key, list, popRangeReply(c, list, end, count));
}

/**
 * Pops for LMPOP/BLMPOP from the first non-empty list among `keys`: replies `[key, [elements]]` and
 * propagates `LPOP|RPOP key n` with n the number popped. Returns false when every key is missing,
 * undefined after a WRONGTYPE.
 */
function mpopFirst(c: Client, keys: readonly string[], end: End, count: number): boolean | undefined {
  for (const key of keys) {
    const list = writeList(c, key);
    if (list === null) return undefined;
    if (list === undefined || list.length === 0) continue;
    mpopFrom(c, key, list, end, count);
    return true;
  }
  return false;
}

function mpopFrom(c: Client, key: string, list: ListValue, end: End, count: number): void {
  c.out.arrayHeader(2);
  c.out.bulk(key);
  const n = popRangeReply(c, list, end, count);
  elementsRemoved(c, key, list, n);
  c.propagate = [[end === HEAD ? 'LPOP' : 'RPOP', key, String(n)]];
}

/** The shared syntax of LMPOP and BLMPOP from `numkeys` on: numkeys key [key ...] LEFT|RIGHT [COUNT n]. */
function mpopArgs(
  c: Client,
  argv: string[],
  numkeysIndex: number,
): { keys: string[]; end: End; count: number } | undefined {
  const numkeys = rangeArg(c, argv[numkeysIndex]!, 1, 'ERR numkeys should be greater than 0');
  if (numkeys === undefined) return undefined;
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) {
    c.out.error(Err.syntax);
    return undefined;
  }
  const end = endArg(c, argv[whereIndex]!);
  if (end === undefined) return undefined;
  let count = -1;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count === -1 && argv[i]!.toLowerCase() === 'count' && i + 1 < argv.length) {
      const n = rangeArg(c, argv[++i]!, 1, 'ERR count should be greater than 0');
      if (n === undefined) return undefined;
      count = n;
    } else {
      c.out.error(Err.syntax);
      return undefined;
    }
  }
  return { keys: argv.slice(numkeysIndex + 1, whereIndex), end, count: count === -1 ? 1 : count };
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function lmpop(c: Client, argv: string[]): void {
  const args = mpopArgs(c, argv, 1);
  if (args === undefined) return;
  if (mpopFirst(c, args.keys, args.end, args.count) === false) c.out.nullArray();
}

/** The key positions of LMPOP (numkeys at 1) and BLMPOP (numkeys at 2). */
function mpopKeys(numkeysIndex: number): (argv: string[]) => number[] {
  return (argv) => {
    const n = parseLong(argv[numkeysIndex] ?? '');
    if (n === undefined || n < 1 || numkeysIndex + n >= argv.length) return [];
    return Array.from({ length: n }, (_, i) => numkeysIndex + 1 + i);
  };
}

// ---- reads -------------------------------------------------------------------------------------------

function llen(c: Client, argv: string[]): void {
  const list = readList(c, argv[1]!);
  if (list !== null) c.out.integer(list?.length ?? 0);
}

/** LRANGE key start stop: the indexes are checked before the key. */
function lrange(c: Client, argv: string[]): void {
  const start = longArg(c, argv[2]!);
  if (start === undefined) return;
  const stop = longArg(c, argv[3]!);
  if (stop === undefined) return;
  const list = readList(c, argv[1]!);
  if (list === null) return;
  const range = list === undefined ? undefined : clampRange(start, stop, list.length);
  if (list === undefined || range === undefined) {
    c.out.arrayHeader(0);
    return;
  }
  const [from, to] = range;
  c.out.arrayHeader(to - from + 1);
  for (let i = from; i <= to; i++) c.out.bulk(list.at(i)!);
}

/** LINDEX key index: the key is looked up before the index is parsed. */
function lindex(c: Client, argv: string[]): void {
  const list = readList(c, argv[1]!);
  if (list === null) return;
  if (list === undefined) {
    c.out.nullBulk();
    return;
  }
  const index = longArg(c, argv[2]!);
  if (index === undefined) return;
  const item = list.at(index < 0 ? list.length + index : index);
  if (item === undefined) c.out.nullBulk();
  else c.out.bulk(item);
}

const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const LONG_MIN_TEXT = '-9223372036854775808';

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(c: Client, argv: string[]): void {
  const element = argv[2]!;
  let rank = 1;
  let count = -1; // -1: no COUNT option, reply a single index
  let maxlen = 0;
  let rankIsLongMin = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    const hasArg = i + 1 < argv.length;
    if (opt === 'rank' && hasArg) {
      const text = argv[++i]!;
      const r = longArg(c, text);
      if (r === undefined) return;
      if (r === 0) {
        c.out.error(RANK_ZERO);
        return;
      }
      rank = r;
      // In C, -LONG_MIN overflows back to LONG_MIN, so every match reaches that "rank".
      rankIsLongMin = text === LONG_MIN_TEXT;
    } else if (opt === 'count' && hasArg) {
      const n = rangeArg(c, argv[++i]!, 0, "ERR COUNT can't be negative");
      if (n === undefined) return;
      count = n;
    } else if (opt === 'maxlen' && hasArg) {
      const n = rangeArg(c, argv[++i]!, 0, "ERR MAXLEN can't be negative");
      if (n === undefined) return;
      maxlen = n;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  let fromTail = false;
  if (rank < 0) {
    fromTail = true;
    rank = rankIsLongMin ? 1 : -rank;
  }
  const list = readList(c, argv[1]!);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) c.out.arrayHeader(0);
    else c.out.nullBulk();
    return;
  }
  const len = list.length;
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  const found: number[] = [];
  let matches = 0;
  for (let scanned = 0; scanned < limit; scanned++) {
    const index = fromTail ? len - 1 - scanned : scanned;
    if (list.at(index) !== element) continue;
    matches++;
    if (matches < rank) continue;
    found.push(index);
    if (count === -1 || (count !== 0 && found.length >= count)) break;
  }
  if (count !== -1) {
    c.out.arrayHeader(found.length);
    for (const index of found) c.out.integer(index);
  } else if (found.length > 0) {
    c.out.integer(found[0]!);
  } else {
    c.out.nullBulk();
  }
}

// ---- in-place edits ----------------------------------------------------------------------------------

function lset(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const list = writeList(c, key);
  if (list === null) return;
  if (list === undefined) {
    c.out.error(Err.noSuchKey);
    return;
  }
  const index = longArg(c, argv[2]!);
  if (index === undefined) return;
  const at = index < 0 ? list.length + index : index;
  if (at < 0 || at >= list.length) {
    c.out.error('ERR index out of range');
    return;
  }
  list.set(at, argv[3]!);
  c.db.modified(key);
  c.server.dirty++;
  c.out.status('OK');
}

/** LINSERT key BEFORE|AFTER pivot element: -1 when the pivot is absent, 0 when the key is. */
function linsert(c: Client, argv: string[]): void {
  const where = argv[2]!.toLowerCase();
  if (where !== 'before' && where !== 'after') {
    c.out.error(Err.syntax);
    return;
  }
  const key = argv[1]!;
  const list = writeList(c, key);
  if (list === null) return;
  if (list === undefined) {
    c.out.integer(0);
    return;
  }
  const pivot = argv[3]!;
  const items = list.toArray();
  const at = items.indexOf(pivot);
  if (at < 0) {
    c.out.integer(-1);
    return;
  }
  items.splice(where === 'after' ? at + 1 : at, 0, argv[4]!);
  list.replaceAll(items);
  c.db.modified(key);
  c.server.dirty++;
  c.out.integer(list.length);
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 all. */
function lrem(c: Client, argv: string[]): void {
  const toRemove = longArg(c, argv[2]!);
  if (toRemove === undefined) return;
  const key = argv[1]!;
  const list = writeList(c, key);
  if (list === null) return;
  if (list === undefined) {
    c.out.integer(0);
    return;
  }
  const element = argv[3]!;
  const limit = toRemove === 0 ? Number.POSITIVE_INFINITY : Math.abs(toRemove);
  const items = list.toArray();
  let removed = 0;
  if (toRemove >= 0) {
    const kept: string[] = [];
    for (const item of items) {
      if (item === element && removed < limit) removed++;
      else kept.push(item);
    }
    if (removed > 0) list.replaceAll(kept);
  } else {
    const kept: string[] = [];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      if (item === element && removed < limit) removed++;
      else kept.push(item);
    }
    if (removed > 0) list.replaceAll(kept.reverse());
  }
  if (removed > 0) {
    c.db.deleteIfEmpty(key, list);
    c.db.modified(key);
    c.server.dirty += removed;
  }
  c.out.integer(removed);
}

/**
 * LTRIM key start stop. Like Redis it signals WATCH even when nothing is trimmed, but counts (and so
 * propagates) only the elements actually removed.
 */
function ltrim(c: Client, argv: string[]): void {
  let start = longArg(c, argv[2]!);
  if (start === undefined) return;
  let end = longArg(c, argv[3]!);
  if (end === undefined) return;
  const key = argv[1]!;
  const list = writeList(c, key);
  if (list === null) return;
  if (list === undefined) {
    c.out.status('OK');
    return;
  }
  const len = list.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  let fromHead: number;
  let fromTail: number;
  if (start > end || start >= len) {
    fromHead = len;
    fromTail = 0;
  } else {
    if (end >= len) end = len - 1;
    fromHead = start;
    fromTail = len - end - 1;
  }
  for (let i = 0; i < fromHead; i++) list.popHead();
  for (let i = 0; i < fromTail; i++) list.popTail();
  c.db.deleteIfEmpty(key, list);
  c.db.modified(key);
  c.server.dirty += fromHead + fromTail;
  c.out.status('OK');
}

// ---- moves -------------------------------------------------------------------------------------------

/**
 * Moves one element from `source` (non-empty) to the destination and replies it (Redis's
 * lmoveGenericCommand after its lookups). Returns false after replying WRONGTYPE for the destination.
 */
function moveElement(
  c: Client,
  srcKey: string,
  source: ListValue,
  dstKey: string,
  from: End,
  to: End,
): boolean {
  const existing = writeList(c, dstKey);
  if (existing === null) return false;
  const item = pop(source, from);
  if (existing === undefined) {
    const created = new ListValue();
    created.pushTail(item);
    c.db.add(dstKey, created);
  } else {
    // Looked up before the pop, so rotating a one-element list onto itself keeps it alive.
    push(existing, to, item);
    c.db.modified(dstKey);
  }
  c.out.bulk(item);
  c.db.deleteIfEmpty(srcKey, source);
  c.db.modified(srcKey);
  c.server.dirty++;
  return true;
}

/** LMOVE / RPOPLPUSH on an existing source; a missing source replies a null bulk. */
function moveGeneric(c: Client, srcKey: string, dstKey: string, from: End, to: End): void {
  const source = writeList(c, srcKey);
  if (source === null) return;
  if (source === undefined || source.length === 0) {
    c.out.nullBulk();
    return;
  }
  moveElement(c, srcKey, source, dstKey, from, to);
}

function lmove(c: Client, argv: string[]): void {
  const from = endArg(c, argv[3]!);
  if (from === undefined) return;
  const to = endArg(c, argv[4]!);
  if (to === undefined) return;
  moveGeneric(c, argv[1]!, argv[2]!, from, to);
}

function rpoplpush(c: Client, argv: string[]): void {
  moveGeneric(c, argv[1]!, argv[2]!, TAIL, HEAD);
}

// ---- blocking ----------------------------------------------------------------------------------------

/**
 * What a blocked list client does once one of its keys holds a list again. Redis 7.0 serves only list
 * waiters from a list: a key that became a zset or a string leaves them waiting.
 */
type ListWaiter =
  | { kind: 'pop'; end: End }
  | { kind: 'mpop'; end: End; count: number }
  | { kind: 'move'; dstKey: string; from: End; to: End; legacy: boolean };

function blockOnLists(c: Client, keys: string[], deadline: number, waiter: ListWaiter): void {
  c.block({
    keys,
    deadline,
    // A timed-out BLMOVE answers a null array too (Redis's replyToBlockedClientTimedOut).
    onTimeout: (client) => client.out.nullArray(),
    retry: (client, key) => serveWaiter(client, key, waiter),
  });
}

/** Serves a blocked client from `key`; the served effect is set in c.propagate for the caller to feed. */
function serveWaiter(c: Client, key: string, waiter: ListWaiter): boolean {
  const v = c.db.lookupWrite(key);
  if (!(v instanceof ListValue) || v.length === 0) return false;
  switch (waiter.kind) {
    case 'pop': {
      c.out.arrayHeader(2);
      c.out.bulk(key);
      c.out.bulk(pop(v, waiter.end));
      elementsRemoved(c, key, v, 1);
      c.propagate = [[waiter.end === HEAD ? 'LPOP' : 'RPOP', key]];
      return true;
    }
    case 'mpop':
      mpopFrom(c, key, v, waiter.end, waiter.count);
      return true;
    case 'move': {
      // A destination of the wrong type answers WRONGTYPE and unblocks the client, leaving the source.
      if (moveElement(c, key, v, waiter.dstKey, waiter.from, waiter.to)) {
        c.propagate = [
          waiter.legacy
            ? ['RPOPLPUSH', key, waiter.dstKey]
            : ['LMOVE', key, waiter.dstKey, endName(waiter.from), endName(waiter.to)],
        ];
      }
      return true;
    }
  }
}

/** BLPOP/BRPOP key [key ...] timeout: the timeout is checked first, then the keys in order. */
function blockingPop(c: Client, argv: string[], end: End): void {
  const deadline = blockingDeadline(c, argv[argv.length - 1]!);
  if (deadline === undefined) return;
  const keys = argv.slice(1, -1);
  for (const key of keys) {
    const list = writeList(c, key);
    if (list === null) return;
    if (list === undefined || list.length === 0) continue;
    c.out.arrayHeader(2);
    c.out.bulk(key);
    c.out.bulk(pop(list, end));
    elementsRemoved(c, key, list, 1);
    c.propagate = [[end === HEAD ? 'LPOP' : 'RPOP', key]];
    return;
  }
  if (!c.canBlock) {
    c.out.nullArray();
    return;
  }
  blockOnLists(c, keys, deadline, { kind: 'pop', end });
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the timeout is checked last. */
function blmpop(c: Client, argv: string[]): void {
  const args = mpopArgs(c, argv, 2);
  if (args === undefined) return;
  const deadline = blockingDeadline(c, argv[1]!);
  if (deadline === undefined) return;
  const served = mpopFirst(c, args.keys, args.end, args.count);
  if (served !== false) return;
  if (!c.canBlock) {
    c.out.nullArray();
    return;
  }
  blockOnLists(c, args.keys, deadline, { kind: 'mpop', end: args.end, count: args.count });
}

/**
 * BLMOVE / BRPOPLPUSH. An existing source is moved at once (propagated as LMOVE / RPOPLPUSH with the
 * caller's arguments); a missing one blocks, or inside MULTI answers a null bulk (not the timeout's
 * null array) as Redis 7.0 does. A destination of the wrong type only matters once there is a source.
 */
function blockingMove(
  c: Client,
  argv: string[],
  from: End,
  to: End,
  deadline: number,
  legacy: boolean,
): void {
  const srcKey = argv[1]!;
  const dstKey = argv[2]!;
  const source = writeList(c, srcKey);
  if (source === null) return;
  if (source !== undefined && source.length > 0) {
    if (moveElement(c, srcKey, source, dstKey, from, to)) {
      c.propagate = [legacy ? ['RPOPLPUSH', srcKey, dstKey] : ['LMOVE', srcKey, dstKey, argv[3]!, argv[4]!]];
    }
    return;
  }
  if (!c.canBlock) {
    c.out.nullBulk();
    return;
  }
  blockOnLists(c, [srcKey], deadline, { kind: 'move', dstKey, from, to, legacy });
}

function blmove(c: Client, argv: string[]): void {
  const from = endArg(c, argv[3]!);
  if (from === undefined) return;
  const to = endArg(c, argv[4]!);
  if (to === undefined) return;
  const deadline = blockingDeadline(c, argv[5]!);
  if (deadline === undefined) return;
  blockingMove(c, argv, from, to, deadline, false);
}

function brpoplpush(c: Client, argv: string[]): void {
  const deadline = blockingDeadline(c, argv[3]!);
  if (deadline === undefined) return;
  blockingMove(c, argv, TAIL, HEAD, deadline, true);
}

// ---- registration ------------------------------------------------------------------------------------

export const listCommands: CommandSpec[] = [
  cmd('lpush', -3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'list', (c, a) => pushGeneric(c, a, HEAD, false)),
  cmd('rpush', -3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'list', (c, a) => pushGeneric(c, a, TAIL, false)),
  cmd('lpushx', -3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'list', (c, a) => pushGeneric(c, a, HEAD, true)),
  cmd('rpushx', -3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'list', (c, a) => pushGeneric(c, a, TAIL, true)),
  cmd('lpop', -2, ['write', 'fast'], [1, 1, 1], 'list', (c, a) => popGeneric(c, a, HEAD)),
  cmd('rpop', -2, ['write', 'fast'], [1, 1, 1], 'list', (c, a) => popGeneric(c, a, TAIL)),
  cmd('llen', 2, ['readonly', 'fast'], [1, 1, 1], 'list', llen),
  cmd('lrange', 4, ['readonly'], [1, 1, 1], 'list', lrange),
  cmd('lindex', 3, ['readonly'], [1, 1, 1], 'list', lindex),
  cmd('lset', 4, ['write', 'denyoom'], [1, 1, 1], 'list', lset),
  cmd('linsert', 5, ['write', 'denyoom'], [1, 1, 1], 'list', linsert),
  cmd('lrem', 4, ['write'], [1, 1, 1], 'list', lrem),
  cmd('ltrim', 4, ['write'], [1, 1, 1], 'list', ltrim),
  cmd('lpos', -3, ['readonly'], [1, 1, 1], 'list', lpos),
  cmd('lmove', 5, ['write', 'denyoom'], [1, 2, 1], 'list', lmove),
  cmd('rpoplpush', 3, ['write', 'denyoom'], [1, 2, 1], 'list', rpoplpush),
  cmd('lmpop', -4, ['write'], [0, 0, 0], 'list', lmpop, { getKeys: mpopKeys(1) }),
  cmd('blpop', -3, ['write', 'noscript', 'blocking'], [1, -2, 1], 'list', (c, a) => blockingPop(c, a, HEAD)),
  cmd('brpop', -3, ['write', 'noscript', 'blocking'], [1, -2, 1], 'list', (c, a) => blockingPop(c, a, TAIL)),
  cmd('blmove', 6, ['write', 'denyoom', 'noscript', 'blocking'], [1, 2, 1], 'list', blmove),
  cmd('brpoplpush', 4, ['write', 'denyoom', 'noscript', 'blocking'], [1, 2, 1], 'list', brpoplpush),
  cmd('blmpop', -5, ['write', 'blocking'], [0, 0, 0], 'list', blmpop, { getKeys: mpopKeys(2) }),
];
