import { HashValue, ListValue, type RedisValue, SetValue, type SortedSetValue } from '../keyspace/values.js';
import {
  HASH_MAX_LISTPACK_ENTRIES,
  HASH_MAX_LISTPACK_VALUE,
  LIST_MAX_LISTPACK_BYTES,
  LZF_MIN_LENGTH,
  QUICKLIST_NODE_PACKED,
  RDB_14BITLEN,
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RdbType,
  SET_MAX_INTSET_ENTRIES,
  ZSET_MAX_LISTPACK_ENTRIES,
  ZSET_MAX_LISTPACK_VALUE,
} from './constants.js';
import { encodeIntset } from './intset.js';
import { ListpackBuilder } from './listpack.js';
import { lzfCompress } from './lzf.js';
import { formatScore, parseInt32Encodable } from './numbers.js';

/** Scratch space for LZF: the raw bytes of the string being compressed, and the compressor's output. */
let lzfInput = Buffer.allocUnsafe(4096);
let lzfOutput = Buffer.allocUnsafe(4096);

/**
 * Serializes RDB primitives and values into a growable buffer, choosing the encodings Redis 7.0 would:
 * integer-encoded and LZF-compressed strings, listpacks for small hashes and zsets, intsets for small
 * integer sets, quicklists of 8 KiB listpack nodes for lists, plain encodings for the rest.
 */
export class RdbEncoder {
  buf: Buffer;
  pos = 0;

