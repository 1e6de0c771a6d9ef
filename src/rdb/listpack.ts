import { RdbError } from './errors.js';
import { parseCanonicalInt64 } from './numbers.js';

/**
 * Listpack, the compact sequence Redis 7.0 uses for small hashes, zsets and quicklist nodes:
 *   <uint32 LE total bytes> <uint16 LE count, 65535 = unknown> entry* 0xFF
 *   entry = <encoding + data> <backlen: size of encoding+data, 1..5 bytes, 7 bits per byte>
 * Integer entries come back as their decimal text: they were canonical integer strings when stored.
 */

const HEADER_SIZE = 6;
const EOF_BYTE = 0xff;
const COUNT_UNKNOWN = 65535;

function backlenSize(entryLength: number): number {
  if (entryLength <= 127) return 1;
  if (entryLength < 16383) return 2;
  if (entryLength < 2097151) return 3;
  if (entryLength < 268435455) return 4;
  return 5;
}

export function decodeListpack(lp: Buffer): string[] {
  const size = lp.length;
  if (size < HEADER_SIZE + 1) throw new RdbError(`listpack of ${size} bytes is too short`);
  const total = lp.readUInt32LE(0);
  if (total !== size) throw new RdbError(`listpack header says ${total} bytes, blob has ${size}`);
  if (lp[size - 1] !== EOF_BYTE) throw new RdbError('listpack does not end with 0xFF');
  const count = lp.readUInt16LE(4);
  const last = size - 1; // entries must end before the terminator
  const out: string[] = [];
  let p = HEADER_SIZE;
  const need = (n: number): void => {
    if (p + n > last) throw new RdbError(`listpack entry at byte ${p} overruns the blob`);
  };
  while (p < last) {
    const start = p;
    const b = lp[p]!;
    let value: string;
    if (b < 0x80) {
      value = String(b);
      p += 1;
    } else if ((b & 0xc0) === 0x80) {
      const len = b & 0x3f;
      need(1 + len);
      value = lp.latin1Slice(p + 1, p + 1 + len);
      p += 1 + len;
    } else if ((b & 0xe0) === 0xc0) {
      need(2);
      const v = ((b & 0x1f) << 8) | lp[p + 1]!;
      value = String(v >= 4096 ? v - 8192 : v);
      p += 2;
    } else if ((b & 0xf0) === 0xe0) {
      need(2);
      const len = ((b & 0x0f) << 8) | lp[p + 1]!;
      need(2 + len);
      value = lp.latin1Slice(p + 2, p + 2 + len);
      p += 2 + len;
    } else {
      switch (b) {
        case 0xf0: {
          need(5);
          const len = lp.readUInt32LE(p + 1);
          need(5 + len);
          value = lp.latin1Slice(p + 5, p + 5 + len);
          p += 5 + len;
          break;
        }
        case 0xf1:
          need(3);
          value = String(lp.readInt16LE(p + 1));
          p += 3;
          break;
        case 0xf2:
          need(4);
          value = String(lp.readIntLE(p + 1, 3));
          p += 4;
          break;
        case 0xf3:
          need(5);
          value = String(lp.readInt32LE(p + 1));
          p += 5;
          break;
        case 0xf4:
          need(9);
          value = lp.readBigInt64LE(p + 1).toString();
          p += 9;
          break;
        default:
          throw new RdbError(`listpack entry at byte ${p} has invalid encoding 0x${b.toString(16)}`);
      }
    }
    const entryLength = p - start;
    const blen = backlenSize(entryLength);
    need(blen);
    let stored = lp[p]! & 0x7f;
    for (let i = 1; i < blen; i++) stored = stored * 128 + (lp[p + i]! & 0x7f);
    if (stored !== entryLength) throw new RdbError(`listpack entry at byte ${start} has a wrong back-length`);
    p += blen;
    out.push(value);
  }
  if (count !== COUNT_UNKNOWN && out.length !== count) {
    throw new RdbError(`listpack header says ${count} entries, found ${out.length}`);
  }
  return out;
}

/** Builds listpacks with Redis's choice of entry encodings (integers for canonical int64 strings). */
export class ListpackBuilder {
  private buf: Buffer;
  private pos = HEADER_SIZE;
  private count = 0;

  constructor(sizeHint = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(sizeHint, 64));
  }

  get entries(): number {
    return this.count;
  }

  /** Bytes the finished listpack would take. */
  get byteSize(): number {
    return this.pos + 1;
  }

  private ensure(n: number): void {
    if (this.pos + n + 1 <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 1));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  append(s: string): void {
    const int = s.length <= 20 ? parseCanonicalInt64(s) : undefined;
    const start = this.pos;
    if (int !== undefined) {
      this.ensure(9 + 1);
      this.writeInteger(int);
    } else {
      const n = s.length;
      this.ensure(n + 5 + 5);
      const buf = this.buf;
      if (n < 64) {
        buf[this.pos++] = 0x80 | n;
      } else if (n < 4096) {
        buf[this.pos++] = 0xe0 | (n >>> 8);
        buf[this.pos++] = n & 0xff;
      } else {
        buf[this.pos++] = 0xf0;
        buf.writeUInt32LE(n, this.pos);
        this.pos += 4;
      }
      this.pos += buf.latin1Write(s, this.pos, n);
    }
    this.writeBacklen(this.pos - start);
    this.count++;
  }

  private writeInteger(v: number | bigint): void {
    const buf = this.buf;
    if (typeof v === 'bigint') {
      buf[this.pos] = 0xf4;
      buf.writeBigInt64LE(v, this.pos + 1);
      this.pos += 9;
    } else if (v >= 0 && v <= 127) {
      buf[this.pos++] = v;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      buf[this.pos++] = 0xc0 | (u >>> 8);
      buf[this.pos++] = u & 0xff;
    } else if (v >= -32768 && v <= 32767) {
      buf[this.pos] = 0xf1;
      buf.writeInt16LE(v, this.pos + 1);
      this.pos += 3;
    } else if (v >= -8388608 && v <= 8388607) {
      buf[this.pos] = 0xf2;
      buf.writeIntLE(v, this.pos + 1, 3);
      this.pos += 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      buf[this.pos] = 0xf3;
      buf.writeInt32LE(v, this.pos + 1);
      this.pos += 5;
    } else {
      buf[this.pos] = 0xf4;
      buf.writeBigInt64LE(BigInt(v), this.pos + 1);
      this.pos += 9;
    }
  }

  private writeBacklen(len: number): void {
    const size = backlenSize(len);
    this.ensure(size);
    // Most significant 7-bit group first; every byte but the first has its high bit set.
    for (let i = size - 1; i >= 0; i--) {
      this.buf[this.pos + i] = (len & 0x7f) | (i === 0 ? 0 : 0x80);
      len = Math.floor(len / 128);
    }
    this.pos += size;
  }

  /** The finished listpack. The builder must not be used afterwards. */
  finish(): Buffer {
    this.ensure(1);
    this.buf[this.pos++] = EOF_BYTE;
    this.buf.writeUInt32LE(this.pos, 0);
    this.buf.writeUInt16LE(Math.min(this.count, COUNT_UNKNOWN), 4);
    return this.buf.subarray(0, this.pos);
  }
}
