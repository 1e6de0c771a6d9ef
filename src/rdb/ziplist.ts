import { RdbError } from './errors.js';

/**
 * The pre-7.0 compact encodings, which Redis 7.0 still loads (and converts) from older RDB files:
 * ziplists (Redis 2.6–6.2 small lists, hashes and zsets, quicklist nodes) and zipmaps (Redis ≤ 2.4 hashes).
 */

const ZIPLIST_HEADER_SIZE = 10;

/**
 *   <uint32 LE zlbytes> <uint32 LE zltail> <uint16 LE zllen> entry* 0xFF
 *   entry = <prevlen: 1 byte, or 0xFE + uint32 LE> <encoding> <data>
 */
export function decodeZiplist(zl: Buffer): string[] {
  const size = zl.length;
  if (size < ZIPLIST_HEADER_SIZE + 1) throw new RdbError(`ziplist of ${size} bytes is too short`);
  if (zl.readUInt32LE(0) !== size) throw new RdbError('ziplist header length does not match the blob');
  if (zl[size - 1] !== 0xff) throw new RdbError('ziplist does not end with 0xFF');
  const count = zl.readUInt16LE(8);
  const last = size - 1;
  const out: string[] = [];
  let p = ZIPLIST_HEADER_SIZE;
  const need = (n: number): void => {
    if (p + n > last) throw new RdbError(`ziplist entry at byte ${p} overruns the blob`);
  };
  while (p < last) {
    need(1);
    p += zl[p] === 0xfe ? 5 : 1; // prevlen is only needed to walk backwards
    need(1);
    const b = zl[p]!;
    const kind = b >>> 6;
    if (kind < 3) {
      let len: number;
      if (kind === 0) {
        len = b & 0x3f;
        p += 1;
      } else if (kind === 1) {
        need(2);
        len = ((b & 0x3f) << 8) | zl[p + 1]!;
        p += 2;
      } else {
        need(5);
        len = zl.readUInt32BE(p + 1);
        p += 5;
      }
      need(len);
      out.push(zl.latin1Slice(p, p + len));
      p += len;
      continue;
    }
    let value: number | bigint;
    switch (b) {
      case 0xc0:
        need(3);
        value = zl.readInt16LE(p + 1);
        p += 3;
        break;
      case 0xd0:
        need(5);
        value = zl.readInt32LE(p + 1);
        p += 5;
        break;
      case 0xe0:
        need(9);
        value = zl.readBigInt64LE(p + 1);
        p += 9;
        break;
      case 0xf0:
        need(4);
        value = zl.readIntLE(p + 1, 3);
        p += 4;
        break;
      case 0xfe:
        need(2);
        value = zl.readInt8(p + 1);
        p += 2;
        break;
      default:
        if (b >= 0xf1 && b <= 0xfd) {
          value = (b & 0x0f) - 1;
          p += 1;
          break;
        }
        throw new RdbError(`ziplist entry at byte ${p} has invalid encoding 0x${b.toString(16)}`);
    }
    out.push(String(value));
  }
  if (count !== 65535 && count !== out.length) {
    throw new RdbError(`ziplist header says ${count} entries, found ${out.length}`);
  }
  return out;
}

/**
 * A zipmap: <zmlen> { <len> field <len> <free> value <free bytes> }* 0xFF, where a length is one byte
 * below 254, or 254 followed by a uint32 (little-endian, as written by x86 Redis).
 * Returns field, value, field, value...
 */
export function decodeZipmap(zm: Buffer): string[] {
  const size = zm.length;
  if (size < 2 || zm[size - 1] !== 0xff) throw new RdbError('zipmap does not end with 0xFF');
  const out: string[] = [];
  let p = 1;
  const readLength = (): number => {
    const b = zm[p]!;
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254 && p + 5 <= size) {
      p += 5;
      return zm.readUInt32LE(p - 4);
    }
    throw new RdbError(`zipmap has an invalid length at byte ${p}`);
  };
  while (p < size && zm[p] !== 0xff) {
    const fieldLength = readLength();
    if (p + fieldLength > size - 1) throw new RdbError('zipmap field overruns the blob');
    const field = zm.latin1Slice(p, p + fieldLength);
    p += fieldLength;
    if (p >= size - 1) throw new RdbError('zipmap field without a value');
    const valueLength = readLength();
    if (p >= size - 1) throw new RdbError('zipmap value overruns the blob');
    const free = zm[p++]!;
    if (p + valueLength + free > size - 1) throw new RdbError('zipmap value overruns the blob');
    out.push(field, zm.latin1Slice(p, p + valueLength));
    p += valueLength + free;
  }
  if (p !== size - 1) throw new RdbError('zipmap has bytes after its end marker');
  return out;
}
