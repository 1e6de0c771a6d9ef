// Nodes the operator manages start fenced: no writes, no feeding replicas, not ready, until REPLICAOF
// gives them a role. The health endpoint's readiness follows the real replication state.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/server/health.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const s of servers.splice(0)) await s.close();
});

async function start(
  directives: Record<string, string> = {},
): Promise<{ t: TestServer; redis: Redis; ready: () => Promise<number> }> {
  const t = await startTestServer(directives);
  servers.push(t);
  const http = await startHealthServer(t.server, 0);
  closers.push(() => new Promise((r) => http.close(() => r())));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const redis = new Redis({ port: t.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  closers.push(async () => {
    redis.disconnect();
  });
  return { t, redis, ready: async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fenced start', () => {
  it('refuses writes and synchronizations and is not ready until it gets a role', async () => {
    const node = await start({ fenced: 'yes' });
    await expect(node.redis.set('k', 'v')).rejects.toThrow(/^READONLY You can't write against a fenced node/);
    expect(await node.redis.get('k')).toBeNull();
    await expect(node.redis.call('PSYNC', '?', '-1')).rejects.toThrow(/^NOMASTERLINK This node is fenced/);
    expect(await node.ready()).toBe(503);
    expect(await node.redis.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    expect(await node.redis.config('GET', 'fenced')).toEqual(['fenced', 'no']);
    expect(await node.redis.set('k', 'v')).toBe('OK');
    expect(await node.ready()).toBe(200);
  });

  it('a fenced node told to follow a master becomes ready once its link is up', async () => {
    const master = await start({ 'repl-diskless-sync-delay': '0' });
    await master.redis.set('shared', '1');
    const node = await start({ fenced: 'yes' });
    expect(await node.ready()).toBe(503);
    expect(await node.redis.call('REPLICAOF', '127.0.0.1', String(master.t.port))).toBe('OK');
    await until(
      'link up and data synced',
      async () => (await node.ready()) === 200 && (await node.redis.get('shared')) === '1',
    );
    await master.t.close();
    servers.splice(servers.indexOf(master.t), 1);
    await until('readiness drops with the link', async () => (await node.ready()) === 503);
  });
});
