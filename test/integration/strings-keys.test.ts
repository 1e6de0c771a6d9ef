import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';
import { HashValue, SetValue, SortedSetValue } from '../../src/keyspace/values.js';
import { hasRealRedis, type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import {
  dumpLocal,
  info,
  type KeyDump,
  type KeyspaceDump,
  localInfo,
  waitFor,
} from '../helpers/replication.js';
import { type Reply, RespClient } from '../helpers/resp-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type Command, keyCommand, stringCommand } from '../helpers/strings-keys-arbitraries.js';

/*
 * Propagation of the string and generic-key commands, checked end to end with a real Redis 7.0 on the
 * other side of a replication link:
 *  - our master, real replica: everything we propagate (SET ... PXAT, PEXPIREAT, DEL for past times,
 *    SET ... KEEPTTL for INCRBYFLOAT, SET for GETSET...) must rebuild exactly our dataset on Redis,
 *    absolute expiry times included;
 *  - real master, our replica: we must apply what Redis propagates for the same commands identically.
 */

const real = hasRealRedis();

type Stoppable = { close(): Promise<void> } | { stop(): Promise<void> };
const started: Stoppable[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await ('close' in s ? s.close() : s.stop());
});

async function ours(): Promise<TestServer> {
  const s = await startTestServer({ 'repl-diskless-sync-delay': '0' });
  started.push(s);
  return s;
}
async function realRedis(args: string[] = []): Promise<RealRedis> {
  const r = await startRealRedis(args);
  started.push(r);
  return r;
}
async function resp(port: number): Promise<RespClient> {
  const c = await RespClient.connect(port);
  started.push({ close: () => c.close() });
  return c;
}

/** Every command that is rewritten for propagation, plus the plain writes of both families. */
const REWRITTEN: Command[] = [
  ['SET', 'k1', 'v', 'EX', '1000'],
  ['SET', 'k2', 'v', 'PX', '500000', 'GET'],
  ['SET', 'k3', 'v', 'NX', 'EXAT', '4102444800'],
  ['SET', 'k3', 'w', 'get', 'GET', 'XX'],
  ['SETEX', 's1', '1000', 'v'],
  ['PSETEX', 's2', '1000000', 'v'],
  ['SET', 'e1', 'v'],
  ['EXPIRE', 'e1', '1000'],
  ['PEXPIRE', 'e1', '2000000', 'GT'],
  ['EXPIREAT', 'e1', '4102444800', 'LT'],
  ['SET', 'e2', 'v'],
  ['EXPIRE', 'e2', '-1'],
  ['SET', 'e3', 'v'],
  ['PEXPIREAT', 'e3', '1'],
  ['SET', 'g1', 'v'],
  ['GETEX', 'g1', 'EX', '1000'],
  ['SET', 'g2', 'v', 'EX', '1000'],
  ['GETEX', 'g2', 'PERSIST'],
  ['SET', 'g3', 'v'],
  ['GETEX', 'g3', 'PXAT', '1'],
  ['SET', 'gd', 'v'],
  ['GETDEL', 'gd'],
  ['GETSET', 'k1', 'replaced'],
  ['SET', 'f', '0.1', 'EX', '1000'],
  ['INCRBYFLOAT', 'f', '0.2'],
  ['INCRBYFLOAT', 'f2', '1e400'],
  ['MSET', 'm1', '1', 'm2', '2'],
  ['MSETNX', 'm3', '3', 'm4', '4'],
  ['INCR', 'm1'],
  ['DECRBY', 'm2', '10'],
  ['APPEND', 'm3', 'xyz'],
  ['SETRANGE', 'm4', '5', 'abc'],
  ['SETNX', 'n1', 'v'],
  ['RENAME', 'n1', 'n2'],
  ['RENAMENX', 'n2', 'n3'],
  ['COPY', 'n3', 'c1', 'DB', '1'],
  ['MOVE', 'm1', '2'],
  ['PERSIST', 's1'],
  ['DEL', 'm2', 'nothing'],
  ['UNLINK', 'k3'],
];

async function apply(c: RespClient, commands: Command[]): Promise<void> {
  for (const command of commands) if (command[0] !== 'SCANALL') await c.call(...command);
  await c.call('SELECT', '0');
}

/** The same collections on both kinds of server, so that WRONGTYPE paths are exercised too. */
function plantLocal(t: TestServer): void {
  const db = t.server.dbs[0]!;
  db.add('L', ListValue.from(['a', 'b']));
  db.add('H', new HashValue([['f', 'v']]));
  db.add('S', new SetValue(['1', '2']));
  const z = new SortedSetValue();
  z.add('m', 1);
  db.add('Z', z);
}

async function plantReal(c: RespClient): Promise<void> {
  await c.call('RPUSH', 'L', 'a', 'b');
  await c.call('HSET', 'H', 'f', 'v');
  await c.call('SADD', 'S', '1', '2');
  await c.call('ZADD', 'Z', '1', 'm');
}

const workloads = (): Command[][] =>
  fc.sample(fc.array(fc.oneof(stringCommand, keyCommand), { minLength: 5, maxLength: 40 }), {
    numRuns: 30,
    seed: 7,
  });

