import type { Client } from '../server/client.js';
import { incrementByFloat } from './long-double.js';
import { type CommandSpec, cmd } from './table.js';
import { Err, longArg, parseInt64, parseLong } from './util.js';

const LLONG_MAX = 9223372036854775807n;
const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
/**
 * V8's longest string (2^29 - 24 one-byte chars) is a little under the default proto-max-bulk-len
 * (512 MiB): the last 24 bytes Redis would accept are refused with the same error rather than crash.
 */
const MAX_JS_STRING = 2 ** 29 - 24;

/** Looks a string up for reading; replies WRONGTYPE and returns null when it is not a string. */
export function getString(c: Client, key: string): string | undefined | null {
  const v = c.db.lookupRead(key);
  if (v === undefined || typeof v === 'string') return v;
  c.out.error(Err.wrongType);
  return null;
}

/** Redis's getGenericCommand: replies the value (or null); false after a WRONGTYPE error. */
function replyValue(c: Client, key: string): boolean {
  const v = getString(c, key);
  if (v === null) return false;
  if (v === undefined) c.out.nullBulk();
  else c.out.bulk(v);
  return true;
}

/** Redis's checkStringLength: the master's stream is trusted, clients are held to proto-max-bulk-len. */
function fitsMaxBulk(c: Client, total: number): boolean {
  if ((c.flags.master || total <= c.server.protoMaxBulkLen) && total <= MAX_JS_STRING) return true;
  c.out.error(STRING_TOO_LONG);
  return false;
}

function get(c: Client, argv: string[]): void {
  replyValue(c, argv[1]!);
}

// ---- SET and its options (shared with GETEX: Redis's parseExtendedStringArgumentsOrReply) ----------

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const PERSIST = 16;
const EX = 32;
const PX = 64;
const EXAT = 128;
const PXAT = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

interface StringOptions {
  flags: number;
  /** The expire argument's text; validated after every option is parsed, as Redis does. */
  expire: string | undefined;
}

/**
 * Parses SET's (`forSet`) or GETEX's options. As in Redis, repeating an option is fine (the last
 * value wins) while mixing incompatible ones is a syntax error.
 */
function parseStringOptions(
  c: Client,
  argv: string[],
  from: number,
  forSet: boolean,
): StringOptions | undefined {
  let flags = 0;
  let expire: string | undefined;
  for (let i = from; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    const next = argv[i + 1];
    const unit = opt === 'ex' ? EX : opt === 'px' ? PX : opt === 'exat' ? EXAT : opt === 'pxat' ? PXAT : 0;
    if (opt === 'nx' && forSet && !(flags & XX)) flags |= NX;
    else if (opt === 'xx' && forSet && !(flags & NX)) flags |= XX;
    else if (opt === 'get' && forSet) flags |= GET;
    else if (opt === 'keepttl' && forSet && !(flags & (PERSIST | ANY_EXPIRE))) flags |= KEEPTTL;
    else if (opt === 'persist' && !forSet && !(flags & (KEEPTTL | ANY_EXPIRE))) flags |= PERSIST;
    else if (unit !== 0 && next !== undefined && !(flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~unit)))) {
      flags |= unit;
      expire = next;
      i++;
    } else {
      c.out.error(Err.syntax);
      return undefined;
    }
  }
  return { flags, expire };
}

/**
 * Redis's getExpireMillisecondsOrReply for SET/SETEX/PSETEX/GETEX: a positive integer whose absolute
 * time in ms fits a signed 64-bit integer. Computed in bigint so the limits are exact; the result is
 * stored as a JS number (exact below 2^53 ms, the year 287396).
 */
function expireArgument(c: Client, text: string, flags: number, command: string): number | undefined {
  const n = parseInt64(text);
  if (n === undefined) {
    c.out.error(Err.notInteger);
    return undefined;
  }
  const seconds = (flags & (EX | EXAT)) !== 0;
  if (n <= 0n || (seconds && n > LLONG_MAX / 1000n)) {
    c.out.error(`ERR invalid expire time in '${command}' command`);
    return undefined;
  }
  let ms = seconds ? n * 1000n : n;
  if (flags & (EX | PX)) ms += BigInt(c.server.now());
  if (ms > LLONG_MAX) {
    c.out.error(`ERR invalid expire time in '${command}' command`);
    return undefined;
  }
  return Number(ms);
}

