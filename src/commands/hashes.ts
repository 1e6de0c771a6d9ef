import { encodingOf, noteGrowth } from '../keyspace/encoding.js';
import { HashValue } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './long-double.js';
import { scanCollection } from './sets.js';
import { type CommandSpec, cmd } from './table.js';
import { Err, parseInt64, parseLong, readTyped, writeTyped } from './util.js';

/*
 * The hash commands, following Redis 7.0's t_hash.c. A HashValue is a Map, so fields keep insertion
 * order, which is exactly the order of Redis's listpack encoding used for small hashes (HGETALL,
 * HKEYS, HVALS and HSCAN then answer in the same order as Redis); big hashes are unordered in Redis.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The hash at key for reading: undefined when missing, null after replying WRONGTYPE. */
function readHash(c: Client, key: string): HashValue | undefined | null {
  return readTyped(c, key, HashValue);
}

/** The hash at key for changing in place: undefined when missing, null after replying WRONGTYPE. */
function writeHash(c: Client, key: string): HashValue | undefined | null {
  return writeTyped(c, key, HashValue);
}

/**
 * Redis's hashTypeLookupWriteOrCreate: the hash at key, created (and added to the keyspace) when
 * missing, or null after replying WRONGTYPE. Redis adds the empty hash before looking at the fields,
 * so callers must leave it non-empty on every path that returns after this.
 */
function writeOrCreateHash(c: Client, key: string): HashValue | null {
  const v = writeHash(c, key);
  if (v !== undefined) return v;
  const created = new HashValue();
  c.db.add(key, created);
  return created;
}

/** HSET key field value [field value ...] (HMSET replies OK instead of the count of new fields). */
function hsetGeneric(c: Client, argv: string[], legacy: boolean): void {
  if (argv.length % 2 === 1) {
    c.out.error(`ERR wrong number of arguments for '${legacy ? 'hmset' : 'hset'}' command`);
    return;
  }
  const key = argv[1]!;
  const hash = writeOrCreateHash(c, key);
  if (hash === null) return;
  let created = 0;
  // Only the longest string matters to the encoding thresholds; passing it alone avoids spreading a
  // huge argv into a call.
  let longest = '';
  for (let i = 2; i < argv.length; i += 2) {
    const field = argv[i]!;
    const value = argv[i + 1]!;
    if (!hash.has(field)) created++;
    hash.set(field, value);
    if (field.length > longest.length) longest = field;
    if (value.length > longest.length) longest = value;
  }
  noteGrowth(hash, c.server.config, longest);
  c.db.modified(key);
  c.server.dirty += (argv.length - 2) / 2;
  if (legacy) c.out.status('OK');
  else c.out.integer(created);
}

function hsetnx(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const hash = writeOrCreateHash(c, key);
  if (hash === null) return;
  const field = argv[2]!;
  if (hash.has(field)) {
    c.out.integer(0);
    return;
  }
  hash.set(field, argv[3]!);
  noteGrowth(hash, c.server.config, field, argv[3]!);
  c.db.modified(key);
  c.server.dirty++;
  c.out.integer(1);
}

function hget(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash === null) return;
  const value = hash?.get(argv[2]!);
  if (value === undefined) c.out.nullBulk();
  else c.out.bulk(value);
}

/** HMGET: a missing key answers one null per field, like a hash with none of them. */
function hmget(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash === null) return;
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const value = hash?.get(argv[i]!);
    if (value === undefined) c.out.nullBulk();
    else c.out.bulk(value);
  }
}

function hdel(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const hash = writeHash(c, key);
  if (hash === null) return;
  if (hash === undefined) {
    c.out.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (hash.delete(argv[i]!)) {
      deleted++;
      if (hash.size === 0) break;
    }
  }
  if (deleted > 0) {
    c.db.deleteIfEmpty(key, hash);
    c.db.modified(key);
    c.server.dirty += deleted;
  }
  c.out.integer(deleted);
}

function hlen(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash !== null) c.out.integer(hash?.size ?? 0);
}

