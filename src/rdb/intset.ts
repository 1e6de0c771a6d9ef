import { RdbError } from './errors.js';
import { parseCanonicalInt64 } from './numbers.js';

/**
 * Intset, Redis's sorted array of integers for small all-integer sets:
 *   <uint32 LE width: 2, 4 or 8> <uint32 LE count> count × signed LE integers, strictly ascending.
 */

const HEADER_SIZE = 8;

export function decodeIntset(blob: Buffer): string[] {
  if (blob.length < HEADER_SIZE) throw new RdbError(`intset of ${blob.length} bytes is too short`);
  const width = blob.readUInt32LE(0);
  const count = blob.readUInt32LE(4);
  if (width !== 2 && width !== 4 && width !== 8) throw new RdbError(`intset has invalid width ${width}`);
  if (blob.length !== HEADER_SIZE + width * count) {
    throw new RdbError(`intset of ${count} × ${width} bytes does not match its ${blob.length}-byte blob`);
  }
  const out = new Array<string>(count);
  for (let i = 0, p = HEADER_SIZE; i < count; i++, p += width) {
    out[i] =
      width === 2
        ? String(blob.readInt16LE(p))
        : width === 4
          ? String(blob.readInt32LE(p))
          : blob.readBigInt64LE(p).toString();
  }
  return out;
}

/**
 * The intset for `members` if every member is a canonical int64 (the condition for Redis to keep a set
 * as an intset), else undefined.
 */
export function encodeIntset(members: Iterable<string>): Buffer | undefined {
  const values: bigint[] = [];
  for (const m of members) {
    const v = m.length <= 20 ? parseCanonicalInt64(m) : undefined;
    if (v === undefined) return undefined;
    values.push(BigInt(v));
  }
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) {
      width = 8;
      break;
    }
    if (v < -32768n || v > 32767n) width = 4;
  }
  const blob = Buffer.allocUnsafe(HEADER_SIZE + width * values.length);
  blob.writeUInt32LE(width, 0);
  blob.writeUInt32LE(values.length, 4);
  let p = HEADER_SIZE;
  for (const v of values) {
    if (width === 2) blob.writeInt16LE(Number(v), p);
    else if (width === 4) blob.writeInt32LE(Number(v), p);
    else blob.writeBigInt64LE(v, p);
    p += width;
  }
  return blob;
}
