import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HashValue,
  ListValue,
  type RedisValue,
  SetValue,
  SortedSetValue,
} from '../../src/keyspace/values.js';
import { crc64 } from '../../src/rdb/crc64.js';
import { RdbError } from '../../src/rdb/errors.js';
import { type RdbSink, RdbStreamLoader, readRdb } from '../../src/rdb/reader.js';
import { serializeRdb } from '../../src/rdb/writer.js';

const FIXTURES = new URL('../fixtures/rdb/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

interface FixtureKey {
  type: 'string' | 'list' | 'set' | 'hash' | 'zset';
  expireAtMs: number | null;
  value: unknown;
}
interface FixtureFile {
  file: string;
  databases: Record<string, Record<string, FixtureKey>>;
}
const manifest = JSON.parse(readFileSync(new URL('fixtures.json', FIXTURES), 'utf8')) as {
  fixtures: FixtureFile[];
};

interface Loaded {
  value: RedisValue;
  expireAtMs: number | undefined;
}

/** A sink that collects everything, refusing duplicate keys as a real keyspace would. */
class CollectingSink implements RdbSink {
  readonly dbs = new Map<number, Map<string, Loaded>>();
  readonly auxFields = new Map<string, string>();
  readonly events: string[] = [];
  aux(key: string, value: string): void {
    this.auxFields.set(key, value);
  }
  selectDb(db: number): void {
    this.events.push(`select ${db}`);
  }
  resizeDb(keys: number, expires: number): void {
    this.events.push(`resize ${keys} ${expires}`);
  }
  entry(db: number, key: string, value: RedisValue, expireAtMs: number | undefined): void {
    let keys = this.dbs.get(db);
    if (!keys) {
      keys = new Map();
      this.dbs.set(db, keys);
    }
    if (keys.has(key)) throw new Error(`duplicate key ${key}`);
    keys.set(key, { value, expireAtMs });
  }
  /** Everything loaded, as plain data (collections' internals, e.g. skiplist levels, are random). */
  contents(): unknown {
    return [...this.dbs].map(([db, keys]) => [
      db,
      [...keys].map(([key, { value, expireAtMs }]) => [key, plain(value), expireAtMs]),
    ]);
  }
}

function plain(value: RedisValue): unknown {
  if (typeof value === 'string') return value;
  if (value instanceof ListValue) return ['list', value.toArray()];
  if (value instanceof HashValue) return ['hash', [...value]];
  if (value instanceof SetValue) return ['set', [...value]];
  return ['zset', [...(value as SortedSetValue).entries()]];
}

function collect(buf: Buffer): CollectingSink {
  const sink = new CollectingSink();
  readRdb(buf, sink);
  return sink;
}

/** fixtures.json strings: printable ASCII as is, anything else as {hex}. */
function fixtureString(v: unknown): string {
  if (typeof v === 'string') return v;
  return Buffer.from((v as { hex: string }).hex, 'hex').toString('latin1');
}

function fixtureScore(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

/** Our value in the manifest's shape, so that a mismatch shows a readable diff. */
function expectValue(actual: RedisValue, expected: FixtureKey, where: string): void {
  switch (expected.type) {
    case 'string':
      expect(actual, where).toBe(fixtureString(expected.value));
      break;
    case 'list':
      expect(actual, where).toBeInstanceOf(ListValue);
      expect((actual as ListValue).toArray(), where).toEqual(
        (expected.value as unknown[]).map(fixtureString),
      );
      break;
    case 'set':
      expect(actual, where).toBeInstanceOf(SetValue);
      expect([...(actual as SetValue)].sort(), where).toEqual(
        (expected.value as unknown[]).map(fixtureString).sort(),
      );
      break;
    case 'hash':
      expect(actual, where).toBeInstanceOf(HashValue);
      expect(Object.fromEntries(actual as HashValue), where).toEqual(
        Object.fromEntries(
          Object.entries(expected.value as Record<string, unknown>).map(([f, v]) => [f, fixtureString(v)]),
        ),
      );
      break;
    case 'zset':
      expect(actual, where).toBeInstanceOf(SortedSetValue);
      expect([...(actual as SortedSetValue).entries()], where).toEqual(
        (expected.value as [unknown, string][]).map(([m, s]) => [fixtureString(m), fixtureScore(s)]),
      );
      break;
  }
}

function expectMatchesManifest(sink: CollectingSink, entry: FixtureFile): void {
  const expectedDbs = Object.keys(entry.databases).map(Number).sort();
  expect([...sink.dbs.keys()].sort()).toEqual(expectedDbs);
  for (const [dbText, keys] of Object.entries(entry.databases)) {
    const loaded = sink.dbs.get(Number(dbText))!;
    expect([...loaded.keys()].sort()).toEqual(Object.keys(keys).sort());
    for (const [key, expected] of Object.entries(keys)) {
      const got = loaded.get(key)!;
      expectValue(got.value, expected, `${entry.file} db${dbText} ${key}`);
      expect(got.expireAtMs ?? null, `${entry.file} ${key} expiry`).toBe(expected.expireAtMs);
    }
  }
}

describe('readRdb on real Redis 7.0 files', () => {
  it('the manifest covers the files it names', () => {
    expect(manifest.fixtures.length).toBeGreaterThanOrEqual(10);
  });

  for (const entry of manifest.fixtures) {
    it(`loads ${entry.file} exactly`, () => {
      const buf = fixture(entry.file);
      const sink = new CollectingSink();
      const summary = readRdb(buf, sink);
      expect(summary.version).toBe(10);
      expect(summary.checksum).toBe('verified');
      expect(summary.bytes).toBe(buf.length);
      expect(sink.auxFields.get('redis-ver')).toBe('7.0.15');
      expect(sink.auxFields.get('redis-bits')).toBe('64');
      expectMatchesManifest(sink, entry);
    });
  }

  it('loads the hand-made minimal RDB (types 0,1,2,4,5, no aux, db 0 and 3)', () => {
    const sink = collect(fixture('minimal-handmade.rdb'));
    expect(sink.auxFields.size).toBe(0);
    const db0 = sink.dbs.get(0)!;
    expect(db0.get('fm:str')).toEqual({ value: 'hello', expireAtMs: undefined });
    expect(db0.get('fm:int')!.value).toBe('12345');
    expect(db0.get('fm:exp')).toEqual({ value: 'ttl', expireAtMs: 4102444800000 });
    expect((db0.get('fm:list')!.value as ListValue).toArray()).toEqual(['a', 'b', 'c']);
    expect([...(db0.get('fm:set')!.value as SetValue)].sort()).toEqual(['1', 'x']);
    expect(Object.fromEntries(db0.get('fm:hash')!.value as HashValue)).toEqual({ f1: 'v1', f2: 'v2' });
    expect([...(db0.get('fm:zset')!.value as SortedSetValue).entries()]).toEqual([
      ['m2', -Infinity],
      ['m1', 1.5],
    ]);
    expect(sink.dbs.get(3)!.get('fm:db3')!.value).toBe('three');
  });

  it('loads the full-sync payloads with their replication aux fields', () => {
    const disk = collect(fixture('fullsync-disk.rdb'));
    expect(disk.auxFields.get('repl-id')).toBe('0a2b1e463a395d9f485226e1a12a64a9afd10404');
    expect(disk.auxFields.get('repl-offset')).toBe('0');
    expect(disk.auxFields.get('repl-stream-db')).toBe('0');
    expect(disk.dbs.get(0)!.get('pre1')!.value).toBe('hello');
    expect((disk.dbs.get(0)!.get('prelist')!.value as ListValue).toArray()).toEqual(['a', 'b', 'c']);

    const diskless = collect(fixture('fullsync-diskless.rdb'));
    expect(diskless.auxFields.get('repl-offset')).toBe('1256');
    expect(diskless.events).toEqual(['select 0', 'resize 2 0', 'select 3', 'resize 1 0']);
    expect(diskless.dbs.get(0)!.get('during-delay')!.value).toBe('1');
    expect(diskless.dbs.get(0)!.get('k1')!.value).toBe('v1');
    expect(diskless.dbs.get(3)!.get('indb3')!.value).toBe('yes');
  });
});

describe('RdbStreamLoader', () => {
  const all = manifest.fixtures.map((f) => f.file).concat(['minimal-handmade.rdb', 'fullsync-diskless.rdb']);

  it('gives the same result for every chunking, including 1-byte chunks', () => {
    for (const file of all) {
      const buf = fixture(file);
      const whole = collect(buf);
      // One-byte chunks re-parse the pending record on every byte: keep that to the smaller files.
      for (const size of buf.length < 5000 ? [1, 2, 3, 7, 64, 1000] : [7, 64, 1000]) {
        const sink = new CollectingSink();
        const loader = new RdbStreamLoader(sink);
        for (let i = 0; i < buf.length; i += size) loader.push(buf.subarray(i, i + size));
        expect(loader.done, `${file} by ${size}`).toBe(true);
        loader.end();
        expect(sink.contents(), `${file} by ${size}`).toEqual(whole.contents());
        expect(sink.auxFields).toEqual(whole.auxFields);
      }
    }
  });

  it('hands records to the sink as soon as they are complete', () => {
    const buf = fixture('multidb.rdb');
    const seen: string[] = [];
    const loader = new RdbStreamLoader({ entry: (_db, key) => seen.push(key) });
    const eof = buf.length - 9;
    loader.push(buf.subarray(0, eof)); // everything but EOF and checksum
    expect(seen.sort()).toEqual(['in-db0', 'in-db15', 'in-db3', 'list-db3', 'shared-name', 'shared-name']);
    expect(loader.done).toBe(false);
    loader.push(buf.subarray(eof));
    expect(loader.done).toBe(true);
  });

  it('keeps the bytes after the RDB (diskless EOF mark, replication stream) aside', () => {
    const buf = fixture('fullsync-diskless.rdb');
    const mark = Buffer.from('74b8a605c4cb3b253e999e1d047204d27dc97065');
    const loader = new RdbStreamLoader({ entry: () => {} });
    const stream = Buffer.concat([buf, mark, Buffer.from('*1\r\n$4\r\nping\r\n')]);
    for (let i = 0; i < stream.length; i += 50) loader.push(stream.subarray(i, i + 50));
    expect(loader.done).toBe(true);
    expect(loader.end().bytes).toBe(buf.length);
    expect(loader.takeTrailing().toString()).toBe(`${mark}*1\r\n$4\r\nping\r\n`);
  });

  it('end() before the RDB is complete is an error, not a partial success', () => {
    const loader = new RdbStreamLoader({ entry: () => {} });
    loader.push(fixture('strings.rdb').subarray(0, 500));
    expect(() => loader.end()).toThrow(RdbError);
  });
});

describe('corrupt input', () => {
  const truncations: [file: string, stride: number][] = [
    ['strings.rdb', 1],
    ['zsets.rdb', 1],
    ['expiry.rdb', 1],
    ['sets.rdb', 1],
    ['hashes.rdb', 1],
    ['multidb.rdb', 1],
    ['list-compressed.rdb', 1],
    ['lists.rdb', 5], // 20 KB: every 5th boundary (and all of the last 16) keeps the test fast
  ];
  for (const [file, stride] of truncations) {
    const where = stride === 1 ? 'every byte boundary' : `every ${stride}th byte`;
    it(`${file} truncated at ${where} fails with RdbError`, () => {
      const buf = fixture(file);
      for (let cut = 0; cut < buf.length; cut += cut >= buf.length - 16 ? 1 : stride) {
        let error: unknown;
        try {
          readRdb(buf.subarray(0, cut), { entry: () => {} });
        } catch (err) {
          error = err;
        }
        expect(error, `cut at ${cut}`).toBeInstanceOf(RdbError);
      }
    });
  }

  it('names the offset and what was expected', () => {
    const buf = fixture('expiry.rdb');
    expect(() => readRdb(buf.subarray(0, 100), { entry: () => {} })).toThrow(
      /unexpected end of RDB: .* \(at RDB offset \d+\)/,
    );
  });

  it('every single bit flip is detected (checksum) or rejected, never a silent success', () => {
    for (const file of ['expiry.rdb', 'zsets.rdb', 'multidb.rdb', 'list-plain.rdb']) {
      const original = fixture(file);
      for (let byte = 0; byte < original.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const buf = Buffer.from(original);
          buf[byte]! ^= 1 << bit;
          let error: unknown;
          try {
            readRdb(buf, { entry: () => {} });
          } catch (err) {
            error = err;
          }
          expect(error, `${file} byte ${byte} bit ${bit}`).toBeInstanceOf(RdbError);
        }
      }
    }
  });

  it('skips the check when the stored checksum is zero', () => {
    const buf = Buffer.from(fixture('multidb.rdb'));
    buf.fill(0, buf.length - 8);
    expect(readRdb(buf, { entry: () => {} }).checksum).toBe('disabled');
  });

  it('reports a wrong checksum with both values', () => {
    const buf = Buffer.from(fixture('multidb.rdb'));
    buf[buf.length - 1]! ^= 0xff;
    expect(() => readRdb(buf, { entry: () => {} })).toThrow(
      /wrong RDB checksum: computed [0-9a-f]{16}, stored/,
    );
  });

  /** Builds an RDB body with a correct trailer, for checking the errors that a CRC does not catch. */
  function rdb(version: string, body: number[]): Buffer {
    const head = Buffer.concat([Buffer.from(`REDIS${version}`), Buffer.from(body), Buffer.from([0xff])]);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(head));
    return Buffer.concat([head, crc]);
  }

  it('rejects unsupported types and opcodes with clear messages', () => {
    const key = [1, 0x6b];
    expect(() => readRdb(rdb('0010', [0xfe, 0, 19, ...key]), { entry: () => {} })).toThrow(
      'unsupported RDB type 19 (stream)',
    );
    expect(() => readRdb(rdb('0010', [0xfe, 0, 7, ...key]), { entry: () => {} })).toThrow(
      'unsupported RDB type 7 (module)',
    );
    expect(() => readRdb(rdb('0010', [0xf7, 0x01]), { entry: () => {} })).toThrow(/MODULE_AUX/);
    expect(() => readRdb(rdb('0011', []), { entry: () => {} })).toThrow(
      /can't handle RDB format version "0011"/,
    );
    expect(() => readRdb(Buffer.from('RDIS0010\xff'), { entry: () => {} })).toThrow(/wrong signature/);
    expect(() => readRdb(rdb('0010', [0xfe, 16]), { entry: () => {} })).toThrow(/selects db 16/);
  });

  it('accepts IDLE, FREQ, old EXPIRETIME, FUNCTION2 and old versions without checksum', () => {
    const entries: [string, RedisValue, number | undefined][] = [];
    const libs: string[] = [];
    const sink: RdbSink = {
      entry: (_db, k, v, e) => entries.push([k, v, e]),
      functionLibrary: (c) => libs.push(c),
    };
    const body = [
      0xf5,
      3,
      0x6c,
      0x69,
      0x62, // FUNCTION2 "lib"
      0xfe,
      0,
      0xf8,
      5,
      0xf9,
      9,
      0,
      1,
      0x61,
      1,
      0x31, // IDLE, FREQ, a=1
      0xfd,
      0x10,
      0x00,
      0x00,
      0x00,
      0,
      1,
      0x62,
      0xc0,
      0x07, // EXPIRETIME 16 s, b=7 (int8)
    ];
    readRdb(rdb('0010', body), sink);
    expect(entries).toEqual([
      ['a', '1', undefined],
      ['b', '7', 16000],
    ]);
    expect(libs).toEqual(['lib']);
    // Version 4 files end at EOF without a CRC.
    entries.length = 0;
    expect(
      readRdb(Buffer.from([...Buffer.from('REDIS0004'), 0xfe, 0, 0, 1, 0x61, 1, 0x31, 0xff]), sink).checksum,
    ).toBe('absent');
    expect(entries).toEqual([['a', '1', undefined]]);
  });

  it('skips empty collections like Redis', () => {
    const entries: string[] = [];
    const summary = readRdb(rdb('0010', [0xfe, 0, 2, 1, 0x73, 0, 0, 1, 0x61, 0]), {
      entry: (_d, k) => entries.push(k),
    });
    expect(entries).toEqual(['a']);
    expect(summary.emptyKeysSkipped).toBe(1);
  });

  it('rejects duplicate members and impossible LZF lengths', () => {
    expect(() =>
      readRdb(rdb('0010', [0xfe, 0, 2, 1, 0x73, 2, 1, 0x61, 1, 0x61]), { entry: () => {} }),
    ).toThrow(/duplicate set member/);
    expect(() =>
      readRdb(rdb('0010', [0xfe, 0, 0, 1, 0x73, 0xc3, 2, 0x80, 0x10, 0, 0, 0, 0x00, 0x61]), {
        entry: () => {},
      }),
    ).toThrow(/LZF length/);
  });
});

