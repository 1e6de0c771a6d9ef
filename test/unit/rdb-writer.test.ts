import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HashValue,
  ListValue,
  type RedisValue,
  SetValue,
  SortedSetValue,
  typeOf,
} from '../../src/keyspace/values.js';
import { RdbType } from '../../src/rdb/constants.js';
import { crc64 } from '../../src/rdb/crc64.js';
import { formatG17, formatScore, parseCanonicalInt64 } from '../../src/rdb/numbers.js';
import { readRdb } from '../../src/rdb/reader.js';
import { type RdbDatabaseContent, RdbWriter, redisAuxFields, serializeRdb } from '../../src/rdb/writer.js';

type Normalized = [string, unknown];

/** A structural view of a value for equality checks (order-insensitive where Redis is). */
function normalize(value: RedisValue): Normalized {
  if (typeof value === 'string') return ['string', value];
  if (value instanceof ListValue) return ['list', value.toArray()];
  if (value instanceof HashValue) return ['hash', [...value].sort((a, b) => (a[0] < b[0] ? -1 : 1))];
  if (value instanceof SetValue) return ['set', [...value].sort()];
  return ['zset', [...value.entries()]];
}

function load(buf: Buffer): Map<number, Map<string, [Normalized, number | undefined]>> {
  const dbs = new Map<number, Map<string, [Normalized, number | undefined]>>();
  readRdb(buf, {
    entry(db, key, value, expireAtMs) {
      if (!dbs.has(db)) dbs.set(db, new Map());
      expect(dbs.get(db)!.has(key)).toBe(false);
      dbs.get(db)!.set(key, [normalize(value), expireAtMs]);
    },
  });
  return dbs;
}

const EDGE_STRINGS = [
  '',
  '0',
  '-0',
  '007',
  '+5',
  ' 1',
  '1 ',
  '3.14',
  '1e5',
  '-1',
  '127',
  '128',
  '-128',
  '-129',
  '4095',
  '4096',
  '-4096',
  '-4097',
  '32767',
  '32768',
  '-32768',
  '-32769',
  '8388607',
  '8388608',
  '-8388608',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '12345678901234',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551616',
];

const binaryString = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('latin1'));
const redisString = fc.oneof(
  { weight: 3, arbitrary: binaryString },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
  { weight: 1, arbitrary: fc.bigInt(-(2n ** 65n), 2n ** 65n).map(String) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(binaryString, fc.integer({ min: 2, max: 400 }))
      .map(([s, n]) => (s.length === 0 ? 'x' : s).repeat(n).slice(0, 9000)),
  },
);
const score = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0.1, 2.5, 1e20, -0, 0, Infinity, -Infinity, 2 ** 53, 4503599627370496),
);

const value: fc.Arbitrary<RedisValue> = fc.oneof(
  redisString,
  fc.array(redisString, { minLength: 1, maxLength: 30 }).map((items) => ListValue.from(items)),
  fc.uniqueArray(redisString, { minLength: 1, maxLength: 30 }).map((items) => new SetValue(items)),
  fc
    .uniqueArray(fc.oneof(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(String), fc.integer().map(String)), {
      minLength: 1,
      maxLength: 30,
    })
    .map((items) => new SetValue(items)),
  fc
    .uniqueArray(fc.tuple(redisString, redisString), { minLength: 1, maxLength: 30, selector: (e) => e[0] })
    .map((entries) => new HashValue(entries)),
  fc
    .uniqueArray(fc.tuple(redisString, score), { minLength: 1, maxLength: 30, selector: (e) => e[0] })
    .map((entries) => {
      const z = new SortedSetValue();
      for (const [m, s] of entries) z.add(m, s);
      return z;
    }),
);

const database = fc.record({
  index: fc.integer({ min: 0, max: 15 }),
  entries: fc.uniqueArray(
    fc.tuple(redisString, value, fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined })),
    { maxLength: 12, selector: (e) => e[0] },
  ),
});
const keyspace = fc.uniqueArray(database, { maxLength: 4, selector: (d) => d.index });

