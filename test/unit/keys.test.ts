import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { encodingOf, noteGrowth } from '../../src/keyspace/encoding.js';
import { ListValue } from '../../src/keyspace/list.js';
import { HashValue, SetValue, SortedSetValue } from '../../src/keyspace/values.js';
import { type ClockedServer, START_MS, startClockedServer } from '../helpers/clocked-server.js';

const NOT_INTEGER = '-ERR value is not an integer or out of range';
const SYNTAX = '-ERR syntax error';

let s: ClockedServer;
const cmd = (...args: (string | number)[]) => s.cmd(...args);
const db0 = () => s.server.dbs[0]!;

beforeAll(async () => {
  s = await startClockedServer();
});
afterAll(async () => {
  await s?.close();
});
beforeEach(async () => {
  s.server.config.set('maxmemory-policy', ['noeviction']);
  s.reset();
  s.now = START_MS;
  await cmd('SELECT', 0);
});

describe('DEL / UNLINK / EXISTS / TOUCH / TYPE', () => {
  it('counts what existed and propagates only real deletions', async () => {
    await cmd('MSET', 'a', '1', 'b', '2');
    s.takePropagated();
    expect(await cmd('EXISTS', 'a', 'a', 'b', 'nope')).toBe(':3');
    expect(await cmd('TOUCH', 'a', 'nope', 'b')).toBe(':2');
    expect(await cmd('DEL', 'a', 'nope')).toBe(':1');
    expect(await cmd('UNLINK', 'b', 'b')).toBe(':1');
    expect(await cmd('DEL', 'nope')).toBe(':0');
    expect(s.takePropagated()).toEqual(['DEL a nope', 'UNLINK b b']);
  });

  it('TYPE names every type as a status reply', async () => {
    await cmd('SET', 's', 'v');
    db0().add('l', ListValue.from(['x']));
    db0().add('h', new HashValue([['f', 'v']]));
    db0().add('st', new SetValue(['m']));
    const z = new SortedSetValue();
    z.add('m', 1);
    db0().add('z', z);
    const types = [];
    for (const k of ['s', 'l', 'h', 'st', 'z', 'nope']) types.push(await cmd('TYPE', k));
    expect(types).toEqual(['+string', '+list', '+hash', '+set', '+zset', '+none']);
  });
});

