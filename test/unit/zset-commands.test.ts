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

/** A second connection, closed by the test. */
async function another(resp: 2 | 3 = 2): Promise<RespClient> {
  const c = await RespClient.connect(s.port);
  if (resp === 3) await c.call('HELLO', '3');
  return c;
}

describe('ZADD / ZINCRBY', () => {
  it('adds, updates, counts changes with CH and replies the score with INCR', async () => {
    expect(await cmd('ZADD', 'z', 1, 'a', 2, 'b')).toBe(':2');
    expect(await cmd('ZADD', 'z', 5, 'a', 3, 'c')).toBe(':1');
    expect(await cmd('ZADD', 'z', 'CH', 6, 'a', 3, 'c', 4, 'd')).toBe(':2');
    expect(await cmd('ZADD', 'z', 'INCR', 1.5, 'a')).toBe('"7.5"');
    expect(await cmd('ZINCRBY', 'z', 0.1, 'b')).toBe('"2.1000000000000001"');
    expect(await cmd('ZRANGE', 'z', 0, -1, 'WITHSCORES')).toBe(
      '["b", "2.1000000000000001", "c", "3", "d", "4", "a", "7.5"]',
    );
  });

  it('NX / XX / GT / LT select which members change, INCR answers nil when nothing did', async () => {
    await cmd('ZADD', 'z', 5, 'a');
    expect(await cmd('ZADD', 'z', 'NX', 1, 'a', 1, 'b')).toBe(':1');
    expect(await cmd('ZADD', 'z', 'XX', 'CH', 9, 'a', 9, 'new')).toBe(':1');
    expect(await cmd('ZADD', 'z', 'GT', 'CH', 3, 'a', 4, 'b')).toBe(':1');
    expect(await cmd('ZADD', 'z', 'LT', 'CH', 10, 'a', 0, 'b')).toBe(':1');
    expect(await cmd('ZADD', 'z', 'GT', 'INCR', -1, 'a')).toBe('nil');
    expect(await cmd('ZADD', 'z', 'XX', 'INCR', 1, 'missing')).toBe('nil');
    expect(await cmd('ZADD', 'nokey', 'XX', 1, 'a')).toBe(':0');
    expect(await cmd('EXISTS', 'nokey')).toBe(':0');
    expect(await cmd('ZRANGE', 'z', 0, -1, 'WITHSCORES')).toBe('["b", "0", "a", "9"]');
  });

  it('reports option conflicts, bad scores and NaN results with Redis wording', async () => {
    await cmd('ZADD', 'z', 'inf', 'a');
    expect(await cmd('ZADD', 'z', 'NX', 'XX', 1, 'a')).toBe(
      '-ERR XX and NX options at the same time are not compatible',
    );
    expect(await cmd('ZADD', 'z', 'GT', 'LT', 1, 'a')).toBe(
      '-ERR GT, LT, and/or NX options at the same time are not compatible',
    );
    expect(await cmd('ZADD', 'z', 'NX', 'GT', 1, 'a')).toBe(
      '-ERR GT, LT, and/or NX options at the same time are not compatible',
    );
    expect(await cmd('ZADD', 'z', 'INCR', 1, 'a', 2, 'b')).toBe(
      '-ERR INCR option supports a single increment-element pair',
    );
    expect(await cmd('ZADD', 'z', 'NX', 1)).toBe(SYNTAX);
    expect(await cmd('ZADD', 'z', 1, 'a', 2)).toBe(SYNTAX);
    expect(await cmd('ZADD', 'z', 'nan', 'a')).toBe('-ERR value is not a valid float');
    expect(await cmd('ZADD', 'z', '1e400', 'a')).toBe('-ERR value is not a valid float');
    expect(await cmd('ZADD', 'z', ' 1', 'a')).toBe('-ERR value is not a valid float');
    expect(await cmd('ZINCRBY', 'z', '-inf', 'a')).toBe('-ERR resulting score is not a number (NaN)');
    expect(await cmd('ZADD', 'z', 'INCR', '-inf', 'a')).toBe('-ERR resulting score is not a number (NaN)');
    expect(await cmd('ZSCORE', 'z', 'a')).toBe('"inf"');
    // A bad score anywhere means nothing is applied.
    expect(await cmd('ZADD', 'z', 1, 'b', 'x', 'c')).toBe('-ERR value is not a valid float');
    expect(await cmd('ZCARD', 'z')).toBe(':1');
    expect(await cmd('ZADD', 'hash', 1, 'a')).toBe(WRONGTYPE);
    expect(await cmd('ZINCRBY', 'hash', 1, 'a')).toBe(WRONGTYPE);
  });

  it('propagates verbatim, and nothing when nothing changed', async () => {
    await cmd('ZADD', 'z', 1, 'a');
    await cmd('ZADD', 'z', 'NX', 2, 'a');
    await cmd('ZADD', 'z', 1, 'a');
    await cmd('ZINCRBY', 'z', 2, 'a');
    expect(s.takePropagated()).toEqual(['ZADD z 1 a', 'ZINCRBY z 2 a']);
  });
});