describe('older encodings (Redis ≤ 6.2 files)', () => {
  function load(type: number, payload: number[] | Buffer): RedisValue {
    const body = Buffer.concat([Buffer.from([0xfe, 0, type, 1, 0x6b]), Buffer.from(payload)]);
    let value: RedisValue | undefined;
    const head = Buffer.concat([Buffer.from('REDIS0009'), body, Buffer.from([0xff])]);
    readRdb(Buffer.concat([head, Buffer.alloc(8)]), { entry: (_d, _k, v) => (value = v) });
    return value!;
  }

  /** A ziplist from entry encodings (prevlen computed here). */
  function ziplist(entries: number[][]): number[] {
    const body: number[] = [];
    let prev = 0;
    for (const e of entries) {
      body.push(prev, ...e);
      prev = e.length + 1;
    }
    const total = 10 + body.length + 1;
    const head = Buffer.alloc(10);
    head.writeUInt32LE(total, 0);
    head.writeUInt32LE(0, 4);
    head.writeUInt16LE(entries.length, 8);
    return [...head, ...body, 0xff];
  }
  const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
  const blob = (bytes: number[]): number[] => [bytes.length, ...bytes];

  it('ziplist lists with every integer encoding', () => {
    const zl = ziplist([
      str('abc'),
      [0xf1], // immediate 0
      [0xfd], // immediate 12
      [0xfe, 0x80], // int8 -128
      [0xc0, 0x00, 0x80], // int16 -32768
      [0xf0, 0xff, 0xff, 0x7f], // int24 8388607
      [0xd0, 0x00, 0x00, 0x00, 0x80], // int32 -2147483648
      [0xe0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // int64 max
    ]);
    expect((load(10, blob(zl)) as ListValue).toArray()).toEqual([
      'abc',
      '0',
      '12',
      '-128',
      '-32768',
      '8388607',
      '-2147483648',
      '9223372036854775807',
    ]);
  });

  it('quicklist (type 14) of ziplists, ziplist hashes and zsets, zipmap hashes, v1 zsets', () => {
    const zlA = ziplist([str('a'), str('b')]);
    const zlB = ziplist([str('c')]);
    expect((load(14, [2, ...blob(zlA), ...blob(zlB)]) as ListValue).toArray()).toEqual(['a', 'b', 'c']);
    const hash = load(13, blob(ziplist([str('f'), str('v'), str('n'), [0xf3]]))) as HashValue;
    expect(Object.fromEntries(hash)).toEqual({ f: 'v', n: '2' });
    const zset = load(12, blob(ziplist([str('m'), str('2.5'), str('x'), [0xf1]]))) as SortedSetValue;
    expect([...zset.entries()]).toEqual([
      ['x', 0],
      ['m', 2.5],
    ]);
    // zipmap: zmlen, "f" → "vv" with 1 free byte, "g" → "" , end
    const zipmap = [2, 1, 0x66, 2, 1, 0x76, 0x76, 0x00, 1, 0x67, 0, 0, 0xff];
    expect(Object.fromEntries(load(9, blob(zipmap)) as HashValue)).toEqual({ f: 'vv', g: '' });
    const v1 = load(3, [3, ...str('a'), ...str('1.5'), ...str('b'), 254, ...str('c'), 255]) as SortedSetValue;
    expect([...v1.entries()]).toEqual([
      ['c', -Infinity],
      ['a', 1.5],
      ['b', Infinity],
    ]);
  });
});

describe('RdbStreamLoader with large records', () => {
  it('loads a multi-megabyte list and string arriving in 16 KiB chunks in linear time', () => {
    const items = Array.from({ length: 300_000 }, (_, i) => `element-${i}`);
    const big = `${'B'.repeat(3_000_000)}end`;
    const rdb = serializeRdb(
      [
        {
          index: 0,
          entries: [
            ['list', ListValue.from(items)],
            ['string', big],
          ],
        },
      ],
      { compress: false },
    );
    const got = new Map<string, RedisValue>();
    const loader = new RdbStreamLoader({ entry: (_db, key, value) => got.set(key, value) });
    const start = performance.now();
    for (let i = 0; i < rdb.length; i += 16384) loader.push(rdb.subarray(i, i + 16384));
    const summary = loader.end();
    const seconds = (performance.now() - start) / 1000;
    expect(summary.keys).toBe(2);
    expect((got.get('list') as ListValue).toArray()).toEqual(items);
    expect(got.get('string')).toBe(big);
    // Re-parsing a 6 MB record from its start on each of ~400 chunks would take far longer.
    expect(seconds).toBeLessThan(5);
    console.log(
      `stream loader: ${(rdb.length / 1048576).toFixed(1)} MB in 16 KiB chunks, ${seconds.toFixed(2)} s`,
    );
  });
});

describe('fuzzing the decoders (checksum verification off, so corrupt data reaches them)', () => {
  const files = [
    'strings.rdb',
    'lists.rdb',
    'list-compressed.rdb',
    'hashes.rdb',
    'sets.rdb',
    'zsets.rdb',
    'expiry.rdb',
  ];
  const buffers = files.map(fixture);

  it('random byte mutations either load or fail with RdbError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.nat(files.length - 1),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(255)), {
          minLength: 1,
          maxLength: 6,
        }),
        (fileIndex, mutations) => {
          const buf = Buffer.from(buffers[fileIndex]!);
          for (const [where, byte] of mutations)
            buf[Math.min(buf.length - 1, Math.floor(where * buf.length))] = byte;
          try {
            readRdb(buf, { entry: () => {} }, { verifyChecksum: false });
          } catch (err) {
            expect(err).toBeInstanceOf(RdbError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
