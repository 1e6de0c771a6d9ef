// The master pod's preStop hook (`rcache-server --pre-stop`) against real rcache servers on loopback:
// it keeps serving for the handover delay, then hands the role to the most up-to-date replica.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePreStopArgs, preStop } from '../../src/operator/pre-stop.js';
import { replicationOf } from '../../src/replication/role.js';
import { client, dumpLocal, localInfo, waitFor } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BIN = join(import.meta.dirname, '../../bin/rcache-server');
const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.close();
});

async function node(): Promise<TestServer> {
  const s = await startTestServer({ 'repl-diskless-sync-delay': '0' });
  started.push(s);
  return s;
}

async function replicate(replica: TestServer, master: TestServer): Promise<void> {
  const r = client(replica.port);
  await r.call('REPLICAOF', '127.0.0.1', String(master.port));
  r.disconnect();
  await waitFor('the replica to sync', () => localInfo(replica.server).master_link_status === 'up');
}

describe('rcache-server --pre-stop', () => {
  it('keeps the master serving for the delay, hands its role to the replica with every write, then stays for the drain', async () => {
    const a = await node();
    const b = await node();
    await replicate(b, a);
    const ca = client(a.port);
    const lines: string[] = [];
    const t0 = Date.now();
    let finished = 0;
    const done = preStop({ port: a.port, delayMs: 400, drainMs: 600, log: (l) => lines.push(l) }).then(
      (rc) => {
        finished = Date.now();
        return rc;
      },
    );
    // Still the master during the delay: writes are taken and replicated.
    await new Promise((r) => setTimeout(r, 150));
    expect(await ca.set('during-delay', '1')).toBe('OK');
    expect(await ca.call('WAIT', '1', '1000')).toBe(1);
    expect(replicationOf(b.server).isReplica).toBe(true);
    await waitFor('the handover', () => !replicationOf(b.server).isReplica);
    const handedOver = Date.now();
    expect(handedOver - t0).toBeGreaterThanOrEqual(400);
    expect(replicationOf(a.server).isReplica).toBe(true);
    // Draining: the hook has not returned (the pod stays), and writes sent here fail at once.
    expect(finished).toBe(0);
    await expect(ca.set('after', '1')).rejects.toThrow('READONLY');
    expect(await done).toBe(0);
    expect(finished - handedOver).toBeGreaterThanOrEqual(550);
    expect(lines[0]).toBe('pre-stop: serving 400 ms more before handing the master role over');
    expect(lines[1]).toMatch(
      new RegExp(`^pre-stop: handed the master role to 127.0.0.1:${b.port} in \\d+ ms$`),
    );
    expect(lines[2]).toBe('pre-stop: staying 600 ms as a replica while the master Service moves');
    expect(b.server.dbs[0]!.dict.get('during-delay')).toBe('1');
    await waitFor('the old master to follow', () => localInfo(a.server).master_link_status === 'up');
    expect(dumpLocal(a.server)).toEqual(dumpLocal(b.server));
    expect(b.server.stats.syncFull).toBe(0);
    ca.disconnect();
  });

  it('does nothing on a replica, nor on a master without an online replica', async () => {
    const a = await node();
    const b = await node();
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    // No handover, no drain either.
    const alone = Date.now();
    expect(await preStop({ port: a.port, delayMs: 0, drainMs: 5000, log })).toBe(0);
    expect(Date.now() - alone).toBeLessThan(1000);
    expect(lines.pop()).toBe('pre-stop: no online replica; nothing to hand over');
    await replicate(b, a);
    const t0 = Date.now();
    expect(await preStop({ port: b.port, delayMs: 5000, drainMs: 5000, log })).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(lines.pop()).toBe('pre-stop: this node is a replica; nothing to hand over');
    expect(replicationOf(a.server).isReplica).toBe(false);
  });

  it('exits 0 when no server answers (the pod is going away anyway)', async () => {
    const lines: string[] = [];
    expect(await preStop({ port: 1, delayMs: 0, drainMs: 5000, log: (l) => lines.push(l) })).toBe(0);
    expect(lines[0]).toMatch(/^pre-stop: server not reachable \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
  });

  it('names a bad option and the usage, on the command line too', async () => {
    expect(parsePreStopArgs([])).toEqual({ port: 6379, delayMs: 0, drainMs: 0 });
    expect(parsePreStopArgs(['--delay-ms', '250', '--port', '7000', '--drain-ms', '2000'])).toEqual({
      port: 7000,
      delayMs: 250,
      drainMs: 2000,
    });
    expect(parsePreStopArgs(['--delay-ms', 'soon'])).toBe(
      'pre-stop: --delay-ms needs a non-negative integer; usage: rcache-server --pre-stop [--port <port>] [--delay-ms <ms>] [--drain-ms <ms>]',
    );
    expect(parsePreStopArgs(['--wait', '1'])).toMatch(/^pre-stop: unknown option --wait; usage:/);
    const r = await promisify(execFile)(BIN, ['--pre-stop', '--port']).catch((e) => e);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pre-stop: --port needs a non-negative integer; usage:/);
  });
});