function expectRoundTrip(dbs: RdbDatabaseContent[], buf: Buffer): void {
  const loaded = load(buf);
  const expected = new Map<number, Map<string, [Normalized, number | undefined]>>();
  for (const db of dbs) {
    if (db.entries.length === 0) continue;
    expected.set(db.index, new Map(db.entries.map(([k, v, e]) => [k, [normalize(v), e]])));
  }
  expect(loaded).toEqual(expected);
}

describe('RdbWriter → readRdb round trip', () => {
  it('preserves random keyspaces of every type, byte and edge value, with and without compression', () => {
    fc.assert(
      fc.property(keyspace, fc.boolean(), (dbs, compress) => {
        expectRoundTrip(dbs, serializeRdb(dbs, { compress, aux: redisAuxFields() }));
      }),
      { numRuns: 300 },
    );
  });

  it('preserves big collections (plain encodings, many quicklist nodes)', () => {
    const bigHash = new HashValue();
    for (let i = 0; i < 600; i++) bigHash.set(`field:${i}`, `value:${i}`);
    const longValueHash = new HashValue([['a', 'x'.repeat(65)]]);
    const bigSet = new SetValue();
    for (let i = 0; i < 600; i++) bigSet.add(String(i * 3));
    const bigZset = new SortedSetValue();
    for (let i = 0; i < 200; i++) bigZset.add(`m${i}`, i / 4);
    const longMemberZset = new SortedSetValue();
    longMemberZset.add('m'.repeat(65), 1);
    const bigList = ListValue.from(
      Array.from({ length: 20000 }, (_, i) => `item-${i}-${'x'.repeat(i % 50)}`),
    );
    const hugeElementList = ListValue.from(['small', 'H'.repeat(100_000), 'tail']);
    const dbs: RdbDatabaseContent[] = [
      {
        index: 0,
        entries: [
          ['h:big', bigHash],
          ['h:long', longValueHash],
          ['s:big', bigSet],
          ['z:big', bigZset],
          ['z:long', longMemberZset],
          ['l:big', bigList],
          ['l:huge', hugeElementList, 1_700_000_000_000],
          ['str:huge', 'abc'.repeat(500_000)],
        ],
      },
    ];
    expectRoundTrip(dbs, serializeRdb(dbs));
    expectRoundTrip(dbs, serializeRdb(dbs, { compress: false }));
  });

  it('take() slices concatenate to the same bytes as a one-shot write, CRC included', () => {
    const entries: [string, RedisValue][] = Array.from({ length: 5000 }, (_, i) => [
      `key:${i}`,
      `value:${i}`,
    ]);
    const whole = serializeRdb([{ index: 0, entries }], { aux: [['ctime', '0']] });
    const writer = new RdbWriter({ chunkSize: 256, aux: [['ctime', '0']] });
    const parts: Buffer[] = [];
    writer.selectDb(0, entries.length, 0);
    for (const [i, [k, v]] of entries.entries()) {
      writer.entry(k, v);
      if (i % 7 === 0) parts.push(writer.take());
    }
    writer.end();
    parts.push(writer.take());
    expect(writer.totalBytes).toBe(whole.length);
    expect(Buffer.concat(parts).equals(whole)).toBe(true);
    expect(whole.readBigUInt64LE(whole.length - 8)).toBe(crc64(whole, 0, whole.length - 8));
    expect(() => writer.entry('late', 'x')).toThrow(/already ended/);
  });
});

/** The value-type byte and value bytes our writer emits for a single key named "k". */
function encoded(value: RedisValue, compress = true): { type: number; payload: Buffer } {
  const buf = serializeRdb([{ index: 0, entries: [['k', value]] }], { compress });
  // REDIS0010, SELECTDB 0, RESIZEDB 1 0, then <type> <01 'k'> <payload>, then EOF + CRC
  const at = 9 + 2 + 3;
  return { type: buf[at]!, payload: buf.subarray(at + 3, buf.length - 9) };
}

