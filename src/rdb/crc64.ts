/**
 * Redis's CRC-64 ("Jones" polynomial 0xad93d23594c935a9, reflected input and output, initial value 0, no
 * final xor), as used for the RDB trailer and DUMP payloads.
 *
 * JavaScript has no fast 64-bit integers, so the register is kept as two uint32 halves and the update
 * is table-driven, eight bytes per step ("slicing-by-8"): table k holds the CRC of byte i followed by k
 * zero bytes, so eight lookups advance the register over eight input bytes at once. BigInt is only used
 * at the edges (the public value).
 */

const REFLECTED_POLY_HI = 0x95ac9329;
const REFLECTED_POLY_LO = 0xac4bc9b5;
const SLICES = 8;

/** TABLE_LO[k * 256 + i] / TABLE_HI[...]: the halves of the slice-k table entry for byte i. */
const TABLE_LO = new Uint32Array(SLICES * 256);
const TABLE_HI = new Uint32Array(SLICES * 256);

(function buildTables(): void {
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi >>>= 1;
      if (carry) {
        lo = (lo ^ REFLECTED_POLY_LO) >>> 0;
        hi = (hi ^ REFLECTED_POLY_HI) >>> 0;
      }
    }
    TABLE_LO[i] = lo;
    TABLE_HI[i] = hi;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let i = 0; i < 256; i++) {
      const prevLo = TABLE_LO[(k - 1) * 256 + i]!;
      const prevHi = TABLE_HI[(k - 1) * 256 + i]!;
      // One more zero byte: shift the register right by 8 and fold in the byte shifted out.
      const t = prevLo & 0xff;
      TABLE_LO[k * 256 + i] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLE_LO[t]!) >>> 0;
      TABLE_HI[k * 256 + i] = ((prevHi >>> 8) ^ TABLE_HI[t]!) >>> 0;
    }
  }
})();

/** An incremental CRC-64: feed it bytes in any number of pieces. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  constructor(initial = 0n) {
    this.lo = Number(initial & 0xffffffffn);
    this.hi = Number((initial >> 32n) & 0xffffffffn);
  }

  update(data: Uint8Array, start = 0, end = data.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let p = start;
    const fastEnd = end - 8;
    const T_LO = TABLE_LO;
    const T_HI = TABLE_HI;
    while (p <= fastEnd) {
      lo ^= data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24);
      hi ^= data[p + 4]! | (data[p + 5]! << 8) | (data[p + 6]! << 16) | (data[p + 7]! << 24);
      const i0 = 7 * 256 + (lo & 0xff);
      const i1 = 6 * 256 + ((lo >>> 8) & 0xff);
      const i2 = 5 * 256 + ((lo >>> 16) & 0xff);
      const i3 = 4 * 256 + (lo >>> 24);
      const i4 = 3 * 256 + (hi & 0xff);
      const i5 = 2 * 256 + ((hi >>> 8) & 0xff);
      const i6 = 256 + ((hi >>> 16) & 0xff);
      const i7 = hi >>> 24;
      lo = T_LO[i0]! ^ T_LO[i1]! ^ T_LO[i2]! ^ T_LO[i3]! ^ T_LO[i4]! ^ T_LO[i5]! ^ T_LO[i6]! ^ T_LO[i7]!;
      hi = T_HI[i0]! ^ T_HI[i1]! ^ T_HI[i2]! ^ T_HI[i3]! ^ T_HI[i4]! ^ T_HI[i5]! ^ T_HI[i6]! ^ T_HI[i7]!;
      p += 8;
    }
    while (p < end) {
      const t = (lo ^ data[p]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[t]!;
      hi = (hi >>> 8) ^ T_HI[t]!;
      p++;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  digest(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Writes the CRC as Redis stores it: 8 bytes, little-endian. */
  writeLE(target: Uint8Array, offset: number): void {
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    view.setUint32(offset, this.lo, true);
    view.setUint32(offset + 4, this.hi, true);
  }

  /** Compares with 8 little-endian bytes at `offset`. */
  matchesLE(source: Uint8Array, offset: number): boolean {
    const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
    return view.getUint32(offset, true) === this.lo && view.getUint32(offset + 4, true) === this.hi;
  }
}

export function crc64(data: Uint8Array, start = 0, end = data.length): bigint {
  return new Crc64().update(data, start, end).digest();
}
