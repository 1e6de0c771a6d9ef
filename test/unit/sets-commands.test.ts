import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HashValue } from '../../src/keyspace/values.js';
import { type ClockedServer, startClockedServer } from '../helpers/clocked-server.js';
import { RespClient, show } from '../helpers/resp-client.js';

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = '-ERR syntax error';

let s: ClockedServer;
const cmd = (...args: (string | number)[]) => s.cmd(...args);
/** An array or set reply's elements, sorted (set order is unspecified, as in Redis). */
const members = async (...args: (string | number)[]) => {
  const text = (await cmd(...args)).replace(/^~/, '');
  return (JSON.parse(text) as string[]).sort();
};

beforeAll(async () => {
  s = await startClockedServer();
});
afterAll(async () => {
  await s?.close();
});
beforeEach(() => {
  s.reset();
  s.server.dbs[0]!.add('hash', new HashValue([['f', 'v']]));
});

describe('single-set commands', () => {
  it('SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS', async () => {
    expect(await cmd('SADD', 's', 'a', 'b', 'a', 'bin\x00\xff')).toBe(':3');
    expect(await cmd('SADD', 's', 'a', 'c')).toBe(':1');
    expect(await cmd('SCARD', 's')).toBe(':4');
    expect(await cmd('SISMEMBER', 's', 'bin\x00\xff')).toBe(':1');
    expect(await cmd('SMISMEMBER', 's', 'a', 'zz', 'c')).toBe('[:1, :0, :1]');
    expect(await members('SMEMBERS', 's')).toEqual(['a', 'b', 'bin\x00\xff', 'c']);
    expect(await cmd('SREM', 's', 'a', 'zz')).toBe(':1');
    expect(await cmd('SREM', 's', 'b', 'c', 'bin\x00\xff')).toBe(':3');
    expect(await cmd('EXISTS', 's')).toBe(':0');
    expect(await cmd('SREM', 's', 'a')).toBe(':0');
    expect(await cmd('SMEMBERS', 's')).toBe('[]');
    expect(await cmd('SCARD', 's')).toBe(':0');
    expect(s.takePropagated()).toEqual([
      'SADD s a b a bin\x00\xff',
      'SADD s a c',
      'SREM s a zz',
      'SREM s b c bin\x00\xff',
    ]);
  });

  it('refuses other types', async () => {
    for (const args of [
      ['SADD', 'a'],
      ['SREM', 'a'],
      ['SCARD'],
      ['SISMEMBER', 'a'],
      ['SMISMEMBER', 'a'],
      ['SMEMBERS'],
      ['SPOP'],
      ['SRANDMEMBER'],
      ['SSCAN', 0],
    ]) {
      expect(await cmd(args[0] as string, 'hash', ...args.slice(1))).toBe(WRONGTYPE);
    }
    expect(await cmd('SINTER', 'missing', 'hash')).toBe(WRONGTYPE);
  });

  it('SMOVE moves, creates the destination, deletes an emptied source', async () => {
    await cmd('SADD', 'src', 'a', 'b');
    await cmd('SADD', 'dst', 'b');
    s.takePropagated();
    expect(await cmd('SMOVE', 'src', 'dst', 'b')).toBe(':1');
    expect(await cmd('SMOVE', 'src', 'dst', 'zz')).toBe(':0');
    expect(await cmd('SMOVE', 'src', 'src', 'a')).toBe(':1');
    expect(await cmd('SMOVE', 'src', 'new', 'a')).toBe(':1');
    expect(await cmd('EXISTS', 'src')).toBe(':0');
    expect(await members('SMEMBERS', 'new')).toEqual(['a']);
    expect(await cmd('SMOVE', 'missing', 'hash', 'a')).toBe(':0');
    expect(await cmd('SMOVE', 'new', 'hash', 'a')).toBe(WRONGTYPE);
    expect(s.takePropagated()).toEqual(['SMOVE src dst b', 'SMOVE src new a']);
  });
});

