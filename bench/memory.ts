/**
 * Memory footprint of rcache-server against a real redis-server:
 *
 *   npx tsc -p tsconfig.json && node bench/memory.ts
 *
 * Loads BENCH_KEYS (default 1,000,000) keys `SET key:N value:N` into each server through a pipelined
 * connection, waits for things to settle, then compares the resident set size (VmRSS from /proc) of
 * the two processes, rcache/redis, against the bar of 2x. INFO used_memory is printed too: ours is the
 * keyspace estimate that drives eviction, so it also shows how close that estimate is to Redis's figure.
 */
import { connect } from 'node:net';
import { infoField, mb, type RunningServer, rssBytes, startServer } from './common.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const BATCH = 10_000;
const BAR = 2;

/** Sends SETs in batches of BATCH pipelined commands, waiting for each batch's replies. */
async function load(port: number): Promise<void> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let pending = 0;
  let replyBytes = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    replyBytes += chunk.length;
    // Every reply is `+OK\r\n` (5 bytes); anything else would break the count and show up as a hang.
    const complete = Math.floor(replyBytes / 5);
    replyBytes -= complete * 5;
    pending -= complete;
    if (pending === 0) wake?.();
  });
  for (let start = 0; start < KEYS; start += BATCH) {
    let payload = '';
    const end = Math.min(KEYS, start + BATCH);
    for (let i = start; i < end; i++) {
      const key = `key:${i}`;
      const value = `value:${i}`;
      payload += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
    }
    pending += end - start;
    const done = new Promise<void>((resolve) => {
      wake = resolve;
    });
    socket.write(payload);
    await done;
  }
  socket.end();
}

async function measure(server: RunningServer): Promise<{ rss: number; used: number; loadMs: number }> {
  const t0 = performance.now();
  await load(server.port);
  const loadMs = performance.now() - t0;
  // Let the servers settle (V8 finishes concurrent marking/sweeping, idle-time GC).
  await new Promise((r) => setTimeout(r, 3000));
  return { rss: rssBytes(server.pid), used: Number(infoField(server.port, 'memory', 'used_memory')), loadMs };
}

async function main(): Promise<void> {
  const results: Record<string, { rss: number; used: number; loadMs: number; baseline: number }> = {};
  for (const name of ['rcache', 'redis'] as const) {
    const server = await startServer(name);
    try {
      const baseline = rssBytes(server.pid);
      results[name] = { ...(await measure(server)), baseline };
    } finally {
      await server.stop();
    }
  }
  const ours = results.rcache!;
  const redis = results.redis!;
  console.log(`${KEYS} keys SET key:N value:N`);
  console.log('server  RSS at start  RSS loaded   used_memory  load time');
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(6)}  ${mb(r.baseline).padEnd(12)}  ${mb(r.rss).padEnd(11)}  ${(Number.isNaN(r.used) ? 'n/a' : mb(r.used)).padEnd(11)}  ${(r.loadMs / 1000).toFixed(1)} s`,
    );
  }
  const ratio = ours.rss / redis.rss;
  console.log(`RSS ratio rcache/redis: ${ratio.toFixed(2)}x (${ratio <= BAR ? 'ok' : 'MISS'}, bar ${BAR}x)`);
  if (!Number.isNaN(ours.used)) {
    console.log(`used_memory ratio rcache/redis: ${(ours.used / redis.used).toFixed(2)}x`);
  }
}

await main();
