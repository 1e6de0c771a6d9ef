import { parseInt64 } from '../commands/util.js';
import type { Config } from '../config/config.js';
import { HashValue, ListValue, type RedisValue, SetValue } from './values.js';

/*
 * The encoding Redis 7.0 would use for a value, for OBJECT ENCODING. We store every type one way (JS
 * strings, Maps, Sets, a ring buffer, a skiplist), so the answer is derived from the content and the
 * `*-max-listpack-*` / `set-max-intset-entries` thresholds, the rules Redis converts by:
 *
 *   string  int       a canonical integer in signed 64-bit range (string2l), at most 20 chars
 *           embstr    at most 44 bytes (OBJ_ENCODING_EMBSTR_SIZE_LIMIT)
 *           raw       otherwise
 *   list    quicklist always in 7.0 (listpack-encoded lists arrived in 7.2)
 *   hash    listpack  entries <= hash-max-listpack-entries and every field and value
 *                     <= hash-max-listpack-value bytes; else hashtable
 *   set     intset    every member an integer and size <= set-max-intset-entries; else hashtable
 *   zset    listpack  entries <= zset-max-listpack-entries and every member <= zset-max-listpack-value
 *                     bytes; else skiplist
 *
 * Redis never converts a collection back to the compact encoding when it shrinks, so once a value has
 * been seen in the big encoding it stays there: `promoted` remembers such values (weakly, at no cost
 * to values that die). Collection writers call `noteGrowth` after adding elements so that a value
 * which grew past a threshold and shrank back before anyone asked still answers the big encoding.
 *
 * Strings: Redis also answers "raw" for short strings produced by APPEND or SETRANGE (it edits an
 * unshared sds in place and never re-encodes). Our values are plain JS strings with nowhere to note
 * that, so those report by the rules above: a known, documented difference.
 */

const EMBSTR_LIMIT = 44;

const promoted = new WeakSet<object>();

export type EncodingName =
  | 'int'
  | 'embstr'
  | 'raw'
  | 'quicklist'
  | 'listpack'
  | 'hashtable'
  | 'intset'
  | 'skiplist';

export function stringEncoding(value: string): 'int' | 'embstr' | 'raw' {
  if (value.length <= 20 && parseInt64(value) !== undefined) return 'int';
  return value.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
}

/** True when the content alone requires the big encoding. O(n) for hashes, sets and zsets. */
function needsBigEncoding(value: Exclude<RedisValue, string>, config: Config): boolean {
  if (value instanceof ListValue) return true;
  if (value instanceof HashValue) {
    if (value.size > config.num('hash-max-listpack-entries')) return true;
    const max = config.num('hash-max-listpack-value');
    for (const [field, v] of value) if (field.length > max || v.length > max) return true;
    return false;
  }
  if (value instanceof SetValue) {
    if (value.size > config.num('set-max-intset-entries')) return true;
    for (const member of value) if (parseInt64(member) === undefined) return true;
    return false;
  }
  if (value.size > config.num('zset-max-listpack-entries')) return true;
  const max = config.num('zset-max-listpack-value');
  for (const member of value.dict.keys()) if (member.length > max) return true;
  return false;
}

export function encodingOf(value: RedisValue, config: Config): EncodingName {
  if (typeof value === 'string') return stringEncoding(value);
  if (value instanceof ListValue) return 'quicklist';
  const big = promoted.has(value) || needsBigEncoding(value, config);
  if (big) promoted.add(value);
  if (value instanceof HashValue) return big ? 'hashtable' : 'listpack';
  if (value instanceof SetValue) return big ? 'hashtable' : 'intset';
  return big ? 'skiplist' : 'listpack';
}

/**
 * For collection writers: after adding `added` elements (hash fields and values, set or zset members)
 * to `value`, records whether Redis would have converted it to the big encoding. O(added).
 */
export function noteGrowth(value: Exclude<RedisValue, string>, config: Config, ...added: string[]): void {
  if (promoted.has(value) || value instanceof ListValue) return;
  let big: boolean;
  if (value instanceof HashValue) {
    const max = config.num('hash-max-listpack-value');
    big = value.size > config.num('hash-max-listpack-entries') || added.some((s) => s.length > max);
  } else if (value instanceof SetValue) {
    big = value.size > config.num('set-max-intset-entries') || added.some((s) => parseInt64(s) === undefined);
  } else {
    const max = config.num('zset-max-listpack-value');
    big = value.size > config.num('zset-max-listpack-entries') || added.some((s) => s.length > max);
  }
  if (big) promoted.add(value);
}

/** COPY duplicates a value in its current encoding (Redis's dup functions keep it). */
export function inheritEncoding(from: RedisValue, to: RedisValue): void {
  if (typeof from !== 'string' && typeof to !== 'string' && promoted.has(from)) promoted.add(to);
}
