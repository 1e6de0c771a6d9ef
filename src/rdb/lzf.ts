/**
 * LZF, the compression Redis uses for RDB strings (lzf_c.c / lzf_d.c by Marc Lehmann), written from the
 * format description. A compressed stream is a sequence of
 *   literal run:     000LLLLL  then L+1 bytes
 *   back-reference:  LLLooooo [LLLLLLLL if LLL == 7] oooooooo  copies len+2 bytes starting (offset+1)
 *                    bytes back in the output; the source may overlap the bytes being written.
 */

export class LzfError extends Error {
  override readonly name = 'LzfError';
}

const MAX_LITERAL_RUN = 32;
const MAX_OFFSET = 1 << 13;
const MAX_MATCH = 7 + 255 + 2;
const HASH_LOG = 14;

/**
 * Decompresses `input[start, end)` into a new buffer that must come out exactly `outLength` bytes long
 * (Redis stores the uncompressed length and treats any other result as corruption).
 */
export function lzfDecompress(input: Uint8Array, start: number, end: number, outLength: number): Buffer {
  const out = Buffer.allocUnsafe(outLength);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > end) throw new LzfError('literal run past the end of the compressed data');
      if (op + run > outLength) throw new LzfError('literal run past the declared uncompressed length');
      for (let i = 0; i < run; i++) out[op + i] = input[ip + i]!;
      ip += run;
      op += run;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= end) throw new LzfError('back-reference length byte missing');
        len += input[ip++]!;
      }
      if (ip >= end) throw new LzfError('back-reference offset byte missing');
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
      len += 2;
      if (ref < 0) throw new LzfError('back-reference before the start of the output');
      if (op + len > outLength) throw new LzfError('back-reference past the declared uncompressed length');
      if (ref + len <= op && len > 32) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Byte by byte: an overlapping source repeats the bytes just written (run-length encoding).
        for (const stop = op + len; op < stop; ) out[op++] = out[ref++]!;
      }
    }
  }
  if (op !== outLength) {
    throw new LzfError(`decompressed to ${op} bytes, expected ${outLength}`);
  }
  return out;
}

/**
 * Hash table of recent 3-byte prefixes → position. It is shared across calls and never cleared: each call
 * stores positions shifted by a running `generation`, so entries left by earlier calls decode to
 * positions before this input and are ignored. This keeps compressing many short strings cheap.
 */
const hashTable = new Int32Array(1 << HASH_LOG);
let generation = 1;

function hash3(a: number, b: number, c: number): number {
  return Math.imul((a << 16) | (b << 8) | c, 0x9e3779b1) >>> (32 - HASH_LOG);
}

/**
 * Compresses `input[start, end)` into `out`. Returns the compressed length, or 0 when the result does not
 * fit in `out` (the caller then stores the data uncompressed, exactly like lzf_compress's contract).
 */
export function lzfCompress(input: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const outEnd = out.length;
  if (generation > 0x3fffffff - (end - start)) {
    hashTable.fill(0);
    generation = 1;
  }
  const bias = generation - start;
  generation += end - start + 1;

  let ip = start;
  let literalStart = start;
  let op = 0;

  // Emits input[literalStart, upTo) as literal runs; returns false when out of space.
  const flushLiterals = (upTo: number): boolean => {
    while (literalStart < upTo) {
      const run = Math.min(MAX_LITERAL_RUN, upTo - literalStart);
      if (op + 1 + run > outEnd) return false;
      out[op++] = run - 1;
      for (let i = 0; i < run; i++) out[op++] = input[literalStart++]!;
    }
    return true;
  };

  while (ip + 2 < end) {
    const h = hash3(input[ip]!, input[ip + 1]!, input[ip + 2]!);
    const ref = hashTable[h]! - bias;
    hashTable[h] = bias + ip;
    const distance = ip - ref - 1;
    if (
      ref >= start &&
      distance < MAX_OFFSET &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      const maxLen = Math.min(MAX_MATCH, end - ip);
      let len = 3;
      while (len < maxLen && input[ref + len] === input[ip + len]) len++;
      if (!flushLiterals(ip)) return 0;
      const encodedLen = len - 2;
      if (op + (encodedLen < 7 ? 2 : 3) > outEnd) return 0;
      if (encodedLen < 7) {
        out[op++] = (encodedLen << 5) | (distance >>> 8);
      } else {
        out[op++] = (7 << 5) | (distance >>> 8);
        out[op++] = encodedLen - 7;
      }
      out[op++] = distance & 0xff;
      ip += len;
      literalStart = ip;
      // Index the last two positions of the match too: cheap, and it finds most follow-on repeats.
      if (ip + 1 < end) {
        hashTable[hash3(input[ip - 2]!, input[ip - 1]!, input[ip]!)] = bias + ip - 2;
        hashTable[hash3(input[ip - 1]!, input[ip]!, input[ip + 1]!)] = bias + ip - 1;
      }
    } else {
      ip++;
    }
  }
  if (!flushLiterals(end)) return 0;
  return op;
}