/**
 * Redis's setGenericCommand. Replies `okReply`/`abortReply` (null means the RESP null) unless GET was
 * asked, in which case the old value is the reply. An expiry is propagated as `SET k v PXAT <ms>`.
 */
function setGeneric(
  c: Client,
  argv: string[],
  key: string,
  value: string,
  options: StringOptions,
  command: string,
  replies: { ok: (c: Client) => void; abort: (c: Client) => void },
): void {
  const { flags, expire } = options;
  let expireAt: number | undefined;
  if (expire !== undefined) {
    expireAt = expireArgument(c, expire, flags, command);
    if (expireAt === undefined) return;
  }
  if (flags & GET && !replyValue(c, key)) return;
  const db = c.db;
  const found = db.lookupWrite(key) !== undefined;
  if ((flags & NX && found) || (flags & XX && !found)) {
    if (!(flags & GET)) replies.abort(c);
    return;
  }
  db.set(key, value, (flags & KEEPTTL) !== 0);
  c.server.dirty++;
  if (expireAt !== undefined) {
    db.setExpire(key, expireAt);
    c.propagate = [['SET', key, value, 'PXAT', String(expireAt)]];
  } else if (flags & GET) {
    // Replicas must not answer anything, so GET (possibly repeated) is dropped from the propagated argv.
    c.propagate = [argv.filter((a, i) => i < 3 || a.toLowerCase() !== 'get')];
  }
  if (!(flags & GET)) replies.ok(c);
}

/** SET-style replies (OK / null) and SETNX-style ones (1 / 0). */
const OK_OR_NULL = { ok: (c: Client) => c.out.status('OK'), abort: (c: Client) => c.out.nullBulk() };
const ONE_OR_ZERO = { ok: (c: Client) => c.out.integer(1), abort: (c: Client) => c.out.integer(0) };

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] */
function set(c: Client, argv: string[]): void {
  const options = parseStringOptions(c, argv, 3, true);
  if (options === undefined) return;
  setGeneric(c, argv, argv[1]!, argv[2]!, options, 'set', OK_OR_NULL);
}

function setnx(c: Client, argv: string[]): void {
  const options = { flags: NX, expire: undefined };
  setGeneric(c, argv, argv[1]!, argv[2]!, options, 'setnx', ONE_OR_ZERO);
}

/** SETEX key seconds value / PSETEX key ms value: SET with EX/PX, propagated as SET ... PXAT. */
function setex(c: Client, argv: string[]): void {
  const options = { flags: EX, expire: argv[2]! };
  setGeneric(c, argv, argv[1]!, argv[3]!, options, 'setex', OK_OR_NULL);
}

function psetex(c: Client, argv: string[]): void {
  const options = { flags: PX, expire: argv[2]! };
  setGeneric(c, argv, argv[1]!, argv[3]!, options, 'psetex', OK_OR_NULL);
}

/** GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: propagated as PEXPIREAT, PERSIST or DEL. */
function getex(c: Client, argv: string[]): void {
  const options = parseStringOptions(c, argv, 2, false);
  if (options === undefined) return;
  const key = argv[1]!;
  const value = getString(c, key);
  if (value === null) return;
  if (value === undefined) {
    c.out.nullBulk();
    return;
  }
  let expireAt: number | undefined;
  if (options.expire !== undefined) {
    expireAt = expireArgument(c, options.expire, options.flags, 'getex');
    if (expireAt === undefined) return;
  }
  c.out.bulk(value);
  const db = c.db;
  if (
    expireAt !== undefined &&
    options.flags & (EXAT | PXAT) &&
    expireAt <= c.server.now() &&
    !c.server.isReplica()
  ) {
    // An absolute time already past deletes the key now, like EXPIREAT does.
    db.delete(key);
    c.server.dirty++;
    c.propagate = [[c.server.config.bool('lazyfree-lazy-expire') ? 'UNLINK' : 'DEL', key]];
  } else if (expireAt !== undefined) {
    db.setExpire(key, expireAt);
    c.server.dirty++;
    c.propagate = [['PEXPIREAT', key, String(expireAt)]];
  } else if (options.flags & PERSIST && db.persist(key)) {
    c.server.dirty++;
    c.propagate = [['PERSIST', key]];
  }
}

