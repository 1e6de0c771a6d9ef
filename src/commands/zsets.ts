import { encodingOf, noteGrowth } from '../keyspace/encoding.js';
import { SetValue, SortedSetValue } from '../keyspace/values.js';
import {
  type LexRange,
  lexGteMin,
  lexLteMax,
  type ScoreRange,
  scoreGteMin,
  scoreLteMax,
  type ZNode,
} from '../keyspace/zset.js';
import { formatDouble } from '../resp/reply-writer.js';
import type { Client } from '../server/client.js';
import { MAX_REPEATED_PICKS, scanCollection } from './sets.js';
import { type CommandSpec, cmd } from './table.js';
import { Err, parseLong, readTyped, writeTyped } from './util.js';
import {
  LONG_MAX,
  longArg,
  parseLexRange,
  parseScore,
  parseScoreRange,
  positiveLongArg,
  rangeLongArg,
  timeoutArg,
} from './zset-args.js';

// ---- lookups and replies -----------------------------------------------------------------------------

/** The zset at key for reading: undefined when missing, null after replying WRONGTYPE. */
function readZset(c: Client, key: string): SortedSetValue | undefined | null {
  return readTyped(c, key, SortedSetValue);
}

function writeZset(c: Client, key: string): SortedSetValue | undefined | null {
  return writeTyped(c, key, SortedSetValue);
}

/** Members with optional scores, the shape of ZRANGE & co: RESP3 nests [member, score] pairs. */
function replyElements(c: Client, members: string[], scores: number[] | undefined): void {
  if (scores === undefined) {
    c.out.bulkArray(members);
    return;
  }
  const nested = c.resp === 3;
  c.out.arrayHeader(nested ? members.length : members.length * 2);
  for (let i = 0; i < members.length; i++) {
    if (nested) c.out.arrayHeader(2);
    c.out.bulk(members[i]!);
    c.out.double(scores[i]!);
  }
}

/** Replaces `key` with a result zset, or deletes it when the result is empty (the *STORE commands). */
function storeResult(c: Client, key: string, result: SortedSetValue): void {
  if (result.size > 0) {
    c.db.set(key, result);
    c.server.dirty++;
  } else if (c.db.delete(key)) {
    c.server.dirty++;
  }
  c.out.integer(result.size);
}

/** After removing members in place: drop the key if empty, signal the change. */
function afterRemoval(c: Client, key: string, z: SortedSetValue, removed: number): void {
  if (removed === 0) return;
  c.db.deleteIfEmpty(key, z);
  c.db.modified(key);
  c.server.dirty += removed;
}

// ---- ZADD / ZINCRBY ----------------------------------------------------------------------------------

