import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HashValue,
  ListValue,
  type RedisValue,
  SetValue,
  SortedSetValue,
} from '../../src/keyspace/values.js';
import { dumpValue, restoreValue } from '../../src/rdb/dump.js';
import { readRdb } from '../../src/rdb/reader.js';
import { type RdbDatabaseContent, RdbWriter, redisAuxFields } from '../../src/rdb/writer.js';

/**
 * Interoperability with a real redis-server 7.0: it loads the RDB files we write, we load the ones it
 * saves, and DUMP/RESTORE payloads go both ways.
 */

function redisServerAvailable(): boolean {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).includes('v=7.');
  } catch {
    return false;
  }
}
const HAVE_REDIS = redisServerAvailable();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface RunningRedis {
  process: ChildProcess;
  client: Redis;
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port and resolves once it has loaded its RDB and is ready. */
async function startRedis(dir: string, dbfilename: string, extra: string[] = []): Promise<RunningRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--dbfilename',
      dbfilename,
      '--save',
      '',
      '--appendonly',
      'no',
      '--enable-debug-command',
      'yes',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server not ready in time:\n${log}`));
    }, 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before being ready:\n${log}`));
    });
  });
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    protocol: 2,
  });
  try {
    await client.connect();
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    process: child,
    client,
    port,
    async stop() {
      client.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

type Normalized = [string, unknown];
const latin1 = (b: Buffer): string => b.toString('latin1');
const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

function scoreOf(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

function normalize(value: RedisValue): Normalized {
  if (typeof value === 'string') return ['string', value];
  if (value instanceof ListValue) return ['list', value.toArray()];
  if (value instanceof HashValue) return ['hash', [...value].sort((a, b) => (a[0] < b[0] ? -1 : 1))];
  if (value instanceof SetValue) return ['set', [...value].sort()];
  // Redis replies -0 as "0"... but keeps -0 internally; compare the reply form.
  return ['zset', [...(value as SortedSetValue).entries()].map(([m, s]) => [m, s === 0 ? 0 : s])];
}

/** A key's content as Redis reports it through ordinary commands. */
async function fetch(r: Redis, key: string): Promise<Normalized> {
  const k = bin(key);
  const type = await r.type(k);
  switch (type) {
    case 'string':
      return ['string', latin1((await r.getBuffer(k))!)];
    case 'list':
      return ['list', (await r.lrangeBuffer(k, 0, -1)).map(latin1)];
    case 'set':
      return ['set', (await r.smembersBuffer(k)).map(latin1).sort()];
    case 'hash': {
      const flat = (await r.callBuffer('HGETALL', [k])) as Buffer[];
      const pairs: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([latin1(flat[i]!), latin1(flat[i + 1]!)]);
      return ['hash', pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1))];
    }
    case 'zset': {
      const flat = (await r.callBuffer('ZRANGE', [k, '0', '-1', 'WITHSCORES'])) as Buffer[];
      const pairs: [string, number][] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const s = scoreOf(flat[i + 1]!.toString());
        pairs.push([latin1(flat[i]!), s === 0 ? 0 : s]);
      }
      return ['zset', pairs];
    }
    default:
      return [type, undefined];
  }
}

async function allKeys(r: Redis): Promise<string[]> {
  return ((await r.callBuffer('KEYS', ['*'])) as Buffer[]).map(latin1).sort();
}

