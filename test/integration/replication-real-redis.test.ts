import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';
import { HashValue } from '../../src/keyspace/values.js';
import { hasRealRedis, type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import { client, dumpLocal, dumpReal, info, localInfo, waitFor } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const real = hasRealRedis();
type Stoppable = { close(): Promise<void> } | { stop(): Promise<void> };
const started: Stoppable[] = [];
async function stopAll(): Promise<void> {
  for (const s of started.splice(0).reverse()) await ('close' in s ? s.close() : s.stop());
}
afterEach(stopAll);
afterAll(stopAll);

async function proxyTo(port: number, options = {}): Promise<TcpProxy> {
  const p = new TcpProxy(port, options);
  await p.start();
  started.push(p);
  return p;
}

async function ours(directives: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer({ 'repl-diskless-sync-delay': '0', ...directives });
  started.push(s);
  return s;
}
async function realRedis(args: string[] = []): Promise<RealRedis> {
  const r = await startRealRedis(args);
  started.push(r);
  return r;
}

/** Offsets equal on both ends: the real replica processed everything our master produced. */
async function caughtUp(master: TestServer, replicaPort: number): Promise<void> {
  await waitFor('replica to catch up', async () => {
    const r = await info(replicaPort);
    return (
      r.master_link_status === 'up' && localInfo(master.server).master_repl_offset === r.slave_repl_offset
    );
  });
}

/** Keys of several types, some with TTLs, in two databases, written straight into our keyspace. */
function seedLocal(t: TestServer): void {
  const db0 = t.server.dbs[0]!;
  const db3 = t.server.dbs[3]!;
  db0.add('str', 'hello');
  db0.add('int', '12345');
  db0.add('ttl', 'x');
  db0.expires.set('ttl', Date.now() + 500_000);
  const list = new ListValue();
  for (const v of ['a', 'b', 'c']) list.pushTail(v);
  db0.add('list', list);
  const hash = new HashValue();
  hash.set('f1', 'v1');
  hash.set('f2', 'v2');
  db0.add('hash', hash);
  db3.add('other', 'db3');
}

async function writeSeveralFamilies(port: number): Promise<void> {
  const r = client(port);
  await r.set('s1', 'v1');
  await r.set('s2', 'v2', 'EX', 1000);
  await r.incr('counter');
  await r.incrbyfloat('fl', 1.5);
  await r.append('s1', '-more');
  await r.sadd('set', 'a', 'b', 'c', '1');
  await r.srem('set', 'b');
  await r.zadd('zs', 1, 'one', 2.5, 'two', -3, 'minus');
  await r.zincrby('zs', 10, 'one');
  await r.expire('str', 900);
  await r.multi().set('t1', 'a').incr('t2').exec();
  // Lists and hashes, and the commands whose effects are rewritten for the stream (SPOP → SREM,
  // LMPOP → LPOP n, BLPOP → LPOP, HINCRBYFLOAT → HSET, GETEX → PEXPIREAT...).
  await r.rpush('l2', 'a', 'b', 'c', 'd', 'e');
  await r.lpush('l2', 'z');
  await r.rpop('l2');
  await r.call('LMPOP', '1', 'l2', 'LEFT', 'COUNT', '2');
  await r.blpop('l2', 0);
  await r.hset('h2', 'f', '1', 'g', '2');
  await r.hincrbyfloat('h2', 'f', 2.5);
  await r.hdel('h2', 'g');
  await r.sadd('sp', 'a', 'b', 'c', 'd');
  await r.spop('sp');
  await r.spop('sp', 2);
  await r.zadd('zp', 1, 'a', 2, 'b', 3, 'c');
  await r.zpopmin('zp');
  await r.set('gx', 'v');
  await r.getex('gx', 'EX', 700);
  await r.set('ren', 'x');
  await r.rename('ren', 'renamed');
  await r.select(5);
  await r.set('in5', 'five');
  await r.select(6);
  await r.set('gone', '1');
  await r.flushdb();
  await r.select(0);
  await r.del('int');
  r.disconnect();
}

describe.skipIf(!real)('our master, real Redis 7.0 replica', () => {
  for (const diskless of [false, true]) {
    it(`full sync (${diskless ? 'diskless $EOF' : 'disk $<len>'}), streaming, link cut and partial resync`, async () => {
      const master = await ours({ 'repl-diskless-sync': diskless ? 'yes' : 'no' });
      seedLocal(master);
      // Diskless also goes through a proxy that splits packets, so both parsers see odd boundaries.
      const proxy = await proxyTo(master.port, diskless ? { splitBytes: 5 } : {});
      const replica = await realRedis(['--replicaof', '127.0.0.1', String(proxy.port)]);
      await caughtUp(master, replica.port);
      expect(await dumpReal(replica.port)).toEqual(dumpLocal(master.server));
      expect(
        master.logs.some((l) =>
          l.includes(`Starting BGSAVE for SYNC with target: ${diskless ? 'replicas sockets' : 'disk'}`),
        ),
      ).toBe(true);

      await writeSeveralFamilies(master.port);
      await caughtUp(master, replica.port);
      expect(await dumpReal(replica.port)).toEqual(dumpLocal(master.server));

      // Cut the link from the master's side, write meanwhile, and expect a partial resync.
      const stats = master.server.stats;
      const fullBefore = stats.syncFull;
      const partialBefore = stats.syncPartialOk;
      proxy.refuse = true;
      proxy.cutAll();
      await waitFor(
        'master to notice',
        () =>
          master.server.replication.isReplica === false && localInfo(master.server).connected_slaves === '0',
      );
      const m = client(master.port);
      await m.set('during-cut', '1');
      await m.sadd('set', 'zz');
      m.disconnect();
      proxy.refuse = false;
      await waitFor('partial resync', () => stats.syncPartialOk > partialBefore);
      await caughtUp(master, replica.port);
      expect(stats.syncFull).toBe(fullBefore);
      expect(await dumpReal(replica.port)).toEqual(dumpLocal(master.server));
    }, 40_000);
  }
});

/** Keys of every type Redis 7.0 encodes differently in RDB (listpacks, intsets, quicklists...), two dbs. */
async function seedReal(port: number): Promise<void> {
  const r = client(port);
  await r.set('str', 'hello');
  await r.set('int', '12345');
  await r.set('big', 'x'.repeat(5000));
  await r.set('ttl', 'x', 'PX', 500_000);
  await r.rpush('list', 'a', 'b', 'c', '1', '2');
  await r.rpush('biglist', ...Array.from({ length: 1000 }, (_, i) => `item-${i}`));
  await r.hset('hash', 'f1', 'v1', 'f2', '2');
  await r.hset('bighash', Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`])));
  await r.sadd('intset', '1', '2', '3', '-5', '1000');
  await r.sadd('set', 'apple', 'banana');
  await r.zadd('zs', 1, 'one', 2.5, 'two', '-inf', 'low');
  await r.zadd('bigzs', ...Array.from({ length: 200 }, (_, i) => [i / 3, `m${i}`]).flat());
  await r.select(3);
  await r.set('other', 'db3');
  r.disconnect();
}

async function ourReplicaCaughtUp(replica: TestServer, masterPort: number): Promise<void> {
  await waitFor('our replica to catch up', async () => {
    const m = await info(masterPort);
    const r = localInfo(replica.server);
    return r.master_link_status === 'up' && m.master_repl_offset === r.slave_repl_offset;
  });
}

describe.skipIf(!real)('our replica, real Redis 7.0 master', () => {
  const modes: [string, string[]][] = [
    ['disk $<len>', ['--repl-diskless-sync', 'no']],
    [
      'diskless $EOF with a 1 s delay (newline keepalives first)',
      ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '1'],
    ],
  ];
  for (const [mode, args] of modes) {
    it(`full sync (${mode}), streaming, link cut and partial resync`, async () => {
      const master = await realRedis(args);
      await seedReal(master.port);
      const proxy = await proxyTo(master.port, { splitBytes: 7 });
      const replica = await ours();
      const r = client(replica.port);
      expect(await r.call('REPLICAOF', '127.0.0.1', String(proxy.port))).toBe('OK');
      await ourReplicaCaughtUp(replica, master.port);
      expect(dumpLocal(replica.server)).toEqual(await dumpReal(master.port));
      // Redis's log lines for each step, in Redis's order.
      const steps = [
        'Before turning into a replica, using my own master parameters to synthesize a cached master',
        `Connecting to MASTER 127.0.0.1:${proxy.port}`,
        'MASTER <-> REPLICA sync started',
        `REPLICAOF 127.0.0.1:${proxy.port} enabled (user request from 'id=`,
        'Non blocking connect for SYNC fired the event.',
        'Master replied to PING, replication can continue...',
        'Trying a partial resynchronization (request ',
        'Full resync from master: ',
        'MASTER <-> REPLICA sync: receiving ',
        'Discarding previously cached master state.',
        'MASTER <-> REPLICA sync: Flushing old data',
        'MASTER <-> REPLICA sync: Loading DB in memory',
        'Loading RDB produced by version 7.0.15',
        'Done loading RDB, keys loaded: 13, keys expired: 0.',
        'MASTER <-> REPLICA sync: Finished with success',
      ];
      let at = 0;
      for (const line of replica.logs) if (at < steps.length && line.includes(steps[at]!)) at++;
      expect(steps[at] ?? 'all found').toBe('all found');
      expect(
        replica.logs.filter((l) => l.includes('Full resync from master')).every((l) => /^\d+:S /.test(l)),
      ).toBe(true);

      await writeSeveralFamilies(master.port);
      await ourReplicaCaughtUp(replica, master.port);
      expect(dumpLocal(replica.server)).toEqual(await dumpReal(master.port));
      await expect(r.set('x', '1')).rejects.toThrow("READONLY You can't write against a read only replica.");

      const before = await info(master.port, 'stats');
      proxy.refuse = true;
      proxy.cutAll();
      const m = client(master.port);
      await m.set('during-cut', '1');
      await m.zadd('zs', 7, 'seven');
      m.disconnect();
      await waitFor('link down', () => localInfo(replica.server).master_link_status === 'down');
      proxy.refuse = false;
      await ourReplicaCaughtUp(replica, master.port);
      const after = await info(master.port, 'stats');
      expect(Number(after.sync_partial_ok)).toBe(Number(before.sync_partial_ok) + 1);
      expect(after.sync_full).toBe(before.sync_full);
      expect(dumpLocal(replica.server)).toEqual(await dumpReal(master.port));
      r.disconnect();
    }, 40_000);
  }

  it('PSYNC2: promotion of our replica; the real sub-replica and the demoted real master continue partially', async () => {
    const top = await realRedis(['--repl-diskless-sync', 'no']);
    await seedReal(top.port);
    const mid = await ours({ 'repl-diskless-sync': 'no' });
    const rm = client(mid.port);
    await rm.call('REPLICAOF', '127.0.0.1', String(top.port));
    await ourReplicaCaughtUp(mid, top.port);
    const leaf = await realRedis(['--replicaof', '127.0.0.1', String(mid.port)]);
    await waitFor('leaf up', async () => (await info(leaf.port)).master_link_status === 'up');
    await writeSeveralFamilies(top.port);
    await ourReplicaCaughtUp(mid, top.port);
    await waitFor(
      'leaf caught up',
      async () => (await info(leaf.port)).slave_repl_offset === (await info(top.port)).master_repl_offset,
    );
    // The chained replica follows the top master's history.
    expect((await info(leaf.port)).master_replid).toBe((await info(top.port)).master_replid);
    expect(await dumpReal(leaf.port)).toEqual(await dumpReal(top.port));

    const oldId = (await info(top.port)).master_replid;
    const fullBefore = mid.server.stats.syncFull;
    expect(await rm.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    const promoted = localInfo(mid.server);
    expect(promoted.role).toBe('master');
    expect(promoted.master_replid2).toBe(oldId);
    expect(Number(promoted.second_repl_offset)).toBe(Number(promoted.master_repl_offset) + 1);
    await waitFor(
      'leaf continues',
      () => mid.server.stats.syncPartialOk >= 1 && localInfo(mid.server).connected_slaves === '1',
    );
    await rm.set('after-promotion', 'yes');

    const t = client(top.port);
    await t.call('REPLICAOF', '127.0.0.1', String(mid.port));
    await waitFor('old master continues', () => mid.server.stats.syncPartialOk >= 2);
    await waitFor('both caught up', async () => {
      const off = localInfo(mid.server).master_repl_offset;
      return (
        (await info(leaf.port)).slave_repl_offset === off && (await info(top.port)).slave_repl_offset === off
      );
    });
    expect(mid.server.stats.syncFull).toBe(fullBefore);
    expect((await info(top.port)).master_replid).toBe(localInfo(mid.server).master_replid);
    expect(await dumpReal(leaf.port)).toEqual(dumpLocal(mid.server));
    expect(await dumpReal(top.port)).toEqual(dumpLocal(mid.server));
    t.disconnect();
    rm.disconnect();
  }, 60_000);
});

