import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';
import { HashValue } from '../../src/keyspace/values.js';
import { type ClockedServer, START_MS, startClockedServer } from '../helpers/clocked-server.js';

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
  s.now = START_MS;
  // A list and a hash to provoke WRONGTYPE, planted directly so these tests do not depend on other families.
  s.server.dbs[0]!.add('list', ListValue.from(['a']));
  s.server.dbs[0]!.add('hash', new HashValue([['f', 'v']]));
});

describe('GET / SET', () => {
  it('round-trips binary values and answers nil for missing keys', async () => {
    expect(await cmd('SET', 'k', 'a\x00\xff\r\n')).toBe('+OK');
    expect(await cmd('GET', 'k')).toBe(JSON.stringify('a\x00\xff\r\n'));
    expect(await cmd('GET', 'missing')).toBe('nil');
    expect(await cmd('GET', 'list')).toBe(WRONGTYPE);
  });

  it('honours NX / XX / GET and their combinations', async () => {
    expect(await cmd('SET', 'k', 'v1', 'NX')).toBe('+OK');
    expect(await cmd('SET', 'k', 'v2', 'NX')).toBe('nil');
    expect(await cmd('SET', 'k', 'v2', 'nx', 'nx')).toBe('nil'); // repeating an option is allowed
    expect(await cmd('SET', 'other', 'v', 'XX')).toBe('nil');
    expect(await cmd('SET', 'k', 'v3', 'XX', 'GET')).toBe('"v1"');
    expect(await cmd('SET', 'k', 'v4', 'NX', 'GET')).toBe('"v3"'); // 7.0 allows NX with GET
    expect(await cmd('GET', 'k')).toBe('"v3"');
    expect(await cmd('SET', 'fresh', 'v', 'GET')).toBe('nil');
    expect(await cmd('SET', 'list', 'v', 'GET')).toBe(WRONGTYPE);
    expect(await cmd('GET', 'list')).toBe(WRONGTYPE); // not overwritten
    expect(await cmd('SET', 'k', 'v', 'NX', 'XX')).toBe(SYNTAX);
    expect(await cmd('SET', 'k', 'v', 'foo')).toBe(SYNTAX);
  });

  it('sets expiries with EX / PX / EXAT / PXAT and KEEPTTL, checking them after the syntax', async () => {
    expect(await cmd('SET', 'k', 'v', 'EX', 10)).toBe('+OK');
    expect(await cmd('PTTL', 'k')).toBe(':10000');
    expect(await cmd('SET', 'k', 'v', 'EX', 10, 'EX', 20)).toBe('+OK'); // last one wins
    expect(await cmd('TTL', 'k')).toBe(':20');
    expect(await cmd('SET', 'k', 'v', 'PX', 1500)).toBe('+OK');
    expect(await cmd('PTTL', 'k')).toBe(':1500');
    expect(await cmd('SET', 'k', 'v', 'EXAT', START_MS / 1000 + 30)).toBe('+OK');
    expect(await cmd('TTL', 'k')).toBe(':30');
    expect(await cmd('SET', 'k', 'v', 'PXAT', START_MS + 42)).toBe('+OK');
    expect(await cmd('PTTL', 'k')).toBe(':42');
    expect(await cmd('SET', 'k', 'w', 'KEEPTTL')).toBe('+OK');
    expect(await cmd('PTTL', 'k')).toBe(':42');
    expect(await cmd('SET', 'k', 'w')).toBe('+OK');
    expect(await cmd('PTTL', 'k')).toBe(':-1');
    expect(await cmd('SET', 'k', 'v', 'EX', 10, 'PX', 10)).toBe(SYNTAX);
    expect(await cmd('SET', 'k', 'v', 'KEEPTTL', 'EX', 10)).toBe(SYNTAX);
    expect(await cmd('SET', 'k', 'v', 'EX')).toBe(SYNTAX);
    expect(await cmd('SET', 'k', 'v', 'EX', 'abc', 'NX', 'XX')).toBe(SYNTAX);
    expect(await cmd('SET', 'k', 'v', 'EX', 'abc')).toBe(NOT_INTEGER);
    expect(await cmd('SET', 'k', 'v', 'EX', 0)).toBe("-ERR invalid expire time in 'set' command");
    expect(await cmd('SET', 'k', 'v', 'PX', -5)).toBe("-ERR invalid expire time in 'set' command");
    expect(await cmd('SET', 'k', 'v', 'EXAT', '9223372036854775807')).toBe(
      "-ERR invalid expire time in 'set' command",
    );
    expect(await cmd('SET', 'k', 'v', 'PX', '9223372036854775000')).toBe(
      "-ERR invalid expire time in 'set' command",
    );
  });

  it('expires keys when the clock passes their time', async () => {
    await cmd('SET', 'k', 'v', 'PX', 100);
    s.now += 99;
    expect(await cmd('GET', 'k')).toBe('"v"');
    s.now += 1;
    expect(await cmd('GET', 'k')).toBe('nil');
  });

  it('propagates expiries as SET ... PXAT and drops GET', async () => {
    await cmd('SET', 'k', 'v', 'EX', 100);
    await cmd('SET', 'k', 'v2', 'NX', 'EX', 100); // not applied: nothing propagated
    await cmd('set', 'k', 'v3', 'get', 'GET');
    await cmd('SET', 'k', 'v4', 'XX', 'KEEPTTL');
    expect(s.takePropagated()).toEqual([
      `SET k v PXAT ${START_MS + 100_000}`,
      'set k v3',
      'SET k v4 XX KEEPTTL',
    ]);
  });
});