/** GETDEL key: propagated as DEL (UNLINK with lazyfree-lazy-user-del). */
function getdel(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const value = getString(c, key);
  if (value === null) return;
  if (value === undefined) {
    c.out.nullBulk();
    return;
  }
  c.out.bulk(value);
  c.db.delete(key);
  c.server.dirty++;
  c.propagate = [[c.server.config.bool('lazyfree-lazy-user-del') ? 'UNLINK' : 'DEL', key]];
}

/** GETSET key value: SET that clears the TTL and replies the old value; propagated as SET. */
function getset(c: Client, argv: string[]): void {
  const key = argv[1]!;
  if (!replyValue(c, key)) return;
  c.db.set(key, argv[2]!);
  c.server.dirty++;
  c.propagate = [['SET', key, argv[2]!]];
}

function mget(c: Client, argv: string[]): void {
  c.out.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = c.db.lookupRead(argv[i]!);
    if (typeof v === 'string') c.out.bulk(v);
    else c.out.nullBulk();
  }
}

/** MSET / MSETNX: arity says -3, pairs are checked here with the arity error text, as in Redis. */
function msetGeneric(c: Client, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    c.out.error(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
    return;
  }
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (c.db.lookupWrite(argv[i]!) !== undefined) {
        c.out.integer(0);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) c.db.set(argv[i]!, argv[i + 1]!);
  c.server.dirty += (argv.length - 1) / 2;
  if (nx) c.out.integer(1);
  else c.out.status('OK');
}

function mset(c: Client, argv: string[]): void {
  msetGeneric(c, argv, false);
}

function msetnx(c: Client, argv: string[]): void {
  msetGeneric(c, argv, true);
}

/** Magnitude below which a counter and a delta add exactly as doubles, far from int64 overflow. */
const EXACT_IN_DOUBLE = 1e15;

/** INCR/DECR/INCRBY/DECRBY: exact 64-bit arithmetic with Redis's overflow error; the TTL is kept. */
function incrementBy(c: Client, key: string, delta: bigint, smallDelta = Number(delta)): void {
  const cur = c.db.lookupWrite(key);
  if (cur !== undefined && typeof cur !== 'string') {
    c.out.error(Err.wrongType);
    return;
  }
  if ((cur === undefined || cur.length < 16) && Math.abs(smallDelta) < EXACT_IN_DOUBLE) {
    // The common case, in plain numbers: BigInt parsing and printing would cost more than the rest.
    const current = cur === undefined ? 0 : parseLong(cur);
    if (current === undefined) {
      c.out.error(Err.notInteger);
      return;
    }
    const result = current + smallDelta;
    c.db.set(key, String(result), true);
    c.server.dirty++;
    c.out.integer(result);
    return;
  }
  let base = 0n;
  if (cur !== undefined) {
    const parsed = parseInt64(cur);
    if (parsed === undefined) {
      c.out.error(Err.notInteger);
      return;
    }
    base = parsed;
  }
  const result = base + delta;
  if (result > LLONG_MAX || result < -LLONG_MAX - 1n) {
    c.out.error(Err.overflow);
    return;
  }
  const text = result.toString();
  c.db.set(key, text, true);
  c.server.dirty++;
  c.out.raw(`:${text}\r\n`);
}