/** A dataset with every type, encoding boundary, binary content and a few expiries, in three dbs. */
function buildDataset(): RdbDatabaseContent[] {
  const now = Date.now();
  const edgeStrings = [
    '',
    '0',
    '-0',
    '007',
    '+5',
    '3.14',
    '-128',
    '-129',
    '32767',
    '32768',
    '2147483647',
    '2147483648',
    '-2147483649',
    '12345678901234',
    '9223372036854775807',
    '9223372036854775808',
    ' 1',
  ];
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
  const db0: [string, RedisValue, number?][] = [];
  for (const [i, s] of edgeStrings.entries()) db0.push([`str:edge:${i}`, s]);
  db0.push([allBytes, 'key with every byte value']);
  db0.push(['str:binary', `${allBytes}${allBytes}`]);
  db0.push(['str:compressible', 'The quick brown fox jumps over the lazy dog. '.repeat(50)]);
  db0.push(['str:random', randomBytes(5000).toString('latin1')]);
  db0.push(['str:ttl', 'expires in an hour', now + 3_600_000]);
  db0.push(['str:far', 'expires in 2100', 4102444800123]);
  db0.push(['list:small', ListValue.from(['a', 'bb', '', ...edgeStrings, allBytes])]);
  db0.push([
    'list:big',
    ListValue.from(Array.from({ length: 20_000 }, (_, i) => `item-${i}-${'x'.repeat(i % 40)}`)),
  ]);
  db0.push(['list:huge-element', ListValue.from(['head', 'H'.repeat(100_000), 'tail']), now + 7_200_000]);
  db0.push([
    'hash:small',
    new HashValue([
      ['name', 'redis'],
      ['neg', '-12345'],
      ['empty', ''],
      [allBytes.slice(0, 60), allBytes.slice(200)],
    ]),
  ]);
  db0.push([
    'hash:big',
    new HashValue(Array.from({ length: 600 }, (_, i) => [`field:${i}`, `val:${i * 7}`])),
  ]);
  db0.push([
    'hash:long-value',
    new HashValue([
      ['a', '1'],
      ['b', 'V'.repeat(100)],
    ]),
  ]);
  db0.push(['set:int16', new SetValue(['1', '2', '3', '-5', '1000'])]);
  db0.push(['set:int64', new SetValue(['-9223372036854775808', '1', '5000000000'])]);
  db0.push(['set:strings', new SetValue(['apple', 'banana', '01', '42', allBytes])]);
  db0.push(['set:bigint', new SetValue(Array.from({ length: 600 }, (_, i) => String(i * 3)))]);
  const zsmall = new SortedSetValue();
  for (const [m, s] of [
    ['ninf', -Infinity],
    ['minus3', -3],
    ['zero', 0],
    ['tenth', 0.1],
    ['one', 1],
    ['two.5', 2.5],
    ['big', 1e20],
    ['pinf', Infinity],
    ['tiny', 1e-300],
  ] as const)
    zsmall.add(m, s);
  db0.push(['zset:small', zsmall]);
  const zbig = new SortedSetValue();
  for (let i = 0; i < 200; i++) zbig.add(`member:${i}`, i / 4 - 10);
  db0.push(['zset:big', zbig, now + 3_600_000]);
  const zlong = new SortedSetValue();
  zlong.add('m'.repeat(80), 1);
  zlong.add('short', 2);
  db0.push(['zset:long-member', zlong]);

  const db3: [string, RedisValue, number?][] = [
    ['in-db3', 'three'],
    ['shared-name', 'db3'],
    ['list-db3', ListValue.from(['x'])],
  ];
  const db15: [string, RedisValue, number?][] = [['in-db15', 'fifteen', now + 600_000]];
  for (let i = 0; i < 2000; i++) db15.push([`bulk:${i}`, `value:${i}`]);
  return [
    { index: 0, entries: db0 },
    { index: 3, entries: db3 },
    { index: 15, entries: db15 },
  ];
}

/** Writes the dataset the way a server would: in small slices taken from an RdbWriter. */
function writeDataset(dbs: RdbDatabaseContent[]): Buffer {
  const writer = new RdbWriter({ aux: redisAuxFields(), chunkSize: 4096 });
  const parts: Buffer[] = [];
  for (const db of dbs) {
    writer.selectDb(db.index, db.entries.length, db.entries.filter((e) => e[2] !== undefined).length);
    for (const [key, value, expireAtMs] of db.entries) {
      writer.entry(key, value, expireAtMs);
      if (writer.bufferedBytes > 4096) parts.push(writer.take());
    }
  }
  writer.end();
  parts.push(writer.take());
  return Buffer.concat(parts);
}

