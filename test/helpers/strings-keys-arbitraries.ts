import fc from 'fast-check';

/*
 * fast-check generators of string-family and generic-key commands, shared by the differential test
 * against real Redis and the replication test. The key universe is small so that commands collide:
 * k1..k3 for strings, L/H/S/Z for collections planted by the test, and a key that never exists.
 *
 * Timing: tests run servers on the wall clock and send each command to them a few ms apart, so the
 * generators avoid races: relative TTLs are long (>= 100 s), short-lived keys are made with times
 * already past, and GT/LT comparisons only use absolute times.
 *
 * `SCANALL [options]` is a pseudo-command: the differential test runs a whole SCAN iteration for it.
 */

export type Command = string[];

export const KEYS = ['k1', 'k2', 'k3', 'L', 'H', 'S', 'Z', 'missing'];
export const key = fc.constantFrom(...KEYS);
export const stringKey = fc.constantFrom('k1', 'k2', 'k3');
export const value = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    'hello',
    '12',
    '-7',
    '0',
    '9999',
    '10000',
    '9223372036854775807',
    '-9223372036854775808',
  ),
  fc.constantFrom('3.5', '1e3', ' 1', '01', '-0', 'x'.repeat(44), 'y'.repeat(45), 'ohmytext', 'mynewtext'),
  fc.string({ unit: 'binary-ascii', maxLength: 8 }),
  fc.string({ unit: fc.nat(255).map((n) => String.fromCharCode(n)), maxLength: 6 }),
);
export const integer = fc.oneof(
  fc.constantFrom('0', '1', '-1', '9223372036854775807', '-9223372036854775808', 'abc', '2.5', ''),
  fc.integer({ min: -1000, max: 1000 }).map(String),
);
export const float = fc.oneof(
  fc.constantFrom('0.1', '-0.2', '1e3', 'inf', '-inf', 'abc', '1.5e-5', '0x10', '3', '5e-18', '1e400', ' 1'),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.tuple(fc.integer({ min: -999, max: 999 }), fc.nat(99999)).map(([a, b]) => `${a}.${b}`),
);
export const offset = fc.constantFrom('0', '1', '3', '10', '-1', '-20', 'abc');
export const relSeconds = fc.constantFrom('1000', '100000', '0', '-1', 'abc', '9223372036854775807');
export const relMs = fc.constantFrom('100000', '5000000', '0', '-5', 'abc');
export const absSeconds = fc.constantFrom('4102444800', '4102444900', '1', '0', '-5');
export const absMs = fc.constantFrom('4102444800000', '4102444800500', '1', '0');
export const relFlags = fc.constantFrom<string[]>([], ['NX'], ['XX'], ['nx'], ['NX', 'XX'], ['FOO']);
export const absFlags = fc.constantFrom<string[]>(
  [],
  ['NX'],
  ['XX'],
  ['GT'],
  ['LT'],
  ['XX', 'LT'],
  ['GT', 'LT'],
  ['NX', 'GT'],
);

export const setOptions = fc
  .tuple(
    fc.subarray(['NX', 'XX', 'GET', 'KEEPTTL']),
    fc.option(
      fc.oneof(
        relSeconds.map((t) => ['EX', t]),
        relMs.map((t) => ['PX', t]),
        absSeconds.map((t) => ['EXAT', t]),
        absMs.map((t) => ['PXAT', t]),
      ),
    ),
  )
  .map(([flags, expire]) => [...flags, ...(expire ?? [])]);

export const getexOptions = fc.oneof(
  fc.constant<string[]>([]),
  fc.constant(['PERSIST']),
  relSeconds.map((t) => ['EX', t]),
  relMs.map((t) => ['PX', t]),
  absSeconds.map((t) => ['EXAT', t]),
  absMs.map((t) => ['PXAT', t]),
  fc.constant(['EX', '100', 'PERSIST']),
  fc.constant(['KEEPTTL']),
);

export const lcsOptions = fc.subarray(['LEN', 'IDX', 'WITHMATCHLEN', 'MINMATCHLEN', '2']);

