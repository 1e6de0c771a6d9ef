import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { serializeRdb } from '../../src/rdb/index.js';
import { NULL_REPLID } from '../../src/replication/ids.js';
import { replicationOf } from '../../src/replication/role.js';
import type { SnapshotManager } from '../../src/replication/snapshot.js';
import { hasRealRedis, type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import { client, dumpLocal, dumpReal, info, localInfo, waitFor } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Stoppable = { close(): Promise<void> } | { stop(): Promise<void> };
const started: Stoppable[] = [];
async function stopAll(): Promise<void> {
  for (const s of started.splice(0).reverse()) await ('close' in s ? s.close() : s.stop());
}
afterEach(stopAll);
afterAll(stopAll);

async function node(directives: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer({ 'repl-diskless-sync-delay': '0', ...directives });
  started.push(s);
  return s;
}

async function replicate(replica: TestServer, master: TestServer): Promise<void> {
  const r = client(replica.port);
  expect(await r.call('REPLICAOF', '127.0.0.1', String(master.port))).toBe('OK');
  r.disconnect();
  await caughtUp(master, replica);
}

async function caughtUp(master: TestServer, replica: TestServer): Promise<void> {
  await waitFor('replica to catch up', () => {
    const r = localInfo(replica.server);
    return (
      r.master_link_status === 'up' && localInfo(master.server).master_repl_offset === r.slave_repl_offset
    );
  });
}

/** A raw RESP connection: send commands, read exact bytes. */
class Raw {
  private data = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(port: number): Promise<Raw> {
    const s = connect({ port, host: '127.0.0.1' });
    await new Promise((r) => s.once('connect', r));
    return new Raw(s);
  }
  send(...cmds: string[][]): void {
    for (const argv of cmds)
      this.socket.write(
        `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
      );
  }
  /** Waits until at least n bytes arrived, then takes them. */
  async take(n: number, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.data.length < n) {
      if (Date.now() > deadline)
        throw new Error(
          `only ${this.data.length} of ${n} bytes: ${JSON.stringify(this.data.toString('latin1'))}`,
        );
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const out = this.data.subarray(0, n).toString('latin1');
    this.data = this.data.subarray(n);
    return out;
  }
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.data.indexOf(10);
      if (nl >= 0) return (await this.take(nl + 1)).replace(/\r?\n$/, '');
      if (Date.now() > deadline) throw new Error(`no line: ${JSON.stringify(this.buffered)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  get buffered(): string {
    return this.data.toString('latin1');
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('replication between rcache servers', () => {
  it('chained replicas, promotion with PSYNC2 continuation of the sub-replica and the demoted master', async () => {
    const a = await node();
    const b = await node();
    const c = await node();
    const ca = client(a.port);
    await ca.set('before', '1');
    await ca.sadd('s', 'x', 'y');
    await replicate(b, a);
    await replicate(c, b);
    // The sub-replica follows A's history through B.
    expect(localInfo(c.server).master_replid).toBe(localInfo(a.server).master_replid);
    await ca.zadd('z', 1, 'm');
    await ca.incr('n');
    await ca.select(2);
    await ca.set('two', '2');
    await caughtUp(a, b);
    await caughtUp(a, c);
    expect(dumpLocal(c.server)).toEqual(dumpLocal(a.server));
    expect(dumpLocal(b.server)).toEqual(dumpLocal(a.server));

    const cb = client(b.port);
    await cb.call('REPLICAOF', 'NO', 'ONE');
    const bi = localInfo(b.server);
    expect(bi.master_replid2).toBe(localInfo(a.server).master_replid);
    expect(b.logs.some((l) => l.includes('MASTER MODE enabled (user request from'))).toBe(true);
    await cb.set('after', 'promotion');
    await ca.call('REPLICAOF', '127.0.0.1', String(b.port));
    await caughtUp(b, a);
    await caughtUp(b, c);
    expect(b.server.stats.syncPartialOk).toBe(2);
    expect(b.server.stats.syncFull).toBe(1); // only C's initial sync
    expect(dumpLocal(a.server)).toEqual(dumpLocal(b.server));
    expect(dumpLocal(c.server)).toEqual(dumpLocal(b.server));
    expect(a.logs.some((l) => l.includes('Master replication ID changed to'))).toBe(true);
    ca.disconnect();
    cb.disconnect();
  }, 30_000);

  it("WAIT counts replicas that acknowledged the client's last write, blocking up to the timeout", async () => {
    const m = await node();
    const r1 = await node();
    const r2 = await node();
    await replicate(r1, m);
    await replicate(r2, m);
    const c = client(m.port);
    const fresh = client(m.port);
    // A connection that never wrote waits for offset 0, which every online replica has reached.
    expect(await fresh.call('WAIT', '2', '0')).toBe(2);
    await c.set('k', 'v');
    expect(await c.call('WAIT', '2', '2000')).toBe(2);
    const t0 = Date.now();
    expect(await c.call('WAIT', '3', '400')).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    await expect(client(r1.port).call('WAIT', '1', '0')).rejects.toThrow(
      'ERR WAIT cannot be used with replica instances',
    );
    c.disconnect();
    fresh.disconnect();
  }, 20_000);

  it('min-replicas-to-write refuses writes without enough good replicas', async () => {
    const m = await node({ 'min-replicas-to-write': '2', 'min-replicas-max-lag': '10' });
    const r1 = await node();
    await replicate(r1, m);
    const raw = await Raw.open(m.port);
    raw.send(['SET', 'a', '1'], ['GET', 'a'], ['MULTI'], ['SET', 'a', '1'], ['EXEC']);
    const expected =
      '-NOREPLICAS Not enough good replicas to write.\r\n$-1\r\n+OK\r\n-NOREPLICAS Not enough good replicas to write.\r\n-EXECABORT Transaction discarded because of previous errors.\r\n';
    expect(await raw.take(expected.length)).toBe(expected);
    expect(localInfo(m.server).min_slaves_good_slaves).toBe('1');
    const r2 = await node();
    await replicate(r2, m);
    raw.send(['SET', 'a', '1']);
    expect(await raw.take(5)).toBe('+OK\r\n');
    raw.close();
  }, 20_000);

  it('a replica killed during its full sync aborts the snapshot; the next replica syncs fine', async () => {
    const m = await node({ 'repl-diskless-sync': 'yes' });
    const db = m.server.dbs[0]!;
    // Incompressible values, so the RDB really is large (LZF would shrink repetitive ones).
    const { randomBytes } = await import('node:crypto');
    for (let i = 0; i < 200_000; i++) db.add(`key:${i}`, randomBytes(100).toString('latin1'));
    // A replica that asks for a diskless full sync and then stops reading: the transfer (20 MB) cannot
    // finish, the snapshot stays in progress until the connection dies.
    const stuck = await Raw.open(m.port);
    stuck.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], ['PSYNC', '?', '-1']);
    stuck.socket.pause();
    await waitFor('transfer in progress', () => (m.server.snapshots as SnapshotManager).inProgress === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect((m.server.snapshots as SnapshotManager).inProgress).toBe(1);
    stuck.close();
    await waitFor('snapshot aborted', () => (m.server.snapshots as SnapshotManager).inProgress === 0);
    await waitFor('replica gone', () => localInfo(m.server).connected_slaves === '0');
    // The keyspace kept serving and copy-on-write left nothing behind.
    const c = client(m.port);
    await c.set('key:1', 'changed');
    const r2 = await node();
    await replicate(r2, m);
    expect(r2.server.dbs[0]!.dict.size).toBe(200_000);
    expect(r2.server.dbs[0]!.dict.get('key:1')).toBe('changed');
    c.disconnect();
  }, 60_000);

  it('a replica that stops reading its payload is dropped after repl-timeout', async () => {
    const m = await node({ 'repl-diskless-sync': 'yes', 'repl-timeout': '1' });
    const { randomBytes } = await import('node:crypto');
    for (let i = 0; i < 200_000; i++) m.server.dbs[0]!.add(`key:${i}`, randomBytes(100).toString('latin1'));
    const stuck = await Raw.open(m.port);
    stuck.send(['REPLCONF', 'capa', 'eof'], ['PSYNC', '?', '-1']);
    stuck.socket.pause();
    await waitFor('transfer in progress', () => (m.server.snapshots as SnapshotManager).inProgress === 1);
    await waitFor(
      'dropped',
      () => m.logs.some((l) => l.includes('Disconnecting timedout replica (full sync)')),
      10_000,
    );
    await waitFor('snapshot aborted', () => (m.server.snapshots as SnapshotManager).inProgress === 0);
    stuck.close();
  }, 30_000);

  it('a replica follows a restarted master (full resync with the new history)', async () => {
    const m1 = await node();
    const port = m1.port;
    await client(port).set('gen', '1');
    const r = await node();
    await replicate(r, m1);
    await m1.close();
    await waitFor('link down', () => localInfo(r.server).master_link_status === 'down');
    expect(r.server.dbs[0]!.dict.get('gen')).toBe('1'); // stale data still served
    const { Config } = await import('../../src/config/config.js');
    const { Logger } = await import('../../src/log.js');
    const { Server } = await import('../../src/server/server.js');
    const config = new Config();
    config.set('repl-diskless-sync-delay', ['0']);
    const m2 = new Server({
      config,
      log: new Logger({ level: 'warning', file: '', format: 'redis', sink: () => {} }),
    });
    await m2.listen(port, '127.0.0.1');
    started.push({ close: () => m2.close() });
    const c2 = client(port);
    await c2.set('gen', '2');
    await waitFor('resynced', () => r.server.dbs[0]!.dict.get('gen') === '2', 10_000);
    expect(localInfo(r.server).master_replid).toBe(localInfo(m2).master_replid);
    c2.disconnect();
  }, 30_000);

  it('FAILOVER hands the master role to a synced replica without losing acknowledged writes', async () => {
    const a = await node();
    const b = await node();
    const c = await node();
    const ca = client(a.port);
    await expect(ca.call('FAILOVER')).rejects.toThrow('ERR FAILOVER requires connected replicas.');
    await expect(ca.call('FAILOVER', 'ABORT')).rejects.toThrow('ERR No failover in progress.');
    await expect(ca.call('FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE')).rejects.toThrow(
      'ERR FAILOVER with force option requires both a timeout and target HOST and IP.',
    );
    await replicate(b, a);
    await replicate(c, a);
    await expect(client(b.port).call('FAILOVER')).rejects.toThrow(
      'ERR FAILOVER is not valid when server is a replica.',
    );
    await expect(ca.call('FAILOVER', 'TO', '127.0.0.1', '1')).rejects.toThrow(
      'ERR FAILOVER target HOST and PORT is not a replica.',
    );
    for (let i = 0; i < 100; i++) await ca.set(`k${i}`, String(i));
    expect(await ca.call('FAILOVER', 'TO', '127.0.0.1', String(b.port), 'TIMEOUT', '5000')).toBe('OK');
    await waitFor(
      'roles swapped',
      () => !replicationOf(b.server).isReplica && replicationOf(a.server).isReplica,
    );
    await waitFor('failover done', () => localInfo(a.server).master_failover_state === 'no-failover');
    await caughtUp(b, a);
    expect(b.server.stats.syncFull).toBe(0);
    expect(b.server.stats.syncPartialOk).toBeGreaterThanOrEqual(1);
    expect(localInfo(a.server).master_host).toBe('127.0.0.1');
    expect(b.logs.some((l) => l.includes('MASTER MODE enabled (failover request from'))).toBe(true);
    // The old master now refuses writes; the new one takes them and streams them back.
    await expect(ca.set('late', '1')).rejects.toThrow('READONLY');
    const cb = client(b.port);
    await cb.set('new-master', 'yes');
    await caughtUp(b, a);
    expect(dumpLocal(a.server)).toEqual(dumpLocal(b.server));
    await waitFor('c follows', () => c.server.dbs[0]!.dict.get('new-master') === 'yes');
    ca.disconnect();
    cb.disconnect();
  }, 30_000);

  it('a restarted replica that restores repl-id/repl-offset (RDB aux) continues with a partial resync', async () => {
    const m = await node();
    const r = await node();
    await client(m.port).set('a', '1');
    await replicate(r, m);
    const saved = replicationOf(r.server).rdbReplicationInfo()!;
    expect(saved.replId).toBe(localInfo(m.server).master_replid);
    const data = dumpLocal(r.server);
    await r.close();
    await client(m.port).set('b', '2'); // written while the replica was down
    // The restarted process (`replicaof` in its config): dataset and replication info as persistence
    // loads them before the server starts listening and connecting.
    const { Config } = await import('../../src/config/config.js');
    const { Logger } = await import('../../src/log.js');
    const { Server } = await import('../../src/server/server.js');
    const config = new Config();
    config.set('replicaof', ['127.0.0.1', String(m.port)], 'file');
    const logs: string[] = [];
    const r2 = new Server({
      config,
      log: new Logger({ level: 'notice', file: '', format: 'redis', sink: (l) => logs.push(l) }),
    });
    r2.dbs[0]!.add('a', '1');
    replicationOf(r2).restoreFromRdb(saved.replId, saved.replOffset, saved.streamDb);
    expect(dumpLocal(r2)).toEqual(data);
    const fullBefore = m.server.stats.syncFull;
    await r2.listen(0, '127.0.0.1');
    started.push({ close: () => r2.close() });
    await waitFor(
      'caught up',
      () => localInfo(r2).master_link_status === 'up' && r2.dbs[0]!.dict.get('b') === '2',
    );
    expect(
      logs.some((l) =>
        l.includes(`Trying a partial resynchronization (request ${saved.replId}:${saved.replOffset + 1}).`),
      ),
    ).toBe(true);
    expect(m.server.stats.syncFull).toBe(fullBefore);
    expect(m.server.stats.syncPartialOk).toBe(1);
    expect(dumpLocal(r2)).toEqual(dumpLocal(m.server));
  });

  it('a restarted master that restores repl-id/repl-offset lets its replica continue partially', async () => {
    const m1 = await node();
    const port = m1.port;
    const r = await node();
    await client(port).set('a', '1');
    await replicate(r, m1);
    const saved = replicationOf(m1.server).rdbReplicationInfo()!;
    const data = dumpLocal(m1.server);
    await m1.close();
    await waitFor('link down', () => localInfo(r.server).master_link_status === 'down');
    const { Config } = await import('../../src/config/config.js');
    const { Logger } = await import('../../src/log.js');
    const { Server } = await import('../../src/server/server.js');
    const m2 = new Server({
      config: new Config(),
      log: new Logger({ level: 'warning', file: '', format: 'redis', sink: () => {} }),
    });
    // What persistence does when it loads the RDB saved at shutdown: the data, then the repl aux fields.
    m2.dbs[0]!.add('a', '1');
    replicationOf(m2).restoreFromRdb(saved.replId, saved.replOffset, saved.streamDb);
    expect(dumpLocal(m2)).toEqual(data);
    await m2.listen(port, '127.0.0.1');
    started.push({ close: () => m2.close() });
    await waitFor('replica back', () => localInfo(r.server).master_link_status === 'up', 10_000);
    expect(m2.stats.syncPartialOk).toBe(1);
    expect(m2.stats.syncFull).toBe(0);
    await client(port).set('b', '2');
    await waitFor('streamed', () => r.server.dbs[0]!.dict.get('b') === '2');
    expect(localInfo(r.server).master_replid).toBe(localInfo(m2).master_replid);
  }, 30_000);

  it('REPLCONF from a normal client: replies exactly as Redis 7.0', async () => {
    const m = await node();
    const raw = await Raw.open(m.port);
    raw.send(
      ['REPLCONF', 'ACK', '5'],
      ['REPLCONF', 'GETACK', '*'],
      ['REPLCONF', 'listening-port'],
      ['REPLCONF', 'foo', 'bar'],
      ['REPLCONF', 'capa', 'eof', 'capa', 'psync2', 'capa', 'whatever'],
      ['REPLCONF', 'listening-port', 'abc'],
      ['PING'],
    );
    const expected =
      '-ERR syntax error\r\n-ERR Unrecognized REPLCONF option: foo\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+PONG\r\n';
    expect(await raw.take(expected.length)).toBe(expected);
    raw.send(['REPLICAOF'], ['REPLICAOF', 'a', 'b'], ['WAIT', '0', '0'], ['ROLE']);
    const expected2 =
      "-ERR wrong number of arguments for 'replicaof' command\r\n-ERR Invalid master port\r\n:0\r\n*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n";
    expect(await raw.take(expected2.length)).toBe(expected2);
    raw.close();
  });

  it('PSYNC offsets at and beyond the edges of the backlog', async () => {
    const m = await node({ 'repl-diskless-sync': 'no' });
    const first = await Raw.open(m.port);
    first.send(['PSYNC', '?', '-1']);
    const full = await first.line();
    expect(full).toMatch(/^\+FULLRESYNC [0-9a-f]{40} 0$/);
    const replid = full.split(' ')[1]!;
    const c = client(m.port);
    await c.set('k', 'v'); // SELECT 0 (23 bytes) + set (27 bytes)
    const end = Number(localInfo(m.server).master_repl_offset);
    expect(end).toBe(50);

    const attempt = async (id: string, offset: string) => {
      const raw = await Raw.open(m.port);
      raw.send(['REPLCONF', 'capa', 'psync2'], ['PSYNC', id, offset]);
      expect(await raw.line()).toBe('+OK');
      const reply = await raw.line();
      return { raw, reply };
    };
    const exact = await attempt(replid, String(end + 1));
    expect(exact.reply).toBe(`+CONTINUE ${replid}`);
    const fromStart = await attempt(replid, '1');
    expect(fromStart.reply).toBe(`+CONTINUE ${replid}`);
    expect(await fromStart.raw.take(end)).toBe(
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n',
    );
    const beyond = await attempt(replid, String(end + 2));
    expect(beyond.reply).toMatch(/^\+FULLRESYNC /);
    const before = await attempt(replid, '0');
    expect(before.reply).toMatch(/^\+FULLRESYNC /);
    const wrongId = await attempt('0123456789012345678901234567890123456789', '1');
    expect(wrongId.reply).toMatch(/^\+FULLRESYNC /);
    const bad = await attempt(replid, 'abc');
    expect(bad.reply).toBe('-ERR value is not an integer or out of range');
    expect(
      m.logs.some((l) =>
        l.includes('tried to PSYNC with an offset that is greater than the master replication offset'),
      ),
    ).toBe(true);
    expect(
      m.logs.some((l) =>
        l.includes(
          "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '0123456789012345678901234567890123456789'",
        ),
      ),
    ).toBe(true);
    for (const x of [first, exact.raw, fromStart.raw, beyond.raw, before.raw, wrongId.raw, bad.raw])
      x.close();
    c.disconnect();
  }, 20_000);

  it('legacy SYNC: the payload without +FULLRESYNC, then the stream', async () => {
    const m = await node();
    m.server.dbs[0]!.add('k', 'v');
    const raw = await Raw.open(m.port);
    raw.send(['SYNC']);
    const header = await raw.line();
    expect(header).toMatch(/^\$\d+$/); // diskless needs `capa eof`: a SYNC replica gets the disk form
    const rdb = await raw.take(Number(header.slice(1)));
    expect(rdb.startsWith('REDIS0010')).toBe(true);
    const c = client(m.port);
    await c.set('after', '1');
    const stream = '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$5\r\nafter\r\n$1\r\n1\r\n';
    expect(await raw.take(stream.length)).toBe(stream);
    raw.close();
    c.disconnect();
  });

  it('the replica stream keeps a SELECTed db and MULTI/EXEC offsets; GETACK is answered with the offset before it', async () => {
    const m = await node();
    const r = await node();
    await replicate(r, m);
    const c = client(m.port);
    await c.select(4);
    await c.multi().set('a', '1').incr('b').exec();
    await caughtUp(m, r);
    expect(r.server.dbs[4]!.dict.get('b')).toBe('1');
    expect(replicationOf(r.server).link?.masterClient?.db.id).toBe(4);
    c.disconnect();
  });
});

/** A scripted fake master: answers the handshake, then does whatever the test says. */
async function fakeMaster(
  onPsync: (s: Socket) => void,
): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const srv: NetServer = createServer((s) => {
    connections++;
    sockets.add(s);
    let buf = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (!m) return;
        // Parse one command (test-only: small ASCII commands).
        const parts: string[] = [];
        let p = m[0].length;
        for (let i = 0; i < Number(m[1]); i++) {
          const h = /^\$(\d+)\r\n/.exec(buf.slice(p));
          if (!h) return;
          const len = Number(h[1]);
          if (buf.length < p + h[0].length + len + 2) return;
          parts.push(buf.slice(p + h[0].length, p + h[0].length + len));
          p += h[0].length + len + 2;
        }
        buf = buf.slice(p);
        const name = parts[0]!.toUpperCase();
        if (name === 'PING') s.write('+PONG\r\n');
        else if (name === 'REPLCONF' && parts[1]!.toUpperCase() !== 'ACK') s.write('+OK\r\n');
        else if (name === 'PSYNC') onPsync(s);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const handle = {
    port,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
  started.push(handle);
  return handle;
}

describe('replica against a misbehaving master', () => {
  const ID = 'ffffffff0123456789abcdef0123456789abcdef';

  it('a master that stalls mid-transfer times out (repl-timeout); the old data stays in place', async () => {
    const rdb = serializeRdb([{ index: 0, entries: [['new', 'data']] }]);
    const fm = await fakeMaster((s) => {
      s.write(`+FULLRESYNC ${ID} 100\r\n$${rdb.length}\r\n`);
      s.write(rdb.subarray(0, 10)); // ... and nothing more
    });
    const r = await node({ 'repl-timeout': '1' });
    r.server.dbs[0]!.add('old', 'data');
    await client(r.port).call('REPLICAOF', '127.0.0.1', String(fm.port));
    await waitFor('transfer started', () => localInfo(r.server).master_sync_in_progress === '1');
    expect(r.server.dbs[0]!.dict.get('old')).toBe('data'); // never half-loaded
    expect(localInfo(r.server).master_sync_total_bytes).toBe(String(rdb.length));
    await waitFor(
      'timeout',
      () => r.logs.some((l) => l.includes('Timeout receiving bulk data from MASTER')),
      6000,
    );
    await waitFor('retry', () => fm.connections() >= 2, 4000);
    expect(r.server.dbs[0]!.dict.get('old')).toBe('data');
    expect(r.server.dbs[0]!.dict.has('new')).toBe(false);
  }, 20_000);

  it('garbage instead of the payload header, and a corrupt RDB: logged, retried, old data kept', async () => {
    let n = 0;
    const good = serializeRdb([{ index: 0, entries: [['new', 'data']] }]);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 1]! ^= 0xff; // breaks the CRC
    const fm = await fakeMaster((s) => {
      n++;
      if (n === 1) s.write(`+FULLRESYNC ${ID} 100\r\nHTTP/1.1 400 Bad Request\r\n`);
      else if (n === 2)
        s.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID} 100\r\n$${corrupt.length}\r\n`), corrupt]));
      else s.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID} 100\r\n\n\n$${good.length}\r\n`), good]));
    });
    const r = await node();
    r.server.dbs[0]!.add('old', 'data');
    await client(r.port).call('REPLICAOF', '127.0.0.1', String(fm.port));
    await waitFor('loaded on the third try', () => localInfo(r.server).master_link_status === 'up', 10_000);
    expect(
      r.logs.some((l) =>
        l.includes(
          "Bad protocol from MASTER, the first byte is not '$' (we received 'HTTP/1.1 400 Bad Request')",
        ),
      ),
    ).toBe(true);
    expect(r.logs.some((l) => l.includes('Failed trying to load the MASTER synchronization DB'))).toBe(true);
    expect(dumpLocal(r.server)).toEqual({ 0: { new: { type: 'string', value: 'data', expireAt: null } } });
    const i = localInfo(r.server);
    expect(i.master_replid).toBe(ID);
    expect(i.slave_repl_offset).toBe('100');
    expect(i.master_replid2).toBe(NULL_REPLID);
  }, 20_000);

  it('replica-serve-stale-data no: MASTERDOWN while the link is down, even for PING; INFO and ROLE still answer', async () => {
    const r = await node({ 'replica-serve-stale-data': 'no', 'replica-read-only': 'yes' });
    const raw = await Raw.open(r.port);
    raw.send(['REPLICAOF', '127.0.0.1', '1']);
    expect(await raw.line()).toBe('+OK');
    raw.send(['GET', 'a'], ['PING'], ['ROLE']);
    const down = "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    expect(await raw.take(down.length * 2)).toBe(down + down);
    expect(await raw.line()).toBe('*5');
    expect(await raw.line()).toBe('$5');
    expect(await raw.line()).toBe('slave');
    raw.send(['REPLICAOF', '127.0.0.1', '1']);
    await waitFor('role reply consumed', () =>
      raw.buffered.includes('+OK Already connected to specified master\r\n'),
    );
    raw.send(['REPLICAOF', 'NO', 'ONE'], ['SET', 'a', '1']);
    await waitFor('promoted', () => raw.buffered.endsWith('+OK\r\n+OK\r\n'));
    raw.close();
  });

  it('an error reply to PING aborts the handshake and the replica retries every second', async () => {
    const srv = createServer((s) => s.on('data', () => s.write('-ERR nope\r\n')));
    let count = 0;
    srv.on('connection', () => count++);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    started.push({ close: () => new Promise<void>((r) => srv.close(() => r())) });
    const a = srv.address();
    const r = await node();
    await client(r.port).call('REPLICAOF', '127.0.0.1', String(typeof a === 'object' && a ? a.port : 0));
    await waitFor('two attempts', () => count >= 2, 5000);
    expect(r.logs.some((l) => l.includes("Error reply to PING from master: '-ERR nope'"))).toBe(true);
    expect(localInfo(r.server).master_link_status).toBe('down');
    for (const c of r.server.clients) c.socket?.destroy();
  }, 10_000);
});

describe.skipIf(!hasRealRedis())('slow replica', () => {
  it('a replica that stops reading is dropped at client-output-buffer-limit and resyncs when back', async () => {
    const m = await node({ 'client-output-buffer-limit': 'replica 1mb 512kb 1', 'repl-diskless-sync': 'no' });
    const real: RealRedis = await startRealRedis(['--replicaof', '127.0.0.1', String(m.port)]);
    started.push(real);
    await waitFor('up', async () => (await info(real.port)).master_link_status === 'up');
    real.process.kill('SIGSTOP');
    const c = client(m.port);
    const big = 'x'.repeat(64 * 1024);
    for (
      let i = 0;
      i < 400 && m.server.stats.syncFull === 1 && localInfo(m.server).connected_slaves === '1';
      i++
    )
      await c.set(`big:${i % 50}`, big);
    await waitFor(
      'dropped',
      () => m.logs.some((l) => l.includes('overcoming of output buffer limits')),
      10_000,
    );
    real.process.kill('SIGCONT');
    await waitFor(
      'resynced',
      async () => {
        const i = await info(real.port);
        return (
          i.master_link_status === 'up' && i.slave_repl_offset === localInfo(m.server).master_repl_offset
        );
      },
      20_000,
    );
    expect(m.server.stats.syncFull + m.server.stats.syncPartialOk).toBeGreaterThanOrEqual(2);
    expect(await dumpReal(real.port)).toEqual(dumpLocal(m.server));
    c.disconnect();
  }, 40_000);
});