/** Loads the dataset into a running Redis with ordinary commands. */
async function populate(r: Redis, dbs: RdbDatabaseContent[]): Promise<void> {
  for (const db of dbs) {
    await r.select(db.index);
    for (const [key, value, expireAtMs] of db.entries) {
      const k = bin(key);
      if (typeof value === 'string') await r.set(k, bin(value));
      else if (value instanceof ListValue) {
        const items = value.toArray().map(bin);
        for (let i = 0; i < items.length; i += 1000) await r.rpush(k, ...items.slice(i, i + 1000));
      } else if (value instanceof HashValue)
        await r.hset(k, ...[...value].flatMap(([f, v]) => [bin(f), bin(v)]));
      else if (value instanceof SetValue) await r.sadd(k, ...[...value].map(bin));
      else {
        const args: (string | Buffer)[] = [];
        for (const [m, s] of (value as SortedSetValue).entries())
          args.push(s === Infinity ? '+inf' : s === -Infinity ? '-inf' : String(s), bin(m));
        await r.zadd(k, ...args);
      }
      if (expireAtMs !== undefined) await r.pexpireat(k, expireAtMs);
    }
  }
}

/** Checks that Redis holds exactly the dataset: keys, types, values and absolute expiry times. */
async function expectRedisHolds(r: Redis, dbs: RdbDatabaseContent[]): Promise<void> {
  for (const db of dbs) {
    await r.select(db.index);
    expect(await allKeys(r), `db ${db.index} keys`).toEqual(db.entries.map((e) => e[0]).sort());
    for (const [key, value, expireAtMs] of db.entries) {
      expect(await fetch(r, key), `db ${db.index} ${JSON.stringify(key.slice(0, 40))}`).toEqual(
        normalize(value),
      );
      expect(await r.pexpiretime(bin(key)), `expiry of ${key.slice(0, 40)}`).toBe(expireAtMs ?? -1);
    }
  }
}

