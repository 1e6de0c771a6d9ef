import type { LexBound, LexRange, ScoreRange } from '../keyspace/zset.js';
import type { Client } from '../server/client.js';
import { Err, parseInt64, parseLong } from './util.js';

/**
 * Argument parsing for the sorted-set commands, following the C library calls Redis makes (strtod for
 * scores, zslParseRange / zslParseLexRange for ranges), so edge cases (hex floats, `inf`, white space,
 * NUL bytes) answer exactly as real Redis 7.0 does.
 */

// ---- argument parsing, as Redis's C library calls do it ---------------------------------------------

function isCSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

const DECIMAL_PREFIX = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX_PREFIX = /^0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const INF_PREFIX = /^(?:infinity|inf)/i;
const NAN_PREFIX = /^nan(?:\([0-9A-Za-z_]*\))?/i;

interface Strtod {
  value: number;
  /** Index where parsing stopped; equal to the start index when nothing was converted. */
  end: number;
  /** errno == ERANGE: a finite text that overflowed, or a non-zero one that underflowed to 0. */
  erange: boolean;
}

/**
 * C's strtod: leading white space, a sign, then a decimal or hex float, `inf`/`infinity` or `nan`, all
 * case-insensitive. Parsing stops at the first character that does not fit (a NUL byte included).
 */
function strtod(s: string, start = 0): Strtod {
  let i = start;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  const rest = s.slice(i);
  const sign = negative ? -1 : 1;
  let m = INF_PREFIX.exec(rest);
  if (m !== null) return { value: sign * Number.POSITIVE_INFINITY, end: i + m[0].length, erange: false };
  m = NAN_PREFIX.exec(rest);
  if (m !== null) return { value: Number.NaN, end: i + m[0].length, erange: false };
  m = HEX_PREFIX.exec(rest);
  if (m !== null) {
    const whole = m[1] ?? '';
    const fraction = m[2] ?? m[3] ?? '';
    const exponent = Number(m[4] ?? '0');
    const mantissa = BigInt(`0x${whole}${fraction}`);
    const value = sign * Number(mantissa) * 2 ** (exponent - 4 * fraction.length);
    const erange = (!Number.isFinite(value) || value === 0) && mantissa !== 0n;
    return { value: Number.isNaN(value) ? 0 : value, end: i + m[0].length, erange };
  }
  m = DECIMAL_PREFIX.exec(rest);
  if (m !== null) {
    const value = sign * Number(m[0]);
    const erange = !Number.isFinite(value) || (value === 0 && /[1-9]/.test(m[0].replace(/[eE].*$/, '')));
    return { value, end: i + m[0].length, erange };
  }
  // "0x" with no hex digit after it parses as the "0".
  if (/^0[xX]/.test(rest)) return { value: sign * 0, end: i + 1, erange: false };
  return { value: 0, end: start, erange: false };
}

/**
 * Redis's string2d (ZADD scores, ZINCRBY increments, WEIGHTS): the whole string is a float, no leading
 * space, no NaN, no overflow and no underflow to zero.
 */
export function parseScore(s: string): number | undefined {
  if (s.length === 0 || isCSpace(s.charCodeAt(0))) return undefined;
  const simple = plainInteger(s);
  if (simple !== undefined) return simple;
  const r = strtod(s);
  if (r.end !== s.length || Number.isNaN(r.value)) return undefined;
  if (r.erange && (!Number.isFinite(r.value) || r.value === 0)) return undefined;
  return r.value;
}

/** Fast path for the common score form, a short decimal integer, which strtod would read the same. */
function plainInteger(s: string): number | undefined {
  const n = s.length;
  if (n > 15) return undefined;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return undefined;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return s.charCodeAt(0) === 45 ? -v : v;
}

/** strtod reached the end of the C string (Redis checks `eptr[0] == '\0'`, so a NUL byte ends it). */
function consumedAll(s: string, end: number): boolean {
  return end === s.length || s.charCodeAt(end) === 0;
}

/** Redis's zslParseRange: `(` for exclusive, otherwise strtod's rules (white space and "" allowed). */
function parseScoreBound(s: string): { value: number; exclusive: boolean } | undefined {
  const exclusive = s.charCodeAt(0) === 40; // '('
  const start = exclusive ? 1 : 0;
  const r = strtod(s, start);
  if (!consumedAll(s, r.end) || Number.isNaN(r.value)) return undefined;
  return { value: r.value, exclusive };
}

export function parseScoreRange(min: string, max: string): ScoreRange | undefined {
  const lo = parseScoreBound(min);
  const hi = parseScoreBound(max);
  if (lo === undefined || hi === undefined) return undefined;
  return { min: lo.value, max: hi.value, minExclusive: lo.exclusive, maxExclusive: hi.exclusive };
}

/** Redis's zslParseLexRangeItem: `-`, `+`, `[member` or `(member`. */
function parseLexBound(s: string): LexBound | undefined {
  const alone = s.length === 1 || s.charCodeAt(1) === 0;
  switch (s[0]) {
    case '+':
      return alone ? { inf: 1, value: '', exclusive: true } : undefined;
    case '-':
      return alone ? { inf: -1, value: '', exclusive: true } : undefined;
    case '(':
      return { inf: 0, value: s.slice(1), exclusive: true };
    case '[':
      return { inf: 0, value: s.slice(1), exclusive: false };
    default:
      return undefined;
  }
}

export function parseLexRange(min: string, max: string): LexRange | undefined {
  const lo = parseLexBound(min);
  const hi = parseLexBound(max);
  return lo === undefined || hi === undefined ? undefined : { min: lo, max: hi };
}

export const LONG_MAX = 9223372036854775807n;

/** getRangeLongFromObjectOrReply: an integer within [min, max], else `msg` (or Redis's default). */
export function rangeLongArg(
  c: Client,
  s: string,
  min: bigint,
  max: bigint,
  msg?: string,
): number | undefined {
  const v = parseInt64(s);
  if (v === undefined) {
    c.out.error(msg ?? Err.notInteger);
    return undefined;
  }
  if (v < min || v > max) {
    c.out.error(msg ?? `ERR value is out of range, value must between ${min} and ${max}`);
    return undefined;
  }
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: non-integers and negatives get the same message. */
export function positiveLongArg(c: Client, s: string, msg = Err.notPositive as string): number | undefined {
  return rangeLongArg(c, s, 0n, LONG_MAX, msg);
}

export function longArg(c: Client, s: string): number | undefined {
  const v = parseLong(s);
  if (v === undefined) c.out.error(Err.notInteger);
  return v;
}

/**
 * getTimeoutFromObjectOrReply (seconds as a long double): absolute deadline in ms, 0 for "forever".
 */
export function timeoutArg(c: Client, s: string): number | undefined {
  const r = s.length === 0 || s.length >= 5 * 1024 || isCSpace(s.charCodeAt(0)) ? undefined : strtod(s);
  if (
    r === undefined ||
    !consumedAll(s, r.end) ||
    Number.isNaN(r.value) ||
    (r.erange && (!Number.isFinite(r.value) || r.value === 0))
  ) {
    c.out.error(Err.timeoutNotFloat);
    return undefined;
  }
  // Redis 7.0 converts seconds*1000 to a long long: out of range (inf included) gives LLONG_MIN on
  // x86-64, which then reads as a negative timeout.
  const ms = r.value * 1000;
  const whole = Math.abs(ms) >= 2 ** 63 ? -1 : Math.ceil(ms);
  if (whole < 0) {
    c.out.error(Err.timeoutNegative);
    return undefined;
  }
  return whole === 0 ? 0 : c.server.now() + whole;
}
