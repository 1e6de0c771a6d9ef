import { Redis } from 'ioredis';
import { ListValue, type RedisValue, SetValue, SortedSetValue } from '../../src/keyspace/values.js';
import { replicationInfo } from '../../src/replication/info.js';
import type { Server } from '../../src/server/server.js';

/** A key's content in a form both sides can be compared in: type, canonical value, absolute expiry. */
export interface KeyDump {
  type: string;
  value: unknown;
  expireAt: number | null;
}
export type KeyspaceDump = Record<number, Record<string, KeyDump>>;

function canonical(value: RedisValue): { type: string; value: unknown } {
  if (typeof value === 'string') return { type: 'string', value };
  if (value instanceof ListValue) return { type: 'list', value: value.toArray() };
  if (value instanceof SetValue) return { type: 'set', value: [...value].sort() };
  if (value instanceof SortedSetValue) {
    const out: [string, number][] = [];
    for (let n = value.first; n !== null; n = n.forward) out.push([n.member, n.score]);
    return { type: 'zset', value: out };
  }
  return { type: 'hash', value: [...(value as Map<string, string>)].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
}

/** Every key of an in-process rcache server, read straight from its databases. */
export function dumpLocal(server: Server): KeyspaceDump {
  const out: KeyspaceDump = {};
  for (const db of server.dbs) {
    if (db.dict.size === 0) continue;
    const keys: Record<string, KeyDump> = {};
    for (const [key, value] of db.dict)
      keys[key] = { ...canonical(value), expireAt: db.expires.get(key) ?? null };
    out[db.id] = keys;
  }
  return out;
}

function parseScore(s: string): number {
  return s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
}

/** Every key of a real redis-server, read over the wire (TYPE, the value, PEXPIRETIME). */
export async function dumpReal(port: number): Promise<KeyspaceDump> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const out: KeyspaceDump = {};
  try {
    for (let db = 0; db < 16; db++) {
      await r.select(db);
      const names = await r.keys('*');
      if (names.length === 0) continue;
      const keys: Record<string, KeyDump> = {};
      for (const key of names) {
        const type = await r.type(key);
        let value: unknown;
        if (type === 'string') value = await r.get(key);
        else if (type === 'list') value = await r.lrange(key, 0, -1);
        else if (type === 'set') value = (await r.smembers(key)).sort();
        else if (type === 'hash') {
          value = Object.entries(await r.hgetall(key)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
        } else if (type === 'zset') {
          const flat = await r.zrange(key, 0, -1, 'WITHSCORES');
          const pairs: [string, number][] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, parseScore(flat[i + 1]!)]);
          value = pairs;
        }
        const at = Number(await r.call('PEXPIRETIME', key));
        keys[key] = { type, value, expireAt: at < 0 ? null : at };
      }
      out[db] = keys;
    }
  } finally {
    r.disconnect();
  }
  return out;
}

/** Polls until `check` returns true (or throws after `timeoutMs`, naming what was awaited). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `INFO <section>` over the wire, as a field map. */
export async function info(port: number, section = 'replication'): Promise<Record<string, string>> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  try {
    const text = (await r.info(section)) as string;
    const out: Record<string, string> = {};
    for (const line of text.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  } finally {
    r.disconnect();
  }
}

/** A connected ioredis client (closed by the caller with `disconnect()`). */
export function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableReadyCheck: false });
}

/** INFO replication of an in-process server, as a field map (same fields as over the wire). */
export function localInfo(server: Server): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of replicationInfo(server)) {
    const i = line.indexOf(':');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