const NAN_ERROR = 'ERR resulting score is not a number (NaN)';

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]; ZINCRBY shares the code. */
function zaddGeneric(c: Client, argv: string[], forceIncr: boolean): void {
  const key = argv[1]!;
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = forceIncr;
  let at = 2;
  // Like Redis, ZINCRBY runs the same option loop: `ZINCRBY k nx m` is a syntax error, not a NaN.
  for (; at < argv.length; at++) {
    const opt = argv[at]!.toLowerCase();
    if (opt === 'nx') nx = true;
    else if (opt === 'xx') xx = true;
    else if (opt === 'ch') ch = true;
    else if (opt === 'incr') incr = true;
    else if (opt === 'gt') gt = true;
    else if (opt === 'lt') lt = true;
    else break;
  }
  const pairs = argv.length - at;
  if (pairs === 0 || pairs % 2 !== 0) {
    c.out.error(Err.syntax);
    return;
  }
  if (nx && xx) {
    c.out.error('ERR XX and NX options at the same time are not compatible');
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.out.error('ERR GT, LT, and/or NX options at the same time are not compatible');
    return;
  }
  if (incr && pairs > 2) {
    c.out.error('ERR INCR option supports a single increment-element pair');
    return;
  }
  // Every score is validated before anything changes: the command applies fully or not at all.
  const scores: number[] = [];
  for (let i = at; i < argv.length; i += 2) {
    const score = parseScore(argv[i]!);
    if (score === undefined) {
      c.out.error(Err.notFloat);
      return;
    }
    scores.push(score);
  }
  let z = writeZset(c, key);
  if (z === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (z !== undefined || !xx) {
    const config = c.server.config;
    const maxEntries = config.num('zset-max-listpack-entries');
    const maxValue = config.num('zset-max-listpack-value');
    // Whether Redis would hold the zset as a listpack, which decides how a -0 score is kept. Redis 7.0
    // creates a new key as a listpack unless listpacks are disabled or the first member is too long.
    let compact: boolean;
    if (z === undefined) {
      z = new SortedSetValue();
      c.db.add(key, z);
      compact = maxEntries > 0 && argv[at + 1]!.length <= maxValue;
    } else {
      compact = encodingOf(z, config) === 'listpack';
    }
    const grown: string[] = [];
    for (let j = 0; j < scores.length; j++) {
      const member = argv[at + 1 + j * 2]!;
      let score = scores[j]!;
      const current = z.score(member);
      if (current === undefined) {
        if (xx) continue;
        // Redis converts before inserting an element that would not fit the listpack.
        if (compact && (z.size + 1 > maxEntries || member.length > maxValue)) compact = false;
        z.add(member, compact ? listpackScore(score) : score);
        grown.push(member);
        added++;
      } else {
        if (nx) continue;
        if (incr) {
          score += current;
          if (Number.isNaN(score)) {
            c.out.error(NAN_ERROR);
            return;
          }
        }
        if ((lt && score >= current) || (gt && score <= current)) continue;
        // 0 and -0 compare equal: the stored score is kept, as in Redis.
        if (score !== current) {
          z.add(member, compact ? listpackScore(score) : score);
          updated++;
        }
      }
      processed++;
      lastScore = score;
    }
    if (grown.length > 0) noteGrowth(z, config, ...grown);
  }
  if (added + updated > 0) afterWrite(c, key, added + updated);
  if (incr) {
    if (processed > 0) c.out.double(lastScore);
    else c.out.nullBulk();
  } else {
    c.out.integer(ch ? added + updated : added);
  }
}

/**
 * The score a listpack-encoded zset keeps: Redis writes -0 as text there and reads it back as the
 * integer 0, while its skiplist keeps -0. Replies computed before storage (ZADD INCR, ZUNION) still
 * show -0, as in Redis.
 */
function listpackScore(score: number): number {
  return score === 0 ? 0 : score;
}

/**
 * A result zset for the *STORE commands, in the encoding Redis would give it: small results are
 * converted to a listpack (zsetConvertToListpackIfNeeded), which turns -0 scores into 0.
 */
function storedResult(c: Client, members: string[], scores: number[]): SortedSetValue {
  const maxValue = c.server.config.num('zset-max-listpack-value');
  const compact =
    members.length <= c.server.config.num('zset-max-listpack-entries') &&
    members.every((m) => m.length <= maxValue);
  const out = new SortedSetValue();
  for (let i = 0; i < members.length; i++)
    out.add(members[i]!, compact ? listpackScore(scores[i]!) : scores[i]!);
  return out;
}

function afterWrite(c: Client, key: string, changes: number): void {
  c.db.modified(key);
  c.server.dirty += changes;
}

function zadd(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, false);
}

function zincrby(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, true);
}

// ---- simple reads and removals -----------------------------------------------------------------------

function zrem(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const z = writeZset(c, key);
  if (z === null) return;
  if (z === undefined) {
    c.out.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < argv.length && z.size > 0; i++) if (z.remove(argv[i]!)) removed++;
  afterRemoval(c, key, z, removed);
  c.out.integer(removed);
}

function zscore(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]!);
  if (z === null) return;
  const score = z?.score(argv[2]!);
  if (score === undefined) c.out.nullBulk();
  else c.out.double(score);
}

function zmscore(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]!);
  if (z === null) return;
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = z?.score(argv[i]!);
    if (score === undefined) c.out.nullBulk();
    else c.out.double(score);
  }
}

function zcard(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]!);
  if (z !== null) c.out.integer(z?.size ?? 0);
}

function zcount(c: Client, argv: string[]): void {
  const range = parseScoreRange(argv[2]!, argv[3]!);
  if (range === undefined) {
    c.out.error('ERR min or max is not a float');
    return;
  }
  const z = readZset(c, argv[1]!);
  if (z !== null) c.out.integer(z?.countInScoreRange(range) ?? 0);
}

function zlexcount(c: Client, argv: string[]): void {
  const range = parseLexRange(argv[2]!, argv[3]!);
  if (range === undefined) {
    c.out.error('ERR min or max not valid string range item');
    return;
  }
  const z = readZset(c, argv[1]!);
  if (z !== null) c.out.integer(z?.countInLexRange(range) ?? 0);
}

function zrankGeneric(c: Client, argv: string[], reverse: boolean): void {
  const z = readZset(c, argv[1]!);
  if (z === null) return;
  const rank = z?.rank(argv[2]!);
  if (rank === undefined) c.out.nullBulk();
  else c.out.integer(reverse ? z!.size - 1 - rank : rank);
}

// ---- ranges ------------------------------------------------------------------------------------------

/** A range result: members in reply order with their scores. */
interface Elements {
  members: string[];
  scores: number[];
}

function byRank(z: SortedSetValue, start: number, end: number, reverse: boolean): Elements {
  const out: Elements = { members: [], scores: [] };
  const len = z.size;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return out;
  if (end >= len) end = len - 1;
  let n = end - start + 1;
  let x = z.nodeAt(reverse ? len - 1 - start : start);
  while (x !== null && n-- > 0) {
    out.members.push(x.member);
    out.scores.push(x.score);
    x = reverse ? x.backward : x.forward;
  }
  return out;
}

