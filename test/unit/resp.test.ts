import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDouble, ReplyWriter } from '../../src/resp/reply-writer.js';
import { ProtocolError, RequestParser, splitInline } from '../../src/resp/request-parser.js';
import {
  encodeCommand,
  RespError,
  RespMap,
  type RespValue,
  RespValueParser,
} from '../../src/resp/value-parser.js';

const LIMITS = { maxBulkLen: 512 * 1024 * 1024, authenticated: true };
const binaryString = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1'));
const command = fc.array(binaryString, { minLength: 1, maxLength: 6 });

/** Feeds `bytes` split at the given cut points and returns every parsed command. */
function parseSplit(bytes: Buffer, cuts: number[]): string[][] {
  const parser = new RequestParser();
  const out: string[][] = [];
  let prev = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)]
    .sort((a, b) => a - b)
    .concat(bytes.length)) {
    parser.feed(bytes.subarray(prev, cut), out, LIMITS);
    prev = cut;
  }
  return out;
}

describe('request parser', () => {
  it('round-trips pipelines of binary commands split at every byte boundary', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 5 }), (cmds) => {
        const bytes = Buffer.concat(cmds.map((c) => encodeCommand(c)));
        for (let cut = 0; cut <= bytes.length; cut++) {
          expect(parseSplit(bytes, [cut])).toEqual(cmds);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips when fed one byte at a time, including arguments above the big-argument threshold', () => {
    const big = 'x'.repeat(40 * 1024);
    const cmds = [
      ['SET', 'k', big],
      ['GET', 'k'],
      ['SET', 'k2', `${big}y`],
    ];
    const bytes = Buffer.concat(cmds.map((c) => encodeCommand(c)));
    const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
    expect(parseSplit(bytes, everyByte)).toEqual(cmds);
    expect(parseSplit(bytes, [17, 20_000, 40_000, 41_000])).toEqual(cmds);
  });

  it('parses inline commands with quoting like redis-cli input', () => {
    const out: string[][] = [];
    new RequestParser().feed(
      Buffer.from('SET "a b" \'c\\\'d\'\r\nPING\n\r\n   \r\nGET "\\x41\\n"\r\n'),
      out,
      LIMITS,
    );
    expect(out).toEqual([['SET', 'a b', "c'd"], ['PING'], ['GET', 'A\n']]);
  });

  it('rejects malformed input with Redis protocol error texts', () => {
    const cases: [string, string][] = [
      ['*abc\r\n', 'invalid multibulk length'],
      ['*1\r\n+foo\r\n', "expected '$', got '+'"],
      ['*1\r\n$-5\r\n', 'invalid bulk length'],
      ['*1\r\n$abc\r\n', 'invalid bulk length'],
      ['*1\r\n$600000000\r\n', 'invalid bulk length'],
      ['SET "a\r\n', 'unbalanced quotes in request'],
    ];
    for (const [input, message] of cases) {
      expect(() => new RequestParser().feed(Buffer.from(input), [], LIMITS), input).toThrow(
        new ProtocolError(message),
      );
    }
  });

  it('refuses oversized headers and unauthenticated large requests', () => {
    expect(() => new RequestParser().feed(Buffer.alloc(70 * 1024, 'a'), [], LIMITS)).toThrow(
      'too big inline request',
    );
    expect(() => new RequestParser().feed(Buffer.from(`*${'1'.repeat(70 * 1024)}`), [], LIMITS)).toThrow(
      'too big mbulk count string',
    );
    const anonymous = { ...LIMITS, authenticated: false };
    expect(() => new RequestParser().feed(Buffer.from('*11\r\n'), [], anonymous)).toThrow(
      'invalid multibulk length',
    );
    expect(() => new RequestParser().feed(Buffer.from('*1\r\n$16385\r\n'), [], anonymous)).toThrow(
      'invalid bulk length',
    );
  });

  it('does not buffer a huge declared bulk up front', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from('*2\r\n$3\r\nSET\r\n$500000000\r\nabc'), [], LIMITS);
    expect(parser.bufferedBytes).toBeLessThan(1024);
  });

  it('splits inline arguments like sdssplitargs', () => {
    expect(splitInline('  a  "b c"  \'d\'  ')).toEqual(['a', 'b c', 'd']);
    expect(splitInline('"\\t\\r\\a"')).toEqual(['\t\r\x07']);
    expect(() => splitInline('"abc"def')).toThrow('unbalanced quotes');
  });
});