describe.skipIf(!HAVE_REDIS)(
  HAVE_REDIS
    ? 'RDB interop with real redis-server 7.0'
    : 'RDB interop (skipped: redis-server 7.x is not installed)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcache-rdb-'));
    const dataset = buildDataset();
    const running: RunningRedis[] = [];
    /** The server filled with the dataset by commands (second test), reused for DUMP/RESTORE. */
    let populated: RunningRedis | undefined;

    beforeAll(() => {
      expect(HAVE_REDIS).toBe(true);
    });

    afterAll(async () => {
      for (const r of running) await r.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('real Redis loads the RDB we write, key by key, with types, values and TTLs', async () => {
      const rdb = writeDataset(dataset);
      writeFileSync(join(dir, 'ours.rdb'), rdb);
      // Redis's own checker accepts it...
      const check = execFileSync('redis-check-rdb', [join(dir, 'ours.rdb')], { encoding: 'utf8' });
      expect(check).toContain('RDB looks OK!');
      // ...and a server loads it.
      const redis = await startRedis(dir, 'ours.rdb');
      running.push(redis);
      await expectRedisHolds(redis.client, dataset);
      await redis.stop();
    });

    it('we read what real Redis SAVEs (including compressed quicklist nodes), matching its replies', async () => {
      const redis = await startRedis(dir, 'theirs.rdb', ['--list-compress-depth', '1']);
      running.push(redis);
      populated = redis;
      const r = redis.client;
      await populate(r, dataset);
      await r.select(5);
      await r.call('DEBUG', 'POPULATE', '5000', 'pop', '16');
      await r.save();

      const loaded = new Map<number, Map<string, [Normalized, number | undefined]>>();
      const aux = new Map<string, string>();
      const summary = readRdb(readFileSync(join(dir, 'theirs.rdb')), {
        aux: (k, v) => aux.set(k, v),
        entry(db, key, value, expireAtMs) {
          if (!loaded.has(db)) loaded.set(db, new Map());
          loaded.get(db)!.set(key, [normalize(value), expireAtMs]);
        },
      });
      expect(summary.checksum).toBe('verified');
      expect(aux.get('redis-ver')).toBe('7.0.15');
      expect([...loaded.keys()].sort((a, b) => a - b)).toEqual([0, 3, 5, 15]);
      for (const [db, keys] of loaded) {
        await r.select(db);
        expect([...keys.keys()].sort(), `db ${db}`).toEqual(await allKeys(r));
        for (const [key, [value, expireAtMs]] of keys) {
          expect(value, `db ${db} ${key.slice(0, 40)}`).toEqual(await fetch(r, key));
          expect(expireAtMs ?? -1).toBe(await r.pexpiretime(bin(key)));
        }
      }
      // And it is the dataset we put in.
      for (const db of dataset) {
        for (const [key, value] of db.entries)
          expect(loaded.get(db.index)!.get(key)![0]).toEqual(normalize(value));
      }
    });

    it('we read the IDLE / FREQ opcodes and FUNCTION2 libraries real Redis writes', async () => {
      const redis = await startRedis(dir, 'opcodes.rdb', ['--maxmemory-policy', 'allkeys-lfu']);
      running.push(redis);
      const r = redis.client;
      const library =
        "#!lua name=rdbtest\nredis.register_function('rdbtest_echo', function(keys, args) return args[1] end)";
      await r.call('FUNCTION', 'LOAD', library);
      await r.set('a', '1');
      await r.rpush('l', 'x', 'y');
      const load = async (): Promise<{ libs: string[]; keys: Map<string, Normalized> }> => {
        await r.save();
        const libs: string[] = [];
        const keys = new Map<string, Normalized>();
        readRdb(readFileSync(join(dir, 'opcodes.rdb')), {
          functionLibrary: (code) => libs.push(code),
          entry: (_db, key, value) => keys.set(key, normalize(value)),
        });
        return { libs, keys };
      };
      const expected = new Map<string, Normalized>([
        ['a', ['string', '1']],
        ['l', ['list', ['x', 'y']]],
      ]);
      const raw = () => readFileSync(join(dir, 'opcodes.rdb'));
      const lfu = await load();
      expect(lfu).toEqual({ libs: [library], keys: expected });
      expect(raw().includes(Buffer.from([0xf9]))).toBe(true); // FREQ records present
      await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await load()).toEqual({ libs: [library], keys: expected });
      expect(raw().includes(Buffer.from([0xf8]))).toBe(true); // IDLE records present
      await redis.stop();
    });

    it('DUMP from real Redis restores with ours, and our DUMP restores in real Redis', async () => {
      const r = populated!.client;
      await r.select(0);
      const keys = dataset[0]!.entries.map((e) => e[0]);
      for (const key of keys) {
        const payload = (await r.dumpBuffer(bin(key)))!;
        const restored = restoreValue(payload);
        const expected = await fetch(r, key);
        expect(normalize(restored), `restore ${key.slice(0, 40)}`).toEqual(expected);
        await r.restore(bin(`copy:${key}`), 0, dumpValue(restored), 'REPLACE');
        expect(await fetch(r, `copy:${key}`), `RESTORE of our DUMP of ${key.slice(0, 40)}`).toEqual(expected);
      }
      // A corrupted payload of ours is refused by Redis with the same error we give.
      const bad = dumpValue('x');
      bad[bad.length - 1]! ^= 1;
      await expect(r.restore('bad', 0, bad)).rejects.toThrow(
        'ERR DUMP payload version or checksum are wrong',
      );
    });

    it("without compression our DUMP is byte-identical to Redis's for every key", async () => {
      // A fresh server with default list settings (no in-memory node compression), filled by commands.
      const redis = await startRedis(dir, 'unused.rdb', ['--rdbcompression', 'no']);
      running.push(redis);
      const r = redis.client;
      await populate(r, dataset.slice(0, 1));
      await r.select(0);
      const different: string[] = [];
      for (const [key] of dataset[0]!.entries) {
        const payload = (await r.dumpBuffer(bin(key)))!;
        if (!dumpValue(restoreValue(payload), false).equals(payload)) different.push(key.slice(0, 40));
      }
      expect(different).toEqual([]);
    });
  },
);
