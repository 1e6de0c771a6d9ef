import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { datasetDigest } from '../../src/commands/debug.js';
import { HashValue } from '../../src/keyspace/values.js';
import {
  type PersistentServer,
  populateAllTypes,
  startPersistentServer,
  tempDir,
} from '../helpers/persistence.js';
import { hasRealRedis, type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import { dumpLocal, dumpReal } from '../helpers/replication.js';

/**
 * A real redis-server 7.0 loads the dump.rdb we save and we load the one it saves; DUMP payloads go both
 * ways; RESTORE's errors are Redis's, checked against the real server.
 */

const HAVE_REDIS = hasRealRedis();
const dirs: string[] = [];
const reals: RealRedis[] = [];
const ours: PersistentServer[] = [];
const clients: Redis[] = [];

function connect(port: number): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableReadyCheck: false });
  clients.push(r);
  return r;
}

async function real(extra: string[] = []): Promise<RealRedis> {
  const r = await startRealRedis(extra);
  reals.push(r);
  return r;
}

async function local(dir: string): Promise<PersistentServer> {
  const s = await startPersistentServer(dir);
  ours.push(s);
  return s;
}

/** Every encoding real Redis 7.0 writes: listpacks, quicklists, intsets, hashtables, skiplists, TTLs, dbs. */
async function populateReal(r: Redis): Promise<void> {
  await r.set('str', 'hello');
  await r.set('int', '-12345678');
  await r.set(Buffer.from([0x62, 0x00, 0xff]), Buffer.from([0x00, 0x01, 0xfe, 0xff]));
  await r.set('long-compressible', 'ab'.repeat(5000));
  await r.rpush('list', 'a', 'b', 'c', '7');
  await r.rpush('biglist', ...Array.from({ length: 2000 }, (_, i) => `element-${i}`));
  await r.hset('hash', 'f1', 'v1', 'f2', '22');
  await r.hset('bighash', ...Array.from({ length: 300 }, (_, i) => [`field${i}`, `value${i}`]).flat());
  await r.sadd('intset', '1', '2', '-30000', '4000000000');
  await r.sadd('set', 'x', 'y', 'z');
  await r.sadd('bigset', ...Array.from({ length: 300 }, (_, i) => `member${i}`));
  await r.zadd('zset', '1', 'one', '2.5', 'two.5', '-inf', 'minf');
  await r.zadd('bigzset', ...Array.from({ length: 300 }, (_, i) => [String(i / 7), `m${i}`]).flat());
  await r.set('ttl', 'v', 'PX', 3_600_000);
  await r.hset('hash-ttl', 'a', '1');
  await r.pexpire('hash-ttl', 7_200_000);
  await r.select(5);
  await r.set('in-db5', 'yes');
  await r.select(0);
}

beforeAll(() => {
  if (!HAVE_REDIS) console.warn('redis-server 7.0 not installed: real Redis interop tests are skipped');
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of ours.splice(0)) await s.close();
  for (const r of reals.splice(0)) await r.stop();
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAVE_REDIS)('RDB files with a real redis-server 7.0', () => {
  it('we load the dump.rdb real Redis saves (same DEBUG DIGEST, same values and TTLs)', async () => {
    const redis = await real();
    const r = connect(redis.port);
    await populateReal(r);
    expect(await r.save()).toBe('OK');
    const s = await local(redis.dir);
    expect(datasetDigest(s.server)).toBe(await r.call('DEBUG', 'DIGEST'));
    const expected = await dumpReal(redis.port);
    const got = dumpLocal(s.server);
    // ASCII keys compare value by value (the binary one is covered by the digest).
    const printable = /^[\x20-\x7e]*$/;
    for (const side of [expected, got])
      for (const key of Object.keys(side[0]!)) if (!printable.test(key)) delete side[0]![key];
    expect(got).toEqual(expected);
  });

  it('real Redis loads the dump.rdb we save', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await local(dir);
    populateAllTypes(s.server.dbs, Date.now());
    expect(await connect(s.port).save()).toBe('OK');
    const redis = await real(['--dir', dir]);
    const r = connect(redis.port);
    expect(await r.call('DEBUG', 'DIGEST')).toBe(datasetDigest(s.server));
    expect(await r.get('str')).toBe('hello');
    expect(Number(await r.call('PEXPIRETIME', 'ttl'))).toBe(s.server.dbs[0]!.getExpire('ttl'));
    await r.select(3);
    expect(await r.get('indb3')).toBe('yes');
  });
});