describe('SETNX / SETEX / PSETEX', () => {
  it('SETNX answers 1 or 0', async () => {
    expect(await cmd('SETNX', 'k', 'a')).toBe(':1');
    expect(await cmd('SETNX', 'k', 'b')).toBe(':0');
    expect(await cmd('GET', 'k')).toBe('"a"');
    expect(await cmd('SETNX', 'list', 'b')).toBe(':0');
  });

  it('SETEX and PSETEX set value and TTL, propagated as SET PXAT', async () => {
    expect(await cmd('SETEX', 'k', 100, 'v')).toBe('+OK');
    expect(await cmd('PTTL', 'k')).toBe(':100000');
    expect(await cmd('PSETEX', 'p', 1234, 'v')).toBe('+OK');
    expect(await cmd('PTTL', 'p')).toBe(':1234');
    expect(await cmd('SETEX', 'list', 100, 'v')).toBe('+OK'); // overwrites any type
    expect(await cmd('SETEX', 'k', 0, 'v')).toBe("-ERR invalid expire time in 'setex' command");
    expect(await cmd('SETEX', 'k', -1, 'v')).toBe("-ERR invalid expire time in 'setex' command");
    expect(await cmd('PSETEX', 'k', '9223372036854775807', 'v')).toBe(
      "-ERR invalid expire time in 'psetex' command",
    );
    expect(await cmd('SETEX', 'k', 'x', 'v')).toBe(NOT_INTEGER);
    expect(await cmd('SETEX', 'k', 1)).toBe("-ERR wrong number of arguments for 'setex' command");
    expect(s.takePropagated()).toEqual([
      `SET k v PXAT ${START_MS + 100_000}`,
      `SET p v PXAT ${START_MS + 1234}`,
      `SET list v PXAT ${START_MS + 100_000}`,
    ]);
  });
});