/**
 * Walks from `first` in reply order while `inRange` holds, after skipping `offset` nodes, taking at
 * most `limit` (negative = no limit). A negative offset skips everything, exactly as Redis's
 * `while (ln && offset--)` loop does.
 */
function walk(
  first: ZNode | null,
  reverse: boolean,
  offset: number,
  limit: number,
  inRange: (x: ZNode) => boolean,
): Elements {
  const out: Elements = { members: [], scores: [] };
  let x = first;
  while (x !== null && offset !== 0) {
    offset--;
    x = reverse ? x.backward : x.forward;
  }
  while (x !== null && limit !== 0) {
    if (!inRange(x)) break;
    out.members.push(x.member);
    out.scores.push(x.score);
    limit--;
    x = reverse ? x.backward : x.forward;
  }
  return out;
}

function byScore(
  z: SortedSetValue,
  r: ScoreRange,
  reverse: boolean,
  offset: number,
  limit: number,
): Elements {
  if (offset > 0 && offset >= z.size) return { members: [], scores: [] };
  const first = reverse ? z.lastInScoreRange(r) : z.firstInScoreRange(r);
  return walk(first, reverse, offset, limit, (x) =>
    reverse ? scoreGteMin(x.score, r) : scoreLteMax(x.score, r),
  );
}

function byLex(z: SortedSetValue, r: LexRange, reverse: boolean, offset: number, limit: number): Elements {
  if (offset > 0 && offset >= z.size) return { members: [], scores: [] };
  const first = reverse ? z.lastInLexRange(r) : z.firstInLexRange(r);
  return walk(first, reverse, offset, limit, (x) =>
    reverse ? lexGteMin(x.member, r) : lexLteMax(x.member, r),
  );
}

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/**
 * Redis's zrangeGenericCommand, shared by ZRANGE, ZRANGESTORE and the legacy ZRANGEBYSCORE, ZREVRANGE,
 * ZRANGEBYLEX... `keyIndex` is the source key; min and max follow it. A store target gets the result
 * instead of the client.
 */
function zrangeGeneric(
  c: Client,
  argv: string[],
  keyIndex: number,
  store: string | undefined,
  rangeType: RangeType,
  direction: Direction,
): void {
  let minIndex = keyIndex + 1;
  let maxIndex = keyIndex + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyIndex + 3; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    const left = argv.length - j - 1;
    if (store === undefined && opt === 'withscores') {
      withScores = true;
    } else if (opt === 'limit' && left >= 2) {
      const o = longArg(c, argv[j + 1]!);
      if (o === undefined) return;
      const l = longArg(c, argv[j + 2]!);
      if (l === undefined) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === 'auto' && opt === 'rev') {
      direction = 'reverse';
    } else if (rangeType === 'auto' && opt === 'bylex') {
      rangeType = 'lex';
    } else if (rangeType === 'auto' && opt === 'byscore') {
      rangeType = 'score';
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  if (direction === 'auto') direction = 'forward';
  if (rangeType === 'auto') rangeType = 'rank';
  // Redis's sentinel: an explicit `LIMIT x -1` with a rank range slips through this check too.
  if (limit !== -1 && rangeType === 'rank') {
    c.out.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return;
  }
  if (withScores && rangeType === 'lex') {
    c.out.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  const reverse = direction === 'reverse';
  if (reverse && rangeType !== 'rank') [minIndex, maxIndex] = [maxIndex, minIndex];

  let compute: (z: SortedSetValue) => Elements;
  if (rangeType === 'rank') {
    const start = longArg(c, argv[minIndex]!);
    if (start === undefined) return;
    const end = longArg(c, argv[maxIndex]!);
    if (end === undefined) return;
    compute = (z) => byRank(z, start, end, reverse);
  } else if (rangeType === 'score') {
    const range = parseScoreRange(argv[minIndex]!, argv[maxIndex]!);
    if (range === undefined) {
      c.out.error('ERR min or max is not a float');
      return;
    }
    compute = (z) => byScore(z, range, reverse, offset, limit);
  } else {
    const range = parseLexRange(argv[minIndex]!, argv[maxIndex]!);
    if (range === undefined) {
      c.out.error('ERR min or max not valid string range item');
      return;
    }
    compute = (z) => byLex(z, range, reverse, offset, limit);
  }

  const z = readZset(c, argv[keyIndex]!);
  if (z === null) return;
  const result = z === undefined ? { members: [], scores: [] } : compute(z);
  if (store !== undefined) {
    storeResult(c, store, storedResult(c, result.members, result.scores));
  } else {
    replyElements(c, result.members, withScores ? result.scores : undefined);
  }
}

function zrange(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, undefined, 'auto', 'auto');
}
function zrangestore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 2, argv[1]!, 'auto', 'auto');
}
function zrevrange(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, undefined, 'rank', 'reverse');
}
function zrangebyscore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, undefined, 'score', 'forward');
}
function zrevrangebyscore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, undefined, 'score', 'reverse');
}
function zrangebylex(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, undefined, 'lex', 'forward');
}
function zrevrangebylex(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, undefined, 'lex', 'reverse');
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX: the range is parsed before the key is looked up. */
function zremrangeGeneric(c: Client, argv: string[], type: 'rank' | 'score' | 'lex'): void {
  const key = argv[1]!;
  let compute: (z: SortedSetValue) => Elements;
  if (type === 'rank') {
    const start = longArg(c, argv[2]!);
    if (start === undefined) return;
    const end = longArg(c, argv[3]!);
    if (end === undefined) return;
    compute = (z) => byRank(z, start, end, false);
  } else if (type === 'score') {
    const range = parseScoreRange(argv[2]!, argv[3]!);
    if (range === undefined) {
      c.out.error('ERR min or max is not a float');
      return;
    }
    compute = (z) => byScore(z, range, false, 0, -1);
  } else {
    const range = parseLexRange(argv[2]!, argv[3]!);
    if (range === undefined) {
      c.out.error('ERR min or max not valid string range item');
      return;
    }
    compute = (z) => byLex(z, range, false, 0, -1);
  }
  const z = writeZset(c, key);
  if (z === null) return;
  if (z === undefined) {
    c.out.integer(0);
    return;
  }
  const doomed = compute(z).members;
  for (const member of doomed) z.remove(member);
  afterRemoval(c, key, z, doomed.length);
  c.out.integer(doomed.length);
}

