import type { RedisValue } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import { type LongDouble, parseLongDouble } from './long-double.js';

/** Redis's shared error replies, word for word. */
export const Err = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  syntax: 'ERR syntax error',
  overflow: 'ERR increment or decrement would overflow',
  noSuchKey: 'ERR no such key',
  dbIndex: 'ERR DB index is out of range',
  notPositive: 'ERR value is out of range, must be positive',
  timeoutNotFloat: 'ERR timeout is not a float or out of range',
  timeoutNegative: 'ERR timeout is negative',
} as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Redis's string2ll: optional '-', digits, no leading zeros, no spaces or '+', within int64. Returns
 * the exact value as a bigint, or undefined.
 */
export function parseInt64(s: string): bigint | undefined {
  const n = s.length;
  if (n === 0 || n > 20) return undefined;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return undefined;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0n : undefined; // "0" only; "-0" and "01" are not integers
  for (let j = i; j < n; j++) {
    const d = s.charCodeAt(j);
    if (d < 48 || d > 57) return undefined;
  }
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/**
 * Parses an integer argument (counts, indexes, TTLs) as a JS number. Values beyond 2^53 lose
 * precision, which is harmless where they are clamped to a length anyway.
 */
export function parseLong(s: string): number | undefined {
  const n = s.length;
  if (n > 0 && n < 16) {
    // Fast path: short decimal strings are exact in a double.
    let i = 0;
    let neg = false;
    if (s.charCodeAt(0) === 45) {
      neg = true;
      i = 1;
      if (n === 1) return undefined;
    }
    if (s.charCodeAt(i) === 48 && n > i + 1) return undefined;
    if (neg && s.charCodeAt(1) === 48) return undefined;
    let v = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }
  const big = parseInt64(s);
  return big === undefined ? undefined : Number(big);
}

/** Replies `ERR value is not an integer or out of range` and returns undefined on bad input. */
export function longArg(c: Client, s: string, error: string = Err.notInteger): number | undefined {
  const v = parseLong(s);
  if (v === undefined) c.out.error(error);
  return v;
}

/**
 * Redis's string2d / strtold rules for float arguments: no spaces, no empty string, `inf`/`-inf`/
 * `+inf` accepted, NaN refused.
 */
export function parseDouble(s: string): number | undefined {
  if (s.length === 0 || s.length > 5000) return undefined;
  const c0 = s.charCodeAt(0);
  const cl = s.charCodeAt(s.length - 1);
  if (c0 === 32 || c0 === 9 || c0 === 10 || c0 === 13 || cl === 32 || cl === 9 || cl === 10 || cl === 13)
    return undefined;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity')
    return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && !/^[+-]?0x[0-9a-f]+$/i.test(s)) return undefined;
  const v = /0x/i.test(s) ? Number.parseInt(s, 16) : Number(s);
  return Number.isNaN(v) ? undefined : v;
}

export function doubleArg(c: Client, s: string, error: string = Err.notFloat): number | undefined {
  const v = parseDouble(s);
  if (v === undefined) c.out.error(error);
  return v;
}

/** Resolves Redis-style range indexes (negative from the end) into [start, end] clamped to length. */
export function clampRange(start: number, end: number, length: number): [number, number] | undefined {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  if (end >= length) end = length - 1;
  return [start, end];
}

/** Glob matching as Redis's stringmatchlen: `*`, `?`, `[...]` with ranges and `^`, `\` escapes. */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  return matchFrom(pattern, 0, str, 0, nocase, 0);
}