describe('EXPIRE family', () => {
  it('sets relative and absolute TTLs and propagates PEXPIREAT with the flags', async () => {
    await cmd('SET', 'k', 'v');
    s.takePropagated();
    expect(await cmd('EXPIRE', 'k', 100)).toBe(':1');
    expect(await cmd('PTTL', 'k')).toBe(':100000');
    expect(await cmd('PEXPIRE', 'k', 1500, 'XX')).toBe(':1');
    expect(await cmd('PTTL', 'k')).toBe(':1500');
    expect(await cmd('EXPIREAT', 'k', START_MS / 1000 + 50)).toBe(':1');
    expect(await cmd('TTL', 'k')).toBe(':50');
    expect(await cmd('pexpireat', 'k', START_MS + 7000, 'gt')).toBe(':0');
    expect(await cmd('pexpireat', 'k', START_MS + 70000, 'gt')).toBe(':1');
    expect(await cmd('EXPIRE', 'nope', 100)).toBe(':0');
    expect(s.takePropagated()).toEqual([
      `PEXPIREAT k ${START_MS + 100_000}`,
      `PEXPIREAT k ${START_MS + 1500} XX`,
      `PEXPIREAT k ${START_MS + 50_000}`,
      `pexpireat k ${START_MS + 70000} gt`,
    ]);
  });

  it('applies NX / XX / GT / LT, a missing TTL counting as infinite', async () => {
    await cmd('SET', 'k', 'v');
    expect(await cmd('EXPIRE', 'k', 100, 'XX')).toBe(':0');
    expect(await cmd('EXPIRE', 'k', 100, 'GT')).toBe(':0');
    expect(await cmd('EXPIRE', 'k', 100, 'LT')).toBe(':1');
    expect(await cmd('EXPIRE', 'k', 200, 'NX')).toBe(':0');
    expect(await cmd('EXPIRE', 'k', 50, 'GT')).toBe(':0');
    expect(await cmd('EXPIRE', 'k', 300, 'GT')).toBe(':1');
    expect(await cmd('EXPIRE', 'k', 300, 'LT')).toBe(':0');
    expect(await cmd('EXPIRE', 'k', 20, 'LT', 'XX')).toBe(':1');
    expect(await cmd('TTL', 'k')).toBe(':20');
  });

  it('deletes the key for a time in the past and propagates DEL', async () => {
    await cmd('SET', 'k', 'v');
    await cmd('SET', 'j', 'v');
    s.takePropagated();
    expect(await cmd('EXPIRE', 'k', -1)).toBe(':1');
    expect(await cmd('EXISTS', 'k')).toBe(':0');
    expect(await cmd('PEXPIREAT', 'j', START_MS)).toBe(':1');
    expect(await cmd('EXISTS', 'j')).toBe(':0');
    expect(s.takePropagated()).toEqual(['DEL k', 'DEL j']);
  });

  it('reports the exact Redis 7.0 errors, options before the number', async () => {
    await cmd('SET', 'k', 'v');
    expect(await cmd('EXPIRE', 'k', 1, 'NX', 'XX')).toBe(
      '-ERR NX and XX, GT or LT options at the same time are not compatible',
    );
    expect(await cmd('EXPIRE', 'k', 1, 'NX', 'GT')).toBe(
      '-ERR NX and XX, GT or LT options at the same time are not compatible',
    );
    expect(await cmd('EXPIRE', 'k', 1, 'GT', 'LT')).toBe(
      '-ERR GT and LT options at the same time are not compatible',
    );
    expect(await cmd('EXPIRE', 'k', 'abc', 'Foo')).toBe('-ERR Unsupported option Foo');
    expect(await cmd('EXPIRE', 'k', 'abc')).toBe(NOT_INTEGER);
    expect(await cmd('EXPIRE', 'k', '9223372036854776')).toBe("-ERR invalid expire time in 'expire' command");
    expect(await cmd('EXPIRE', 'k', '-9223372036854776')).toBe(
      "-ERR invalid expire time in 'expire' command",
    );
    expect(await cmd('EXPIRE', 'k', '9223372036854775')).toBe("-ERR invalid expire time in 'expire' command");
    expect(await cmd('PEXPIRE', 'k', '9223372036854775807')).toBe(
      "-ERR invalid expire time in 'pexpire' command",
    );
    expect(await cmd('EXPIREAT', 'k', '9223372036854776')).toBe(
      "-ERR invalid expire time in 'expireat' command",
    );
    expect(await cmd('EXPIRE', 'k')).toBe("-ERR wrong number of arguments for 'expire' command");
    // Overflow is detected even for a missing key.
    expect(await cmd('EXPIRE', 'nope', '9223372036854776')).toBe(
      "-ERR invalid expire time in 'expire' command",
    );
  });

  it('TTL / PTTL / EXPIRETIME / PEXPIRETIME and PERSIST', async () => {
    await cmd('SET', 'k', 'v', 'PX', 1499);
    await cmd('SET', 'p', 'v');
    expect(await cmd('TTL', 'k')).toBe(':1'); // rounded to the nearest second
    s.now += 1;
    expect(await cmd('TTL', 'k')).toBe(':1');
    expect(await cmd('PTTL', 'k')).toBe(':1498');
    expect(await cmd('PEXPIRETIME', 'k')).toBe(`:${START_MS + 1499}`);
    expect(await cmd('EXPIRETIME', 'k')).toBe(`:${Math.trunc((START_MS + 1499 + 500) / 1000)}`);
    expect(await cmd('TTL', 'p')).toBe(':-1');
    expect(await cmd('EXPIRETIME', 'p')).toBe(':-1');
    expect(await cmd('TTL', 'nope')).toBe(':-2');
    expect(await cmd('PEXPIRETIME', 'nope')).toBe(':-2');
    s.takePropagated();
    expect(await cmd('PERSIST', 'k')).toBe(':1');
    expect(await cmd('PERSIST', 'k')).toBe(':0');
    expect(await cmd('PERSIST', 'nope')).toBe(':0');
    expect(await cmd('TTL', 'k')).toBe(':-1');
    expect(s.takePropagated()).toEqual(['PERSIST k']);
  });
});