describe('ranges', () => {
  beforeEach(async () => {
    await cmd('ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
    await cmd('ZADD', 'lex', 0, 'a', 0, 'b', 0, 'c', 0, 'd');
  });

  it('ZRANGE by rank, score and lex, forward and reverse, with LIMIT', async () => {
    expect(await cmd('ZRANGE', 'z', 1, -2)).toBe('["b", "c", "d"]');
    expect(await cmd('ZRANGE', 'z', 0, 1, 'REV')).toBe('["e", "d"]');
    expect(await cmd('ZRANGE', 'z', '(1', 3, 'BYSCORE')).toBe('["b", "c"]');
    expect(await cmd('ZRANGE', 'z', '+inf', '(2', 'BYSCORE', 'REV', 'LIMIT', 1, 2)).toBe('["d", "c"]');
    expect(await cmd('ZRANGE', 'lex', '(a', '[c', 'BYLEX')).toBe('["b", "c"]');
    expect(await cmd('ZRANGE', 'lex', '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, 3)).toBe('["d", "c", "b"]');
    expect(await cmd('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', 2, -1)).toBe('["c", "d", "e"]');
    expect(await cmd('ZREVRANGEBYSCORE', 'z', 4, 2, 'WITHSCORES')).toBe('["d", "4", "c", "3", "b", "2"]');
    expect(await cmd('ZREVRANGE', 'z', 0, 0)).toBe('["e"]');
    expect(await cmd('ZRANGEBYLEX', 'lex', '[b', '+')).toBe('["b", "c", "d"]');
    expect(await cmd('ZREVRANGEBYLEX', 'lex', '(c', '-')).toBe('["b", "a"]');
    expect(await cmd('ZRANGE', 'missing', 0, -1)).toBe('[]');
  });

  it('range errors', async () => {
    expect(await cmd('ZRANGE', 'z', 0, -1, 'LIMIT', 0, 1)).toBe(
      '-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    );
    expect(await cmd('ZRANGE', 'lex', '-', '+', 'BYLEX', 'WITHSCORES')).toBe(
      '-ERR syntax error, WITHSCORES not supported in combination with BYLEX',
    );
    expect(await cmd('ZRANGE', 'z', 'a', 'b', 'BYSCORE')).toBe('-ERR min or max is not a float');
    expect(await cmd('ZRANGE', 'z', 'a', 'b', 'BYLEX')).toBe('-ERR min or max not valid string range item');
    expect(await cmd('ZRANGEBYSCORE', 'z', 0, 1, 'REV')).toBe(SYNTAX);
    expect(await cmd('ZRANGE', 'z', 'x', 1)).toBe('-ERR value is not an integer or out of range');
    expect(await cmd('ZRANGE', 'hash', 0, 1)).toBe(WRONGTYPE);
  });

  it('ZCOUNT, ZLEXCOUNT, ZRANK, ZREVRANK, ZSCORE, ZMSCORE, ZCARD', async () => {
    expect(await cmd('ZCOUNT', 'z', '(1', 4)).toBe(':3');
    expect(await cmd('ZCOUNT', 'z', 3, 2)).toBe(':0');
    expect(await cmd('ZLEXCOUNT', 'lex', '[b', '+')).toBe(':3');
    expect(await cmd('ZRANK', 'z', 'c')).toBe(':2');
    expect(await cmd('ZREVRANK', 'z', 'c')).toBe(':2');
    expect(await cmd('ZREVRANK', 'z', 'a')).toBe(':4');
    expect(await cmd('ZRANK', 'z', 'nope')).toBe('nil');
    expect(await cmd('ZSCORE', 'z', 'e')).toBe('"5"');
    expect(await cmd('ZMSCORE', 'z', 'a', 'nope', 'e')).toBe('["1", nil, "5"]');
    expect(await cmd('ZCARD', 'z')).toBe(':5');
    expect(await cmd('ZCARD', 'missing')).toBe(':0');
    for (const args of [['ZCOUNT', 0, 1], ['ZRANK', 'a'], ['ZSCORE', 'a'], ['ZCARD']]) {
      expect(await cmd(args[0] as string, 'hash', ...args.slice(1))).toBe(WRONGTYPE);
    }
  });

  it('ZRANGESTORE and ZREMRANGEBY* store or delete, and clean up emptied keys', async () => {
    expect(await cmd('ZRANGESTORE', 'dst', 'z', 2, 4, 'BYSCORE')).toBe(':3');
    expect(await cmd('ZRANGE', 'dst', 0, -1, 'WITHSCORES')).toBe('["b", "2", "c", "3", "d", "4"]');
    expect(await cmd('ZRANGESTORE', 'dst', 'missing', 0, -1)).toBe(':0');
    expect(await cmd('EXISTS', 'dst')).toBe(':0');
    expect(await cmd('ZREMRANGEBYSCORE', 'z', '(4', '+inf')).toBe(':1');
    expect(await cmd('ZREMRANGEBYRANK', 'z', 0, 1)).toBe(':2');
    expect(await cmd('ZREMRANGEBYLEX', 'lex', '-', '(c')).toBe(':2');
    expect(await cmd('ZRANGE', 'z', 0, -1)).toBe('["c", "d"]');
    expect(await cmd('ZREMRANGEBYRANK', 'z', 0, -1)).toBe(':2');
    expect(await cmd('EXISTS', 'z')).toBe(':0');
  });

  it('answers WITHSCORES as [member, double] pairs in RESP3', async () => {
    const c = await another(3);
    try {
      await c.call('ZADD', 'r3', '1.1', 'x');
      expect(show(await c.call('ZRANGE', 'z', 0, 1, 'WITHSCORES'))).toBe('[["a", ,1], ["b", ,2]]');
      expect(show(await c.call('ZRANGE', 'r3', 0, -1, 'WITHSCORES'))).toBe('[["x", ,1.1000000000000001]]');
      expect(show(await c.call('ZSCORE', 'z', 'a'))).toBe(',1');
      expect(show(await c.call('ZSCORE', 'z', 'nope'))).toBe('nil');
      expect(show(await c.call('ZPOPMIN', 'z'))).toBe('["a", ,1]');
      expect(show(await c.call('ZPOPMIN', 'z', 2))).toBe('[["b", ,2], ["c", ,3]]');
      expect(show(await c.call('ZUNION', 1, 'z', 'WITHSCORES'))).toBe('[["d", ,4], ["e", ,5]]');
      expect(show(await c.call('ZRANDMEMBER', 'z', 5, 'WITHSCORES'))).toBe('[["e", ,5], ["d", ,4]]');
    } finally {
      await c.close();
    }
  });
});

describe('pops', () => {
  it('ZPOPMIN / ZPOPMAX with and without count; errors', async () => {
    await cmd('ZADD', 'z', 1, 'a', 2, 'b', 3, 'c');
    expect(await cmd('ZPOPMIN', 'z')).toBe('["a", "1"]');
    expect(await cmd('ZPOPMAX', 'z', 5)).toBe('["c", "3", "b", "2"]');
    expect(await cmd('EXISTS', 'z')).toBe(':0');
    expect(await cmd('ZPOPMIN', 'z')).toBe('[]');
    expect(await cmd('ZPOPMIN', 'z', -1)).toBe('-ERR value is out of range, must be positive');
    expect(await cmd('ZPOPMIN', 'z', 1, 2)).toBe(SYNTAX);
    expect(await cmd('ZPOPMIN', 'hash')).toBe(WRONGTYPE);
  });

  it('ZMPOP pops from the first non-empty key and propagates ZPOPMIN/ZPOPMAX with the popped count', async () => {
    await cmd('ZADD', 'b', 1, 'x', 2, 'y');
    s.takePropagated();
    expect(await cmd('ZMPOP', 2, 'a', 'b', 'MAX', 'COUNT', 10)).toBe('["b", [["y", "2"], ["x", "1"]]]');
    expect(await cmd('ZMPOP', 2, 'a', 'b', 'MIN')).toBe('nil*');
    expect(s.takePropagated()).toEqual(['ZPOPMAX b 2']);
    expect(await cmd('ZMPOP', 0, 'a', 'MIN')).toBe('-ERR numkeys should be greater than 0');
    expect(await cmd('ZMPOP', 1, 'a', 'MIN', 'COUNT', 0)).toBe('-ERR count should be greater than 0');
    expect(await cmd('ZMPOP', 1, 'a', 'SIDEWAYS')).toBe(SYNTAX);
    expect(await cmd('ZMPOP', 2, 'a', 'hash', 'MIN')).toBe(WRONGTYPE);
  });

  it('BZPOPMIN blocks until a ZADD, replies [key, member, score] and propagates ZPOPMIN key', async () => {
    const blocked = await another();
    try {
      const pending = blocked.call('BZPOPMIN', 'q1', 'q2', 0);
      await new Promise((r) => setTimeout(r, 30));
      // A list under the key is not what we wait for.
      await cmd('RPUSH', 'q1', 'x');
      await cmd('ZADD', 'q2', 7, 'm', 8, 'n');
      expect(show(await pending)).toBe('["q2", "m", "7"]');
      expect(s.takePropagated()).toEqual(['RPUSH q1 x', 'ZADD q2 7 m 8 n', 'ZPOPMIN q2']);
      expect(await cmd('ZRANGE', 'q2', 0, -1)).toBe('["n"]');
    } finally {
      await blocked.close();
    }
  });

  it('BZMPOP is served with nested pairs and propagated as ZPOPMAX key n', async () => {
    const blocked = await another(3);
    try {
      const pending = blocked.call('BZMPOP', 0, 1, 'q', 'MAX', 'COUNT', 2);
      await new Promise((r) => setTimeout(r, 30));
      await cmd('ZADD', 'q', 1, 'a', 2, 'b', 3, 'c');
      expect(show(await pending)).toBe('["q", [["c", ,3], ["b", ,2]]]');
      expect(s.takePropagated()).toEqual(['ZADD q 1 a 2 b 3 c', 'ZPOPMAX q 2']);
    } finally {
      await blocked.close();
    }
  });

  it('times out with a null array, and answers at once inside MULTI', async () => {
    const blocked = await another();
    try {
      const pending = blocked.call('BZPOPMAX', 'never', 1);
      await new Promise((r) => setTimeout(r, 30));
      s.now += 1001;
      s.server.cron();
      expect(show(await pending)).toBe('nil*');
      await blocked.call('MULTI');
      await blocked.call('BZPOPMIN', 'never', 0);
      expect(show(await blocked.call('EXEC'))).toBe('[nil*]');
      expect(show(await blocked.call('BZPOPMIN', 'never', -1))).toBe('-ERR timeout is negative');
      expect(show(await blocked.call('BZPOPMIN', 'never', 'x'))).toBe(
        '-ERR timeout is not a float or out of range',
      );
      expect(show(await blocked.call('BZPOPMIN', 'hash', 0))).toBe(WRONGTYPE);
    } finally {
      await blocked.close();
    }
  });
});

describe('ZUNION / ZINTER / ZDIFF and their STORE forms', () => {
  beforeEach(async () => {
    await cmd('ZADD', 'z1', 1, 'a', 2, 'b', 3, 'c');
    await cmd('ZADD', 'z2', 10, 'b', 20, 'c', 30, 'd');
    await cmd('SADD', 'set', 'c', 'd', 'e');
  });

  it('aggregate with weights; plain sets count as score 1', async () => {
    expect(await cmd('ZUNION', 2, 'z1', 'z2', 'WITHSCORES')).toBe(
      '["a", "1", "b", "12", "c", "23", "d", "30"]',
    );
    expect(await cmd('ZINTER', 2, 'z1', 'z2', 'WEIGHTS', 2, 1, 'AGGREGATE', 'MAX', 'WITHSCORES')).toBe(
      '["b", "10", "c", "20"]',
    );
    expect(await cmd('ZINTER', 3, 'z1', 'z2', 'set', 'AGGREGATE', 'MIN', 'WITHSCORES')).toBe('["c", "1"]');
    expect(await cmd('ZDIFF', 2, 'set', 'z1', 'WITHSCORES')).toBe('["d", "1", "e", "1"]');
    expect(await cmd('ZINTERCARD', 2, 'z1', 'z2')).toBe(':2');
    expect(await cmd('ZINTERCARD', 2, 'z1', 'z2', 'LIMIT', 1)).toBe(':1');
    expect(await cmd('ZUNIONSTORE', 'out', 2, 'z1', 'set')).toBe(':5');
    expect(await cmd('ZRANGE', 'out', 0, -1, 'WITHSCORES')).toBe(
      '["a", "1", "d", "1", "e", "1", "b", "2", "c", "4"]',
    );
    expect(await cmd('ZINTERSTORE', 'out', 2, 'z1', 'missing')).toBe(':0');
    expect(await cmd('EXISTS', 'out')).toBe(':0');
    expect(await cmd('ZDIFFSTORE', 'out', 1, 'z2')).toBe(':3');
  });

  it('errors: numkeys, syntax, weights, wrong type', async () => {
    expect(await cmd('ZUNION', 0, 'z1')).toBe("-ERR at least 1 input key is needed for 'zunion' command");
    expect(await cmd('ZUNIONSTORE', 'o', 0, 'z1')).toBe(
      "-ERR at least 1 input key is needed for 'zunionstore' command",
    );
    expect(await cmd('ZUNION', 3, 'z1')).toBe(SYNTAX);
    expect(await cmd('ZUNION', 1, 'z1', 'WEIGHTS', 'x')).toBe('-ERR weight value is not a float');
    expect(await cmd('ZUNION', 1, 'z1', 'AGGREGATE', 'avg')).toBe(SYNTAX);
    expect(await cmd('ZDIFF', 1, 'z1', 'WEIGHTS', 1)).toBe(SYNTAX);
    expect(await cmd('ZUNIONSTORE', 'o', 1, 'z1', 'WITHSCORES')).toBe(SYNTAX);
    expect(await cmd('ZINTERCARD', 1, 'z1', 'LIMIT', -1)).toBe("-ERR LIMIT can't be negative");
    expect(await cmd('ZUNION', 1, 'hash', 'WEIGHTS', 'x')).toBe(WRONGTYPE);
  });
});

describe('ZRANDMEMBER and ZSCAN', () => {
  it('ZRANDMEMBER: distinct for positive counts, repeats for negative, whole set when count >= size', async () => {
    await cmd('ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
    const distinct = JSON.parse(await cmd('ZRANDMEMBER', 'z', 3)) as string[];
    expect(new Set(distinct).size).toBe(3);
    const repeated = JSON.parse(await cmd('ZRANDMEMBER', 'z', -50)) as string[];
    expect(repeated).toHaveLength(50);
    expect(new Set(repeated).size).toBeLessThanOrEqual(4);
    expect(await cmd('ZRANDMEMBER', 'z', 10)).toBe('["d", "c", "b", "a"]');
    expect(['"a"', '"b"', '"c"', '"d"']).toContain(await cmd('ZRANDMEMBER', 'z'));
    expect(await cmd('ZRANDMEMBER', 'missing')).toBe('nil');
    expect(await cmd('ZRANDMEMBER', 'z', 1, 'WITHSCORES', 'x')).toBe(SYNTAX);
    // Our deliberate limit (Redis 7.0 would stall building the reply).
    expect(await cmd('ZRANDMEMBER', 'z', '-9223372036854775807')).toBe('-ERR value is out of range');
  });

  it('ZSCAN returns a small zset whole; a large one by cursor, every member exactly once', async () => {
    await cmd('ZADD', 'small', 1, 'a', 2.5, 'b');
    expect(await cmd('ZSCAN', 'small', 0)).toBe('["0", ["a", "1", "b", "2.5"]]');
    const args: (string | number)[] = [];
    for (let i = 0; i < 300; i++) args.push(i, `m${i}`);
    await cmd('ZADD', 'big', ...args);
    const seen = new Map<string, string>();
    let cursor = '0';
    let steps = 0;
    do {
      const [next, items] = JSON.parse(await cmd('ZSCAN', 'big', cursor, 'COUNT', 50)) as [string, string[]];
      for (let i = 0; i < items.length; i += 2) {
        expect(seen.has(items[i]!)).toBe(false);
        seen.set(items[i]!, items[i + 1]!);
      }
      cursor = next;
      steps++;
    } while (cursor !== '0' && steps < 100);
    expect(seen.size).toBe(300);
    expect(seen.get('m42')).toBe('42');
    expect(steps).toBeGreaterThan(1);
    expect(await cmd('ZSCAN', 'hash', 0)).toBe(WRONGTYPE);
  });
});

describe('client libraries', () => {
  it('works through ioredis (RESP2) and node-redis (RESP3)', async () => {
    const io = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
    await io.connect();
    const nr = createClient({ socket: { port: s.port, host: '127.0.0.1' }, RESP: 3 });
    await nr.connect();
    try {
      expect(await io.zadd('lib', 1, 'a', 2, 'b')).toBe(2);
      expect(await io.zrange('lib', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
      expect(await io.zscore('lib', 'b')).toBe('2');
      expect(
        await nr.zAdd('nr', [
          { score: 1.5, value: 'x' },
          { score: -2, value: 'y' },
        ]),
      ).toBe(2);
      expect(await nr.zRangeWithScores('nr', 0, -1)).toEqual([
        { value: 'y', score: -2 },
        { value: 'x', score: 1.5 },
      ]);
      expect(await nr.zScore('nr', 'x')).toBe(1.5);
      expect(await nr.zPopMax('nr')).toEqual({ value: 'x', score: 1.5 });
    } finally {
      io.disconnect();
      await nr.quit();
    }
  });
});