function matchFrom(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number): boolean {
  if (depth > 1000) return false;
  const eq = (a: string, b: string) => (nocase ? a.toLowerCase() === b.toLowerCase() : a === b);
  while (pi < p.length) {
    const ch = p[pi]!;
    if (ch === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchFrom(p, pi + 1, s, k, nocase, depth + 1)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (ch === '?') {
      si++;
      pi++;
      continue;
    }
    if (ch === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let matched = false;
      while (pi < p.length && p[pi] !== ']') {
        if (p[pi] === '\\' && pi + 1 < p.length) {
          pi++;
          if (eq(p[pi]!, s[si]!)) matched = true;
          pi++;
        } else if (p[pi + 1] === '-' && pi + 2 < p.length && p[pi + 2] !== ']') {
          let lo = p.charCodeAt(pi);
          let hi = p.charCodeAt(pi + 2);
          if (lo > hi) [lo, hi] = [hi, lo];
          let c = s.charCodeAt(si);
          if (nocase) c = s[si]!.toLowerCase().charCodeAt(0);
          if (c >= lo && c <= hi) matched = true;
          pi += 3;
        } else {
          if (eq(p[pi]!, s[si]!)) matched = true;
          pi++;
        }
      }
      if (not) matched = !matched;
      if (!matched) return false;
      pi++; // skip ']'
      si++;
      continue;
    }
    if (ch === '\\' && pi + 1 < p.length) pi++;
    if (!eq(p[pi]!, s[si]!)) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

// biome-ignore lint/suspicious/noExplicitAny: any constructor of a value class
type ValueClass<T> = abstract new (...args: any[]) => T;

/**
 * The value at `key` for reading, when it is of the given type: undefined when the key is missing,
 * null after replying WRONGTYPE (Redis's lookupKeyReadOrReply + checkType).
 */
export function readTyped<T>(c: Client, key: string, type: ValueClass<T>): T | undefined | null {
  const v = c.db.lookupRead(key);
  if (v === undefined || v instanceof type) return v as T | undefined;
  c.out.error(Err.wrongType);
  return null;
}

/** Like readTyped, for changing the value in place (the caller then calls `c.db.modified(key)`). */
export function writeTyped<T>(c: Client, key: string, type: ValueClass<T>): T | undefined | null {
  const v = c.db.lookupWrite(key);
  if (v === undefined || v instanceof type) return v as T | undefined;
  c.out.error(Err.wrongType);
  return null;
}

/** The type check every typed command starts with: replies WRONGTYPE and returns false on mismatch. */
export function checkType<T>(
  c: Client,
  value: RedisValue | undefined,
  guard: (v: RedisValue) => v is RedisValue & T,
): value is (RedisValue & T) | undefined {
  if (value === undefined || guard(value)) return true;
  c.out.error(Err.wrongType);
  return false;
}

/** A double-quoted string with C escapes, as Redis's sdscatrepr writes it (MONITOR, CONFIG REWRITE). */
export function reprString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 34 || ch === 92) out += `\\${s[i]}`;
    else if (ch === 10) out += '\\n';
    else if (ch === 13) out += '\\r';
    else if (ch === 9) out += '\\t';
    else if (ch === 7) out += '\\a';
    else if (ch === 8) out += '\\b';
    else if (ch < 32 || ch > 126) out += `\\x${ch.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** Formats a bigint/number integer result the way Redis stores it as a string. */
export function intToString(v: number | bigint): string {
  return typeof v === 'bigint' ? v.toString() : String(v);
}

/**
 * The timeout of a blocking command (BLPOP, BZPOPMIN...), as Redis 7.0's getTimeoutFromObjectOrReply:
 * seconds as a long double, `(long long) ceill(seconds * 1000.0)` ms. Returns the absolute deadline in
 * ms, 0 to block forever, or undefined after replying the error. Checked against redis-server 7.0.15:
 * `inf` and `1e30` answer "timeout is negative" (the out-of-range cast yields LLONG_MIN on x86), and
 * `-0.0001` blocks forever (it rounds up to 0).
 */
export function blockingDeadline(c: Client, s: string): number | undefined {
  const seconds = parseLongDouble(s);
  if (seconds === undefined) {
    c.out.error(Err.timeoutNotFloat);
    return undefined;
  }
  const ms = seconds === 'inf' ? INT64_MIN : millisCeil(seconds);
  if (ms < 0n) {
    c.out.error(Err.timeoutNegative);
    return undefined;
  }
  return ms === 0n ? 0 : c.server.now() + Number(ms);
}

/** ceill(x * 1000) with the product rounded to the 64-bit significand first, cast to int64. */
function millisCeil(x: LongDouble): bigint {
  let mant = x.significand * 1000n;
  let exp = x.exponent;
  const bits = mant.toString(2).length;
  if (mant !== 0n && bits > 64) {
    const drop = BigInt(bits - 64);
    const low = mant & ((1n << drop) - 1n);
    const half = 1n << (drop - 1n);
    mant >>= drop;
    exp += bits - 64;
    if (low > half || (low === half && (mant & 1n) === 1n)) mant++;
  }
  let whole: bigint;
  if (exp >= 0) {
    if (exp > 64) return INT64_MIN;
    whole = mant << BigInt(exp);
  } else {
    const shift = BigInt(-exp);
    whole = mant >> shift;
    // Ceiling: a positive fraction rounds up, a negative one towards zero.
    if (!x.negative && whole << shift !== mant) whole++;
  }
  if (x.negative) whole = -whole;
  return whole > INT64_MAX || whole < INT64_MIN ? INT64_MIN : whole;
}
