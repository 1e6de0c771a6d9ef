import type { Database } from '../keyspace/db.js';
import { encodingOf, inheritEncoding, stringEncoding } from '../keyspace/encoding.js';
import { parseScanArguments, scanCursorsFor } from '../keyspace/scan.js';
import { cloneValue, typeOf } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, globMatch, parseInt64 } from './util.js';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
const SAME_OBJECT = 'ERR source and destination objects are the same';

function del(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.delete(argv[i]!)) n++;
  c.server.dirty += n;
  c.out.integer(n);
}

/** EXISTS counts a key once per mention, without touching LRU/LFU data. */
function exists(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.lookupReadNoTouch(argv[i]!) !== undefined) n++;
  c.out.integer(n);
}

/** TOUCH counts existing keys and, unlike EXISTS, updates their access time. */
function touch(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.lookupRead(argv[i]!) !== undefined) n++;
  c.out.integer(n);
}

function type(c: Client, argv: string[]): void {
  const v = c.db.lookupReadNoTouch(argv[1]!);
  c.out.status(v === undefined ? 'none' : typeOf(v));
}

// ---- expiry ------------------------------------------------------------------------------------------

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Redis's checkAlreadyExpired: a replica (or our master's stream) stores past times and waits for DEL. */
function alreadyExpired(c: Client, whenMs: bigint): boolean {
  return whenMs <= BigInt(c.server.now()) && !c.server.isReplica();
}

/**
 * EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]. The time is converted once to absolute
 * ms and propagated as `PEXPIREAT key <ms> [flags]`; a time already past deletes the key (propagated as
 * DEL). Arithmetic in bigint so the overflow errors trigger exactly where Redis's do.
 */
