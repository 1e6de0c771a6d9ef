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
import {
  DUMP_BAD_DATA_FORMAT_ERROR,
  DUMP_VERSION_OR_CHECKSUM_ERROR,
  dumpValue,
  restoreValue,
} from '../../src/rdb/dump.js';

/** DUMP output of a real redis-server 7.0.15 (rdbcompression yes), captured with ioredis dumpBuffer. */
const REDIS_DUMPS: Record<string, string> = {
  s: '000568656c6c6f0a006372df766534200a', // SET s hello
  i: '00c139300a009d94ea2793fc08b9', // SET i 12345
  l: '1201020f0f00000003008161028162020101ff0a00e01bab4a47ce5922', // RPUSH l a b 1
  h: '1012120000000400816602817602816e020701ff0a00b82adea8407ffaa8', // HSET h f v n 7
  si: '0b0e0200000003000000fdff010002000a00d1b78ed9bc07c27f', // SADD si 1 2 -3
  ss: '0202016201610a0075d99d835ef85f65', // SADD ss a b
  // ZADD z 1.5 a -inf b 0.1 c (listpack, LZF-compressed)
  z: '11c3273016300000000600816202842d696e660581630293302e3130e005000a311481610283312e3504ff0a00cd5e975e66e07605',
  lz: '00c3094064016161e057000161610a00e8a3b507b06df271', // SET lz <100 × a>
};

function describeValue(v: RedisValue): unknown {
  if (typeof v === 'string') return v;
  if (v instanceof ListValue) return ['list', v.toArray()];
  if (v instanceof HashValue) return ['hash', Object.fromEntries(v)];
  if (v instanceof SetValue) return ['set', [...v].sort()];
  return ['zset', [...(v as SortedSetValue).entries()]];
}

describe('DUMP payloads of real Redis', () => {
  it('restore to the values Redis dumped', () => {
    const got = Object.fromEntries(
      Object.entries(REDIS_DUMPS).map(([k, hex]) => [
        k,
        describeValue(restoreValue(Buffer.from(hex, 'hex'))),
      ]),
    );
    expect(got).toEqual({
      s: 'hello',
      i: '12345',
      l: ['list', ['a', 'b', '1']],
      h: ['hash', { f: 'v', n: '7' }],
      si: ['set', ['-3', '1', '2']],
      ss: ['set', ['a', 'b']],
      z: [
        'zset',
        [
          ['b', -Infinity],
          ['c', 0.1],
          ['a', 1.5],
        ],
      ],
      lz: 'a'.repeat(100),
    });
  });

  it('our DUMP of the same values is byte-identical when no compression is involved', () => {
    for (const key of ['s', 'i', 'l', 'h', 'si', 'ss']) {
      const payload = Buffer.from(REDIS_DUMPS[key]!, 'hex');
      expect(dumpValue(restoreValue(payload)).toString('hex'), key).toBe(REDIS_DUMPS[key]);
    }
  });
});

describe('dumpValue / restoreValue', () => {
  it('round-trips values', () => {
    const str = fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1'));
    fc.assert(
      fc.property(
        fc.oneof(
          str,
          fc.array(str, { minLength: 1, maxLength: 20 }).map((a) => ListValue.from(a)),
          fc.uniqueArray(str, { minLength: 1, maxLength: 20 }).map((a) => new SetValue(a)),
          fc
            .uniqueArray(fc.tuple(str, str), { minLength: 1, maxLength: 20, selector: (e) => e[0] })
            .map((e) => new HashValue(e)),
          fc
            .uniqueArray(fc.tuple(str, fc.double({ noNaN: true })), {
              minLength: 1,
              maxLength: 20,
              selector: (e) => e[0],
            })
            .map((e) => {
              const z = new SortedSetValue();
              for (const [m, s] of e) z.add(m, s);
              return z;
            }),
        ),
        fc.boolean(),
        (value, compress) => {
          expect(describeValue(restoreValue(dumpValue(value, compress)))).toEqual(describeValue(value));
        },
      ),
    );
  });

  it("rejects a wrong checksum, a newer version, or a too short payload with Redis's error", () => {
    const good = dumpValue('hello');
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 1;
    expect(() => restoreValue(badCrc)).toThrow(DUMP_VERSION_OR_CHECKSUM_ERROR);
    const flipped = Buffer.from(good);
    flipped[2]! ^= 0x20;
    expect(() => restoreValue(flipped)).toThrow(DUMP_VERSION_OR_CHECKSUM_ERROR);
    expect(() => restoreValue(Buffer.from('short'))).toThrow(DUMP_VERSION_OR_CHECKSUM_ERROR);

    const newer = Buffer.from(good);
    newer.writeUInt16LE(11, newer.length - 10);
    newer.writeBigUInt64LE(crc64(newer, 0, newer.length - 8), newer.length - 8);
    expect(() => restoreValue(newer)).toThrow(DUMP_VERSION_OR_CHECKSUM_ERROR);
    expect(DUMP_VERSION_OR_CHECKSUM_ERROR).toBe('ERR DUMP payload version or checksum are wrong');
  });

  it('rejects well-formed footers around bad data with "Bad data format"', () => {
    const withFooter = (body: number[]): Buffer => {
      const b = Buffer.concat([Buffer.from(body), Buffer.from([10, 0]), Buffer.alloc(8)]);
      b.writeBigUInt64LE(crc64(b, 0, b.length - 8), b.length - 8);
      return b;
    };
    expect(() => restoreValue(withFooter([0x00, 0x05, 0x61]))).toThrow(DUMP_BAD_DATA_FORMAT_ERROR); // truncated
    expect(() => restoreValue(withFooter([0x13, 0x00]))).toThrow(DUMP_BAD_DATA_FORMAT_ERROR); // stream type
    expect(() => restoreValue(withFooter([0x02, 0x00]))).toThrow(DUMP_BAD_DATA_FORMAT_ERROR); // empty set
    expect(() => restoreValue(withFooter([0x10, 0x03, 1, 2, 3]))).toThrow(DUMP_BAD_DATA_FORMAT_ERROR); // bad listpack
    expect(restoreValue(withFooter([0x00, 0x01, 0x61]))).toBe('a');
  });
});