describe('SPOP and SRANDMEMBER', () => {
  it('SPOP without count replies a member and propagates SREM key member', async () => {
    await cmd('SADD', 's', 'a', 'b', 'c');
    s.takePropagated();
    const popped = JSON.parse(await cmd('SPOP', 's')) as string;
    expect(['a', 'b', 'c']).toContain(popped);
    expect(await cmd('SISMEMBER', 's', popped)).toBe(':0');
    expect(s.takePropagated()).toEqual([`SREM s ${popped}`]);
    expect(await cmd('SPOP', 'missing')).toBe('nil');
  });

  it('SPOP with count propagates one SREM per member in MULTI/EXEC, or DEL when it takes everything', async () => {
    await cmd('SADD', 's', 'a', 'b', 'c', 'd', 'e');
    s.takePropagated();
    const popped = (JSON.parse(await cmd('SPOP', 's', 2)) as string[]).sort();
    expect(popped).toHaveLength(2);
    expect(new Set(popped).size).toBe(2);
    expect(await cmd('SCARD', 's')).toBe(':3');
    const ops = s.takePropagated();
    expect(ops[0]).toBe('MULTI');
    expect(ops.at(-1)).toBe('EXEC');
    expect(ops.sort(byWrapper)).toEqual(['MULTI', ...popped.map((m) => `SREM s ${m}`), 'EXEC']);
    const rest = (JSON.parse(await cmd('SPOP', 's', 10)) as string[]).sort();
    expect([...rest, ...popped].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await cmd('EXISTS', 's')).toBe(':0');
    expect(s.takePropagated()).toEqual(['DEL s']);
    expect(await cmd('SPOP', 's', 0)).toBe('[]');
    expect(await cmd('SPOP', 's', -1)).toBe('-ERR value is out of range, must be positive');
    expect(await cmd('SPOP', 's', 1, 2)).toBe(SYNTAX);
    expect(s.takePropagated()).toEqual([]);
  });

  it('SRANDMEMBER: distinct members for positive counts, repetitions for negative ones', async () => {
    await cmd('SADD', 's', 'a', 'b', 'c', 'd');
    const three = await members('SRANDMEMBER', 's', 3);
    expect(new Set(three).size).toBe(3);
    expect(await members('SRANDMEMBER', 's', 10)).toEqual(['a', 'b', 'c', 'd']);
    const many = JSON.parse(await cmd('SRANDMEMBER', 's', -40)) as string[];
    expect(many).toHaveLength(40);
    expect(many.every((m) => ['a', 'b', 'c', 'd'].includes(m))).toBe(true);
    expect(await cmd('SRANDMEMBER', 's', 0)).toBe('[]');
    expect(await cmd('SRANDMEMBER', 'missing', 5)).toBe('[]');
    expect(await cmd('SRANDMEMBER', 'missing')).toBe('nil');
    expect(await cmd('SRANDMEMBER', 's', 'x')).toBe('-ERR value is not an integer or out of range');
    // Our deliberate limit (Redis 7.0 would stall building the reply).
    expect(await cmd('SRANDMEMBER', 's', '-9223372036854775807')).toBe('-ERR value is out of range');
    expect(await cmd('SCARD', 's')).toBe(':4');
  });

  it('picks uniformly: 6000 draws over 6 members land 1000 ± 200 times on each', async () => {
    await cmd('SADD', 'u', 'a', 'b', 'c', 'd', 'e', 'f');
    const counts = new Map<string, number>();
    const draws = JSON.parse(await cmd('SRANDMEMBER', 'u', -3000)) as string[];
    for (const m of draws) counts.set(m, (counts.get(m) ?? 0) + 1);
    for (let i = 0; i < 1500; i++) {
      for (const m of JSON.parse(await cmd('SRANDMEMBER', 'u', 2)) as string[])
        counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });
});

describe('random picks on large sets (indexed for O(1) picks)', () => {
  it('SPOP drains a large set exactly once per member while SADD/SREM/SMOVE interleave', async () => {
    const initial = Array.from({ length: 3000 }, (_, i) => `m${i}`);
    await cmd('SADD', 'big', ...initial);
    const expected = new Set(initial);
    const popped: string[] = [];
    for (let i = 0; i < 300; i++) popped.push(JSON.parse(await cmd('SPOP', 'big')) as string);
    popped.push(...(JSON.parse(await cmd('SPOP', 'big', 700)) as string[]));
    // Changes that bypass SPOP must be seen by later picks: removed members never come back out,
    // added ones do.
    const removed = initial.filter((m) => !popped.includes(m)).slice(0, 500);
    expect(await cmd('SREM', 'big', ...removed)).toBe(':500');
    for (const m of removed) expected.delete(m);
    const added = Array.from({ length: 200 }, (_, i) => `new${i}`);
    await cmd('SADD', 'big', ...added);
    for (const m of added) expected.add(m);
    await cmd('SADD', 'other', 'moved');
    expect(await cmd('SMOVE', 'other', 'big', 'moved')).toBe(':1');
    expected.add('moved');
    const sample = JSON.parse(await cmd('SRANDMEMBER', 'big', -2000)) as string[];
    for (const m of sample) expect(expected.has(m) && !popped.includes(m)).toBe(true);
    for (;;) {
      const batch = JSON.parse(await cmd('SPOP', 'big', 97)) as string[];
      if (batch.length === 0) break;
      popped.push(...batch);
    }
    expect(popped).toHaveLength(new Set(popped).size);
    expect(new Set(popped)).toEqual(
      new Set([...initial.filter((m) => !removed.includes(m)), ...added, 'moved']),
    );
    expect(await cmd('EXISTS', 'big')).toBe(':0');
  });

  it('picks uniformly from a large set: 60000 draws over 600 members land 100 ± 55 times on each (5.5 sigma)', async () => {
    await cmd('SADD', 'u', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
    const counts = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      for (const m of JSON.parse(await cmd('SRANDMEMBER', 'u', -20000)) as string[]) {
        counts.set(m, (counts.get(m) ?? 0) + 1);
      }
    }
    expect(counts.size).toBe(600);
    for (const n of counts.values()) expect(Math.abs(n - 100)).toBeLessThan(55);
    const distinct = JSON.parse(await cmd('SRANDMEMBER', 'u', 300)) as string[];
    expect(new Set(distinct).size).toBe(300);
  });
});

/** Sorts propagated ops with MULTI first and EXEC last (the SREMs' order is random). */
function byWrapper(a: string, b: string): number {
  const rank = (x: string) => (x === 'MULTI' ? 0 : x === 'EXEC' ? 2 : 1);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

describe('multi-set commands', () => {
  beforeEach(async () => {
    await cmd('SADD', 's1', 'a', 'b', 'c', 'd');
    await cmd('SADD', 's2', 'c', 'd', 'e');
    await cmd('SADD', 's3', 'd', 'x');
  });

  it('SINTER / SUNION / SDIFF and SINTERCARD', async () => {
    expect(await members('SINTER', 's1', 's2', 's3')).toEqual(['d']);
    expect(await members('SINTER', 's1', 'missing')).toEqual([]);
    expect(await members('SUNION', 's2', 's3', 'missing')).toEqual(['c', 'd', 'e', 'x']);
    expect(await members('SDIFF', 's1', 's2', 'missing')).toEqual(['a', 'b']);
    expect(await members('SDIFF', 'missing', 's1')).toEqual([]);
    expect(await cmd('SINTERCARD', 2, 's1', 's2')).toBe(':2');
    expect(await cmd('SINTERCARD', 2, 's1', 's2', 'LIMIT', 1)).toBe(':1');
    expect(await cmd('SINTERCARD', 2, 's1', 'missing')).toBe(':0');
    expect(await cmd('SINTERCARD', 0, 's1')).toBe('-ERR numkeys should be greater than 0');
    expect(await cmd('SINTERCARD', 3, 's1')).toBe("-ERR Number of keys can't be greater than number of args");
    expect(await cmd('SINTERCARD', 1, 's1', 'LIMIT', -2)).toBe("-ERR LIMIT can't be negative");
    expect(await cmd('SINTERCARD', 1, 's1', 'FOO')).toBe(SYNTAX);
    expect(await cmd('SINTERCARD', 1, 'hash')).toBe(WRONGTYPE);
  });

  it('the STORE forms overwrite the destination or delete it for an empty result', async () => {
    await cmd('SET', 'dst', 'string');
    s.takePropagated();
    expect(await cmd('SINTERSTORE', 'dst', 's1', 's2')).toBe(':2');
    expect(await members('SMEMBERS', 'dst')).toEqual(['c', 'd']);
    expect(await cmd('SUNIONSTORE', 'dst', 's2', 's3')).toBe(':4');
    expect(await cmd('SDIFFSTORE', 'dst', 's1', 's2', 's3')).toBe(':2');
    expect(await members('SMEMBERS', 'dst')).toEqual(['a', 'b']);
    expect(await cmd('SINTERSTORE', 'dst', 's1', 'missing')).toBe(':0');
    expect(await cmd('EXISTS', 'dst')).toBe(':0');
    expect(await cmd('SDIFFSTORE', 'dst', 'missing')).toBe(':0');
    expect(s.takePropagated()).toEqual([
      'SINTERSTORE dst s1 s2',
      'SUNIONSTORE dst s2 s3',
      'SDIFFSTORE dst s1 s2 s3',
      'SINTERSTORE dst s1 missing',
    ]);
  });

  it('answers sets as RESP3 sets (~), SMISMEMBER as integers', async () => {
    const c = await RespClient.connect(s.port);
    try {
      await c.call('HELLO', '3');
      expect(show(await c.call('SINTER', 's1', 's3'))).toBe('~["d"]');
      expect(show(await c.call('SMEMBERS', 'missing'))).toBe('~[]');
      expect(show(await c.call('SPOP', 'missing', 2))).toBe('~[]');
      expect(show(await c.call('SMISMEMBER', 's3', 'x', 'y'))).toBe('[:1, :0]');
      expect(show(await c.call('SRANDMEMBER', 's3', 5)).startsWith('[')).toBe(true);
    } finally {
      await c.close();
    }
  });
});

describe('SSCAN', () => {
  it('returns a small all-integer set whole and sorted, as an intset', async () => {
    await cmd('SADD', 'ints', 10, -3, 2);
    expect(await cmd('SSCAN', 'ints', 0)).toBe('["0", ["-3", "2", "10"]]');
    expect(await cmd('SSCAN', 'ints', 0, 'MATCH', '1*')).toBe('["0", ["10"]]');
  });

  it('walks a large set by cursor, every member exactly once, even while it changes', async () => {
    const all = Array.from({ length: 500 }, (_, i) => `m${i}`);
    await cmd('SADD', 'big', ...all);
    const seen = new Set<string>();
    let cursor = '0';
    let steps = 0;
    do {
      const [next, items] = JSON.parse(await cmd('SSCAN', 'big', cursor, 'COUNT', 40)) as [string, string[]];
      for (const m of items) {
        expect(seen.has(m)).toBe(false);
        seen.add(m);
      }
      // Members added during the scan may or may not be returned; the original ones must all be.
      await cmd('SADD', 'big', `extra${steps}`);
      cursor = next;
      steps++;
    } while (cursor !== '0' && steps < 100);
    for (const m of all) expect(seen.has(m)).toBe(true);
    expect(steps).toBeGreaterThan(5);
    expect(await cmd('SSCAN', 'big', 'x')).toBe('-ERR invalid cursor');
    expect(await cmd('SSCAN', 'big', 0, 'COUNT', 0)).toBe(SYNTAX);
    expect(await cmd('SSCAN', 'missing', 0)).toBe('["0", []]');
  });
});

describe('client libraries', () => {
  it('works through ioredis (RESP2) and node-redis (RESP3)', async () => {
    const io = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
    await io.connect();
    const nr = createClient({ socket: { port: s.port, host: '127.0.0.1' }, RESP: 3 });
    await nr.connect();
    try {
      expect(await io.sadd('lib', 'a', 'b')).toBe(2);
      expect((await io.smembers('lib')).sort()).toEqual(['a', 'b']);
      expect(await io.sismember('lib', 'a')).toBe(1);
      expect(await nr.sAdd('nr', ['x', 'y', 'z'])).toBe(3);
      expect(await nr.sCard('nr')).toBe(3);
      const viaResp3 = await nr.sMembers('nr');
      expect([...viaResp3].sort()).toEqual(['x', 'y', 'z']);
      expect(await nr.sInterCard(['nr', 'lib'])).toBe(0);
    } finally {
      io.disconnect();
      await nr.quit();
    }
  });
});
