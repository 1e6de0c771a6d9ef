import { HashValue, ListValue, type RedisValue, SetValue, SortedSetValue } from '../keyspace/values.js';
import { QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RdbType, rdbTypeName } from './constants.js';
import type { Cursor } from './cursor.js';
import { RdbError } from './errors.js';
import { decodeIntset } from './intset.js';
import { decodeListpack } from './listpack.js';
import { parseScoreText } from './numbers.js';
import { decodeZiplist, decodeZipmap } from './ziplist.js';

const LOADABLE_TYPES = new Set<number>([
  RdbType.String,
  RdbType.List,
  RdbType.Set,
  RdbType.Zset,
  RdbType.Hash,
  RdbType.Zset2,
  RdbType.HashZipmap,
  RdbType.ListZiplist,
  RdbType.SetIntset,
  RdbType.ZsetZiplist,
  RdbType.HashZiplist,
  RdbType.ListQuicklist,
  RdbType.HashListpack,
  RdbType.ZsetListpack,
  RdbType.ListQuicklist2,
]);

/** Whether readObject() can decode this type byte (checked before reading the key, for a clear error). */
export function isLoadableType(type: number): boolean {
  return LOADABLE_TYPES.has(type);
}

/**
 * Decodes one value of the given RDB type at the cursor (rdbLoadObject). Returns undefined for an empty
 * collection, which Redis skips on load and rejects in RESTORE.
 */
export function readObject(cur: Cursor, type: number): RedisValue | undefined {
  switch (type) {
    case RdbType.String:
      return cur.string('string value');
    case RdbType.List:
      return readPlainList(cur);
    case RdbType.Set:
      return readPlainSet(cur);
    case RdbType.Zset:
    case RdbType.Zset2:
      return readPlainZset(cur, type === RdbType.Zset2);
    case RdbType.Hash:
      return readPlainHash(cur);
    case RdbType.HashZipmap:
      return toHash(cur, blob(cur, 'zipmap', decodeZipmap));
    case RdbType.ListZiplist:
      return toList(blob(cur, 'ziplist', decodeZiplist));
    case RdbType.SetIntset:
      return toSet(cur, blob(cur, 'intset', decodeIntset));
    case RdbType.ZsetZiplist:
      return toZset(cur, blob(cur, 'ziplist', decodeZiplist));
    case RdbType.ZsetListpack:
      return toZset(cur, blob(cur, 'listpack', decodeListpack));
    case RdbType.HashZiplist:
      return toHash(cur, blob(cur, 'ziplist', decodeZiplist));
    case RdbType.HashListpack:
      return toHash(cur, blob(cur, 'listpack', decodeListpack));
    case RdbType.ListQuicklist:
    case RdbType.ListQuicklist2:
      return readQuicklist(cur, type === RdbType.ListQuicklist2);
    default:
      return cur.fail(`unsupported RDB type ${type} (${rdbTypeName(type)})`);
  }
}

/** Reads a string holding an encoded blob and decodes it, reporting corruption at the blob's offset. */
function blob(cur: Cursor, what: string, decode: (b: Buffer) => string[]): string[] {
  const at = cur.pos;
  const bytes = cur.bytes(what);
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof RdbError) cur.fail(`corrupt ${what}: ${err.message}`, at);
    throw err;
  }
}

function readPlainList(cur: Cursor): ListValue | undefined {
  const n = cur.length('list length');
  const list = new ListValue();
  for (let i = 0; i < n; i++) list.pushTail(cur.string('list element'));
  return n === 0 ? undefined : list;
}

function readPlainSet(cur: Cursor): SetValue | undefined {
  const n = cur.length('set size');
  const set = new SetValue();
  for (let i = 0; i < n; i++) {
    const at = cur.pos;
    set.add(cur.string('set member'));
    if (set.size !== i + 1) cur.fail('duplicate set member', at);
  }
  return n === 0 ? undefined : set;
}