function zremrangebyrank(c: Client, argv: string[]): void {
  zremrangeGeneric(c, argv, 'rank');
}
function zremrangebyscore(c: Client, argv: string[]): void {
  zremrangeGeneric(c, argv, 'score');
}
function zremrangebylex(c: Client, argv: string[]): void {
  zremrangeGeneric(c, argv, 'lex');
}

// ---- pops --------------------------------------------------------------------------------------------

type Where = 'min' | 'max';

/** Removes up to `count` members from one end; returns them in pop order. */
function popFrom(z: SortedSetValue, where: Where, count: number): Elements {
  const out: Elements = { members: [], scores: [] };
  while (out.members.length < count) {
    const x = where === 'min' ? z.first : z.tail;
    if (x === null) break;
    out.members.push(x.member);
    out.scores.push(x.score);
    z.remove(x.member);
  }
  return out;
}

/**
 * The pop shared by ZPOPMIN/MAX, BZPOPMIN/MAX and (B)ZMPOP once a non-empty zset is chosen: pops,
 * deletes the key when emptied, and replies. `shape` selects the reply layout:
 *  - 'flat': [m, s, m, s...] (ZPOPMIN, and always in RESP2);  'nested': [[m, s]...] (ZPOPMIN count, RESP3)
 *  - 'keyed': [key, m, s] (BZPOPMIN);  'keyedNested': [key, [[m, s]...]] (ZMPOP/BZMPOP).
 */
function popAndReply(
  c: Client,
  key: string,
  z: SortedSetValue,
  where: Where,
  count: number,
  shape: 'flat' | 'nested' | 'keyed' | 'keyedNested',
): number {
  const popped = popFrom(z, where, count);
  const n = popped.members.length;
  c.db.deleteIfEmpty(key, z);
  c.db.modified(key);
  c.server.dirty += n;
  const nested = shape === 'nested' || shape === 'keyedNested';
  if (shape === 'flat') c.out.arrayHeader(n * 2);
  else if (shape === 'nested') c.out.arrayHeader(n);
  else if (shape === 'keyed') {
    c.out.arrayHeader(n * 2 + 1);
    c.out.bulk(key);
  } else {
    c.out.arrayHeader(2);
    c.out.bulk(key);
    c.out.arrayHeader(n);
  }
  for (let i = 0; i < n; i++) {
    if (nested) c.out.arrayHeader(2);
    c.out.bulk(popped.members[i]!);
    c.out.double(popped.scores[i]!);
  }
  return n;
}

function zpopGeneric(c: Client, argv: string[], where: Where): void {
  if (argv.length > 3) {
    c.out.error(Err.syntax);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = positiveLongArg(c, argv[2]!);
    if (n === undefined) return;
    count = n;
  }
  const key = argv[1]!;
  const z = writeZset(c, key);
  if (z === null) return;
  if (z === undefined || count === 0) {
    c.out.arrayHeader(0);
    return;
  }
  // RESP3 nests pairs only when a count was given; a plain ZPOPMIN stays flat, as in Redis.
  popAndReply(c, key, z, where, count === -1 ? 1 : count, c.resp === 3 && count !== -1 ? 'nested' : 'flat');
}

