import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Crc64, crc64 } from '../../src/rdb/crc64.js';
import { LzfError, lzfCompress, lzfDecompress } from '../../src/rdb/lzf.js';

const FIXTURES = new URL('../fixtures/rdb/', import.meta.url);

/** Bit-at-a-time reference implementation with BigInt, straight from the CRC parameters. */
function crc64Reference(data: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe('crc64', () => {
  it('matches the Redis test vector for "123456789"', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });

  it('is 0 for empty input', () => {
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  it('matches the trailer of a real Redis RDB file', () => {
    const rdb = readFileSync(new URL('minimal-handmade.rdb', FIXTURES));
    expect(crc64(rdb, 0, rdb.length - 8)).toBe(0x3d4013b0d27daaeen);
    expect(new Crc64().update(rdb, 0, rdb.length - 8).matchesLE(rdb, rdb.length - 8)).toBe(true);
  });

  it('agrees with a bitwise reference on random data of every alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(20), (data, cut) => {
        const expected = crc64Reference(data);
        expect(crc64(data)).toBe(expected);
        // Incremental updates in two pieces give the same result.
        const split = Math.min(cut, data.length);
        expect(new Crc64().update(data, 0, split).update(data, split).digest()).toBe(expected);
      }),
    );
  });

  it('can resume from a previous value', () => {
    const data = Buffer.from('hello world, this is a resumable crc');
    const first = crc64(data, 0, 10);
    expect(new Crc64(first).update(data, 10).digest()).toBe(crc64(data));
  });

  it('throughput (informational)', () => {
    const data = randomBytes(32 * 1024 * 1024);
    crc64(data, 0, 1 << 20); // warm-up
    const start = performance.now();
    crc64(data);
    const seconds = (performance.now() - start) / 1000;
    console.log(`crc64: ${(data.length / 1048576 / seconds).toFixed(0)} MB/s`);
  });
});

function roundTrip(input: Buffer): Buffer | undefined {
  const out = Buffer.alloc(input.length + 64);
  const n = lzfCompress(input, 0, input.length, out);
  if (n === 0) return undefined;
  return lzfDecompress(out, 0, n, input.length);
}

describe('lzf', () => {
  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), (data) => {
        const buf = Buffer.from(data);
        expect(roundTrip(buf)).toEqual(buf);
      }),
    );
  });

  it('round-trips repetitive data and compresses it', () => {
    const arb = fc
      .tuple(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.nat(2000),
      )
      .map(([pieces, reps]) => {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < reps + 4; i++) parts.push(pieces[i % pieces.length]!);
        return Buffer.concat(parts);
      });
    fc.assert(
      fc.property(arb, (buf) => {
        expect(roundTrip(buf)).toEqual(buf);
      }),
    );
    const text = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(100));
    const out = Buffer.alloc(text.length);
    const n = lzfCompress(text, 0, text.length, out);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(text.length / 10);
    expect(lzfDecompress(out, 0, n, text.length)).toEqual(text);
  });

  it('handles long runs (overlapping back-references) and offsets up to 8 KiB', () => {
    const runs = Buffer.alloc(100_000, 'a');
    expect(roundTrip(runs)).toEqual(runs);
    const far = Buffer.concat([randomBytes(8000), randomBytes(300)]);
    far.copy(far, 8100, 0, 200); // a repeat 8100 bytes back
    expect(roundTrip(far)).toEqual(far);
  });

  it('reports 0 when the output does not fit', () => {
    const noise = randomBytes(1000);
    expect(lzfCompress(noise, 0, noise.length, Buffer.alloc(996))).toBe(0);
  });

  it('decompresses a hand-made stream with a literal run and an overlapping back-reference', () => {
    // literal "ab" (ctrl 1), then back-reference len 5 (ctrl (3<<5)|0, distance byte 1) → "ababa" appended
    const stream = Buffer.from([0x01, 0x61, 0x62, 0x60, 0x01]);
    expect(lzfDecompress(stream, 0, stream.length, 7).toString()).toBe('abababa');
  });

  it('rejects corrupt streams', () => {
    expect(() => lzfDecompress(Buffer.from([0x05, 0x61]), 0, 2, 6)).toThrow(LzfError); // short literal
    expect(() => lzfDecompress(Buffer.from([0x00, 0x61, 0x20, 0x05]), 0, 4, 4)).toThrow(LzfError); // ref < 0
    expect(() => lzfDecompress(Buffer.from([0x00, 0x61]), 0, 2, 2)).toThrow(/expected 2/); // too short output
    expect(() => lzfDecompress(Buffer.from([0x01, 0x61, 0x62]), 0, 3, 1)).toThrow(LzfError); // too long output
    expect(() => lzfDecompress(Buffer.from([0x00, 0x61, 0xe0]), 0, 3, 20)).toThrow(LzfError); // missing bytes
  });

  it('decompression throughput (informational)', () => {
    const text = Buffer.from(
      Array.from({ length: 400_000 }, (_, i) => `key:${i}:value-${(i * 7919) % 1000}`).join(','),
    );
    const out = Buffer.alloc(text.length);
    let start = performance.now();
    const n = lzfCompress(text, 0, text.length, out);
    const compressSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    const back = lzfDecompress(out, 0, n, text.length);
    const seconds = (performance.now() - start) / 1000;
    expect(back.equals(text)).toBe(true);
    console.log(
      `lzf: ${(text.length / 1048576).toFixed(1)} MB → ${(n / 1048576).toFixed(1)} MB; compress ${(text.length / 1048576 / compressSeconds).toFixed(0)} MB/s, decompress ${(text.length / 1048576 / seconds).toFixed(0)} MB/s`,
    );
  });
});