describe.skipIf(!HAVE_REDIS)('DUMP / RESTORE with a real redis-server 7.0', () => {
  it('payloads DUMPed by real Redis RESTORE here, and ours RESTORE there', async () => {
    const redis = await real();
    const r = connect(redis.port);
    await populateReal(r);
    const dir = tempDir();
    dirs.push(dir);
    const s = await local(dir);
    const o = connect(s.port);
    const keys = await r.keysBuffer('*');
    for (const key of keys) {
      const payload = await r.dumpBuffer(key);
      const pttl = await r.pttl(key);
      expect(await o.restore(key, Math.max(pttl, 0), payload)).toBe('OK');
    }
    // Only db 0's keys were copied: drop db 5 on the real side before comparing digests.
    await r.select(5);
    await r.flushdb();
    await r.select(0);
    expect(datasetDigest(s.server)).toBe(await r.call('DEBUG', 'DIGEST'));

    // Back the other way, into an empty real server.
    await r.flushall();
    for (const key of keys) {
      const payload = await o.dumpBuffer(key);
      expect(payload).not.toBeNull();
      const pttl = s.server.dbs[0]!.getExpire(key.latin1Slice());
      expect(await r.restore(key, pttl ?? 0, payload, 'ABSTTL')).toBe('OK');
    }
    expect(await r.call('DEBUG', 'DIGEST')).toBe(datasetDigest(s.server));
    expect(await o.dump('missing')).toBeNull();
  });

  it('RESTORE options and errors match real Redis', async () => {
    const redis = await real();
    const r = connect(redis.port);
    const dir = tempDir();
    dirs.push(dir);
    const s = await local(dir);
    const o = connect(s.port);
    await r.set('existing', 'v');
    await r.hset('h', 'f', 'v');
    await o.set('existing', 'v');
    s.server.dbs[0]!.add('h', new HashValue([['f', 'v']]));
    const good = await r.dumpBuffer('h');
    const corrupted = Buffer.from(good);
    corrupted[2]! ^= 0x55;
    const badVersion = Buffer.from(good);
    badVersion.writeUInt16LE(99, badVersion.length - 10);
    const cases: (string | Buffer)[][] = [
      ['RESTORE', 'existing', '0', good],
      ['RESTORE', 'new1', '-1', good],
      ['RESTORE', 'new1', 'abc', good],
      ['RESTORE', 'new1', '0', corrupted],
      ['RESTORE', 'new1', '0', badVersion],
      ['RESTORE', 'new1', '0', 'short'],
      ['RESTORE', 'new1', '0', good, 'BOGUS'],
      ['RESTORE', 'new1', '0', good, 'IDLETIME'],
      ['RESTORE', 'new1', '0', good, 'IDLETIME', '-1'],
      ['RESTORE', 'new1', '0', good, 'IDLETIME', 'x'],
      ['RESTORE', 'new1', '0', good, 'FREQ', '256'],
      ['RESTORE', 'new1', '0', good, 'FREQ', '1', 'IDLETIME', '1'],
      ['RESTORE', 'new2', '0', good, 'REPLACE', 'IDLETIME', '100'],
      ['RESTORE', 'new3', '0', good, 'FREQ', '10', 'ABSTTL'],
      ['RESTORE', 'existing', '0', good, 'REPLACE'],
      ['RESTORE', 'past', '1', good, 'ABSTTL'],
      ['RESTORE', 'h', '1', good, 'ABSTTL', 'REPLACE'],
      ['RESTORE', 'future', '100000', good],
      ['TYPE', 'existing'],
      ['EXISTS', 'past', 'h', 'new2', 'new3'],
    ];
    const run = async (c: Redis, argv: (string | Buffer)[]) => {
      try {
        return await c.call(argv[0] as string, ...argv.slice(1));
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    };
    expect(await run(r, cases[0]!)).toBe('error: BUSYKEY Target key name already exists.');
    expect(await run(r, cases[3]!)).toBe('error: ERR DUMP payload version or checksum are wrong');
    for (const argv of cases) {
      const label = argv.map((a) => (typeof a === 'string' ? a : '<payload>')).join(' ');
      expect(await run(o, argv), label).toEqual(await run(r, argv));
    }
    const pttl = await o.pttl('future');
    expect(pttl).toBeGreaterThan(90_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
  });
});