describe.skipIf(!real)('FAILOVER with real Redis 7.0', () => {
  it('our master hands over to a real replica (PSYNC ... FAILOVER), then follows it', async () => {
    const master = await ours({ 'repl-diskless-sync': 'no' });
    seedLocal(master);
    const replica = await realRedis(['--replicaof', '127.0.0.1', String(master.port)]);
    await caughtUp(master, replica.port);
    await writeSeveralFamilies(master.port);
    const m = client(master.port);
    expect(await m.call('FAILOVER', 'TO', '127.0.0.1', String(replica.port), 'TIMEOUT', '5000')).toBe('OK');
    await waitFor('real replica promoted', async () => (await info(replica.port)).role === 'master');
    await waitFor('we follow it', () => localInfo(master.server).master_link_status === 'up');
    expect(localInfo(master.server).master_failover_state).toBe('no-failover');
    expect(Number((await info(replica.port, 'stats')).sync_full)).toBe(0);
    const r = client(replica.port);
    await r.set('on-new-master', '1');
    await waitFor(
      'stream from the new master',
      () => master.server.dbs[0]!.dict.get('on-new-master') === '1',
    );
    expect(dumpLocal(master.server)).toEqual(await dumpReal(replica.port));
    m.disconnect();
    r.disconnect();
  }, 30_000);

  it('a real master hands over to our replica, which promotes itself on PSYNC ... FAILOVER', async () => {
    const master = await realRedis(['--repl-diskless-sync', 'no']);
    await seedReal(master.port);
    const replica = await ours();
    const r = client(replica.port);
    await r.call('REPLICAOF', '127.0.0.1', String(master.port));
    await ourReplicaCaughtUp(replica, master.port);
    const m = client(master.port);
    expect(await m.call('FAILOVER', 'TO', '127.0.0.1', String(replica.port), 'TIMEOUT', '5000')).toBe('OK');
    await waitFor('we are master', () => localInfo(replica.server).role === 'master');
    await waitFor('real follows us', async () => (await info(master.port)).master_link_status === 'up');
    expect(replica.logs.some((l) => l.includes('MASTER MODE enabled (failover request from'))).toBe(true);
    expect(replica.server.stats.syncFull).toBe(0);
    await r.set('from-new-master', 'ok');
    await waitFor(
      'real replica applied it',
      async () =>
        (await info(master.port)).slave_repl_offset === localInfo(replica.server).master_repl_offset,
    );
    expect(await dumpReal(master.port)).toEqual(dumpLocal(replica.server));
    m.disconnect();
    r.disconnect();
  }, 30_000);
});

