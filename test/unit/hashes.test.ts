import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';
import { type ClockedServer, startClockedServer } from '../helpers/clocked-server.js';
import { RespClient, show } from '../helpers/resp-client.js';

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = '-ERR value is not an integer or out of range';
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
  // A list to provoke WRONGTYPE, planted directly so these tests do not depend on the list family.
  s.server.dbs[0]!.add('list', ListValue.from(['a']));
});

describe('HSET / HMSET / HSETNX / HGET / HMGET', () => {
  it('set fields, counting only new ones, keeping insertion order', async () => {
    expect(await cmd('HSET', 'h', 'a', '1', 'b', '2')).toBe(':2');
    expect(await cmd('HSET', 'h', 'a', '10', 'c', '3')).toBe(':1');
    expect(await cmd('HMSET', 'h', 'd', '4')).toBe('+OK');
    expect(await cmd('HGETALL', 'h')).toBe('["a", "10", "b", "2", "c", "3", "d", "4"]');
    expect(await cmd('HGET', 'h', 'a')).toBe('"10"');
    expect(await cmd('HGET', 'h', 'zz')).toBe('nil');
    expect(await cmd('HGET', 'missing', 'a')).toBe('nil');
    expect(await cmd('HMGET', 'h', 'a', 'zz', 'b')).toBe('["10", nil, "2"]');
    expect(await cmd('HMGET', 'missing', 'a', 'b')).toBe('[nil, nil]');
  });

  it('HSETNX only sets a missing field', async () => {
    expect(await cmd('HSETNX', 'h', 'a', '1')).toBe(':1');
    expect(await cmd('HSETNX', 'h', 'a', '2')).toBe(':0');
    expect(await cmd('HGET', 'h', 'a')).toBe('"1"');
    s.takePropagated();
    await cmd('HSETNX', 'h', 'a', '3');
    expect(s.takePropagated()).toEqual([]);
  });

  it('odd argument counts and wrong types', async () => {
    expect(await cmd('HSET', 'h', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'hset' command");
    expect(await cmd('HMSET', 'h', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'hmset' command");
    expect(await cmd('EXISTS', 'h')).toBe(':0');
    for (const args of [
      ['HSET', 'list', 'a', '1'],
      ['HMSET', 'list', 'a', '1'],
      ['HSETNX', 'list', 'a', '1'],
      ['HGET', 'list', 'a'],
      ['HMGET', 'list', 'a'],
      ['HDEL', 'list', 'a'],
      ['HLEN', 'list'],
      ['HEXISTS', 'list', 'a'],
      ['HSTRLEN', 'list', 'a'],
      ['HGETALL', 'list'],
      ['HKEYS', 'list'],
      ['HVALS', 'list'],
      ['HINCRBY', 'list', 'a', '1'],
      ['HINCRBYFLOAT', 'list', 'a', '1'],
      ['HRANDFIELD', 'list'],
      ['HRANDFIELD', 'list', '2'],
      ['HSCAN', 'list', '0'],
    ]) {
      expect(await cmd(...args), args.join(' ')).toBe(WRONGTYPE);
    }
  });
});

describe('HDEL / HLEN / HEXISTS / HSTRLEN / HKEYS / HVALS / HGETALL', () => {
  beforeEach(async () => {
    await cmd('HSET', 'h', 'a', '1', 'b', 'two', 'c', '3');
  });

  it('read commands', async () => {
    expect(await cmd('HLEN', 'h')).toBe(':3');
    expect(await cmd('HLEN', 'missing')).toBe(':0');
    expect(await cmd('HEXISTS', 'h', 'b')).toBe(':1');
    expect(await cmd('HEXISTS', 'h', 'z')).toBe(':0');
    expect(await cmd('HSTRLEN', 'h', 'b')).toBe(':3');
    expect(await cmd('HSTRLEN', 'h', 'z')).toBe(':0');
    expect(await cmd('HKEYS', 'h')).toBe('["a", "b", "c"]');
    expect(await cmd('HVALS', 'h')).toBe('["1", "two", "3"]');
    expect(await cmd('HKEYS', 'missing')).toBe('[]');
    expect(await cmd('HGETALL', 'missing')).toBe('[]');
  });

  it('HDEL counts removed fields and deletes the emptied hash', async () => {
    expect(await cmd('HDEL', 'h', 'a', 'z', 'a')).toBe(':1');
    expect(await cmd('HDEL', 'missing', 'a')).toBe(':0');
    s.takePropagated();
    expect(await cmd('HDEL', 'h', 'z')).toBe(':0');
    expect(s.takePropagated()).toEqual([]);
    expect(await cmd('HDEL', 'h', 'b', 'c')).toBe(':2');
    expect(await cmd('EXISTS', 'h')).toBe(':0');
  });

  it('RESP3: HGETALL is a map, a missing key an empty map', async () => {
    const c = await RespClient.connect(s.port);
    try {
      await c.call('HELLO', '3');
      expect(show(await c.call('HGETALL', 'h'))).toBe('{"a": "1", "b": "two", "c": "3"}');
      expect(show(await c.call('HGETALL', 'missing'))).toBe('{}');
      expect(show(await c.call('HKEYS', 'missing'))).toBe('[]');
      expect(show(await c.call('HGET', 'h', 'zz'))).toBe('nil');
    } finally {
      await c.close();
    }
  });
});

describe('HINCRBY / HINCRBYFLOAT', () => {
  it('HINCRBY is exact over int64 and refuses overflow and non-integers', async () => {
    expect(await cmd('HINCRBY', 'h', 'n', 5)).toBe(':5');
    expect(await cmd('HINCRBY', 'h', 'n', -7)).toBe(':-2');
    expect(await cmd('HINCRBY', 'h', 'big', '9223372036854775807')).toBe(':9223372036854775807');
    expect(await cmd('HINCRBY', 'h', 'big', 1)).toBe('-ERR increment or decrement would overflow');
    expect(await cmd('HINCRBY', 'h', 'n', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('HINCRBY', 'h', 'n', '1.5')).toBe(NOT_INTEGER);
    await cmd('HSET', 'h', 's', 'abc', 'z', '01');
    expect(await cmd('HINCRBY', 'h', 's', 1)).toBe('-ERR hash value is not an integer');
    expect(await cmd('HINCRBY', 'h', 'z', 1)).toBe('-ERR hash value is not an integer');
  });

  it('HINCRBYFLOAT uses long double arithmetic and propagates HSET with the result', async () => {
    s.takePropagated();
    expect(await cmd('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('"0.1"');
    expect(await cmd('HINCRBYFLOAT', 'h', 'f', '0.2')).toBe('"0.3"');
    expect(await cmd('HINCRBYFLOAT', 'h', 'f', '1e5')).toBe('"100000.29999999999999716"');
    expect(await cmd('HINCRBYFLOAT', 'h', 'f', '-100000.3')).toBe('"0"');
    expect(await cmd('HINCRBYFLOAT', 'h', 'g', '5.0e3')).toBe('"5000"');
    expect(s.takePropagated()).toEqual([
      'HSET h f 0.1',
      'HSET h f 0.3',
      'HSET h f 100000.29999999999999716',
      'HSET h f 0',
      'HSET h g 5000',
    ]);
  });

  it('HINCRBYFLOAT errors', async () => {
    await cmd('HSET', 'h', 's', 'abc', 'i', 'inf');
    expect(await cmd('HINCRBYFLOAT', 'h', 'f', 'abc')).toBe('-ERR value is not a valid float');
    expect(await cmd('HINCRBYFLOAT', 'h', 'f', 'inf')).toBe('-ERR value is NaN or Infinity');
    expect(await cmd('HINCRBYFLOAT', 'h', 's', '1')).toBe('-ERR hash value is not a float');
    expect(await cmd('HINCRBYFLOAT', 'h', 'i', '1')).toBe('-ERR increment would produce NaN or Infinity');
    await cmd('HSET', 'h', 'big', '1e4932');
    expect(await cmd('HINCRBYFLOAT', 'h', 'big', '1e4932')).toBe(
      '-ERR increment would produce NaN or Infinity',
    );
  });
});

describe('HRANDFIELD', () => {
  beforeEach(async () => {
    await cmd('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
  });

  it('without count: one field, or nil', async () => {
    expect(['"a"', '"b"', '"c"']).toContain(await cmd('HRANDFIELD', 'h'));
    expect(await cmd('HRANDFIELD', 'missing')).toBe('nil');
  });

  it('positive counts are distinct fields, negative ones may repeat', async () => {
    const distinct = await s.client.call('HRANDFIELD', 'h', 2);
    expect(distinct.type).toBe('array');
    const fields = (distinct as { value: { value: string }[] }).value.map((r) => r.value);
    expect(new Set(fields).size).toBe(2);
    expect(await cmd('HRANDFIELD', 'h', 10)).toBe('["a", "b", "c"]');
    const repeated = (await s.client.call('HRANDFIELD', 'h', -20)) as { value: { value: string }[] };
    expect(repeated.value).toHaveLength(20);
    for (const r of repeated.value) expect(['a', 'b', 'c']).toContain(r.value);
    expect(await cmd('HRANDFIELD', 'h', 0)).toBe('[]');
    expect(await cmd('HRANDFIELD', 'missing', 3)).toBe('[]');
  });

  it('WITHVALUES: flat pairs in RESP2, nested pairs in RESP3', async () => {
    expect(await cmd('HRANDFIELD', 'h', 3, 'WITHVALUES')).toBe('["a", "1", "b", "2", "c", "3"]');
    const c = await RespClient.connect(s.port);
    try {
      await c.call('HELLO', '3');
      expect(show(await c.call('HRANDFIELD', 'h', 3, 'WITHVALUES'))).toBe(
        '[["a", "1"], ["b", "2"], ["c", "3"]]',
      );
      const one = show(await c.call('HRANDFIELD', 'h', -1, 'WITHVALUES'));
      expect(['[["a", "1"]]', '[["b", "2"]]', '[["c", "3"]]']).toContain(one);
    } finally {
      await c.close();
    }
  });

  it('errors', async () => {
    expect(await cmd('HRANDFIELD', 'h', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('HRANDFIELD', 'h', 1, 'foo')).toBe(SYNTAX);
    expect(await cmd('HRANDFIELD', 'h', 1, 'WITHVALUES', 'x')).toBe(SYNTAX);
    expect(await cmd('HRANDFIELD', 'h', '9223372036854775807', 'WITHVALUES')).toBe(
      '-ERR value is out of range',
    );
  });
});

describe('HSCAN', () => {
  it('a small hash comes back whole with cursor 0, filtered by MATCH', async () => {
    await cmd('HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3');
    expect(await cmd('HSCAN', 'h', 0)).toBe('["0", ["a1", "1", "b1", "2", "a2", "3"]]');
    expect(await cmd('HSCAN', 'h', 0, 'MATCH', 'a*', 'COUNT', 1)).toBe('["0", ["a1", "1", "a2", "3"]]');
    expect(await cmd('HSCAN', 'missing', 0, 'BOGUS')).toBe('["0", []]');
  });

  it('a big hash is iterated by cursor, every field exactly once', async () => {
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(`f${i}`, `${i}`);
    await cmd('HSET', 'big', ...args);
    const seen = new Map<string, string>();
    let cursor = '0';
    let rounds = 0;
    do {
      const reply = (await s.client.call('HSCAN', 'big', cursor, 'COUNT', 50)) as {
        value: [{ value: string }, { value: { value: string }[] }];
      };
      cursor = reply.value[0].value;
      const items = reply.value[1].value;
      for (let i = 0; i < items.length; i += 2) {
        expect(seen.has(items[i]!.value)).toBe(false);
        seen.set(items[i]!.value, items[i + 1]!.value);
      }
      rounds++;
    } while (cursor !== '0' && rounds < 100);
    expect(rounds).toBeGreaterThan(1);
    expect(seen.size).toBe(300);
    expect(seen.get('f42')).toBe('42');
  });

  it('errors', async () => {
    await cmd('HSET', 'h', 'a', '1');
    expect(await cmd('HSCAN', 'h', 'x')).toBe('-ERR invalid cursor');
    expect(await cmd('HSCAN', 'h', 0, 'COUNT', 0)).toBe(SYNTAX);
    expect(await cmd('HSCAN', 'h', 0, 'COUNT', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('HSCAN', 'h', 0, 'MATCH')).toBe(SYNTAX);
  });
});

describe('client libraries', () => {
  it('ioredis and node-redis (RESP3) read hashes', async () => {
    const io = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
    await io.connect();
    const nr = createClient({ socket: { port: s.port, host: '127.0.0.1' }, RESP: 3 });
    await nr.connect();
    try {
      expect(await io.hset('lib', { a: '1', b: '2' })).toBe(2);
      expect(await io.hgetall('lib')).toEqual({ a: '1', b: '2' });
      expect(await io.hincrbyfloat('lib', 'a', '0.5')).toBe('1.5');
      expect(await nr.hGetAll('lib')).toEqual({ a: '1.5', b: '2' });
      expect(await nr.hmGet('lib', ['a', 'zz'])).toEqual(['1.5', null]);
      expect(await nr.hLen('lib')).toBe(2);
    } finally {
      io.disconnect();
      await nr.quit();
    }
  });
});