  constructor(
    initialSize = 64 * 1024,
    /** rdbcompression: LZF-compress strings longer than 20 bytes when that saves at least 4 bytes. */
    readonly compress = true,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Hands over the bytes written so far and starts a fresh buffer. */
  detach(nextSize: number): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(nextSize);
    this.pos = 0;
    return out;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  int64LE(v: number): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(v), this.pos);
    this.pos += 8;
  }

  doubleLE(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** RDB length: 6-bit, 14-bit, 32-bit or 64-bit (big-endian) form, the smallest that fits. */
  length(n: number): void {
    this.ensure(9);
    const buf = this.buf;
    if (n < 64) {
      buf[this.pos++] = n;
    } else if (n < 16384) {
      buf[this.pos++] = (RDB_14BITLEN << 6) | (n >>> 8);
      buf[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      buf[this.pos++] = RDB_32BITLEN;
      buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      buf[this.pos++] = RDB_64BITLEN;
      buf.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  /** A binary string, int-encoded or LZF-compressed when Redis would do so. */
  string(s: string): void {
    const n = s.length;
    if (n <= 11) {
      const int = parseInt32Encodable(s);
      if (int !== undefined) {
        this.int32Encoded(int);
        return;
      }
    }
    if (this.compress && n > LZF_MIN_LENGTH) {
      if (lzfInput.length < n) lzfInput = Buffer.allocUnsafe(n * 2);
      lzfInput.latin1Write(s, 0, n);
      this.bytesFrom(lzfInput, n);
      return;
    }
    this.length(n);
    this.ensure(n);
    this.pos += this.buf.latin1Write(s, this.pos, n);
  }

  /** A string holding binary data (listpack, intset): never int-encoded, possibly compressed. */
  bytes(data: Buffer): void {
    this.bytesFrom(data, data.length);
  }

  private bytesFrom(data: Buffer, n: number): void {
    if (this.compress && n > LZF_MIN_LENGTH) {
      // Only worth it when it saves at least 4 bytes (lzf_compress fails if the output exceeds n - 4).
      if (lzfOutput.length < n) lzfOutput = Buffer.allocUnsafe(n * 2);
      const compressed = lzfCompress(data, 0, n, lzfOutput.subarray(0, n - 4));
      if (compressed > 0) {
        this.u8((RDB_ENCVAL << 6) | RDB_ENC_LZF);
        this.length(compressed);
        this.length(n);
        this.ensure(compressed);
        lzfOutput.copy(this.buf, this.pos, 0, compressed);
        this.pos += compressed;
        return;
      }
    }
    this.length(n);
    this.ensure(n);
    data.copy(this.buf, this.pos, 0, n);
    this.pos += n;
  }

  private int32Encoded(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    if (v >= -128 && v <= 127) {
      buf[this.pos++] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
      buf.writeInt8(v, this.pos);
      this.pos += 1;
    } else if (v >= -32768 && v <= 32767) {
      buf[this.pos++] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
      buf.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else {
      buf[this.pos++] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
      buf.writeInt32LE(v, this.pos);
      this.pos += 4;
    }
  }

  /**
   * Writes `<type> [key] <value>`: the type byte depends on the encoding chosen while serializing, so it
   * is reserved first and filled in afterwards. Empty collections must not be written (Redis never does).
   */
  object(value: RedisValue, key?: string): void {
    const typeAt = this.pos;
    this.u8(0);
    if (key !== undefined) this.string(key);
    const type = this.objectPayload(value); // may reallocate this.buf: patch it only afterwards
    this.buf[typeAt] = type;
  }

  private objectPayload(value: RedisValue): number {
    if (typeof value === 'string') {
      this.string(value);
      return RdbType.String;
    }
    // Redis never stores empty collections, and loaders treat them as anomalies: refuse to write one.
    const size = value instanceof ListValue ? value.length : value.size;
    if (size === 0) throw new Error('RDB encoder: refusing to serialize an empty collection');
    if (value instanceof ListValue) return this.list(value);
    if (value instanceof HashValue) return this.hash(value);
    if (value instanceof SetValue) return this.set(value);
    return this.zset(value);
  }

  private list(list: ListValue): number {
    const nodes: Buffer[] = [];
    let node = new ListpackBuilder(256);
    for (const item of list) {
      if (node.entries > 0 && node.byteSize + quicklistInsertCost(item.length) > LIST_MAX_LISTPACK_BYTES) {
        nodes.push(node.finish());
        node = new ListpackBuilder(256);
      }
      node.append(item);
    }
    if (node.entries > 0) nodes.push(node.finish());
    this.length(nodes.length);
    for (const lp of nodes) {
      this.length(QUICKLIST_NODE_PACKED);
      this.bytes(lp);
    }
    return RdbType.ListQuicklist2;
  }

  private hash(hash: HashValue): number {
    let small = hash.size <= HASH_MAX_LISTPACK_ENTRIES;
    if (small) {
      for (const [field, value] of hash) {
        if (field.length > HASH_MAX_LISTPACK_VALUE || value.length > HASH_MAX_LISTPACK_VALUE) {
          small = false;
          break;
        }
      }
    }
    if (small) {
      const lp = new ListpackBuilder(hash.size * 16);
      for (const [field, value] of hash) {
        lp.append(field);
        lp.append(value);
      }
      this.bytes(lp.finish());
      return RdbType.HashListpack;
    }
    this.length(hash.size);
    for (const [field, value] of hash) {
      this.string(field);
      this.string(value);
    }
    return RdbType.Hash;
  }

  private set(set: SetValue): number {
    if (set.size <= SET_MAX_INTSET_ENTRIES) {
      const intset = encodeIntset(set);
      if (intset !== undefined) {
        this.bytes(intset);
        return RdbType.SetIntset;
      }
    }
    this.length(set.size);
    for (const member of set) this.string(member);
    return RdbType.Set;
  }

  private zset(zset: SortedSetValue): number {
    const entries = [...zset.entries()];
    let small = entries.length <= ZSET_MAX_LISTPACK_ENTRIES;
    if (small) {
      for (const [member] of entries) {
        if (member.length > ZSET_MAX_LISTPACK_VALUE) {
          small = false;
          break;
        }
      }
    }
    if (small) {
      const lp = new ListpackBuilder(entries.length * 16);
      for (const [member, score] of entries) {
        lp.append(member);
        lp.append(formatScore(score));
      }
      this.bytes(lp.finish());
      return RdbType.ZsetListpack;
    }
    // Highest score first, as Redis writes it, so that loading appends at the skiplist head cheaply.
    this.length(entries.length);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [member, score] = entries[i]!;
      this.string(member);
      this.doubleLE(score);
    }
    return RdbType.Zset2;
  }
}

/**
 * The size Redis 7.0 assumes an element adds to a quicklist node when deciding whether it still fits
 * (_quicklistNodeAllowInsert: the raw length plus a fixed overestimate of the entry overhead). Using the
 * same estimate makes our node boundaries, and so our DUMP payloads, identical to Redis's for lists
 * built by pushes.
 */
function quicklistInsertCost(length: number): number {
  return length + 8;
}
