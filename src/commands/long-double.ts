/**
 * INCRBYFLOAT and HINCRBYFLOAT arithmetic, bit for bit as Redis 7.0 on x86-64 does it: the operands are
 * parsed with strtold into the x87 80-bit extended format (64-bit significand), added there, and the sum
 * is printed with `%.17Lf` minus trailing zeros. JS numbers are doubles, which would answer
 * `INCRBYFLOAT k 0.2` on "0.1" with 0.30000000000000004 where Redis answers 0.3, so the format is
 * emulated with BigInt: a value is `significand * 2^exponent` rounded to 64 significant bits, ties to
 * even, like the FPU. Subnormals are treated as normals with a wider exponent; they only differ from
 * the hardware below 1e-4931, far outside anything a counter holds.
 */

const SIGNIFICAND_BITS = 64;
/** The largest finite value is just below 2^16384; anything from there up overflows to infinity. */
const MAX_BINARY_EXPONENT = 16384;
/** Below the smallest subnormal (2^-16445) strtold underflows to zero. */
const MIN_BINARY_EXPONENT = -16445;
/** Redis refuses longer strings before even trying (MAX_LONG_DOUBLE_CHARS). */
const MAX_CHARS = 5 * 1024;

/** A finite extended-precision value: (-1)^negative * significand * 2^exponent. */
export interface LongDouble {
  negative: boolean;
  significand: bigint;
  exponent: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^[+-]?(inf|infinity)$/i;

/**
 * Parses a float argument or stored value as Redis's string2ld does (strtold, then: no leading space,
 * nothing unparsed, no NaN, no overflow, no underflow to zero). Returns 'inf' for an infinity, which
 * parses fine but can only produce an infinite sum; undefined means "not a valid float".
 */
export function parseLongDouble(text: string): LongDouble | 'inf' | undefined {
  if (text.length === 0 || text.length >= MAX_CHARS) return undefined;
  if (INFINITY.test(text)) return 'inf';
  let m = HEX.exec(text);
  if (m !== null) {
    const [, sign, whole = '', fraction = '', exp = '0'] = m;
    if (whole.length + fraction.length === 0) return undefined;
    const digits = BigInt(`0x${whole}${fraction}`);
    return fromExact(sign === '-', digits, 1n, clampExponent(exp) - 4 * fraction.length, 2);
  }
  m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const [, sign, whole = '', fraction = '', exp = '0'] = m;
  if (whole.length + fraction.length === 0) return undefined;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits.length === 0) return { negative: sign === '-', significand: 0n, exponent: 0 };
  const decimalExponent = clampExponent(exp) - fraction.length;
  // Magnitude is about 10^(digits + exponent): decide hopeless cases before building huge BigInts.
  const magnitude = digits.length + decimalExponent;
  if (magnitude > 4940) return undefined; // overflow (HUGE_VALL with ERANGE)
  if (magnitude < -4960) return undefined; // underflow to zero with ERANGE
  return fromExact(sign === '-', BigInt(digits), 1n, decimalExponent, 10);
}

function clampExponent(text: string): number {
  const n = Number(text);
  return Math.max(-1e6, Math.min(1e6, n));
}

/**
 * Rounds the exact value `numerator / denominator * base^power` to extended precision; undefined
 * when it overflows or underflows to zero.
 */
function fromExact(
  negative: boolean,
  numerator: bigint,
  denominator: bigint,
  power: number,
  base: 2 | 10,
): LongDouble | undefined {
  if (numerator === 0n) return { negative, significand: 0n, exponent: 0 };
  let binaryExponent = 0;
  if (base === 2) binaryExponent = power;
  else if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator *= 10n ** BigInt(-power);
  // Scale so the integer quotient has at least SIGNIFICAND_BITS + 2 bits, keeping the remainder as a
  // sticky bit for correct rounding.
  const shift = Math.max(0, SIGNIFICAND_BITS + 2 + bitLength(denominator) - bitLength(numerator));
  const scaled = numerator << BigInt(shift);
  const quotient = scaled / denominator;
  const sticky = scaled % denominator !== 0n;
  return round(negative, quotient, binaryExponent - shift, sticky);
}

/** Rounds `magnitude * 2^exponent` (plus a nonzero tail when sticky) to 64 bits, ties to even. */
function round(
  negative: boolean,
  magnitude: bigint,
  exponent: number,
  sticky: boolean,
): LongDouble | undefined {
  const bits = bitLength(magnitude);
  if (bits > SIGNIFICAND_BITS) {
    const drop = bits - SIGNIFICAND_BITS;
    const dropBig = BigInt(drop);
    const low = magnitude & ((1n << dropBig) - 1n);
    const half = 1n << (dropBig - 1n);
    magnitude >>= dropBig;
    exponent += drop;
    if (low > half || (low === half && (sticky || (magnitude & 1n) === 1n))) {
      magnitude += 1n;
      if (bitLength(magnitude) > SIGNIFICAND_BITS) {
        magnitude >>= 1n;
        exponent += 1;
      }
    }
  }
  if (magnitude === 0n) return { negative, significand: 0n, exponent: 0 };
  if (bitLength(magnitude) + exponent > MAX_BINARY_EXPONENT) return undefined;
  if (bitLength(magnitude) + exponent <= MIN_BINARY_EXPONENT) return undefined;
  return { negative, significand: magnitude, exponent };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** a + b in extended precision; undefined when the sum is not finite. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if (a.significand === 0n) return b.significand === 0n ? { ...a, negative: a.negative && b.negative } : b;
  if (b.significand === 0n) return a;
  const base = Math.min(a.exponent, b.exponent);
  const signed = (x: LongDouble) =>
    (x.negative ? -x.significand : x.significand) << BigInt(x.exponent - base);
  const sum = signed(a) + signed(b);
  if (sum === 0n) return { negative: false, significand: 0n, exponent: 0 }; // x + -x is +0 when rounding to nearest
  return round(sum < 0n, sum < 0n ? -sum : sum, base, false);
}

/**
 * `%.17Lf` with the trailing zeros (and a bare point) removed, as Redis's ld2string(LD_STR_HUMAN):
 * exact decimal expansion rounded to 17 fractional digits, ties to even like glibc, "-0" printed "0".
 */
export function formatLongDouble(x: LongDouble): string {
  let text: string;
  if (x.exponent >= 0) {
    text = (x.significand << BigInt(x.exponent)).toString();
  } else {
    const shift = BigInt(-x.exponent);
    const scaled = x.significand * 10n ** 17n;
    let q = scaled >> shift;
    const rem = scaled - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    const digits = q.toString().padStart(18, '0');
    const point = digits.length - 17;
    text = `${digits.slice(0, point)}.${digits.slice(point)}`.replace(/\.?0+$/, '');
  }
  if (x.negative && text !== '0') text = `-${text}`;
  return text;
}

/**
 * INCRBYFLOAT's arithmetic on its two texts: the new value's text, 'notfloat' when either operand is not
 * a valid float, 'nan-or-inf' when the sum is not finite.
 */
export function incrementByFloat(current: string, increment: string): string | 'notfloat' | 'nan-or-inf' {
  const a = parseLongDouble(current);
  const b = parseLongDouble(increment);
  if (a === undefined || b === undefined) return 'notfloat';
  if (a === 'inf' || b === 'inf') return 'nan-or-inf';
  const sum = addLongDouble(a, b);
  return sum === undefined ? 'nan-or-inf' : formatLongDouble(sum);
}