describe.skipIf(!real)(
  'propagation: our master, real Redis 7.0 replica (skipped without redis-server)',
  () => {
    it('the replica rebuilds exactly our dataset, expiry times included', async () => {
      const master = await ours();
      plantLocal(master);
      const replica = await realRedis(['--replicaof', '127.0.0.1', String(master.port)]);
      const caughtUp = () =>
        waitFor('replica to catch up', async () => {
          const r = await info(replica.port);
          return (
            r.master_link_status === 'up' &&
            localInfo(master.server).master_repl_offset === r.slave_repl_offset
          );
        });
      await caughtUp();
      const c = await resp(master.port);
      await apply(c, REWRITTEN);
      for (const workload of workloads()) await apply(c, workload);
      await caughtUp();
      const dump = dumpLocal(master.server);
      expect(Object.keys(dump[0] ?? {}).length).toBeGreaterThan(10);
      expect(await dumpRealBinary(replica.port)).toEqual(dump);
    }, 60_000);

    it('a key expiring on the master is deleted on the replica', async () => {
      const master = await ours();
      const replica = await realRedis(['--replicaof', '127.0.0.1', String(master.port)]);
      const c = await resp(master.port);
      await waitFor('link up', async () => (await info(replica.port)).master_link_status === 'up');
      await c.call('SET', 'short', 'v', 'PX', '300');
      await c.call('SET', 'long', 'v');
      await waitFor('replica DBSIZE 2', async () => (await dbsize(replica.port)) === 2n);
      await new Promise((r) => setTimeout(r, 350));
      await c.call('GET', 'short'); // lazy expiry, if the active cycle has not got there first
      await waitFor('replica to receive DEL', async () => (await dbsize(replica.port)) === 1n);
    }, 30_000);
  },
);

/**
 * A real Redis's dataset in dumpLocal's format, read with the latin1 RESP client so that binary keys
 * and values survive (the workloads write bytes above 127).
 */
async function dumpRealBinary(port: number): Promise<KeyspaceDump> {
  const c = await RespClient.connect(port);
  const strings = (r: Reply): string[] =>
    r.type === 'array' ? r.value.map((x) => (x as { value: string }).value) : [];
  const out: KeyspaceDump = {};
  try {
    for (let db = 0; db < 16; db++) {
      await c.call('SELECT', db);
      const names = strings(await c.call('KEYS', '*'));
      if (names.length === 0) continue;
      const keys: Record<string, KeyDump> = {};
      for (const key of names) {
        const type = ((await c.call('TYPE', key)) as { value: string }).value;
        let value: unknown;
        if (type === 'string') value = ((await c.call('GET', key)) as { value: string }).value;
        else if (type === 'list') value = strings(await c.call('LRANGE', key, 0, -1));
        else if (type === 'set') value = strings(await c.call('SMEMBERS', key)).sort();
        else if (type === 'hash') {
          const flat = strings(await c.call('HGETALL', key));
          const pairs: [string, string][] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
          value = pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
        } else if (type === 'zset') {
          const flat = strings(await c.call('ZRANGE', key, 0, -1, 'WITHSCORES'));
          const pairs: [string, number][] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, Number(flat[i + 1])]);
          value = pairs;
        }
        const at = Number(((await c.call('PEXPIRETIME', key)) as { value: bigint }).value);
        keys[key] = { type, value, expireAt: at < 0 ? null : at };
      }
      out[db] = keys;
    }
  } finally {
    await c.close();
  }
  return out;
}

async function dbsize(port: number): Promise<bigint> {
  const c = await RespClient.connect(port);
  try {
    const r = await c.call('DBSIZE');
    return r.type === 'int' ? r.value : -1n;
  } finally {
    await c.close();
  }
}

describe.skipIf(!real)(
  'propagation: real Redis 7.0 master, our replica (skipped without redis-server)',
  () => {
    it('we apply what Redis propagates and end with its dataset', async () => {
      const master = await realRedis(['--repl-diskless-sync-delay', '0']);
      const m = await resp(master.port);
      await plantReal(m);
      const replica = await ours();
      const r = await resp(replica.port);
      expect((await r.call('REPLICAOF', '127.0.0.1', String(master.port))).type).toBe('status');
      const caughtUp = () =>
        waitFor('our replica to catch up', async () => {
          const mi = await info(master.port);
          const ri = localInfo(replica.server);
          return ri.master_link_status === 'up' && mi.master_repl_offset === ri.slave_repl_offset;
        });
      await caughtUp();
      await apply(m, REWRITTEN);
      for (const workload of workloads()) await apply(m, workload);
      await caughtUp();
      const dump = await dumpRealBinary(master.port);
      expect(Object.keys(dump[0] ?? {}).length).toBeGreaterThan(10);
      expect(dumpLocal(replica.server)).toEqual(dump);
    }, 60_000);

    it("a key expiring on the master is deleted by the master's DEL, not before", async () => {
      const master = await realRedis(['--repl-diskless-sync-delay', '0']);
      const m = await resp(master.port);
      const replica = await ours();
      const r = await resp(replica.port);
      await r.call('REPLICAOF', '127.0.0.1', String(master.port));
      await waitFor('link up', () => localInfo(replica.server).master_link_status === 'up');
      // Pause the master's active expiry so that only our GET below expires the key (and sends DEL).
      await m.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      await m.call('SET', 'short', 'v', 'PX', '50');
      await waitFor('key replicated', () => replica.server.dbs[0]!.dict.has('short'));
      await new Promise((resolve) => setTimeout(resolve, 80));
      // Logically expired: hidden from our replica's clients, but still stored until the master says so.
      expect((await r.call('GET', 'short')).type).toBe('null');
      expect(replica.server.dbs[0]!.dict.has('short')).toBe(true);
      await m.call('GET', 'short');
      await waitFor("the master's DEL to be applied", () => !replica.server.dbs[0]!.dict.has('short'));
    }, 30_000);
  },
);