export const stringCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(key, value, setOptions).map(([k, v, o]) => ['SET', k, v, ...o]),
  key.map((k) => ['GET', k]),
  fc.tuple(key, value).map(([k, v]) => ['SETNX', k, v]),
  fc.tuple(key, relSeconds, value).map(([k, t, v]) => ['SETEX', k, t, v]),
  fc.tuple(key, relMs, value).map(([k, t, v]) => ['PSETEX', k, t, v]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ['MGET', ...ks]),
  fc.array(fc.oneof(key, value), { minLength: 1, maxLength: 5 }).map((args) => ['MSET', ...args]),
  fc.array(fc.oneof(key, value), { minLength: 1, maxLength: 5 }).map((args) => ['MSETNX', ...args]),
  fc.tuple(fc.constantFrom('INCR', 'DECR'), key).map(([c, k]) => [c, k]),
  fc.tuple(fc.constantFrom('INCRBY', 'DECRBY'), key, integer).map(([c, k, n]) => [c, k, n]),
  fc.tuple(key, float).map(([k, f]) => ['INCRBYFLOAT', k, f]),
  fc.tuple(key, value).map(([k, v]) => ['APPEND', k, v]),
  key.map((k) => ['STRLEN', k]),
  fc.tuple(fc.constantFrom('GETRANGE', 'SUBSTR'), key, offset, offset).map(([c, k, a, b]) => [c, k, a, b]),
  fc.tuple(key, offset, value).map(([k, o, v]) => ['SETRANGE', k, o, v]),
  key.map((k) => ['GETDEL', k]),
  fc.tuple(key, getexOptions).map(([k, o]) => ['GETEX', k, ...o]),
  fc.tuple(key, value).map(([k, v]) => ['GETSET', k, v]),
  fc.tuple(key, key, lcsOptions).map(([a, b, o]) => ['LCS', a, b, ...o]),
);

export const keyCommand: fc.Arbitrary<Command> = fc.oneof(
  fc
    .tuple(fc.constantFrom('DEL', 'UNLINK', 'EXISTS', 'TOUCH'), fc.array(key, { minLength: 1, maxLength: 3 }))
    .map(([c, ks]) => [c, ...ks]),
  key.map((k) => ['TYPE', k]),
  fc.tuple(key, relSeconds, relFlags).map(([k, t, f]) => ['EXPIRE', k, t, ...f]),
  fc.tuple(key, relMs, relFlags).map(([k, t, f]) => ['PEXPIRE', k, t, ...f]),
  fc.tuple(key, absSeconds, absFlags).map(([k, t, f]) => ['EXPIREAT', k, t, ...f]),
  fc.tuple(key, absMs, absFlags).map(([k, t, f]) => ['PEXPIREAT', k, t, ...f]),
  fc
    .tuple(fc.constantFrom('TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME', 'PERSIST'), key)
    .map(([c, k]) => [c, k]),
  fc.constantFrom('*', 'k*', '?', '[kL]*', 'k[1-2]', 'nomatch', '*[^1]').map((p) => ['KEYS', p]),
  fc
    .constantFrom<string[]>(
      [],
      ['MATCH', 'k*'],
      ['TYPE', 'string'],
      ['COUNT', '2'],
      ['TYPE', 'LIST'],
      ['MATCH', '?'],
    )
    .map((o) => ['SCANALL', ...o]),
  fc.tuple(fc.constantFrom('RENAME', 'RENAMENX'), key, key).map(([c, a, b]) => [c, a, b]),
  fc.constant(['RANDOMKEY']),
  fc.tuple(key, fc.constantFrom('0', '1', '16', 'x')).map(([k, d]) => ['MOVE', k, d]),
  fc
    .tuple(key, key, fc.subarray(['DB', 'REPLACE']), fc.constantFrom('0', '1', '99'))
    .map(([a, b, o, d]) => ['COPY', a, b, ...o.flatMap((x) => (x === 'DB' ? ['DB', d] : [x]))]),
  fc.constantFrom('0', '1').map((d) => ['SELECT', d]),
  fc
    .tuple(fc.constantFrom('FREQ', 'HELP', 'NOPE'), key)
    .map(([sub, k]) => ['OBJECT', sub, ...(sub === 'HELP' ? [] : [k])]),
);

/**
 * Writers whose results OBJECT ENCODING/REFCOUNT may be asked about. APPEND, SETRANGE and INCRBYFLOAT
 * are left out: Redis answers "raw"/"embstr" for their results by how they were built, not by content
 * (see keyspace/encoding.ts).
 */
export const encodingCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(stringKey, value).map(([k, v]) => ['SET', k, v]),
  fc.tuple(stringKey, value).map(([k, v]) => ['GETSET', k, v]),
  fc.tuple(stringKey, value, stringKey, value).map(([a, v, b, w]) => ['MSET', a, v, b, w]),
  fc.tuple(fc.constantFrom('INCR', 'DECR'), stringKey).map(([c, k]) => [c, k]),
  fc.tuple(stringKey, integer).map(([k, n]) => ['INCRBY', k, n]),
  // Not COPY: Redis's copy of a shared integer is unshared (REFCOUNT 1), which a bare JS string cannot
  // remember; see keyspace/encoding.ts.
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, fc.constantFrom('0', '1')).map(([k, d]) => ['MOVE', k, d]),
  fc.constantFrom('0', '1').map((d) => ['SELECT', d]),
  fc.tuple(fc.constantFrom('ENCODING', 'REFCOUNT'), key).map(([sub, k]) => ['OBJECT', sub, k]),
);