describe('KEYS / RANDOMKEY', () => {
  it('KEYS matches globs and skips logically expired keys', async () => {
    await cmd('MSET', 'hello', '1', 'hallo', '2', 'hxllo', '3', 'world', '4', 'h[x]', '5');
    await cmd('SET', 'hullo', 'v', 'PX', 10);
    s.now += 10;
    expect(await cmd('KEYS', 'nomatch*')).toBe('[]');
    const all = (await cmd('KEYS', '*')).slice(1, -1).split(', ').sort();
    expect(all).toEqual(['"h[x]"', '"hallo"', '"hello"', '"hxllo"', '"world"']);
    expect((await cmd('KEYS', 'h[ae]llo')).slice(1, -1).split(', ').sort()).toEqual(['"hallo"', '"hello"']);
    expect((await cmd('KEYS', 'h[^e]llo')).slice(1, -1).split(', ').sort()).toEqual(['"hallo"', '"hxllo"']);
    expect(await cmd('KEYS', 'h\\[x\\]')).toBe('["h[x]"]');
    expect(await cmd('KEYS', 'w?rld')).toBe('["world"]');
  });

  it('RANDOMKEY answers nil on an empty db and only live keys otherwise', async () => {
    expect(await cmd('RANDOMKEY')).toBe('nil');
    await cmd('SET', 'only', 'v');
    expect(await cmd('RANDOMKEY')).toBe('"only"');
    await cmd('SET', 'gone', 'v', 'PX', 5);
    s.now += 5;
    for (let i = 0; i < 20; i++) expect(await cmd('RANDOMKEY')).toBe('"only"');
  });

  it('RANDOMKEY reaches every key of a large db', async () => {
    const n = 1000;
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(`k${i}`, 'v');
    await cmd('MSET', ...args);
    const seen = new Set<string>();
    for (let i = 0; i < 20 * n && seen.size < n; i++) seen.add(await cmd('RANDOMKEY'));
    expect(seen.size).toBe(n);
  });
});

