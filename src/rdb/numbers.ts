/**
 * The number ↔ text conversions the RDB encodings depend on. Redis stores "integer-looking" strings in
 * compact integer forms, but only when the text is the canonical decimal form of the value (string2ll):
 * otherwise "007" would come back as "7". These helpers decide canonicity exactly as Redis does.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether `s` is an optional '-' followed by digits without a leading zero (and is not "-0"). */
function isCanonicalDecimal(s: string): boolean {
  const len = s.length;
  if (len === 0 || len > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (len === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return len === 1; // "0" only: rejects "00", "01" and "-0"
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The int64 value of `s` if `s` is its canonical decimal form, else undefined. Safe integers come back
 * as numbers (the common, fast case), larger ones as bigint.
 */
export function parseCanonicalInt64(s: string): number | bigint | undefined {
  if (!isCanonicalDecimal(s)) return undefined;
  if (s.length <= 15) return Number(s);
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/**
 * The value for the RDB int8/16/32 string encodings: Redis tries them only for strings of at most 11
 * characters that are canonical and fit in 32 bits.
 */
export function parseInt32Encodable(s: string): number | undefined {
  if (s.length > 11 || !isCanonicalDecimal(s)) return undefined;
  const n = Number(s);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

/**
 * Parses a score stored as text (ZSET v1 and listpack zsets) the way strtod does for the forms Redis
 * writes: decimal and exponent notation plus "inf"/"-inf" spellings. NaN and garbage are rejected.
 */
export function parseScoreText(s: string): number | undefined {
  if (s.length === 0) return undefined;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) return undefined;
  return Number(lower);
}

/**
 * The 17 significant decimal digits of a finite non-zero |value| and its decimal exponent, rounded the
 * way glibc's printf rounds: to nearest, ties to even, on the exact binary value. JavaScript's
 * toExponential also rounds the exact value but breaks ties upwards, so exact ties (the value has
 * exactly 18 significant digits, the last one a 5) are detected and redone.
 */
function digits17(magnitude: number): [digits: string, exponent: number] {
  const [rounded, roundedExp] = splitExponential(magnitude.toExponential(16));
  const [d18] = splitExponential(magnitude.toExponential(17));
  if (d18[17] !== '5') return [rounded, roundedExp];
  const [exact, exactExp] = splitExponential(magnitude.toExponential(100));
  if (!/^0*$/.test(exact.slice(18))) return [rounded, roundedExp];
  const truncated = exact.slice(0, 17);
  // A tie: keep the truncated digits when they end in an even digit, else round up (what JS did).
  return (truncated.charCodeAt(16) - 48) % 2 === 0 ? [truncated, exactExp] : [rounded, roundedExp];
}

function splitExponential(text: string): [digits: string, exponent: number] {
  const e = text.indexOf('e');
  return [text.slice(0, e).replace('.', ''), Number(text.slice(e + 1))];
}

/**
 * C's printf("%.17g"): 17 significant digits (always enough to round-trip a double), trailing zeros
 * removed, exponent form when the exponent is < -4 or >= 17, exponent with at least two digits.
 */
export function formatG17(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const sign = value < 0 ? '-' : '';
  const [digits, exponent] = digits17(Math.abs(value));
  if (exponent < -4 || exponent >= 17) {
    const frac = digits.slice(1).replace(/0+$/, '');
    const exp = Math.abs(exponent) < 10 ? `0${Math.abs(exponent)}` : String(Math.abs(exponent));
    return `${sign}${digits[0]}${frac ? `.${frac}` : ''}e${exponent < 0 ? '-' : '+'}${exp}`;
  }
  let text: string;
  if (exponent < 0) {
    text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  } else {
    text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  }
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return sign + text;
}

/**
 * Redis's d2string(), which is how a zset score is turned into listpack text: integral values below 2^52
 * in plain integer form, infinities as "inf"/"-inf", negative zero as "-0", anything else "%.17g".
 */
export function formatScore(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (value > -4503599627370495 && value < 4503599627370496 && Number.isInteger(value)) return String(value);
  return formatG17(value);
}