describe.skipIf(!real)('authentication on the replication link', () => {
  it('our replica authenticates to a real master (masterauth), a real replica to our master (requirepass)', async () => {
    const realMaster = await realRedis(['--requirepass', 'secret', '--repl-diskless-sync', 'no']);
    const rm = new Redis({
      port: realMaster.port,
      host: '127.0.0.1',
      password: 'secret',
      enableReadyCheck: false,
    });
    await rm.set('k', 'from-real');
    rm.disconnect();
    const replica = await ours({ masterauth: 'secret' });
    await client(replica.port).call('REPLICAOF', '127.0.0.1', String(realMaster.port));
    await waitFor('authenticated sync', () => replica.server.dbs[0]!.dict.get('k') === 'from-real');

    const master = await ours({ requirepass: 'pw' });
    master.server.dbs[0]!.add('k', 'from-ours');
    const realReplica = await realRedis([
      '--masterauth',
      'pw',
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    await caughtUp(master, realReplica.port);
    expect(await dumpReal(realReplica.port)).toEqual(dumpLocal(master.server));
  }, 30_000);
});

describe.skipIf(!real)('INFO replication and ROLE layouts', () => {
  /** Field names in order, with slave<N> lines reduced to their own field names. */
  function layout(text: string): string[] {
    return text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => {
        const [name, value] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)];
        return /^slave\d+$/.test(name) ? `slaveN:${value.replace(/=[^,]*/g, '')}` : name;
      });
  }

  it('match real Redis 7.0 field for field, as master and as replica', async () => {
    const realMaster = await realRedis(['--repl-diskless-sync', 'no']);
    const realReplica = await realRedis(['--replicaof', '127.0.0.1', String(realMaster.port)]);
    const ourReplica = await ours();
    await client(ourReplica.port).call('REPLICAOF', '127.0.0.1', String(realMaster.port));
    await waitFor('both up', async () => (await info(realReplica.port)).master_link_status === 'up');
    await ourReplicaCaughtUp(ourReplica, realMaster.port);
    const ourMaster = await ours({ 'repl-diskless-sync': 'no' });
    const realOfOurs = await realRedis(['--replicaof', '127.0.0.1', String(ourMaster.port)]);
    await caughtUp(ourMaster, realOfOurs.port);
    await waitFor('ack seen', () => localInfo(ourMaster.server).slave0?.includes('state=online') ?? false);

    const rr = client(realReplica.port);
    const rm = client(realMaster.port);
    const om = client(ourMaster.port);
    const or = client(ourReplica.port);
    const realReplicaInfo = (await rr.info('replication')) as string;
    const ourReplicaInfo = (await or.info('replication')) as string;
    expect(layout(ourReplicaInfo)).toEqual(layout(realReplicaInfo));
    // The real master has two replicas (one of them ours): compare with one slave line.
    const realMasterInfo = ((await rm.info('replication')) as string).replace(/\r\nslave1:[^\r]*/, '');
    const ourMasterInfo = (await om.info('replication')) as string;
    expect(layout(ourMasterInfo)).toEqual(layout(realMasterInfo));

    const shape = (x: unknown): unknown => (Array.isArray(x) ? x.map(shape) : typeof x);
    expect(shape(await or.call('ROLE'))).toEqual(shape(await rr.call('ROLE')));
    const ourRole = (await om.call('ROLE')) as unknown[];
    const realRole = ((await rm.call('ROLE')) as unknown[]).slice();
    expect(shape(ourRole)).toEqual(shape([realRole[0], realRole[1], (realRole[2] as unknown[]).slice(0, 1)]));
    expect(ourRole[0]).toBe('master');
    for (const c of [rr, rm, om, or]) c.disconnect();
  }, 40_000);
});