describe('RENAME / RENAMENX / MOVE / COPY', () => {
  it('RENAME moves value and TTL, overwriting the target', async () => {
    await cmd('SET', 'a', '1', 'EX', 100);
    await cmd('SET', 'b', '2');
    expect(await cmd('RENAME', 'a', 'b')).toBe('+OK');
    expect(await cmd('GET', 'b')).toBe('"1"');
    expect(await cmd('TTL', 'b')).toBe(':100');
    expect(await cmd('EXISTS', 'a')).toBe(':0');
    expect(await cmd('RENAME', 'a', 'c')).toBe('-ERR no such key');
    expect(await cmd('RENAME', 'b', 'b')).toBe('+OK');
    expect(await cmd('RENAMENX', 'b', 'b')).toBe(':0');
    expect(await cmd('RENAMENX', 'nope', 'b')).toBe('-ERR no such key');
  });

  it('RENAMENX only renames onto a free name', async () => {
    await cmd('MSET', 'a', '1', 'b', '2');
    expect(await cmd('RENAMENX', 'a', 'b')).toBe(':0');
    expect(await cmd('RENAMENX', 'a', 'c')).toBe(':1');
    expect(await cmd('MGET', 'a', 'b', 'c')).toBe('[nil, "2", "1"]');
  });

  it('MOVE moves to another db with its TTL, never overwriting', async () => {
    await cmd('SET', 'k', 'v', 'EX', 100);
    expect(await cmd('MOVE', 'k', 1)).toBe(':1');
    expect(await cmd('EXISTS', 'k')).toBe(':0');
    expect(await cmd('MOVE', 'k', 1)).toBe(':0');
    await cmd('SET', 'k', 'other');
    await cmd('SELECT', 1);
    expect(await cmd('TTL', 'k')).toBe(':100');
    expect(await cmd('MOVE', 'k', 0)).toBe(':0'); // exists in db 0
    expect(await cmd('MOVE', 'k', 1)).toBe('-ERR source and destination objects are the same');
    expect(await cmd('MOVE', 'k', 16)).toBe('-ERR DB index is out of range');
    expect(await cmd('MOVE', 'k', -1)).toBe('-ERR DB index is out of range');
    expect(await cmd('MOVE', 'k', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('MOVE', 'k', '4294967296')).toBe(
      '-ERR value is out of range, value must between -2147483648 and 2147483647',
    );
  });

  it('COPY duplicates deeply, with TTL, DB and REPLACE', async () => {
    const h = new HashValue([['f', 'v']]);
    db0().add('h', h);
    expect(await cmd('COPY', 'h', 'h2')).toBe(':1');
    h.set('f', 'changed');
    expect((db0().dict.get('h2') as HashValue).get('f')).toBe('v');
    await cmd('SET', 's', 'v', 'EX', 100);
    expect(await cmd('COPY', 's', 's', 'DB', 1)).toBe(':1');
    expect(await cmd('COPY', 's', 's', 'DB', 1)).toBe(':0');
    expect(await cmd('COPY', 's', 'h2')).toBe(':0');
    expect(await cmd('COPY', 's', 'h2', 'REPLACE')).toBe(':1');
    expect(await cmd('GET', 'h2')).toBe('"v"');
    expect(await cmd('TTL', 'h2')).toBe(':100');
    await cmd('SELECT', 1);
    expect(await cmd('TTL', 's')).toBe(':100');
    await cmd('SELECT', 0);
    expect(await cmd('COPY', 'nope', 'x')).toBe(':0');
    expect(await cmd('COPY', 's', 's')).toBe('-ERR source and destination objects are the same');
    expect(await cmd('COPY', 's', 's', 'DB', 0)).toBe('-ERR source and destination objects are the same');
    expect(await cmd('COPY', 's', 't', 'DB', 99)).toBe('-ERR DB index is out of range');
    expect(await cmd('COPY', 's', 't', 'DB', 'x')).toBe(NOT_INTEGER);
    expect(await cmd('COPY', 's', 't', 'DB')).toBe(SYNTAX);
    expect(await cmd('COPY', 's', 't', 'foo')).toBe(SYNTAX);
  });
});

describe('OBJECT', () => {
  it('ENCODING of strings follows Redis: int, embstr up to 44 bytes, raw', async () => {
    const cases: [string, string][] = [
      ['12345', 'int'],
      ['-9223372036854775808', 'int'],
      ['9223372036854775808', 'embstr'],
      ['01', 'embstr'],
      ['x'.repeat(44), 'embstr'],
      ['x'.repeat(45), 'raw'],
    ];
    for (const [value, encoding] of cases) {
      await cmd('SET', 'k', value);
      expect([value, await cmd('OBJECT', 'ENCODING', 'k')]).toEqual([value, JSON.stringify(encoding)]);
    }
    expect(await cmd('OBJECT', 'ENCODING', 'nope')).toBe('nil');
  });

  it('ENCODING of collections follows the thresholds and never converts back', async () => {
    db0().add('l', ListValue.from(['a']));
    expect(await cmd('OBJECT', 'ENCODING', 'l')).toBe('"quicklist"');
    const h = new HashValue([['f', 'v']]);
    db0().add('h', h);
    expect(await cmd('OBJECT', 'ENCODING', 'h')).toBe('"listpack"');
    h.set('long', 'x'.repeat(65));
    expect(await cmd('OBJECT', 'ENCODING', 'h')).toBe('"hashtable"');
    h.delete('long');
    expect(await cmd('OBJECT', 'ENCODING', 'h')).toBe('"hashtable"');
    const st = new SetValue(['1', '2']);
    db0().add('st', st);
    expect(await cmd('OBJECT', 'ENCODING', 'st')).toBe('"intset"');
    st.add('x');
    expect(await cmd('OBJECT', 'ENCODING', 'st')).toBe('"hashtable"');
    const z = new SortedSetValue();
    z.add('m', 1);
    db0().add('z', z);
    expect(await cmd('OBJECT', 'ENCODING', 'z')).toBe('"listpack"');
    s.server.config.set('zset-max-listpack-entries', ['0']);
    expect(await cmd('OBJECT', 'ENCODING', 'z')).toBe('"skiplist"');
    s.server.config.set('zset-max-listpack-entries', ['128']);
  });

  it('noteGrowth records conversions that happened between observations', () => {
    const config = new Config();
    const h = new HashValue();
    for (let i = 0; i < 129; i++) h.set(`f${i}`, 'v');
    noteGrowth(h, config);
    for (let i = 1; i < 129; i++) h.delete(`f${i}`);
    expect(encodingOf(h, config)).toBe('hashtable');
    const st = new SetValue(['1']);
    st.add('a');
    noteGrowth(st, config, 'a');
    st.delete('a');
    expect(encodingOf(st, config)).toBe('hashtable');
    expect(encodingOf(new SetValue(['1']), config)).toBe('intset');
  });

  it('REFCOUNT reports shared integers like Redis', async () => {
    await cmd('SET', 'k', '100');
    expect(await cmd('OBJECT', 'REFCOUNT', 'k')).toBe(':2147483647');
    await cmd('SET', 'k', '10000');
    expect(await cmd('OBJECT', 'REFCOUNT', 'k')).toBe(':1');
    await cmd('SET', 'k', 'abc');
    expect(await cmd('OBJECT', 'REFCOUNT', 'k')).toBe(':1');
    expect(await cmd('OBJECT', 'REFCOUNT', 'nope')).toBe('nil');
  });

  it('IDLETIME and FREQ depend on the maxmemory policy', async () => {
    const lfuError =
      '-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
    await cmd('SET', 'k', 'v');
    expect(await cmd('OBJECT', 'FREQ', 'k')).toBe(lfuError);
    expect(await cmd('OBJECT', 'FREQ', 'nope')).toBe('nil'); // lookup first, as in Redis
    s.server.config.set('maxmemory-policy', ['allkeys-lru']);
    await cmd('SET', 'k', 'v');
    s.now += 5000;
    expect(await cmd('OBJECT', 'IDLETIME', 'k')).toBe(':5');
    expect(await cmd('OBJECT', 'IDLETIME', 'k')).toBe(':5'); // OBJECT does not touch
    await cmd('GET', 'k');
    expect(await cmd('OBJECT', 'IDLETIME', 'k')).toBe(':0');
    s.server.config.set('maxmemory-policy', ['allkeys-lfu']);
    await cmd('SET', 'f', 'v');
    expect(await cmd('OBJECT', 'FREQ', 'f')).toBe(':5'); // LFU_INIT_VAL
    expect(await cmd('OBJECT', 'IDLETIME', 'f')).toBe(
      '-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
  });

  it('HELP and the subcommand errors', async () => {
    const help = await cmd('OBJECT', 'HELP');
    expect(
      help.startsWith('[+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +ENCODING <key>'),
    ).toBe(true);
    expect(help.endsWith('+HELP, +    Prints this help.]')).toBe(true);
    expect(await cmd('OBJECT', 'foo')).toBe("-ERR unknown subcommand 'foo'. Try OBJECT HELP.");
    expect(await cmd('OBJECT', 'ENCODING')).toBe(
      "-ERR wrong number of arguments for 'object|encoding' command",
    );
    expect(await cmd('OBJECT')).toBe("-ERR wrong number of arguments for 'object' command");
  });
});
