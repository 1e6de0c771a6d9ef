import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Database, type KeyspaceHooks } from '../../src/keyspace/db.js';
import { ListValue } from '../../src/keyspace/list.js';
import {
  accountedBytes,
  databaseBytes,
  EXPIRE_ENTRY_BYTES,
  estimateCollection,
  keyBytes,
  memoryInfo,
  stringBytes,
} from '../../src/keyspace/memory.js';
import { HashValue, SetValue, SortedSetValue } from '../../src/keyspace/values.js';
import { startLocalServer } from '../helpers/local-client.js';

function quietHooks(): KeyspaceHooks {
  return {
    now: () => 1_700_000_000_000,
    isReplica: () => false,
    beforeWrite() {},
    modified() {},
    ready() {},
    expired() {},
    stats: { keyspaceHits: 0, keyspaceMisses: 0 },
  };
}

/** What usedBytes must be if every change was accounted: recomputed from scratch. */
function recompute(db: Database): number {
  let bytes = db.expires.size * EXPIRE_ENTRY_BYTES;
  for (const [key, value] of db.dict) {
    bytes +=
      keyBytes(key) + (typeof value === 'string' ? stringBytes(value.length) : estimateCollection(value));
  }
  return bytes;
}

describe('memory accounting', () => {
  type Op =
    | { kind: 'string'; key: string; len: number }
    | { kind: 'hset'; key: string; field: string; len: number }
    | { kind: 'hdel'; key: string; field: string }
    | { kind: 'push'; key: string; len: number }
    | { kind: 'pop'; key: string }
    | { kind: 'sadd'; key: string; member: string }
    | { kind: 'zadd'; key: string; member: string; score: number }
    | { kind: 'expire'; key: string }
    | { kind: 'persist'; key: string }
    | { kind: 'del'; key: string };

  const key = fc.constantFrom('k1', 'k2', 'k3', 'k4', 'a-longer-key-name');
  const field = fc.constantFrom('f1', 'f2', 'f3', 'field-number-four', '');
  const len = fc.integer({ min: 0, max: 64 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('string' as const), key, len }),
    fc.record({ kind: fc.constant('hset' as const), key, field, len }),
    fc.record({ kind: fc.constant('hdel' as const), key, field }),
    fc.record({ kind: fc.constant('push' as const), key, len }),
    fc.record({ kind: fc.constant('pop' as const), key }),
    fc.record({ kind: fc.constant('sadd' as const), key, member: field }),
    fc.record({ kind: fc.constant('zadd' as const), key, member: field, score: fc.double({ noNaN: true }) }),
    fc.record({ kind: fc.constant('expire' as const), key }),
    fc.record({ kind: fc.constant('persist' as const), key }),
    fc.record({ kind: fc.constant('del' as const), key }),
  );

  /** Applies an op with the keyspace discipline commands follow (lookupWrite, change, modified). */
  function apply(db: Database, op: Op): void {
    const cur = db.lookupWrite(op.key);
    switch (op.kind) {
      case 'string':
        db.set(op.key, 'x'.repeat(op.len));
        return;
      case 'hset': {
        if (cur !== undefined && !(cur instanceof HashValue)) return;
        const h = cur ?? new HashValue();
        h.set(op.field, 'v'.repeat(op.len));
        if (cur === undefined) db.add(op.key, h);
        else db.modified(op.key);
        return;
      }
      case 'hdel':
        if (cur instanceof HashValue && cur.delete(op.field)) {
          db.deleteIfEmpty(op.key, cur);
          db.modified(op.key);
        }
        return;
      case 'push': {
        if (cur !== undefined && !(cur instanceof ListValue)) return;
        const l = cur ?? new ListValue();
        l.pushTail('e'.repeat(op.len));
        if (cur === undefined) db.add(op.key, l);
        else db.modified(op.key);
        return;
      }
      case 'pop':
        if (cur instanceof ListValue && cur.popHead() !== undefined) {
          db.deleteIfEmpty(op.key, cur);
          db.modified(op.key);
        }
        return;
      case 'sadd': {
        if (cur !== undefined && !(cur instanceof SetValue)) return;
        const s = cur ?? new SetValue();
        s.add(op.member);
        if (cur === undefined) db.add(op.key, s);
        else db.modified(op.key);
        return;
      }
      case 'zadd': {
        if (cur !== undefined && !(cur instanceof SortedSetValue)) return;
        const z = cur ?? new SortedSetValue();
        z.add(op.member, op.score);
        if (cur === undefined) db.add(op.key, z);
        else db.modified(op.key);
        return;
      }
      case 'expire':
        if (cur !== undefined) db.setExpire(op.key, 1_800_000_000_000);
        return;
      case 'persist':
        db.persist(op.key);
        return;
      case 'del':
        db.delete(op.key);
        return;
    }
  }

  it('stays equal to a from-scratch recomputation under random changes, and returns to 0', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const db = new Database(0, quietHooks());
        for (const op of ops) {
          apply(db, op);
          db.settleAccounting();
          expect(db.usedBytes).toBe(recompute(db));
        }
        for (const k of [...db.dict.keys()]) db.delete(k);
        expect(db.usedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('counts a string key as its key and value strings', () => {
    const db = new Database(0, quietHooks());
    db.set('key:1', 'value:1');
    expect(db.usedBytes).toBe(stringBytes(5) + stringBytes(7));
    db.set('key:1', 'x'.repeat(100));
    expect(db.usedBytes).toBe(stringBytes(5) + stringBytes(100));
    db.setExpire('key:1', 1_800_000_000_000);
    expect(db.usedBytes).toBe(stringBytes(5) + stringBytes(100) + EXPIRE_ENTRY_BYTES);
    db.clear();
    expect(db.usedBytes).toBe(0);
  });

  it('samples large collections instead of walking them', () => {
    const h = new HashValue();
    for (let i = 0; i < 10_000; i++) h.set(`field:${String(i).padStart(5, '0')}`, 'v'.repeat(20));
    // Every field is 11 bytes and every value 20: the sampled estimate is exact for uniform sizes.
    const perEntry = stringBytes(11) + stringBytes(20);
    expect(estimateCollection(h)).toBe(96 + 28 * 16384 + perEntry * 10_000);
  });

  it('estimates within 25% of what V8 really spends (heapUsed after full GCs)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const n = 200_000;
    // Keys and values made like the request parser makes them: flat strings sliced from a Buffer.
    const fresh = (s: string) => Buffer.from(s, 'latin1').latin1Slice();
    const before = heap();
    const db = new Database(0, quietHooks());
    for (let i = 0; i < n; i++) db.set(fresh(`key:${i}`), fresh(`value:${i}`));
    for (let i = 0; i < 200; i++) {
      const h = new HashValue();
      for (let j = 0; j < 50; j++) h.set(fresh(`f${j}`), fresh(`some value ${j}`));
      db.add(fresh(`hash:${i}`), h);
    }
    const measured = heap() - before;
    const estimated = databaseBytes(db);
    expect(estimated / measured).toBeGreaterThan(0.75);
    expect(estimated / measured).toBeLessThan(1.25);
    expect(db.size).toBe(n + 200);
  });

  it('re-measures a database whose dict was swapped in wholesale (RDB load, SWAPDB)', () => {
    const a = new Database(0, quietHooks());
    const b = new Database(1, quietHooks());
    a.set('only-in-a', 'x'.repeat(50));
    b.set('b1', 'y');
    b.set('b2', 'z');
    b.setExpire('b2', 1_800_000_000_000);
    const before = [databaseBytes(a), databaseBytes(b)];
    [a.dict, b.dict] = [b.dict, a.dict];
    [a.expires, b.expires] = [b.expires, a.expires];
    expect([databaseBytes(b), databaseBytes(a)]).toEqual(before);
    expect(a.usedBytes).toBe(recompute(a));
    // Incremental accounting carries on from the re-measured figure.
    a.delete('b1');
    a.delete('b2');
    expect(a.usedBytes).toBe(0);
  });

  it('keeps the accounted size of a collection on it so deletion subtracts what was added', () => {
    const db = new Database(0, quietHooks());
    const l = new ListValue();
    l.pushTail('abc');
    db.add('l', l);
    const first = accountedBytes(l);
    for (let i = 0; i < 100; i++) l.pushTail('abcdefgh');
    db.modified('l');
    db.settleAccounting();
    expect(accountedBytes(l)).toBeGreaterThan(first);
    db.delete('l');
    expect(db.usedBytes).toBe(0);
  });

  it('settles in-place changes lazily: a collection changed then deleted before settling leaves no trace', () => {
    const db = new Database(0, quietHooks());
    const l = new ListValue();
    l.pushTail('abc');
    db.add('l', l);
    for (let i = 0; i < 100; i++) l.pushTail('abcdefgh');
    db.modified('l');
    db.delete('l');
    db.settleAccounting();
    expect(db.usedBytes).toBe(0);
  });
});

