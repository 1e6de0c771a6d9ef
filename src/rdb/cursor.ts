import { RDB_14BITLEN, RDB_32BITLEN, RDB_64BITLEN, RDB_ENC_LZF, RDB_ENCVAL } from './constants.js';
import { RdbError } from './errors.js';
import { LzfError, lzfDecompress } from './lzf.js';

/**
 * Thrown (as a preallocated object, not an Error: it is control flow, not a failure) when a record runs
 * past the bytes received so far. The incremental loader rewinds to the record start and waits.
 */
export class NeedMoreData {
  /** Bytes needed from the start of the buffer, at least. */
  needed = 0;
}
const NEED_MORE = new NeedMoreData();

/**
 * A read position over the bytes of an RDB (or a DUMP payload) with the RDB primitive decoders.
 * `base` is the absolute stream offset of buf[0], for error messages. When `final` is false, running
 * out of bytes means "wait for more"; when true, it means the input is truncated.
 */
export class Cursor {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
    public base: number,
    public final: boolean,
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }

  fail(message: string, at = this.pos): never {
    throw new RdbError(message, this.base + at);
  }

  private short(n: number, what: string): never {
    if (this.final) {
      throw new RdbError(
        `unexpected end of RDB: ${what} needs ${n} byte(s), ${this.end - this.pos} left`,
        this.base + this.pos,
      );
    }
    NEED_MORE.needed = this.pos + n;
    throw NEED_MORE;
  }

  require(n: number, what: string): void {
    if (this.end - this.pos < n) this.short(n, what);
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.short(1, what);
    return this.buf[this.pos++]!;
  }

  int32LE(what: string): number {
    this.require(4, what);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A signed 64-bit little-endian integer that must fit a JS number exactly (expiry times do). */
  int64LE(what: string): number {
    this.require(8, what);
    const v = this.buf.readBigInt64LE(this.pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`${what} ${v} is out of range`);
    }
    this.pos += 8;
    return Number(v);
  }

  doubleLE(what: string): number {
    this.require(8, what);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * A length, or a special string encoding: returns the length (>= 0), or -1 - encoding for the
   * "11xxxxxx" special forms (only meaningful where a string is expected).
   */
  lengthOrEncoding(what: string): number {
    const first = this.u8(what);
    const kind = first >>> 6;
    if (kind === 0) return first & 0x3f;
    if (kind === RDB_14BITLEN) return ((first & 0x3f) << 8) | this.u8(what);
    if (kind === RDB_ENCVAL) return -1 - (first & 0x3f);
    if (first === RDB_32BITLEN) {
      this.require(4, what);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (first === RDB_64BITLEN) {
      this.require(8, what);
      const v = this.buf.readBigUInt64BE(this.pos);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what}: length ${v} is too large`, this.pos - 1);
      this.pos += 8;
      return Number(v);
    }
    return this.fail(`${what}: invalid length encoding 0x${first.toString(16)}`, this.pos - 1);
  }

  length(what: string): number {
    const at = this.pos;
    const len = this.lengthOrEncoding(what);
    if (len < 0) this.fail(`${what}: expected a length, found a string encoding`, at);
    return len;
  }

  /** A string as a latin1 JS string (one char per byte), decoding int and LZF forms. */
  string(what: string): string {
    const at = this.pos;
    const len = this.lengthOrEncoding(what);
    if (len >= 0) {
      this.require(len, what);
      const s = this.buf.latin1Slice(this.pos, this.pos + len);
      this.pos += len;
      return s;
    }
    const enc = -1 - len;
    if (enc === RDB_ENC_LZF) {
      const bytes = this.lzf(what, at);
      return bytes.latin1Slice(0, bytes.length);
    }
    return String(this.intEncoded(enc, what, at));
  }

  /**
   * A string as bytes, for values that are blobs (listpacks, intsets, ziplists). The result may share
   * memory with the input buffer; it is consumed immediately.
   */
  bytes(what: string): Buffer {
    const at = this.pos;
    const len = this.lengthOrEncoding(what);
    if (len >= 0) {
      this.require(len, what);
      const b = this.buf.subarray(this.pos, this.pos + len);
      this.pos += len;
      return b;
    }
    const enc = -1 - len;
    if (enc === RDB_ENC_LZF) return this.lzf(what, at);
    return Buffer.from(String(this.intEncoded(enc, what, at)), 'latin1');
  }

  private intEncoded(enc: number, what: string, at: number): number {
    switch (enc) {
      case 0:
        return (this.u8(what) << 24) >> 24;
      case 1: {
        this.require(2, what);
        const v = this.buf.readInt16LE(this.pos);
        this.pos += 2;
        return v;
      }
      case 2:
        return this.int32LE(what);
      default:
        return this.fail(`${what}: unknown string encoding ${enc}`, at);
    }
  }

  private lzf(what: string, at: number): Buffer {
    const compressedLength = this.length(`${what} (LZF compressed length)`);
    const length = this.length(`${what} (LZF uncompressed length)`);
    this.require(compressedLength, what);
    const start = this.pos;
    this.pos += compressedLength;
    // One 3-byte back-reference expands to at most 264 bytes: a larger ratio is a corrupt length, and
    // must not be trusted with an allocation.
    if (length > compressedLength * 88) {
      this.fail(`${what}: LZF length ${length} impossible for ${compressedLength} compressed bytes`, at);
    }
    try {
      return lzfDecompress(this.buf, start, start + compressedLength, length);
    } catch (err) {
      if (err instanceof LzfError) this.fail(`${what}: invalid LZF data: ${err.message}`, at);
      throw err;
    }
  }
}
