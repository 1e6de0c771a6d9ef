import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HashValue } from '../../src/keyspace/values.js';
import { type ClockedServer, startClockedServer } from '../helpers/clocked-server.js';
import { RespClient, show } from '../helpers/resp-client.js';

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = '-ERR value is not an integer or out of range';
const MUST_BE_POSITIVE = '-ERR value is out of range, must be positive';
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
  // A hash to provoke WRONGTYPE, planted directly so these tests do not depend on the hash family.
  s.server.dbs[0]!.add('hash', new HashValue([['f', 'v']]));
});

describe('LPUSH / RPUSH / LPUSHX / RPUSHX', () => {
  it('push in argument order at each end and answer the new length', async () => {
    expect(await cmd('RPUSH', 'l', 'a', 'b')).toBe(':2');
    expect(await cmd('LPUSH', 'l', 'x', 'y')).toBe(':4');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["y", "x", "a", "b"]');
    expect(await cmd('RPUSH', 'l', 'bin\x00\xff')).toBe(':5');
    expect(await cmd('LINDEX', 'l', -1)).toBe(JSON.stringify('bin\x00\xff'));
    expect(s.takePropagated()).toEqual(['RPUSH l a b', 'LPUSH l x y', 'RPUSH l bin\x00\xff']);
  });

  it('the X forms only push onto an existing list', async () => {
    expect(await cmd('LPUSHX', 'l', 'a')).toBe(':0');
    expect(await cmd('RPUSHX', 'l', 'a')).toBe(':0');
    expect(await cmd('EXISTS', 'l')).toBe(':0');
    expect(s.takePropagated()).toEqual([]);
    await cmd('RPUSH', 'l', 'm');
    expect(await cmd('LPUSHX', 'l', 'h1', 'h2')).toBe(':3');
    expect(await cmd('RPUSHX', 'l', 't')).toBe(':4');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["h2", "h1", "m", "t"]');
  });

  it('refuse other types and wrong arity', async () => {
    for (const name of ['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']) {
      expect(await cmd(name, 'hash', 'a')).toBe(WRONGTYPE);
      expect(await cmd(name, 'l')).toBe(`-ERR wrong number of arguments for '${name.toLowerCase()}' command`);
    }
  });
});

describe('LPOP / RPOP', () => {
  beforeEach(async () => {
    await cmd('RPUSH', 'l', 'a', 'b', 'c', 'd');
  });

  it('pop one element as a bulk, and delete the emptied list', async () => {
    expect(await cmd('LPOP', 'l')).toBe('"a"');
    expect(await cmd('RPOP', 'l')).toBe('"d"');
    expect(await cmd('LPOP', 'missing')).toBe('nil');
    await cmd('LPOP', 'l');
    await cmd('LPOP', 'l');
    expect(await cmd('EXISTS', 'l')).toBe(':0');
  });

  it('with a count answer an array in popping order, clamped to the length', async () => {
    expect(await cmd('LPOP', 'l', 2)).toBe('["a", "b"]');
    expect(await cmd('RPOP', 'l', 10)).toBe('["d", "c"]');
    expect(await cmd('EXISTS', 'l')).toBe(':0');
  });

  it('null shapes: a missing key with a count is a null array, a count of 0 an empty array', async () => {
    expect(await cmd('LPOP', 'missing', 2)).toBe('nil*');
    expect(await cmd('RPOP', 'missing', 0)).toBe('nil*');
    expect(await cmd('LPOP', 'l', 0)).toBe('[]');
    expect(await cmd('LLEN', 'l')).toBe(':4');
  });

  it('check the count before the key, and the type', async () => {
    expect(await cmd('LPOP', 'l', -1)).toBe(MUST_BE_POSITIVE);
    expect(await cmd('LPOP', 'missing', 'x')).toBe(MUST_BE_POSITIVE);
    expect(await cmd('LPOP', 'l', 1, 2)).toBe("-ERR wrong number of arguments for 'lpop' command");
    expect(await cmd('RPOP', 'hash')).toBe(WRONGTYPE);
    expect(await cmd('RPOP', 'hash', 0)).toBe(WRONGTYPE);
  });

  it('propagate verbatim, and nothing when nothing was popped', async () => {
    s.takePropagated();
    await cmd('LPOP', 'l', 2);
    await cmd('LPOP', 'l', 0);
    await cmd('LPOP', 'missing');
    expect(s.takePropagated()).toEqual(['LPOP l 2']);
  });
});