function zpopmin(c: Client, argv: string[]): void {
  zpopGeneric(c, argv, 'min');
}
function zpopmax(c: Client, argv: string[]): void {
  zpopGeneric(c, argv, 'max');
}

/**
 * Serves a blocking pop (or ZMPOP) from the first non-empty zset among `keys`. Returns undefined after
 * replying an error, false when every key is missing, true when it served. The effect is propagated as
 * `ZPOPMIN key` (BZPOPMIN) or `ZPOPMIN key n` (the MPOP forms) with n the number actually popped, as
 * Redis 7.0 writes it to its replication stream.
 */
function popFirstNonEmpty(
  c: Client,
  keys: string[],
  where: Where,
  count: number,
  mpop: boolean,
): boolean | undefined {
  for (const key of keys) {
    const z = writeZset(c, key);
    if (z === null) return undefined;
    if (z === undefined || z.size === 0) continue;
    const popped = popAndReply(c, key, z, where, mpop ? count : 1, mpop ? 'keyedNested' : 'keyed');
    const name = where === 'min' ? 'ZPOPMIN' : 'ZPOPMAX';
    c.propagate = [mpop ? [name, key, String(popped)] : [name, key]];
    return true;
  }
  return false;
}

/**
 * Blocks until one of `keys` holds a zset. The BlockingManager calls `retry` with the key that became
 * ready, after the command that filled it; the pop sets `c.propagate`, which the server propagates
 * once the client is served.
 */
function blockForZset(
  c: Client,
  keys: string[],
  deadline: number,
  where: Where,
  count: number,
  mpop: boolean,
): void {
  c.block({
    keys,
    deadline,
    onTimeout: (client) => client.out.nullArray(),
    retry: (client, key) => {
      // Only a zset serves us: a list or a string created under the key leaves us waiting, as in Redis.
      const v = client.db.lookupWrite(key);
      if (!(v instanceof SortedSetValue) || v.size === 0) return false;
      return popFirstNonEmpty(client, [key], where, count, mpop) === true;
    },
  });
}

/** BZPOPMIN/BZPOPMAX key [key ...] timeout */
function bzpopGeneric(c: Client, argv: string[], where: Where): void {
  const deadline = timeoutArg(c, argv[argv.length - 1]!);
  if (deadline === undefined) return;
  const keys = argv.slice(1, -1);
  const served = popFirstNonEmpty(c, keys, where, 1, false);
  if (served !== false) return;
  if (!c.canBlock) {
    c.out.nullArray();
    return;
  }
  blockForZset(c, keys, deadline, where, 1, false);
}

function bzpopmin(c: Client, argv: string[]): void {
  bzpopGeneric(c, argv, 'min');
}
function bzpopmax(c: Client, argv: string[]): void {
  bzpopGeneric(c, argv, 'max');
}

/** [B]ZMPOP [timeout] numkeys key [key ...] MIN|MAX [COUNT count] */
function zmpopGeneric(c: Client, argv: string[], numkeysIndex: number, blocking: boolean): void {
  const numkeys = rangeLongArg(c, argv[numkeysIndex]!, 1n, LONG_MAX, 'ERR numkeys should be greater than 0');
  if (numkeys === undefined) return;
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) {
    c.out.error(Err.syntax);
    return;
  }
  const whereArg = argv[whereIndex]!.toLowerCase();
  if (whereArg !== 'min' && whereArg !== 'max') {
    c.out.error(Err.syntax);
    return;
  }
  const where: Where = whereArg;
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && argv[j]!.toLowerCase() === 'count' && more > 0) {
      j++;
      const n = rangeLongArg(c, argv[j]!, 1n, LONG_MAX, 'ERR count should be greater than 0');
      if (n === undefined) return;
      count = n;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIndex + 1, whereIndex);
  let deadline = 0;
  if (blocking) {
    const d = timeoutArg(c, argv[1]!);
    if (d === undefined) return;
    deadline = d;
  }
  const served = popFirstNonEmpty(c, keys, where, count, true);
  if (served !== false) return;
  if (!blocking || !c.canBlock) {
    c.out.nullArray();
    return;
  }
  blockForZset(c, keys, deadline, where, count, true);
}

function zmpop(c: Client, argv: string[]): void {
  zmpopGeneric(c, argv, 1, false);
}
function bzmpop(c: Client, argv: string[]): void {
  zmpopGeneric(c, argv, 2, true);
}

// ---- ZRANDMEMBER -------------------------------------------------------------------------------------

