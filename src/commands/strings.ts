import type { Client } from '../server/client.js';
import { type CommandSpec, cmd } from './table.js';
import { Err, parseInt64, parseLong } from './util.js';

/** Looks a string up for reading; replies WRONGTYPE and returns null when it is not a string. */
export function getString(c: Client, key: string): string | undefined | null {
  const v = c.db.lookupRead(key);
  if (v === undefined || typeof v === 'string') return v;
  c.out.error(Err.wrongType);
  return null;
}

function get(c: Client, argv: string[]): void {
  const v = getString(c, argv[1]!);
  if (v === null) return;
  if (v === undefined) c.out.nullBulk();
  else c.out.bulk(v);
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]. A relative or absolute expiry is
 * propagated as `SET key value PXAT <ms>`, computed once here, so replicas agree on the instant.
 */
function set(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const value = argv[2]!;
  let flags = 0;
  let expireAt: number | undefined;
  let unitSeen = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    const next = argv[i + 1];
    if (opt === 'nx' && !(flags & SET_XX)) flags |= SET_NX;
    else if (opt === 'xx' && !(flags & SET_NX)) flags |= SET_XX;
    else if (opt === 'get') flags |= SET_GET;
    else if (opt === 'keepttl' && !unitSeen) flags |= SET_KEEPTTL;
    else if (
      (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') &&
      !unitSeen &&
      !(flags & SET_KEEPTTL) &&
      next !== undefined
    ) {
      const n = parseLong(next);
      if (n === undefined) {
        c.out.error(Err.notInteger);
        return;
      }
      if (n <= 0 || (opt.startsWith('e') && n > Number.MAX_SAFE_INTEGER / 1000)) {
        c.out.error("ERR invalid expire time in 'set' command");
        return;
      }
      const now = c.server.now();
      expireAt = opt === 'ex' ? now + n * 1000 : opt === 'px' ? now + n : opt === 'exat' ? n * 1000 : n;
      unitSeen = true;
      i++;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  const db = c.db;
  let old: string | undefined;
  if (flags & SET_GET) {
    const cur = getString(c, key);
    if (cur === null) return;
    old = cur;
  }
  const exists = flags & (SET_NX | SET_XX) ? db.exists(key) : false;
  if ((flags & SET_NX && exists) || (flags & SET_XX && !exists)) {
    if (flags & SET_GET) old === undefined ? c.out.nullBulk() : c.out.bulk(old);
    else c.out.nullBulk();
    return;
  }
  db.set(key, value, (flags & SET_KEEPTTL) !== 0);
  c.server.dirty++;
  if (expireAt !== undefined) {
    db.setExpire(key, expireAt);
    c.propagate = [['SET', key, value, 'PXAT', String(expireAt)]];
  } else if (flags & SET_GET) {
    c.propagate = [argv.filter((a, i) => i < 3 || a.toLowerCase() !== 'get')];
  }
  if (flags & SET_GET) old === undefined ? c.out.nullBulk() : c.out.bulk(old);
  else c.out.status('OK');
}

/** INCR/DECR/INCRBY/DECRBY: exact 64-bit arithmetic with Redis's overflow error. */
function incrementBy(c: Client, key: string, delta: bigint): void {
  const cur = c.db.lookupWrite(key);
  let base = 0n;
  if (cur !== undefined) {
    if (typeof cur !== 'string') {
      c.out.error(Err.wrongType);
      return;
    }
    const parsed = parseInt64(cur);
    if (parsed === undefined) {
      c.out.error(Err.notInteger);
      return;
    }
    base = parsed;
  }
  const result = base + delta;
  if (result > 9223372036854775807n || result < -9223372036854775808n) {
    c.out.error(Err.overflow);
    return;
  }
  const text = result.toString();
  c.db.set(key, text, true);
  c.server.dirty++;
  c.out.raw(`:${text}\r\n`);
}

function incr(c: Client, argv: string[]): void {
  incrementBy(c, argv[1]!, 1n);
}
function decr(c: Client, argv: string[]): void {
  incrementBy(c, argv[1]!, -1n);
}
function incrby(c: Client, argv: string[]): void {
  const d = parseInt64(argv[2]!);
  if (d === undefined) c.out.error(Err.notInteger);
  else incrementBy(c, argv[1]!, d);
}
function decrby(c: Client, argv: string[]): void {
  const d = parseInt64(argv[2]!);
  if (d === undefined || d === -9223372036854775808n)
    c.out.error(d === undefined ? Err.notInteger : 'ERR decrement would overflow');
  else incrementBy(c, argv[1]!, -d);
}

export const stringCommands: CommandSpec[] = [
  cmd('get', 2, ['readonly', 'fast'], [1, 1, 1], 'string', get),
  cmd('set', -3, ['write', 'denyoom'], [1, 1, 1], 'string', set),
  cmd('incr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', incr),
  cmd('decr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', decr),
  cmd('incrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', incrby),
  cmd('decrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], 'string', decrby),
];