describe('LLEN / LRANGE / LINDEX', () => {
  beforeEach(async () => {
    await cmd('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
  });

  it('LRANGE clamps Redis-style indexes', async () => {
    expect(await cmd('LRANGE', 'l', 1, 2)).toBe('["b", "c"]');
    expect(await cmd('LRANGE', 'l', -2, -1)).toBe('["d", "e"]');
    expect(await cmd('LRANGE', 'l', -100, 100)).toBe('["a", "b", "c", "d", "e"]');
    expect(await cmd('LRANGE', 'l', 3, 1)).toBe('[]');
    expect(await cmd('LRANGE', 'l', 5, 10)).toBe('[]');
    expect(await cmd('LRANGE', 'missing', 0, -1)).toBe('[]');
  });

  it('LRANGE parses the indexes before looking at the key', async () => {
    expect(await cmd('LRANGE', 'missing', 'x', 1)).toBe(NOT_INTEGER);
    expect(await cmd('LRANGE', 'hash', 0, 'y')).toBe(NOT_INTEGER);
    expect(await cmd('LRANGE', 'hash', 0, 1)).toBe(WRONGTYPE);
  });

  it('LINDEX looks the key up before parsing the index', async () => {
    expect(await cmd('LINDEX', 'l', 0)).toBe('"a"');
    expect(await cmd('LINDEX', 'l', -1)).toBe('"e"');
    expect(await cmd('LINDEX', 'l', 5)).toBe('nil');
    expect(await cmd('LINDEX', 'l', -6)).toBe('nil');
    expect(await cmd('LINDEX', 'missing', 'x')).toBe('nil');
    expect(await cmd('LINDEX', 'l', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('LINDEX', 'hash', 0)).toBe(WRONGTYPE);
  });

  it('LLEN', async () => {
    expect(await cmd('LLEN', 'l')).toBe(':5');
    expect(await cmd('LLEN', 'missing')).toBe(':0');
    expect(await cmd('LLEN', 'hash')).toBe(WRONGTYPE);
  });
});

describe('LSET / LINSERT / LREM / LTRIM', () => {
  beforeEach(async () => {
    await cmd('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a');
  });

  it('LSET replaces by index, with its two errors', async () => {
    expect(await cmd('LSET', 'l', -1, 'z')).toBe('+OK');
    expect(await cmd('LSET', 'l', 0, 'y')).toBe('+OK');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["y", "b", "a", "c", "z"]');
    expect(await cmd('LSET', 'l', 5, 'x')).toBe('-ERR index out of range');
    expect(await cmd('LSET', 'l', -6, 'x')).toBe('-ERR index out of range');
    expect(await cmd('LSET', 'missing', 0, 'x')).toBe('-ERR no such key');
    expect(await cmd('LSET', 'l', 'x', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('LSET', 'hash', 0, 'x')).toBe(WRONGTYPE);
  });

  it('LINSERT before/after the first pivot, -1 without pivot, 0 without key', async () => {
    expect(await cmd('LINSERT', 'l', 'BEFORE', 'a', 'x')).toBe(':6');
    expect(await cmd('LINSERT', 'l', 'after', 'c', 'y')).toBe(':7');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["x", "a", "b", "a", "c", "y", "a"]');
    expect(await cmd('LINSERT', 'l', 'after', 'nope', 'y')).toBe(':-1');
    expect(await cmd('LINSERT', 'missing', 'after', 'a', 'y')).toBe(':0');
    expect(await cmd('LINSERT', 'l', 'middle', 'a', 'y')).toBe(SYNTAX);
    expect(await cmd('LINSERT', 'hash', 'before', 'a', 'y')).toBe(WRONGTYPE);
  });

  it('LREM from the head, from the tail, or all', async () => {
    expect(await cmd('LREM', 'l', -1, 'a')).toBe(':1');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["a", "b", "a", "c"]');
    expect(await cmd('LREM', 'l', 1, 'a')).toBe(':1');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["b", "a", "c"]');
    expect(await cmd('LREM', 'l', 0, 'zz')).toBe(':0');
    await cmd('RPUSH', 'm', 'q', 'q');
    expect(await cmd('LREM', 'm', 0, 'q')).toBe(':2');
    expect(await cmd('EXISTS', 'm')).toBe(':0');
    expect(await cmd('LREM', 'missing', 0, 'q')).toBe(':0');
    expect(await cmd('LREM', 'l', 'x', 'a')).toBe(NOT_INTEGER);
    expect(await cmd('LREM', 'hash', 0, 'a')).toBe(WRONGTYPE);
  });

  it('LTRIM keeps a range, deletes an emptied list, and only propagates real trims', async () => {
    s.takePropagated();
    expect(await cmd('LTRIM', 'l', 1, -2)).toBe('+OK');
    expect(await cmd('LRANGE', 'l', 0, -1)).toBe('["b", "a", "c"]');
    expect(await cmd('LTRIM', 'l', 0, 100)).toBe('+OK');
    expect(await cmd('LTRIM', 'l', 2, 1)).toBe('+OK');
    expect(await cmd('EXISTS', 'l')).toBe(':0');
    expect(await cmd('LTRIM', 'missing', 0, 1)).toBe('+OK');
    expect(s.takePropagated()).toEqual(['LTRIM l 1 -2', 'LTRIM l 2 1']);
    expect(await cmd('LTRIM', 'missing', 'x', 1)).toBe(NOT_INTEGER);
    expect(await cmd('LTRIM', 'hash', 0, 1)).toBe(WRONGTYPE);
  });
});

describe('LPOS', () => {
  beforeEach(async () => {
    await cmd('RPUSH', 'l', 'a', 'b', 'c', 'b', 'a', 'b');
  });

  it('finds matches by RANK, COUNT and MAXLEN', async () => {
    expect(await cmd('LPOS', 'l', 'b')).toBe(':1');
    expect(await cmd('LPOS', 'l', 'b', 'RANK', 2)).toBe(':3');
    expect(await cmd('LPOS', 'l', 'b', 'RANK', -1)).toBe(':5');
    expect(await cmd('LPOS', 'l', 'b', 'RANK', -2)).toBe(':3');
    expect(await cmd('LPOS', 'l', 'b', 'COUNT', 0)).toBe('[:1, :3, :5]');
    expect(await cmd('LPOS', 'l', 'b', 'COUNT', 2, 'RANK', -1)).toBe('[:5, :3]');
    expect(await cmd('LPOS', 'l', 'b', 'COUNT', 0, 'MAXLEN', 4)).toBe('[:1, :3]');
    expect(await cmd('LPOS', 'l', 'z')).toBe('nil');
    expect(await cmd('LPOS', 'l', 'z', 'COUNT', 1)).toBe('[]');
    expect(await cmd('LPOS', 'missing', 'z')).toBe('nil');
    expect(await cmd('LPOS', 'missing', 'z', 'COUNT', 1)).toBe('[]');
    // -LONG_MIN overflows in C: every match qualifies, scanning from the tail.
    expect(await cmd('LPOS', 'l', 'a', 'RANK', '-9223372036854775808')).toBe(':4');
    expect(await cmd('LPOS', 'l', 'a', 'RANK', '-9223372036854775807')).toBe('nil');
  });

  it('errors, in option order', async () => {
    expect(await cmd('LPOS', 'l', 'b', 'RANK', 0)).toBe(
      "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
    expect(await cmd('LPOS', 'l', 'b', 'COUNT', -1)).toBe("-ERR COUNT can't be negative");
    expect(await cmd('LPOS', 'l', 'b', 'COUNT', 'x')).toBe("-ERR COUNT can't be negative");
    expect(await cmd('LPOS', 'l', 'b', 'MAXLEN', -1)).toBe("-ERR MAXLEN can't be negative");
    expect(await cmd('LPOS', 'l', 'b', 'RANK', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('LPOS', 'l', 'b', 'RANK')).toBe(SYNTAX);
    expect(await cmd('LPOS', 'hash', 'b', 'FOO', 1)).toBe(SYNTAX);
    expect(await cmd('LPOS', 'hash', 'b')).toBe(WRONGTYPE);
  });
});

describe('LMOVE / RPOPLPUSH', () => {
  it('moves between ends, creating the destination and deleting an emptied source', async () => {
    await cmd('RPUSH', 'src', 'a', 'b', 'c');
    expect(await cmd('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT')).toBe('"a"');
    expect(await cmd('LMOVE', 'src', 'dst', 'right', 'left')).toBe('"c"');
    expect(await cmd('RPOPLPUSH', 'src', 'dst')).toBe('"b"');
    expect(await cmd('EXISTS', 'src')).toBe(':0');
    expect(await cmd('LRANGE', 'dst', 0, -1)).toBe('["b", "c", "a"]');
    expect(await cmd('LMOVE', 'src', 'dst', 'LEFT', 'LEFT')).toBe('nil');
    expect(await cmd('RPOPLPUSH', 'src', 'dst')).toBe('nil');
    expect(s.takePropagated()).toEqual([
      'RPUSH src a b c',
      'LMOVE src dst LEFT RIGHT',
      'LMOVE src dst right left',
      'RPOPLPUSH src dst',
    ]);
  });

  it('rotates a list onto itself, even a single element one', async () => {
    await cmd('RPUSH', 'r', 'a', 'b', 'c');
    expect(await cmd('RPOPLPUSH', 'r', 'r')).toBe('"c"');
    expect(await cmd('LRANGE', 'r', 0, -1)).toBe('["c", "a", "b"]');
    await cmd('RPUSH', 'one', 'x');
    expect(await cmd('LMOVE', 'one', 'one', 'LEFT', 'RIGHT')).toBe('"x"');
    expect(await cmd('LRANGE', 'one', 0, -1)).toBe('["x"]');
  });

  it('checks directions first, then the source, then the destination type', async () => {
    await cmd('RPUSH', 'src', 'a');
    expect(await cmd('LMOVE', 'src', 'dst', 'UP', 'LEFT')).toBe(SYNTAX);
    expect(await cmd('LMOVE', 'src', 'dst', 'LEFT', 'DOWN')).toBe(SYNTAX);
    expect(await cmd('LMOVE', 'hash', 'dst', 'LEFT', 'LEFT')).toBe(WRONGTYPE);
    expect(await cmd('LMOVE', 'src', 'hash', 'LEFT', 'LEFT')).toBe(WRONGTYPE);
    expect(await cmd('LMOVE', 'missing', 'hash', 'LEFT', 'LEFT')).toBe('nil');
    expect(await cmd('LLEN', 'src')).toBe(':1');
  });
});

describe('LMPOP', () => {
  it('pops from the first non-empty list and propagates LPOP/RPOP with the popped count', async () => {
    await cmd('RPUSH', 'b', '1', '2', '3');
    s.takePropagated();
    expect(await cmd('LMPOP', 2, 'a', 'b', 'LEFT')).toBe('["b", ["1"]]');
    expect(await cmd('LMPOP', 2, 'a', 'b', 'RIGHT', 'COUNT', 10)).toBe('["b", ["3", "2"]]');
    expect(await cmd('LMPOP', 2, 'a', 'b', 'RIGHT')).toBe('nil*');
    expect(s.takePropagated()).toEqual(['LPOP b 1', 'RPOP b 2']);
    expect(await cmd('EXISTS', 'b')).toBe(':0');
  });

  it('argument errors as Redis words them', async () => {
    expect(await cmd('LMPOP', 0, 'a', 'LEFT')).toBe('-ERR numkeys should be greater than 0');
    expect(await cmd('LMPOP', 'x', 'a', 'LEFT')).toBe('-ERR numkeys should be greater than 0');
    expect(await cmd('LMPOP', 3, 'a', 'LEFT')).toBe(SYNTAX);
    expect(await cmd('LMPOP', 1, 'a', 'MIDDLE')).toBe(SYNTAX);
    expect(await cmd('LMPOP', 1, 'a', 'LEFT', 'COUNT', 0)).toBe('-ERR count should be greater than 0');
    expect(await cmd('LMPOP', 1, 'a', 'LEFT', 'COUNT', 1, 'COUNT', 1)).toBe(SYNTAX);
    expect(await cmd('LMPOP', 1, 'a', 'LEFT', 'COUNT')).toBe(SYNTAX);
    expect(await cmd('LMPOP', 2, 'a', 'hash', 'LEFT')).toBe(WRONGTYPE);
    expect(await cmd('LMPOP', 1, 'a')).toBe("-ERR wrong number of arguments for 'lmpop' command");
  });
});

describe('RESP3 and client libraries', () => {
  it('RESP3 nulls are `_` for both the bulk and the array forms', async () => {
    const c = await RespClient.connect(s.port);
    try {
      await c.call('HELLO', '3');
      expect(show(await c.call('LPOP', 'missing'))).toBe('nil');
      expect(show(await c.call('LPOP', 'missing', 1))).toBe('nil');
      expect(show(await c.call('LMPOP', 1, 'missing', 'LEFT'))).toBe('nil');
      await c.call('RPUSH', 'l', 'a');
      expect(show(await c.call('LPOP', 'l', 0))).toBe('[]');
    } finally {
      await c.close();
    }
  });

  it('works through ioredis and node-redis (RESP3)', async () => {
    const io = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
    await io.connect();
    const nr = createClient({ socket: { port: s.port, host: '127.0.0.1' }, RESP: 3 });
    await nr.connect();
    try {
      expect(await io.rpush('lib', 'a', 'b', 'c')).toBe(3);
      expect(await io.lpop('lib', 2)).toEqual(['a', 'b']);
      expect(await io.lpop('nolib', 2)).toBeNull();
      expect(await io.lpos('lib', 'c')).toBe(0);
      expect(await nr.lPush('nr', ['x', 'y'])).toBe(2);
      expect(await nr.lRange('nr', 0, -1)).toEqual(['y', 'x']);
      expect(await nr.lmPop(['none', 'nr'], 'RIGHT', { COUNT: 5 })).toEqual(['nr', ['x', 'y']]);
      expect(await nr.lPop('nr')).toBeNull();
    } finally {
      io.disconnect();
      await nr.quit();
    }
  });
});