function expireGeneric(c: Client, argv: string[], relative: boolean, seconds: boolean): void {
  const name = argv[0]!.toLowerCase();
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    if (opt === 'nx') flags |= EXPIRE_NX;
    else if (opt === 'xx') flags |= EXPIRE_XX;
    else if (opt === 'gt') flags |= EXPIRE_GT;
    else if (opt === 'lt') flags |= EXPIRE_LT;
    else {
      c.out.error(`ERR Unsupported option ${argv[i]}`);
      return;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.out.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    c.out.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  let when = parseInt64(argv[2]!);
  if (when === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  const invalid = `ERR invalid expire time in '${name}' command`;
  if (seconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) {
      c.out.error(invalid);
      return;
    }
    when *= 1000n;
  }
  const base = relative ? BigInt(c.server.now()) : 0n;
  if (when > LLONG_MAX - base) {
    c.out.error(invalid);
    return;
  }
  when += base;
  const key = argv[1]!;
  const db = c.db;
  if (db.lookupWrite(key) === undefined) {
    c.out.integer(0);
    return;
  }
  if (flags !== 0) {
    const current = db.getExpire(key);
    const refused =
      (flags & EXPIRE_NX && current !== undefined) ||
      (flags & EXPIRE_XX && current === undefined) ||
      // No TTL counts as an infinite one: GT never beats it, LT always does.
      (flags & EXPIRE_GT && (current === undefined || when <= BigInt(current))) ||
      (flags & EXPIRE_LT && current !== undefined && when >= BigInt(current));
    if (refused) {
      c.out.integer(0);
      return;
    }
  }
  if (alreadyExpired(c, when)) {
    db.delete(key);
    c.propagate = [[c.server.config.bool('lazyfree-lazy-expire') ? 'UNLINK' : 'DEL', key]];
  } else {
    db.setExpire(key, Number(when));
    // PEXPIREAT itself already carries an absolute time in ms and is propagated as typed.
    if (name !== 'pexpireat') c.propagate = [['PEXPIREAT', key, when.toString(), ...argv.slice(3)]];
  }
  c.server.dirty++;
  c.out.integer(1);
}

const expire = (c: Client, argv: string[]) => expireGeneric(c, argv, true, true);
const pexpire = (c: Client, argv: string[]) => expireGeneric(c, argv, true, false);
const expireat = (c: Client, argv: string[]) => expireGeneric(c, argv, false, true);
const pexpireat = (c: Client, argv: string[]) => expireGeneric(c, argv, false, false);

/**
 * TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 for a missing key, -1 without TTL; seconds are rounded to
 * the nearest, as Redis does ((ms + 500) / 1000).
 */
function ttlGeneric(c: Client, key: string, ms: boolean, absolute: boolean): void {
  if (c.db.lookupReadNoTouch(key) === undefined) {
    c.out.integer(-2);
    return;
  }
  const when = c.db.getExpire(key);
  if (when === undefined) {
    c.out.integer(-1);
    return;
  }
  let t = absolute ? when : when - c.server.now();
  if (t < 0) t = 0;
  c.out.integer(ms ? t : Math.trunc((t + 500) / 1000));
}

const ttl = (c: Client, argv: string[]) => ttlGeneric(c, argv[1]!, false, false);
const pttl = (c: Client, argv: string[]) => ttlGeneric(c, argv[1]!, true, false);
const expiretime = (c: Client, argv: string[]) => ttlGeneric(c, argv[1]!, false, true);
const pexpiretime = (c: Client, argv: string[]) => ttlGeneric(c, argv[1]!, true, true);

function persist(c: Client, argv: string[]): void {
  const key = argv[1]!;
  if (c.db.lookupWrite(key) === undefined || !c.db.persist(key)) {
    c.out.integer(0);
    return;
  }
  c.server.dirty++;
  c.out.integer(1);
}

// ---- enumeration -------------------------------------------------------------------------------------

/** KEYS pattern: logically expired keys are skipped but not deleted, as in Redis. */
function keys(c: Client, argv: string[]): void {
  const pattern = argv[1]!;
  const all = pattern === '*';
  const db = c.db;
  const now = c.server.now();
  const out: string[] = [];
  const checkTtl = db.expires.size !== 0;
  for (const key of db.dict.keys()) {
    if (!all && !globMatch(pattern, key)) continue;
    if (checkTtl) {
      const when = db.expires.get(key);
      if (when !== undefined && when <= now) continue;
    }
    out.push(key);
  }
  c.out.bulkArray(out);
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: see keyspace/scan.ts for the cursor design. */
function scan(c: Client, argv: string[]): void {
  const args = parseScanArguments(argv, 1, true);
  if (typeof args === 'string') {
    c.out.error(args);
    return;
  }
  const db = c.db;
  const page = scanCursorsFor(c.server).scan(db.dict, args.cursor, args.count, c.server.now());
  const wantedType = args.type?.toLowerCase();
  const out: string[] = [];
  for (const key of page.keys) {
    if (args.pattern !== undefined && !globMatch(args.pattern, key)) continue;
    // peek deletes the key if it expired (propagating DEL), as Redis's filter step does.
    const value = db.peek(key);
    if (wantedType !== undefined) {
      // Redis names a key that vanished while filtering "none" and then keeps it: mirrored on purpose.
      if ((value === undefined ? 'none' : typeOf(value)) !== wantedType) continue;
    } else if (value === undefined) {
      continue;
    }
    out.push(key);
  }
  c.out.arrayHeader(2);
  c.out.bulk(String(page.cursor));
  c.out.bulkArray(out);
}

/**
 * How RANDOMKEY picks without an O(n) walk: a JS Map has no random access, so each db keeps a
 * persistent iterator that advances by a random 1..RANDOM_STEP entries per call and wraps around at
 * the end (O(RANDOM_STEP) per call). Every key is reachable and the long-run frequency is close to
 * uniform, but consecutive answers are near each other in insertion order: it is a random walk, not
 * independent uniform samples. Small dbs (up to RANDOM_EXACT keys) get an exact uniform pick.
 */
const RANDOM_STEP = 64;
const RANDOM_EXACT = 128;
const randomWalks = new WeakMap<Map<string, unknown>, Iterator<string>>();

function pickKey(dict: Map<string, unknown>): string | undefined {
  const size = dict.size;
  if (size === 0) return undefined;
  if (size <= RANDOM_EXACT) {
    let skip = Math.floor(Math.random() * size);
    for (const key of dict.keys()) if (skip-- === 0) return key;
  }
  let walk = randomWalks.get(dict);
  if (walk === undefined) {
    walk = dict.keys();
    randomWalks.set(dict, walk);
  }
  let last: string | undefined;
  for (let steps = 1 + Math.floor(Math.random() * RANDOM_STEP); steps > 0; steps--) {
    let next = walk.next();
    if (next.done) {
      walk = dict.keys();
      randomWalks.set(dict, walk);
      next = walk.next();
      if (next.done) return undefined;
    }
    last = next.value;
  }
  return last;
}

/** Redis's dbRandomKey: expired keys are deleted and another is picked. */
function randomKeyOf(c: Client, db: Database): string | undefined {
  const allVolatile = db.dict.size === db.expires.size;
  let tries = 100;
  for (;;) {
    const key = pickKey(db.dict);
    if (key === undefined) return undefined;
    if (db.expires.has(key)) {
      // On a replica every key may be logically expired yet present: give up after some tries, as
      // Redis does, and return one anyway.
      if (allVolatile && c.server.isReplica() && --tries === 0) return key;
      if (db.peek(key) === undefined) continue;
    }
    return key;
  }
}

function randomkey(c: Client): void {
  const key = randomKeyOf(c, c.db);
  if (key === undefined) c.out.nullBulk();
  else c.out.bulk(key);
}

// ---- moving keys -------------------------------------------------------------------------------------

/** RENAME / RENAMENX: the value object and its TTL move to the new name. */
function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const from = argv[1]!;
  const to = argv[2]!;
  const db = c.db;
  const value = db.lookupWrite(from);
  if (value === undefined) {
    c.out.error(Err.noSuchKey);
    return;
  }
  if (from === to) {
    if (nx) c.out.integer(0);
    else c.out.status('OK');
    return;
  }
  const ttlMs = db.getExpire(from);
  if (db.lookupWrite(to) !== undefined) {
    if (nx) {
      c.out.integer(0);
      return;
    }
    db.delete(to);
  }
  db.delete(from);
  db.add(to, value);
  if (ttlMs !== undefined) db.setExpire(to, ttlMs);
  c.server.dirty++;
  if (nx) c.out.integer(1);
  else c.out.status('OK');
}

const rename = (c: Client, argv: string[]) => renameGeneric(c, argv, false);
const renamenx = (c: Client, argv: string[]) => renameGeneric(c, argv, true);

/** A db index argument: an int (MOVE) or a long (COPY) as Redis parses them, then the range check. */
function targetDb(c: Client, text: string, int32: boolean): Database | undefined {
  const n = parseInt64(text);
  if (n === undefined) {
    c.out.error(Err.notInteger);
    return undefined;
  }
  if (int32 && (n > 2147483647n || n < -2147483648n)) {
    c.out.error('ERR value is out of range, value must between -2147483648 and 2147483647');
    return undefined;
  }
  const db = n >= 0n && n < BigInt(c.server.dbs.length) ? c.server.dbs[Number(n)] : undefined;
  if (db === undefined) c.out.error(Err.dbIndex);
  return db;
}

/** MOVE key db: only when the key is absent from the target; the TTL goes along. */
function move(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const src = c.db;
  const dst = targetDb(c, argv[2]!, true);
  if (dst === undefined) return;
  if (dst === src) {
    c.out.error(SAME_OBJECT);
    return;
  }
  const value = src.lookupWrite(key);
  if (value === undefined) {
    c.out.integer(0);
    return;
  }
  const ttlMs = src.getExpire(key);
  if (dst.lookupWrite(key) !== undefined) {
    c.out.integer(0);
    return;
  }
  src.delete(key);
  dst.add(key, value);
  if (ttlMs !== undefined) dst.setExpire(key, ttlMs);
  c.server.dirty++;
  c.out.integer(1);
}

/** COPY source destination [DB index] [REPLACE]: a deep copy, TTL included. */
function copy(c: Client, argv: string[]): void {
  const from = argv[1]!;
  const to = argv[2]!;
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    if (opt === 'replace') replace = true;
    else if (opt === 'db' && i + 1 < argv.length) {
      const db = targetDb(c, argv[++i]!, false);
      if (db === undefined) return;
      dst = db;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  if (src === dst && from === to) {
    c.out.error(SAME_OBJECT);
    return;
  }
  const value = src.lookupRead(from);
  if (value === undefined) {
    c.out.integer(0);
    return;
  }
  const ttlMs = src.getExpire(from);
  if (dst.lookupWrite(to) !== undefined) {
    if (!replace) {
      c.out.integer(0);
      return;
    }
    dst.delete(to);
  }
  const duplicate = cloneValue(value);
  inheritEncoding(value, duplicate);
  dst.add(to, duplicate);
  if (ttlMs !== undefined) dst.setExpire(to, ttlMs);
  c.server.dirty++;
  c.out.integer(1);
}

// ---- OBJECT ------------------------------------------------------------------------------------------

const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
const LFU_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
/** Redis's OBJ_SHARED_REFCOUNT: what OBJECT REFCOUNT says for the shared integers 0..9999. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000;

function lfuPolicy(c: Client): boolean {
  return c.server.config.str('maxmemory-policy').endsWith('-lfu');
}

/** The value for OBJECT: no LRU/LFU update, a null reply when missing. */
function objectLookup(c: Client, key: string): ReturnType<Database['peek']> {
  const v = c.db.lookupReadNoTouch(key);
  if (v === undefined) c.out.nullBulk();
  return v;
}

function objectEncoding(c: Client, argv: string[]): void {
  const v = objectLookup(c, argv[2]!);
  if (v !== undefined) c.out.bulk(encodingOf(v, c.server.config));
}

/**
 * Redis shares the integer objects 0..9999 between keys (refcount INT_MAX) unless an LRU/LFU policy
 * with a maxmemory limit needs per-key access data; every other value is referenced once.
 */
function objectRefcount(c: Client, argv: string[]): void {
  const v = objectLookup(c, argv[2]!);
  if (v === undefined) return;
  const config = c.server.config;
  const policy = config.str('maxmemory-policy');
  const sharing = config.num('maxmemory') === 0 || !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
  const shared =
    typeof v === 'string' &&
    sharing &&
    stringEncoding(v) === 'int' &&
    Number(v) >= 0 &&
    Number(v) < SHARED_INTEGERS;
  c.out.integer(shared ? SHARED_REFCOUNT : 1);
}

/**
 * Seconds since the key was last read or written. Access times are only kept while an LRU policy is
 * selected (keyspace/eviction-access.ts keeps them in a side table to keep bare string values bare);
 * under other non-LFU policies this answers 0, where Redis would report the real idle time.
 */
function objectIdletime(c: Client, argv: string[]): void {
  const key = argv[2]!;
  if (objectLookup(c, key) === undefined) return;
  if (lfuPolicy(c)) {
    c.out.error(LFU_SELECTED);
    return;
  }
  const access = c.db.access;
  const idleMs = access !== undefined && access.mode === 'lru' ? access.idleMs(key, c.server.now()) : 0;
  c.out.integer(Math.floor(idleMs / 1000));
}

function objectFreq(c: Client, argv: string[]): void {
  const key = argv[2]!;
  if (objectLookup(c, key) === undefined) return;
  if (!lfuPolicy(c)) {
    c.out.error(LFU_NOT_SELECTED);
    return;
  }
  const access = c.db.access;
  c.out.integer(access !== undefined && access.mode === 'lfu' ? access.frequency(key, c.server.now()) : 0);
}

const OBJECT_HELP = [
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
];

function objectHelp(c: Client): void {
  replyHelp(c, 'OBJECT', OBJECT_HELP);
}

const objectSubcommands: CommandSpec[] = [
  cmd('object|encoding', 3, ['readonly'], [2, 2, 1], 'generic', objectEncoding),
  cmd('object|freq', 3, ['readonly'], [2, 2, 1], 'generic', objectFreq),
  cmd('object|idletime', 3, ['readonly'], [2, 2, 1], 'generic', objectIdletime),
  cmd('object|refcount', 3, ['readonly'], [2, 2, 1], 'generic', objectRefcount),
  cmd('object|help', 2, ['loading', 'stale'], NO_KEYS, 'generic', objectHelp),
];

export const keyCommands: CommandSpec[] = [
  cmd('del', -2, ['write'], [1, -1, 1], 'generic', del),
  cmd('unlink', -2, ['write', 'fast'], [1, -1, 1], 'generic', del),
  cmd('exists', -2, ['readonly', 'fast'], [1, -1, 1], 'generic', exists),
  cmd('touch', -2, ['readonly', 'fast'], [1, -1, 1], 'generic', touch),
  cmd('type', 2, ['readonly', 'fast'], [1, 1, 1], 'generic', type),
  cmd('expire', -3, ['write', 'fast'], [1, 1, 1], 'generic', expire),
  cmd('pexpire', -3, ['write', 'fast'], [1, 1, 1], 'generic', pexpire),
  cmd('expireat', -3, ['write', 'fast'], [1, 1, 1], 'generic', expireat),
  cmd('pexpireat', -3, ['write', 'fast'], [1, 1, 1], 'generic', pexpireat),
  cmd('ttl', 2, ['readonly', 'fast'], [1, 1, 1], 'generic', ttl),
  cmd('pttl', 2, ['readonly', 'fast'], [1, 1, 1], 'generic', pttl),
  cmd('expiretime', 2, ['readonly', 'fast'], [1, 1, 1], 'generic', expiretime),
  cmd('pexpiretime', 2, ['readonly', 'fast'], [1, 1, 1], 'generic', pexpiretime),
  cmd('persist', 2, ['write', 'fast'], [1, 1, 1], 'generic', persist),
  cmd('keys', 2, ['readonly'], NO_KEYS, 'generic', keys, { acl: ['dangerous'] }),
  cmd('scan', -2, ['readonly'], NO_KEYS, 'generic', scan),
  cmd('randomkey', 1, ['readonly'], NO_KEYS, 'generic', randomkey),
  cmd('rename', 3, ['write'], [1, 2, 1], 'generic', rename),
  cmd('renamenx', 3, ['write', 'fast'], [1, 2, 1], 'generic', renamenx),
  cmd('move', 3, ['write', 'fast'], [1, 1, 1], 'generic', move),
  cmd('copy', -3, ['write', 'denyoom'], [1, 2, 1], 'generic', copy),
  cmd('object', -2, [], NO_KEYS, 'generic', dispatchedToSubcommands, { subcommands: objectSubcommands }),
];