function zrandmember(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const z = readZset(c, argv[1]!);
    if (z === null) return;
    if (z === undefined) {
      c.out.nullBulk();
      return;
    }
    c.out.bulk(z.nodeAt(Math.floor(Math.random() * z.size))!.member);
    return;
  }
  const l = rangeLongArg(c, argv[2]!, -LONG_MAX, LONG_MAX);
  if (l === undefined) return;
  if (argv.length > 4 || (argv.length === 4 && argv[3]!.toLowerCase() !== 'withscores')) {
    c.out.error(Err.syntax);
    return;
  }
  const withScores = argv.length === 4;
  // With scores the reply has twice the elements: Redis bounds the count so that stays a long.
  if (withScores && (l < -Number(LONG_MAX / 2n) || l > Number(LONG_MAX / 2n))) {
    c.out.error('ERR value is out of range');
    return;
  }
  const z = readZset(c, argv[1]!);
  if (z === null) return;
  if (z === undefined || l === 0) {
    c.out.arrayHeader(0);
    return;
  }
  const members: string[] = [];
  const scores: number[] = [];
  const size = z.size;
  if (-l > Number(MAX_REPEATED_PICKS)) {
    c.out.error('ERR value is out of range');
    return;
  }
  if (l < 0) {
    // Repetitions allowed: independent draws, O(log n) each thanks to the spans.
    for (let i = 0; i < -l; i++) {
      const x = z.nodeAt(Math.floor(Math.random() * size))!;
      members.push(x.member);
      scores.push(x.score);
    }
  } else if (l >= size) {
    // The whole zset, highest score first, which is the order Redis 7.0 answers with.
    for (let x = z.tail; x !== null; x = x.backward) {
      members.push(x.member);
      scores.push(x.score);
    }
  } else {
    // Distinct members: a partial Fisher-Yates over ranks picks l of them uniformly.
    const ranks = new Map<number, number>();
    for (let i = 0; i < l; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const picked = ranks.get(j) ?? j;
      ranks.set(j, ranks.get(i) ?? i);
      const x = z.nodeAt(picked)!;
      members.push(x.member);
      scores.push(x.score);
    }
  }
  replyElements(c, members, withScores ? scores : undefined);
}

// ---- ZUNION / ZINTER / ZDIFF -------------------------------------------------------------------------

type Aggregate = 'sum' | 'min' | 'max';

/** A source of a set operation: a zset, or a plain set whose members all score 1. */
type Source = SortedSetValue | SetValue | undefined;

function sourceSize(s: Source): number {
  return s === undefined ? 0 : s.size;
}

function sourceScore(s: Source, member: string): number | undefined {
  if (s === undefined) return undefined;
  if (s instanceof SetValue) return s.has(member) ? 1 : undefined;
  return s.score(member);
}

function* sourceEntries(s: Source): IterableIterator<[string, number]> {
  if (s === undefined) return;
  if (s instanceof SetValue) for (const m of s) yield [m, 1];
  else yield* s.entries();
}

function aggregate(into: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const sum = into + value;
    // inf + -inf: Redis settles on 0 rather than storing a NaN score.
    return Number.isNaN(sum) ? 0 : sum;
  }
  return how === 'min' ? Math.min(into, value) : Math.max(into, value);
}

/** weight * score, where 0 * inf (NaN) counts as 0 as in Redis. */
function weighted(score: number, weight: number): number {
  const v = score * weight;
  return Number.isNaN(v) ? 0 : v;
}

/**
 * Redis's zunionInterDiffGenericCommand. Sources are type-checked before options are parsed (so a
 * WRONGTYPE wins over a syntax error), as Redis does.
 */