function hexists(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash !== null) c.out.integer(hash?.has(argv[2]!) ? 1 : 0);
}

function hstrlen(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash !== null) c.out.integer(hash?.get(argv[2]!)?.length ?? 0);
}

/** HGETALL answers a map (RESP3) / flat array; HKEYS and HVALS flat arrays. */
function hgetall(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash === null) return;
  c.out.mapHeader(hash?.size ?? 0);
  if (hash === undefined) return;
  for (const [field, value] of hash) {
    c.out.bulk(field);
    c.out.bulk(value);
  }
}

function hkeys(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash === null) return;
  c.out.arrayHeader(hash?.size ?? 0);
  if (hash !== undefined) for (const field of hash.keys()) c.out.bulk(field);
}

function hvals(c: Client, argv: string[]): void {
  const hash = readHash(c, argv[1]!);
  if (hash === null) return;
  c.out.arrayHeader(hash?.size ?? 0);
  if (hash !== undefined) for (const value of hash.values()) c.out.bulk(value);
}

/** HINCRBY key field increment: exact 64-bit arithmetic on a field holding an integer. */
function hincrby(c: Client, argv: string[]): void {
  const increment = parseInt64(argv[3]!);
  if (increment === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  const key = argv[1]!;
  const hash = writeOrCreateHash(c, key);
  if (hash === null) return;
  const field = argv[2]!;
  const current = hash.get(field);
  let base = 0n;
  if (current !== undefined) {
    const parsed = parseInt64(current);
    if (parsed === undefined) {
      c.out.error('ERR hash value is not an integer');
      return;
    }
    base = parsed;
  }
  const result = base + increment;
  if (result > INT64_MAX || result < INT64_MIN) {
    c.out.error(Err.overflow);
    return;
  }
  const text = result.toString();
  hash.set(field, text);
  noteGrowth(hash, c.server.config, field, text);
  c.db.modified(key);
  c.server.dirty++;
  c.out.integer(result);
}

/**
 * HINCRBYFLOAT key field increment, in long double arithmetic as Redis does (see long-double.ts). It is
 * propagated as `HSET key field <new value>` so replicas never redo the float arithmetic.
 */
function hincrbyfloat(c: Client, argv: string[]): void {
  const increment = parseLongDouble(argv[3]!);
  if (increment === undefined) {
    c.out.error(Err.notFloat);
    return;
  }
  if (increment === 'inf') {
    c.out.error('ERR value is NaN or Infinity');
    return;
  }
  const key = argv[1]!;
  const hash = writeOrCreateHash(c, key);
  if (hash === null) return;
  const field = argv[2]!;
  const current = hash.get(field);
  let base = parseLongDouble('0')!;
  if (current !== undefined) {
    const parsed = parseLongDouble(current);
    if (parsed === undefined) {
      c.out.error('ERR hash value is not a float');
      return;
    }
    if (parsed === 'inf') {
      c.out.error('ERR increment would produce NaN or Infinity');
      return;
    }
    base = parsed;
  }
  const sum = addLongDouble(base as Exclude<typeof base, 'inf'>, increment);
  if (sum === undefined) {
    c.out.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = formatLongDouble(sum);
  hash.set(field, text);
  noteGrowth(hash, c.server.config, field, text);
  c.db.modified(key);
  c.server.dirty++;
  c.propagate = [['HSET', key, field, text]];
  c.out.bulk(text);
}

function randomIndex(bound: number): number {
  return Math.floor(Math.random() * bound);
}

/**
 * HRANDFIELD key [count [WITHVALUES]]. A negative count may repeat fields (and comes in random order);
 * a positive one returns distinct fields. With WITHVALUES, RESP3 gets [field, value] pairs and RESP2 a
 * flat array.
 */
function hrandfield(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const hash = readHash(c, argv[1]!);
    if (hash === null) return;
    if (hash === undefined) {
      c.out.nullBulk();
      return;
    }
    let skip = randomIndex(hash.size);
    for (const field of hash.keys()) {
      if (skip-- === 0) {
        c.out.bulk(field);
        return;
      }
    }
    return;
  }
  const count = parseLong(argv[2]!);
  if (count === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  if (argv.length > 4 || (argv.length === 4 && argv[3]!.toLowerCase() !== 'withvalues')) {
    c.out.error(Err.syntax);
    return;
  }
  const withValues = argv.length === 4;
  // Redis refuses counts whose doubled reply length would overflow a long.
  const exact = parseInt64(argv[2]!)!;
  if (withValues && (exact > INT64_MAX / 2n || exact < -INT64_MAX / 2n)) {
    c.out.error('ERR value is out of range');
    return;
  }
  const hash = readHash(c, argv[1]!);
  if (hash === null) return;
  if (hash === undefined || count === 0) {
    c.out.arrayHeader(0);
    return;
  }
  const pairs = withValues && c.resp === 2;
  const nested = withValues && c.resp === 3;
  const reply = (field: string, value: string) => {
    if (nested) c.out.arrayHeader(2);
    c.out.bulk(field);
    if (withValues) c.out.bulk(value);
  };
  const size = hash.size;
  if (count < 0 || count === 1) {
    // With repetitions (or a single field): independent draws.
    const n = Math.abs(count);
    const entries = [...hash];
    c.out.arrayHeader(pairs ? n * 2 : n);
    for (let i = 0; i < n; i++) {
      const [field, value] = entries[randomIndex(size)]!;
      reply(field, value);
    }
    return;
  }
  const n = Math.min(count, size);
  c.out.arrayHeader(pairs ? n * 2 : n);
  // Distinct fields: selection sampling keeps each field with the right probability, in hash order.
  let needed = n;
  let remaining = size;
  for (const [field, value] of hash) {
    if (needed === 0) break;
    if (randomIndex(remaining--) < needed) {
      needed--;
      reply(field, value);
    }
  }
}

/** HSCAN key cursor [MATCH pattern] [COUNT count]: a listpack-encoded hash is returned whole. */
function hscan(c: Client, argv: string[]): void {
  const config = c.server.config;
  scanCollection(c, argv, (v) => {
    if (!(v instanceof HashValue)) return undefined;
    const compact = encodingOf(v, config) === 'listpack';
    return {
      all: compact ? () => [...v.keys()] : undefined,
      source: v,
      expand: (field, out) => {
        const value = v.get(field);
        if (value !== undefined) out.push(field, value);
      },
    };
  });
}

export const hashCommands: CommandSpec[] = [
  cmd('hset', -4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'hash', (c, a) => hsetGeneric(c, a, false)),
  cmd('hsetnx', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'hash', hsetnx),
  cmd('hget', 3, ['readonly', 'fast'], [1, 1, 1], 'hash', hget),
  cmd('hmset', -4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'hash', (c, a) => hsetGeneric(c, a, true)),
  cmd('hmget', -3, ['readonly', 'fast'], [1, 1, 1], 'hash', hmget),
  cmd('hdel', -3, ['write', 'fast'], [1, 1, 1], 'hash', hdel),
  cmd('hlen', 2, ['readonly', 'fast'], [1, 1, 1], 'hash', hlen),
  cmd('hexists', 3, ['readonly', 'fast'], [1, 1, 1], 'hash', hexists),
  cmd('hstrlen', 3, ['readonly', 'fast'], [1, 1, 1], 'hash', hstrlen),
  cmd('hgetall', 2, ['readonly'], [1, 1, 1], 'hash', hgetall),
  cmd('hkeys', 2, ['readonly'], [1, 1, 1], 'hash', hkeys),
  cmd('hvals', 2, ['readonly'], [1, 1, 1], 'hash', hvals),
  cmd('hincrby', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'hash', hincrby),
  cmd('hincrbyfloat', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], 'hash', hincrbyfloat),
  cmd('hrandfield', -2, ['readonly'], [1, 1, 1], 'hash', hrandfield),
  cmd('hscan', -3, ['readonly'], [1, 1, 1], 'hash', hscan),
];