function readPlainZset(cur: Cursor, binaryScores: boolean): SortedSetValue | undefined {
  const n = cur.length('zset size');
  const zset = new SortedSetValue();
  for (let i = 0; i < n; i++) {
    const at = cur.pos;
    const member = cur.string('zset member');
    const score = binaryScores ? cur.doubleLE('zset score') : readTextScore(cur);
    if (Number.isNaN(score)) cur.fail('zset score is NaN', at);
    if (!zset.add(member, score)) cur.fail('duplicate zset member', at);
  }
  return n === 0 ? undefined : zset;
}

/** ZSET v1 scores: a length byte with 253/254/255 meaning NaN/+inf/-inf, else that many ASCII bytes. */
function readTextScore(cur: Cursor): number {
  const len = cur.u8('zset score length');
  if (len === 253) return Number.NaN;
  if (len === 254) return Infinity;
  if (len === 255) return -Infinity;
  cur.require(len, 'zset score');
  const text = cur.buf.latin1Slice(cur.pos, cur.pos + len);
  const score = parseScoreText(text);
  if (score === undefined) cur.fail(`invalid zset score ${JSON.stringify(text)}`);
  cur.pos += len;
  return score;
}

function readPlainHash(cur: Cursor): HashValue | undefined {
  const n = cur.length('hash size');
  const hash = new HashValue();
  for (let i = 0; i < n; i++) {
    const at = cur.pos;
    const field = cur.string('hash field');
    hash.set(field, cur.string('hash value'));
    if (hash.size !== i + 1) cur.fail('duplicate hash field', at);
  }
  return n === 0 ? undefined : hash;
}

function readQuicklist(cur: Cursor, withContainers: boolean): ListValue | undefined {
  const nodes = cur.length('quicklist node count');
  const list = new ListValue();
  for (let i = 0; i < nodes; i++) {
    let container = QUICKLIST_NODE_PACKED;
    if (withContainers) {
      const at = cur.pos;
      container = cur.length('quicklist node container');
      if (container !== QUICKLIST_NODE_PACKED && container !== QUICKLIST_NODE_PLAIN) {
        cur.fail(`invalid quicklist node container ${container}`, at);
      }
    }
    if (container === QUICKLIST_NODE_PLAIN) {
      list.pushTail(cur.string('quicklist plain node'));
      continue;
    }
    const items = withContainers
      ? blob(cur, 'listpack', decodeListpack)
      : blob(cur, 'ziplist', decodeZiplist);
    // Redis skips empty nodes rather than failing the load.
    for (const item of items) list.pushTail(item);
  }
  return list.length === 0 ? undefined : list;
}

function toList(items: string[]): ListValue | undefined {
  return items.length === 0 ? undefined : ListValue.from(items);
}

function toSet(cur: Cursor, items: string[]): SetValue | undefined {
  const set = new SetValue(items);
  if (set.size !== items.length) cur.fail('intset has duplicate members');
  return set.size === 0 ? undefined : set;
}

function toHash(cur: Cursor, items: string[]): HashValue | undefined {
  if (items.length % 2 !== 0) cur.fail('hash encoding has a field without a value');
  const hash = new HashValue();
  for (let i = 0; i < items.length; i += 2) hash.set(items[i]!, items[i + 1]!);
  if (hash.size * 2 !== items.length) cur.fail('duplicate hash field');
  return hash.size === 0 ? undefined : hash;
}

function toZset(cur: Cursor, items: string[]): SortedSetValue | undefined {
  if (items.length % 2 !== 0) cur.fail('zset encoding has a member without a score');
  const zset = new SortedSetValue();
  for (let i = 0; i < items.length; i += 2) {
    const score = parseScoreText(items[i + 1]!);
    if (score === undefined) cur.fail(`invalid zset score ${JSON.stringify(items[i + 1])}`);
    if (!zset.add(items[i]!, score)) cur.fail('duplicate zset member');
  }
  return zset.size === 0 ? undefined : zset;
}