describe('encodings chosen like Redis 7.0', () => {
  it('integer-encodes only canonical int32 strings', () => {
    expect(encoded('-128').payload).toEqual(Buffer.from([0xc0, 0x80]));
    expect(encoded('127').payload).toEqual(Buffer.from([0xc0, 0x7f]));
    expect(encoded('-129').payload).toEqual(Buffer.from([0xc1, 0x7f, 0xff]));
    expect(encoded('32768').payload).toEqual(Buffer.from([0xc2, 0x00, 0x80, 0x00, 0x00]));
    expect(encoded('-2147483648').payload).toEqual(Buffer.from([0xc2, 0x00, 0x00, 0x00, 0x80]));
    for (const raw of ['2147483648', '007', '+5', '-0', '3.14', ' 1', '12345678901234']) {
      expect(encoded(raw).payload, raw).toEqual(Buffer.from([raw.length, ...Buffer.from(raw)]));
    }
  });

  it('LZF-compresses strings over 20 bytes only when it saves at least 4 bytes', () => {
    expect(encoded('abcabcabcabcabcabcab').payload[0]).toBe(20); // 20 bytes: raw
    expect(encoded('a'.repeat(100)).payload[0]).toBe(0xc3);
    expect([...encoded('a'.repeat(100), false).payload.subarray(0, 2)]).toEqual([0x40, 100]);
    const noise = Buffer.from(Array.from({ length: 50 }, (_, i) => (i * 97 + 13) & 0xff)).toString('latin1');
    expect(encoded(noise).payload[0]).toBe(50);
  });

  it('uses listpack / intset / quicklist2 for small collections and plain encodings past the limits', () => {
    expect(encoded(ListValue.from(['a'])).type).toBe(RdbType.ListQuicklist2);
    expect(encoded(new HashValue([['f', 'v']])).type).toBe(RdbType.HashListpack);
    expect(encoded(new HashValue([['f', 'v'.repeat(65)]])).type).toBe(RdbType.Hash);
    expect(encoded(new HashValue([['f', 'v'.repeat(64)]])).type).toBe(RdbType.HashListpack);
    expect(encoded(new SetValue(['1', '-5', '9223372036854775807'])).type).toBe(RdbType.SetIntset);
    expect(encoded(new SetValue(['1', '01'])).type).toBe(RdbType.Set);
    expect(encoded(new SetValue(Array.from({ length: 513 }, (_, i) => String(i)))).type).toBe(RdbType.Set);
    const zset = new SortedSetValue();
    zset.add('a', 1);
    expect(encoded(zset).type).toBe(RdbType.ZsetListpack);
    for (let i = 0; i < 129; i++) zset.add(`m${i}`, i);
    expect(encoded(zset).type).toBe(RdbType.Zset2);
  });

  it('writes the aux fields Redis writes, integer-encoding the numeric ones', () => {
    const aux = redisAuxFields({
      ctime: 1700000000,
      usedMem: 123,
      replication: { replId: 'a'.repeat(40), replOffset: 1256, streamDb: 0 },
    });
    expect(aux.map(([k]) => k)).toEqual([
      'redis-ver',
      'redis-bits',
      'ctime',
      'used-mem',
      'repl-stream-db',
      'repl-id',
      'repl-offset',
      'aof-base',
    ]);
    const buf = serializeRdb([], { aux });
    expect(buf.includes(Buffer.from('\xfa\x0aredis-bits\xc0\x40', 'latin1'))).toBe(true);
    expect(buf.includes(Buffer.from('\xfa\x0brepl-offset\xc1\xe8\x04', 'latin1'))).toBe(true);
    const seen: [string, string][] = [];
    readRdb(buf, { aux: (k, v) => seen.push([k, v]), entry: () => {} });
    expect(seen).toEqual(aux);
  });

  it('refuses to write empty collections, which Redis never stores', () => {
    expect(() => encoded(new SetValue())).toThrow(/empty collection/);
    expect(() => encoded(new ListValue())).toThrow(/empty collection/);
  });

  it('writes an empty keyspace as header + EOF + CRC', () => {
    const buf = serializeRdb([]);
    expect(buf.subarray(0, 10).toString('latin1')).toBe('REDIS0010\xff');
    expect(buf.length).toBe(18);
  });
});