function incr(c: Client, argv: string[]): void {
  incrementBy(c, argv[1]!, 1n, 1);
}
function decr(c: Client, argv: string[]): void {
  incrementBy(c, argv[1]!, -1n, -1);
}
function incrby(c: Client, argv: string[]): void {
  const d = parseInt64(argv[2]!);
  if (d === undefined) c.out.error(Err.notInteger);
  else incrementBy(c, argv[1]!, d);
}
function decrby(c: Client, argv: string[]): void {
  const d = parseInt64(argv[2]!);
  if (d === undefined || d === -LLONG_MAX - 1n)
    c.out.error(d === undefined ? Err.notInteger : 'ERR decrement would overflow');
  else incrementBy(c, argv[1]!, -d);
}

/**
 * INCRBYFLOAT key increment, in x87 extended precision like Redis (see long-double.ts). Propagated as
 * `SET key <result> KEEPTTL` so replicas store exactly the same text.
 */
function incrbyfloat(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const cur = c.db.lookupWrite(key);
  if (cur !== undefined && typeof cur !== 'string') {
    c.out.error(Err.wrongType);
    return;
  }
  const result = incrementByFloat(cur ?? '0', argv[2]!);
  if (result === 'notfloat') {
    c.out.error(Err.notFloat);
    return;
  }
  if (result === 'nan-or-inf') {
    c.out.error('ERR increment would produce NaN or Infinity');
    return;
  }
  c.db.set(key, result, true);
  c.server.dirty++;
  c.out.bulk(result);
  c.propagate = [['SET', key, result, 'KEEPTTL']];
}

/** APPEND key value: creates the key when missing (even with an empty value); replies the new length. */
function append(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const suffix = argv[2]!;
  const cur = c.db.lookupWrite(key);
  if (cur !== undefined && typeof cur !== 'string') {
    c.out.error(Err.wrongType);
    return;
  }
  if (cur !== undefined && !fitsMaxBulk(c, cur.length + suffix.length)) return;
  const next = cur === undefined ? suffix : cur + suffix;
  c.db.set(key, next, true);
  c.server.dirty++;
  c.out.integer(next.length);
}

function strlen(c: Client, argv: string[]): void {
  const v = getString(c, argv[1]!);
  if (v !== null) c.out.integer(v === undefined ? 0 : v.length);
}

/** GETRANGE key start end (and its old name SUBSTR): inclusive, negative from the end, clamped. */
function getrange(c: Client, argv: string[]): void {
  const startArg = parseInt64(argv[2]!);
  const endArg = startArg === undefined ? undefined : parseInt64(argv[3]!);
  if (startArg === undefined || endArg === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  const v = getString(c, argv[1]!);
  if (v === null) return;
  if (v === undefined) {
    c.out.bulk('');
    return;
  }
  const len = BigInt(v.length);
  let start = startArg;
  let end = endArg;
  if (start < 0n && end < 0n && start > end) {
    c.out.bulk('');
    return;
  }
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) c.out.bulk('');
  else c.out.bulk(v.slice(Number(start), Number(end) + 1));
}

/**
 * SETRANGE key offset value: overwrites from `offset`, zero-padding a shorter (or missing) value.
 * Setting nothing creates nothing and replies the current length.
 */
function setrange(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const value = argv[3]!;
  const offset = longArg(c, argv[2]!);
  if (offset === undefined) return;
  if (offset < 0) {
    c.out.error('ERR offset is out of range');
    return;
  }
  const cur = c.db.lookupWrite(key);
  if (cur !== undefined && typeof cur !== 'string') {
    c.out.error(Err.wrongType);
    return;
  }
  if (value.length === 0) {
    c.out.integer(cur === undefined ? 0 : cur.length);
    return;
  }
  if (!fitsMaxBulk(c, offset + value.length)) return;
  const old = cur ?? '';
  const head = old.length >= offset ? old.slice(0, offset) : old + '\0'.repeat(offset - old.length);
  const next = head + value + old.slice(offset + value.length);
  c.db.set(key, next, true);
  c.server.dirty++;
  c.out.integer(next.length);
}

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the classic O(n·m) dynamic programme, and
 * the match ranges walked back from the end exactly as Redis does, so the reply is identical.
 */