describe('GETEX / GETDEL / GETSET', () => {
  it('GETEX sets, replaces or removes the TTL and propagates PEXPIREAT / PERSIST', async () => {
    await cmd('SET', 'k', 'v');
    expect(await cmd('GETEX', 'k')).toBe('"v"');
    expect(await cmd('GETEX', 'k', 'EX', 100)).toBe('"v"');
    expect(await cmd('TTL', 'k')).toBe(':100');
    expect(await cmd('GETEX', 'k', 'PX', 500)).toBe('"v"');
    expect(await cmd('PTTL', 'k')).toBe(':500');
    expect(await cmd('GETEX', 'k', 'PERSIST')).toBe('"v"');
    expect(await cmd('TTL', 'k')).toBe(':-1');
    expect(await cmd('GETEX', 'k', 'PERSIST')).toBe('"v"'); // no TTL: nothing changes, nothing propagated
    expect(await cmd('GETEX', 'k', 'EX', 10, 'EX', 20)).toBe('"v"');
    expect(await cmd('TTL', 'k')).toBe(':20');
    expect(s.takePropagated()).toEqual([
      'SET k v',
      `PEXPIREAT k ${START_MS + 100_000}`,
      `PEXPIREAT k ${START_MS + 500}`,
      'PERSIST k',
      `PEXPIREAT k ${START_MS + 20_000}`,
    ]);
  });

  it('GETEX with a past absolute time deletes the key and propagates DEL', async () => {
    await cmd('SET', 'k', 'v');
    s.takePropagated();
    expect(await cmd('GETEX', 'k', 'EXAT', 1)).toBe('"v"');
    expect(await cmd('EXISTS', 'k')).toBe(':0');
    expect(s.takePropagated()).toEqual(['DEL k']);
  });

  it('GETEX errors: syntax, wrong type, invalid time, missing key', async () => {
    await cmd('SET', 'k', 'v');
    expect(await cmd('GETEX', 'k', 'PERSIST', 'EX', 10)).toBe(SYNTAX);
    expect(await cmd('GETEX', 'k', 'EX', 10, 'PX', 10)).toBe(SYNTAX);
    expect(await cmd('GETEX', 'k', 'KEEPTTL')).toBe(SYNTAX);
    expect(await cmd('GETEX', 'k', 'NX')).toBe(SYNTAX);
    expect(await cmd('GETEX', 'k', 'foo')).toBe(SYNTAX);
    expect(await cmd('GETEX', 'k', 'EX', 0)).toBe("-ERR invalid expire time in 'getex' command");
    expect(await cmd('GETEX', 'k', 'EX', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('GETEX', 'list')).toBe(WRONGTYPE);
    expect(await cmd('GETEX', 'missing', 'EX', 10)).toBe('nil');
    // The time is only validated for an existing string.
    expect(await cmd('GETEX', 'missing', 'EX', 0)).toBe('nil');
  });

  it('GETDEL returns and deletes; propagated as DEL', async () => {
    await cmd('SET', 'k', 'v');
    s.takePropagated();
    expect(await cmd('GETDEL', 'k')).toBe('"v"');
    expect(await cmd('GETDEL', 'k')).toBe('nil');
    expect(await cmd('GETDEL', 'list')).toBe(WRONGTYPE);
    expect(s.takePropagated()).toEqual(['DEL k']);
  });

  it('GETSET replaces the value, clears the TTL, propagated as SET', async () => {
    expect(await cmd('GETSET', 'k', 'a')).toBe('nil');
    await cmd('EXPIRE', 'k', 100);
    expect(await cmd('GETSET', 'k', 'b')).toBe('"a"');
    expect(await cmd('TTL', 'k')).toBe(':-1');
    expect(await cmd('GETSET', 'list', 'b')).toBe(WRONGTYPE);
    expect(s.takePropagated()).toEqual(['SET k a', `PEXPIREAT k ${START_MS + 100_000}`, 'SET k b']);
  });
});

describe('MGET / MSET / MSETNX', () => {
  it('MGET answers nil for missing keys and other types', async () => {
    await cmd('MSET', 'a', '1', 'b', '2');
    expect(await cmd('MGET', 'a', 'b', 'nope', 'list')).toBe('["1", "2", nil, nil]');
  });

  it('MSET needs pairs; the last duplicate wins; it clears TTLs', async () => {
    expect(await cmd('MSET', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'mset' command");
    await cmd('SET', 'a', 'x', 'EX', 100);
    expect(await cmd('MSET', 'a', '1', 'a', '2', 'list', '3')).toBe('+OK');
    expect(await cmd('MGET', 'a', 'list')).toBe('["2", "3"]');
    expect(await cmd('TTL', 'a')).toBe(':-1');
  });

  it('MSETNX sets all or nothing', async () => {
    expect(await cmd('MSETNX', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'msetnx' command");
    expect(await cmd('MSETNX', 'a', '1', 'b', '2')).toBe(':1');
    expect(await cmd('MSETNX', 'b', '9', 'c', '3')).toBe(':0');
    expect(await cmd('MGET', 'a', 'b', 'c')).toBe('["1", "2", nil]');
    expect(await cmd('MSETNX', 'list', 'x')).toBe(':0');
  });
});

describe('INCR family', () => {
  it('counts in exact 64-bit arithmetic and keeps the TTL', async () => {
    expect(await cmd('INCR', 'n')).toBe(':1');
    expect(await cmd('INCRBY', 'n', 41)).toBe(':42');
    expect(await cmd('DECR', 'n')).toBe(':41');
    expect(await cmd('DECRBY', 'n', -9)).toBe(':50');
    await cmd('EXPIRE', 'n', 100);
    expect(await cmd('INCR', 'n')).toBe(':51');
    expect(await cmd('TTL', 'n')).toBe(':100');
    await cmd('SET', 'big', '9223372036854775806');
    expect(await cmd('INCR', 'big')).toBe(':9223372036854775807');
    expect(await cmd('INCR', 'big')).toBe('-ERR increment or decrement would overflow');
    await cmd('SET', 'small', '-9223372036854775808');
    expect(await cmd('DECR', 'small')).toBe('-ERR increment or decrement would overflow');
    expect(await cmd('DECRBY', 'n', '-9223372036854775808')).toBe('-ERR decrement would overflow');
  });

  it('refuses values and increments that are not canonical integers', async () => {
    for (const bad of ['-0', ' 1', '1 ', '+1', '01', '1.0', '', '9223372036854775808']) {
      await cmd('SET', 'v', bad);
      expect(await cmd('INCR', 'v')).toBe(NOT_INTEGER);
    }
    expect(await cmd('INCRBY', 'n', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('DECRBY', 'n', '1.5')).toBe(NOT_INTEGER);
    expect(await cmd('INCR', 'list')).toBe(WRONGTYPE);
  });
});

describe('INCRBYFLOAT', () => {
  it('computes in long double like Redis on x86-64', async () => {
    await cmd('SET', 'f', '0.1');
    expect(await cmd('INCRBYFLOAT', 'f', '0.2')).toBe('"0.3"'); // a double would say 0.30000000000000004
    expect(await cmd('INCRBYFLOAT', 'g', '3.0e3')).toBe('"3000"');
    expect(await cmd('INCRBYFLOAT', 'g', '-3000')).toBe('"0"');
    expect(await cmd('INCRBYFLOAT', 'g', '0x10')).toBe('"16"');
    expect(await cmd('INCRBYFLOAT', 'h', '1.23456789012345678901234')).toBe('"1.23456789012345679"');
    expect(await cmd('INCRBYFLOAT', 'i', '2.5e-18')).toBe('"0"');
    expect(await cmd('INCRBYFLOAT', 'j', '5e-18')).toBe('"0"'); // just below the rounding tie
    expect(await cmd('INCRBYFLOAT', 'k', '6e-18')).toBe('"0.00000000000000001"');
  });

  it('keeps the TTL and propagates SET key value KEEPTTL', async () => {
    await cmd('SET', 'f', '1', 'PX', 5000);
    s.takePropagated();
    expect(await cmd('INCRBYFLOAT', 'f', '1.5')).toBe('"2.5"');
    expect(await cmd('PTTL', 'f')).toBe(':5000');
    expect(s.takePropagated()).toEqual(['SET f 2.5 KEEPTTL']);
  });

  it('refuses invalid floats, NaN and infinities', async () => {
    await cmd('SET', 'f', 'abc');
    expect(await cmd('INCRBYFLOAT', 'f', '1')).toBe('-ERR value is not a valid float');
    expect(await cmd('INCRBYFLOAT', 'g', ' 1')).toBe('-ERR value is not a valid float');
    expect(await cmd('INCRBYFLOAT', 'g', 'nan')).toBe('-ERR value is not a valid float');
    expect(await cmd('INCRBYFLOAT', 'g', '1e5000')).toBe('-ERR value is not a valid float');
    expect(await cmd('INCRBYFLOAT', 'g', 'inf')).toBe('-ERR increment would produce NaN or Infinity');
    expect(await cmd('INCRBYFLOAT', 'list', '1')).toBe(WRONGTYPE);
    expect(await cmd('EXISTS', 'g')).toBe(':0');
  });
});

describe('APPEND / STRLEN / GETRANGE / SETRANGE', () => {
  it('APPEND creates (even empty) and extends', async () => {
    expect(await cmd('APPEND', 'k', 'ab')).toBe(':2');
    expect(await cmd('APPEND', 'k', 'cd')).toBe(':4');
    expect(await cmd('APPEND', 'e', '')).toBe(':0');
    expect(await cmd('EXISTS', 'e')).toBe(':1');
    expect(await cmd('APPEND', 'list', 'x')).toBe(WRONGTYPE);
  });

  it('STRLEN', async () => {
    await cmd('SET', 'k', 'hello');
    expect(await cmd('STRLEN', 'k')).toBe(':5');
    expect(await cmd('STRLEN', 'nope')).toBe(':0');
    expect(await cmd('STRLEN', 'list')).toBe(WRONGTYPE);
  });

  it('GETRANGE / SUBSTR clamp like Redis', async () => {
    await cmd('SET', 'k', 'Hello World');
    expect(await cmd('GETRANGE', 'k', 0, 4)).toBe('"Hello"');
    expect(await cmd('GETRANGE', 'k', -5, -1)).toBe('"World"');
    expect(await cmd('GETRANGE', 'k', -1, -5)).toBe('""');
    expect(await cmd('GETRANGE', 'k', 5, 1)).toBe('""');
    expect(await cmd('GETRANGE', 'k', 0, 100)).toBe('"Hello World"');
    expect(await cmd('GETRANGE', 'k', -100, 2)).toBe('"Hel"');
    expect(await cmd('GETRANGE', 'k', 3, -100)).toBe('""');
    expect(await cmd('GETRANGE', 'k', '-9223372036854775808', '9223372036854775807')).toBe('"Hello World"');
    expect(await cmd('SUBSTR', 'k', 6, 7)).toBe('"Wo"');
    expect(await cmd('GETRANGE', 'nope', 0, -1)).toBe('""');
    expect(await cmd('GETRANGE', 'k', 'x', 1)).toBe(NOT_INTEGER);
    expect(await cmd('GETRANGE', 'list', 0, 1)).toBe(WRONGTYPE);
  });

  it('SETRANGE overwrites, pads with zero bytes, and checks offsets', async () => {
    await cmd('SET', 'k', 'Hello World');
    expect(await cmd('SETRANGE', 'k', 6, 'Redis')).toBe(':11');
    expect(await cmd('GET', 'k')).toBe('"Hello Redis"');
    expect(await cmd('SETRANGE', 'pad', 3, 'x')).toBe(':4');
    expect(await cmd('GET', 'pad')).toBe(JSON.stringify('\0\0\0x'));
    expect(await cmd('SETRANGE', 'none', 3, '')).toBe(':0');
    expect(await cmd('EXISTS', 'none')).toBe(':0');
    expect(await cmd('SETRANGE', 'k', 100, '')).toBe(':11');
    expect(await cmd('SETRANGE', 'k', -1, 'x')).toBe('-ERR offset is out of range');
    expect(await cmd('SETRANGE', 'k', 'x', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('SETRANGE', 'k', 536870911, 'xx')).toBe(
      '-ERR string exceeds maximum allowed size (proto-max-bulk-len)',
    );
    expect(await cmd('SETRANGE', 'list', 0, 'x')).toBe(WRONGTYPE);
  });
});

describe('LCS', () => {
  beforeEach(async () => {
    await cmd('MSET', 'a', 'ohmytext', 'b', 'mynewtext');
  });

  it('answers the string, its length, or the match ranges', async () => {
    expect(await cmd('LCS', 'a', 'b')).toBe('"mytext"');
    expect(await cmd('LCS', 'a', 'b', 'LEN')).toBe(':6');
    expect(await cmd('LCS', 'a', 'b', 'IDX')).toBe(
      '["matches", [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], "len", :6]',
    );
    expect(await cmd('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', 4, 'WITHMATCHLEN')).toBe(
      '["matches", [[[:4, :7], [:5, :8], :4]], "len", :6]',
    );
    expect(await cmd('LCS', 'a', 'missing')).toBe('""');
    expect(await cmd('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', -5)).toBe(
      '["matches", [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], "len", :6]',
    );
  });

  it('answers IDX as a map in RESP3', async () => {
    expect(await cmd('HELLO', 3)).toMatch(/^\{/);
    expect(await cmd('LCS', 'a', 'b', 'IDX')).toBe(
      '{"matches": [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], "len": :6}',
    );
    await cmd('HELLO', 2);
  });

  it('errors', async () => {
    expect(await cmd('LCS', 'a', 'b', 'LEN', 'IDX')).toBe(
      '-ERR If you want both the length and indexes, please just use IDX.',
    );
    expect(await cmd('LCS', 'a', 'list')).toBe('-ERR The specified keys must contain string values');
    expect(await cmd('LCS', 'a', 'b', 'MINMATCHLEN')).toBe(SYNTAX);
    expect(await cmd('LCS', 'a', 'b', 'MINMATCHLEN', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('LCS', 'a', 'b', 'foo')).toBe(SYNTAX);
  });
});

describe('through ioredis', () => {
  it('binary values and the usual client calls work', async () => {
    const r = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
    await r.connect();
    try {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      await r.set('bin', bytes);
      expect(await r.getBuffer('bin')).toEqual(bytes);
      expect(await r.incrbyfloat('fl', '10.5')).toBe('10.5');
      expect(await r.mget('bin', 'fl', 'nope')).toEqual([bytes.toString('utf8'), '10.5', null]);
      await expect(r.incr('bin')).rejects.toThrow('ERR value is not an integer or out of range');
    } finally {
      r.disconnect();
    }
  });
});