function zsetOperation(
  c: Client,
  argv: string[],
  numkeysIndex: number,
  op: 'union' | 'inter' | 'diff',
  dest: string | undefined,
  cardinalityOnly: boolean,
  commandName: string,
): void {
  const numkeys = longArg(c, argv[numkeysIndex]!);
  if (numkeys === undefined) return;
  if (numkeys < 1) {
    c.out.error(`ERR at least 1 input key is needed for '${commandName}' command`);
    return;
  }
  if (numkeys > argv.length - (numkeysIndex + 1)) {
    c.out.error(Err.syntax);
    return;
  }
  const sources: Source[] = [];
  const weights: number[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < numkeys; i++, j++) {
    const v = c.db.lookupRead(argv[j]!);
    if (v !== undefined && !(v instanceof SortedSetValue) && !(v instanceof SetValue)) {
      c.out.error(Err.wrongType);
      return;
    }
    sources.push(v);
    weights.push(1);
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = argv[j]!.toLowerCase();
    if (op !== 'diff' && !cardinalityOnly && remaining >= numkeys + 1 && opt === 'weights') {
      j++;
      for (let i = 0; i < numkeys; i++, j++) {
        const w = parseScore(argv[j]!);
        if (w === undefined) {
          c.out.error('ERR weight value is not a float');
          return;
        }
        weights[i] = w;
      }
    } else if (op !== 'diff' && !cardinalityOnly && remaining >= 2 && opt === 'aggregate') {
      const a = argv[j + 1]!.toLowerCase();
      if (a !== 'sum' && a !== 'min' && a !== 'max') {
        c.out.error(Err.syntax);
        return;
      }
      how = a;
      j += 2;
    } else if (dest === undefined && !cardinalityOnly && opt === 'withscores') {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && opt === 'limit') {
      const n = positiveLongArg(c, argv[j + 1]!, "ERR LIMIT can't be negative");
      if (n === undefined) return;
      limit = n;
      j += 2;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }

  if (cardinalityOnly) {
    c.out.integer(intersectionCardinality(sources, limit));
    return;
  }
  const result = new SortedSetValue();
  // Source indexes by ascending size; the sort is stable, like the glibc qsort Redis relies on here.
  const bySize = sources.map((_, i) => i).sort((a, b) => sourceSize(sources[a]) - sourceSize(sources[b]));
  if (op === 'union') {
    const acc = new Map<string, number>();
    // Sources are accumulated smallest first, as Redis orders them: float sums depend on the order.
    for (const i of bySize) {
      for (const [m, score] of sourceEntries(sources[i])) {
        const v = weighted(score, weights[i]!);
        const cur = acc.get(m);
        acc.set(m, cur === undefined ? v : aggregate(cur, v, how));
      }
    }
    for (const [m, s] of acc) result.add(m, s);
  } else if (op === 'inter') {
    // Walk the smallest source and probe the others, smallest first, as Redis orders them.
    const order = bySize;
    const first = order[0]!;
    if (sourceSize(sources[first]) > 0) {
      for (const [m, score] of sourceEntries(sources[first])) {
        let acc = weighted(score, weights[first]!);
        let everywhere = true;
        for (let k = 1; k < order.length; k++) {
          const other = sourceScore(sources[order[k]!], m);
          if (other === undefined) {
            everywhere = false;
            break;
          }
          acc = aggregate(acc, weighted(other, weights[order[k]!]!), how);
        }
        if (everywhere) result.add(m, acc);
      }
    }
  } else {
    for (const [m, score] of sourceEntries(sources[0])) {
      let elsewhere = false;
      for (let k = 1; k < sources.length && !elsewhere; k++)
        elsewhere = sourceScore(sources[k], m) !== undefined;
      if (!elsewhere) result.add(m, score);
    }
  }
  const members: string[] = [];
  const scores: number[] = [];
  for (const [m, s] of result.entries()) {
    members.push(m);
    scores.push(s);
  }
  if (dest !== undefined) {
    storeResult(c, dest, storedResult(c, members, scores));
    return;
  }
  replyElements(c, members, withScores ? scores : undefined);
}

function intersectionCardinality(sources: Source[], limit: number): number {
  const sorted = [...sources].sort((a, b) => sourceSize(a) - sourceSize(b));
  if (sourceSize(sorted[0]) === 0) return 0;
  let n = 0;
  for (const [m] of sourceEntries(sorted[0])) {
    if (sorted.every((s, i) => i === 0 || sourceScore(s, m) !== undefined)) {
      n++;
      if (limit > 0 && n >= limit) break;
    }
  }
  return n;
}

function zunion(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 1, 'union', undefined, false, 'zunion');
}
function zinter(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 1, 'inter', undefined, false, 'zinter');
}
function zdiff(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 1, 'diff', undefined, false, 'zdiff');
}
function zunionstore(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 2, 'union', argv[1]!, false, 'zunionstore');
}
function zinterstore(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 2, 'inter', argv[1]!, false, 'zinterstore');
}
function zdiffstore(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 2, 'diff', argv[1]!, false, 'zdiffstore');
}
function zintercard(c: Client, argv: string[]): void {
  zsetOperation(c, argv, 1, 'inter', undefined, true, 'zintercard');
}

// ---- ZSCAN -------------------------------------------------------------------------------------------

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]. A zset Redis would keep as a listpack (few, short
 * members) is returned whole in order with cursor 0, as Redis does; larger ones are walked with a
 * cursor over the member dictionary.
 */
function zscan(c: Client, argv: string[]): void {
  scanCollection(c, argv, (v) => {
    if (!(v instanceof SortedSetValue)) return undefined;
    const small = encodingOf(v, c.server.config) === 'listpack';
    return {
      all: small ? () => [...v.entries()].map(([m]) => m) : undefined,
      source: v.dict,
      expand: (member, out) => {
        const score = v.score(member);
        if (score === undefined) return;
        out.push(member, small ? listpackScoreText(score) : formatDouble(score));
      },
    };
  });
}

/**
 * ZSCAN returns scores as bulk strings, even in RESP3, as stored: a listpack holds Redis's d2string
 * text (integral values up to 2^62 as plain integers, the rest %.17g); a skiplist's score is printed
 * with %.17g.
 */
function listpackScoreText(score: number): string {
  if (score !== 0 && Number.isInteger(score) && Math.abs(score) <= 2 ** 62) return BigInt(score).toString();
  return formatDouble(score);
}