describe('INFO memory figures', () => {
  it('reports used_memory growing with the dataset, and the configured limit and policy', () => {
    const { run, server } = startLocalServer({ maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' });
    const field = (name: string) => memoryInfo(server).find(([k]) => k === name)?.[1];
    const empty = Number(field('used_memory'));
    for (let i = 0; i < 1000; i++) run('SET', `key:${i}`, 'x'.repeat(100));
    const loaded = Number(field('used_memory'));
    // 1000 keys of ~7-byte names and 100-byte values: at least their payload.
    expect(loaded - empty).toBeGreaterThan(1000 * 107);
    expect(loaded - empty).toBeLessThan(1000 * 400);
    expect(Number(field('used_memory_dataset'))).toBeGreaterThan(1000 * 107);
    expect(field('maxmemory')).toBe(100 * 1024 * 1024);
    expect(field('maxmemory_human')).toBe('100.00M');
    expect(field('maxmemory_policy')).toBe('allkeys-lru');
    expect(Number(field('used_memory_peak'))).toBeGreaterThanOrEqual(loaded);
    expect(Number(field('used_memory_rss'))).toBeGreaterThan(0);
    expect(field('used_memory_human')).toMatch(/^\d+\.\d\dM$/);
    for (let i = 0; i < 1000; i++) run('DEL', `key:${i}`);
    expect(Number(field('used_memory'))).toBe(empty);
  });
});