describe('reply writer and value parser', () => {
  const writeAll = (resp: 2 | 3, write: (w: ReplyWriter) => void): Buffer => {
    const w = new ReplyWriter();
    w.resp = resp;
    write(w);
    return Buffer.from(w.take());
  };

  it('round-trips bulk strings of every byte value, split at every boundary', () => {
    fc.assert(
      fc.property(fc.array(binaryString, { maxLength: 5 }), (items) => {
        const bytes = writeAll(2, (w) => w.bulkArray(items));
        for (let cut = 0; cut <= bytes.length; cut++) {
          const p = new RespValueParser();
          const got = [...p.feed(bytes.subarray(0, cut)), ...p.feed(bytes.subarray(cut))];
          expect(got).toEqual([items]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('writes integers digit by digit exactly as their decimal text, bigints and unsafe numbers too', () => {
    const edges = [0, -0, 1, -1, 9, 10, 99, 100, 1e15, -(2 ** 53 - 1), 2 ** 53 - 1, 2 ** 53, -(2 ** 63)];
    const text = (n: number | bigint) => `:${typeof n === 'number' && Object.is(n, -0) ? 0 : n}\r\n`;
    const check = (n: number | bigint) => {
      const w = new ReplyWriter();
      w.integer(n);
      expect(w.take().toString('latin1')).toBe(text(n));
    };
    for (const n of edges) check(n);
    check(-(2n ** 63n));
    fc.assert(fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger()), check));
  });

  it('writes RESP3 types and their RESP2 fallbacks', () => {
    const both = (write: (w: ReplyWriter) => void) => [
      writeAll(2, write).toString('latin1'),
      writeAll(3, write).toString('latin1'),
    ];
    expect(both((w) => w.nullBulk())).toEqual(['$-1\r\n', '_\r\n']);
    expect(both((w) => w.nullArray())).toEqual(['*-1\r\n', '_\r\n']);
    expect(both((w) => w.mapHeader(2))).toEqual(['*4\r\n', '%2\r\n']);
    expect(both((w) => w.double(1.5))).toEqual(['$3\r\n1.5\r\n', ',1.5\r\n']);
    expect(both((w) => w.bool(true))).toEqual([':1\r\n', '#t\r\n']);
    expect(both((w) => w.verbatim('hi'))).toEqual(['$2\r\nhi\r\n', '=6\r\ntxt:hi\r\n']);
  });

  it('parses nested RESP3 aggregates fed one byte at a time', () => {
    const bytes = Buffer.from('%2\r\n+a\r\n*2\r\n:1\r\n,2.5\r\n$1\r\nb\r\n~1\r\n#f\r\n-ERR x\r\n*0\r\n');
    const p = new RespValueParser();
    const got: RespValue[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(...p.feed(bytes.subarray(i, i + 1)));
    expect(got).toHaveLength(3);
    expect(got[0]).toBeInstanceOf(RespMap);
    expect((got[0] as RespMap).entries[0]).toEqual(['a', [1, 2.5]]);
    expect(got[1]).toEqual(new RespError('ERR x'));
    expect(got[2]).toEqual([]);
  });

  it('formats doubles as C printf %.17g, like Redis 7.0', () => {
    expect(formatDouble(1.1)).toBe('1.1000000000000001');
    expect(formatDouble(3)).toBe('3');
    expect(formatDouble(1e30)).toBe('1e+30');
    expect(formatDouble(1e-7)).toBe('9.9999999999999995e-08');
    expect(formatDouble(Number.NEGATIVE_INFINITY)).toBe('-inf');
    expect(formatDouble(1e16)).toBe('10000000000000000');
    expect(formatDouble(1e17)).toBe('1e+17');
  });
});