function lcs(c: Client, argv: string[]): void {
  const a0 = c.db.lookupRead(argv[1]!);
  const b0 = c.db.lookupRead(argv[2]!);
  if ((a0 !== undefined && typeof a0 !== 'string') || (b0 !== undefined && typeof b0 !== 'string')) {
    c.out.error('ERR The specified keys must contain string values');
    return;
  }
  const a = a0 ?? '';
  const b = b0 ?? '';
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0n;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    if (opt === 'idx') getIdx = true;
    else if (opt === 'len') getLen = true;
    else if (opt === 'withmatchlen') withMatchLen = true;
    else if (opt === 'minmatchlen' && i + 1 < argv.length) {
      const n = parseInt64(argv[++i]!);
      if (n === undefined) {
        c.out.error(Err.notInteger);
        return;
      }
      minMatchLen = n < 0n ? 0n : n;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  if (getIdx && getLen) {
    c.out.error('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.server.protoMaxBulkLen) {
    c.out.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
    return;
  }
  const width = blen + 1;
  const dp = new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    const row = i * width;
    const prev = row - width;
    for (let j = 1; j <= blen; j++) {
      if (ai === b.charCodeAt(j - 1)) dp[row + j] = dp[prev + j - 1]! + 1;
      else {
        dp[row + j] = Math.max(dp[prev + j]!, dp[row + j - 1]!);
      }
    }
  }
  const total = dp[alen * width + blen]!;
  if (getLen) {
    c.out.integer(total);
    return;
  }
  const chars: string[] = new Array(total);
  const ranges: number[][] = [];
  let idx = total;
  let i = alen;
  let j = blen;
  // aStart === alen means "no range open".
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * width + j]! > dp[i * width + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0n || BigInt(matchLen) >= minMatchLen)
        ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = alen;
    }
  }
  if (!getIdx) {
    c.out.bulk(chars.join(''));
    return;
  }
  c.out.mapHeader(2);
  c.out.bulk('matches');
  c.out.arrayHeader(ranges.length);
  for (const [as, ae, bs, be, len] of ranges) {
    c.out.arrayHeader(withMatchLen ? 3 : 2);
    c.out.arrayHeader(2);
    c.out.integer(as!);
    c.out.integer(ae!);
    c.out.arrayHeader(2);
    c.out.integer(bs!);
    c.out.integer(be!);
    if (withMatchLen) c.out.integer(len!);
  }
  c.out.bulk('len');
  c.out.integer(total);
}

export const stringCommands: CommandSpec[] = [
  cmd('get', 2, ['readonly', 'fast'], [1, 1, 1], 'string', get),
  cmd('set', -3, ['write', 'denyoom'], [1, 1, 1], 'string', set),
  cmd('setnx', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', setnx),
  cmd('setex', 4, ['write', 'denyoom'], [1, 1, 1], 'string', setex),
  cmd('psetex', 4, ['write', 'denyoom'], [1, 1, 1], 'string', psetex),
  cmd('getex', -2, ['write', 'fast'], [1, 1, 1], 'string', getex),
  cmd('getdel', 2, ['write', 'fast'], [1, 1, 1], 'string', getdel),
  cmd('getset', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', getset),
  cmd('mget', -2, ['readonly', 'fast'], [1, -1, 1], 'string', mget),
  cmd('mset', -3, ['write', 'denyoom'], [1, -1, 2], 'string', mset),
  cmd('msetnx', -3, ['write', 'denyoom'], [1, -1, 2], 'string', msetnx),
  cmd('incr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', incr),
  cmd('decr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', decr),
  cmd('incrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', incrby),
  cmd('decrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', decrby),
  cmd('incrbyfloat', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', incrbyfloat),
  cmd('append', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', append),
  cmd('strlen', 2, ['readonly', 'fast'], [1, 1, 1], 'string', strlen),
  cmd('getrange', 4, ['readonly'], [1, 1, 1], 'string', getrange),
  cmd('substr', 4, ['readonly'], [1, 1, 1], 'string', getrange),
  cmd('setrange', 4, ['write', 'denyoom'], [1, 1, 1], 'string', setrange),
  cmd('lcs', -3, ['readonly'], [1, 2, 1], 'string', lcs),
];