describe('number formats', () => {
  it('formats scores like Redis d2string / %.17g', () => {
    expect(formatScore(0.1)).toBe('0.10000000000000001');
    expect(formatScore(1e20)).toBe('1e+20');
    expect(formatScore(2.5)).toBe('2.5');
    expect(formatScore(-3)).toBe('-3');
    expect(formatScore(-0)).toBe('-0');
    expect(formatScore(Infinity)).toBe('inf');
    expect(formatScore(-Infinity)).toBe('-inf');
    expect(formatScore(4503599627370496)).toBe('4503599627370496');
    expect(formatScore(1e-5)).toBe('1.0000000000000001e-05');
    expect(formatG17(123456789012345680000)).toBe('1.2345678901234568e+20');
    expect(formatG17(0.0001)).toBe('0.0001');
    expect(formatG17(1.5e300)).toBe('1.5000000000000001e+300');
    // Exact ties round to even like glibc's printf (JavaScript's toPrecision would round them up).
    expect(formatG17(-(41712438553506 + 1 / 16))).toBe('-41712438553506.062');
    expect(formatG17(151667297888469 + 1 / 8)).toBe('151667297888469.12');
    expect(formatG17(28577919398755 + 5 / 16)).toBe('28577919398755.312');
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(Number(formatG17(d))).toBe(d);
      }),
    );
  });

  it('recognizes canonical int64 strings only', () => {
    expect(parseCanonicalInt64('0')).toBe(0);
    expect(parseCanonicalInt64('-1')).toBe(-1);
    expect(parseCanonicalInt64('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseCanonicalInt64('-9223372036854775808')).toBe(-9223372036854775808n);
    for (const s of ['', '-', '-0', '00', '01', '+1', '9223372036854775808', '1.0', ' 1', '1a']) {
      expect(parseCanonicalInt64(s), s).toBeUndefined();
    }
  });
});

describe('throughput (informational)', () => {
  it('1,000,000 small string keys: write and read', () => {
    const n = 1_000_000;
    const writer = new RdbWriter({ aux: redisAuxFields() });
    const parts: Buffer[] = [];
    let start = performance.now();
    writer.selectDb(0, n, 0);
    for (let i = 0; i < n; i++) {
      writer.entry(`key:${i}`, `value:${i}`);
      if (writer.bufferedBytes >= 64 * 1024) parts.push(writer.take());
    }
    writer.end();
    parts.push(writer.take());
    const writeSeconds = (performance.now() - start) / 1000;
    const rdb = Buffer.concat(parts);
    let count = 0;
    start = performance.now();
    readRdb(rdb, {
      entry: (_db, key, value) => {
        if (typeOf(value) === 'string' && key.length > 0) count++;
      },
    });
    const readSeconds = (performance.now() - start) / 1000;
    expect(count).toBe(n);
    const mb = rdb.length / 1048576;
    console.log(
      `rdb 1M small strings (${mb.toFixed(1)} MB): write ${(n / writeSeconds / 1000).toFixed(0)}k keys/s ` +
        `${(mb / writeSeconds).toFixed(0)} MB/s; read ${(n / readSeconds / 1000).toFixed(0)}k keys/s ${(mb / readSeconds).toFixed(0)} MB/s`,
    );
  });
});