// ---- registration ------------------------------------------------------------------------------------

/** Keys of numkeys-style commands: `numkeys` at argv[index], the keys after it; [] when malformed. */
function numkeysAt(index: number, extraLeading: number[] = []): (argv: string[]) => number[] {
  return (argv) => {
    const n = parseLong(argv[index] ?? '');
    if (n === undefined || n < 1 || index + n >= argv.length) return extraLeading;
    const keys = [...extraLeading];
    for (let i = 1; i <= n; i++) keys.push(index + i);
    return keys;
  };
}

export const zsetCommands: CommandSpec[] = [
  cmd('zadd', -4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'sorted-set', zadd),
  cmd('zincrby', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'sorted-set', zincrby),
  cmd('zrem', -3, ['write', 'fast'], [1, 1, 1], 'sorted-set', zrem),
  cmd('zscore', 3, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', zscore),
  cmd('zmscore', -3, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', zmscore),
  cmd('zcard', 2, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', zcard),
  cmd('zcount', 4, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', zcount),
  cmd('zlexcount', 4, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', zlexcount),
  cmd('zrank', 3, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', (c, a) => zrankGeneric(c, a, false)),
  cmd('zrevrank', 3, ['readonly', 'fast'], [1, 1, 1], 'sorted-set', (c, a) => zrankGeneric(c, a, true)),
  cmd('zrange', -4, ['readonly'], [1, 1, 1], 'sorted-set', zrange),
  cmd('zrangestore', -5, ['write', 'denyoom'], [1, 2, 1], 'sorted-set', zrangestore),
  cmd('zrevrange', -4, ['readonly'], [1, 1, 1], 'sorted-set', zrevrange),
  cmd('zrangebyscore', -4, ['readonly'], [1, 1, 1], 'sorted-set', zrangebyscore),
  cmd('zrevrangebyscore', -4, ['readonly'], [1, 1, 1], 'sorted-set', zrevrangebyscore),
  cmd('zrangebylex', -4, ['readonly'], [1, 1, 1], 'sorted-set', zrangebylex),
  cmd('zrevrangebylex', -4, ['readonly'], [1, 1, 1], 'sorted-set', zrevrangebylex),
  cmd('zremrangebyrank', 4, ['write'], [1, 1, 1], 'sorted-set', zremrangebyrank),
  cmd('zremrangebyscore', 4, ['write'], [1, 1, 1], 'sorted-set', zremrangebyscore),
  cmd('zremrangebylex', 4, ['write'], [1, 1, 1], 'sorted-set', zremrangebylex),
  cmd('zpopmin', -2, ['write', 'fast'], [1, 1, 1], 'sorted-set', zpopmin),
  cmd('zpopmax', -2, ['write', 'fast'], [1, 1, 1], 'sorted-set', zpopmax),
  cmd('bzpopmin', -3, ['write', 'noscript', 'blocking', 'fast'], [1, -2, 1], 'sorted-set', bzpopmin),
  cmd('bzpopmax', -3, ['write', 'noscript', 'blocking', 'fast'], [1, -2, 1], 'sorted-set', bzpopmax),
  cmd('zmpop', -4, ['write'], [0, 0, 0], 'sorted-set', zmpop, { getKeys: numkeysAt(1) }),
  cmd('bzmpop', -5, ['write', 'blocking'], [0, 0, 0], 'sorted-set', bzmpop, { getKeys: numkeysAt(2) }),
  cmd('zrandmember', -2, ['readonly'], [1, 1, 1], 'sorted-set', zrandmember),
  cmd('zunion', -3, ['readonly'], [0, 0, 0], 'sorted-set', zunion, { getKeys: numkeysAt(1) }),
  cmd('zinter', -3, ['readonly'], [0, 0, 0], 'sorted-set', zinter, { getKeys: numkeysAt(1) }),
  cmd('zdiff', -3, ['readonly'], [0, 0, 0], 'sorted-set', zdiff, { getKeys: numkeysAt(1) }),
  cmd('zintercard', -3, ['readonly'], [0, 0, 0], 'sorted-set', zintercard, { getKeys: numkeysAt(1) }),
  cmd('zunionstore', -4, ['write', 'denyoom'], [1, 1, 1], 'sorted-set', zunionstore, {
    getKeys: numkeysAt(2, [1]),
  }),
  cmd('zinterstore', -4, ['write', 'denyoom'], [1, 1, 1], 'sorted-set', zinterstore, {
    getKeys: numkeysAt(2, [1]),
  }),
  cmd('zdiffstore', -4, ['write', 'denyoom'], [1, 1, 1], 'sorted-set', zdiffstore, {
    getKeys: numkeysAt(2, [1]),
  }),
  cmd('zscan', -3, ['readonly'], [1, 1, 1], 'sorted-set', zscan),
];
