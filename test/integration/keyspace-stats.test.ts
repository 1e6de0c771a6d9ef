// INFO stats keyspace_hits / keyspace_misses count read lookups the way real Redis 7.0 does.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ours: TestServer;
let real: RealRedis;

beforeAll(async () => {
  ours = await startTestServer();
  real = await startRealRedis();
});
afterAll(async () => {
  await ours?.close();
  await real?.stop();
});

async function hitsAndMisses(port: number): Promise<[number, number]> {
  const r = new Redis({ port, host: '127.0.0.1' });
  try {
    await r.set('present', '1');
    await r.set('soon-gone', '1', 'PX', 1);
    await new Promise((res) => setTimeout(res, 20));
    await r.get('present');
    await r.get('absent');
    await r.get('soon-gone');
    await r.mget('present', 'absent', 'present');
    await r.llen('absent');
    await r.exists('present');
    const info = await r.info('stats');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
    return [field('keyspace_hits'), field('keyspace_misses')];
  } finally {
    r.disconnect();
  }
}

describe('keyspace hit and miss counters', () => {
  it('match real Redis for the same reads', async () => {
    const expected = await hitsAndMisses(real.port);
    expect(expected[0]).toBeGreaterThan(0);
    expect(await hitsAndMisses(ours.port)).toEqual(expected);
  });
});
