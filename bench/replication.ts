/**
 * Replication of rcache-server against real redis-server 7.0, each pair of the same kind:
 *
 *   npx tsc -p tsconfig.json && node bench/replication.ts
 *
 * 1. Full sync: time from REPLICAOF to the link being up (ROLE state `connected`) with BENCH_KEYS keys
 *    (default 1,000,000) on the master, diskless with no delay on both.
 * 2. Master latency during that full sync: PING round trips on another connection, p50/p99/max.
 * 3. Catch-up: after `redis-benchmark -P 16 -t set` on the master, time until the replica's offset
 *    equals the master's.
 * Prints each figure for rcache and redis and the ratio rcache/redis.
 */
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { type RunningServer, startServer } from './common.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const LOAD = Number(process.env.BENCH_LOAD ?? 300_000);
const SYNC_OPTS = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];

/** Sends `count` SETs pipelined in batches over one raw connection and waits for every +OK. */
async function populate(port: number, count: number): Promise<void> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise((r) => socket.once('connect', r));
  let oks = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  socket.on('data', (d: Buffer) => {
    for (let i = 0; i < d.length; i++) if (d[i] === 10) oks++;
    if (oks >= count) done();
  });
  const batch = 10_000;
  for (let i = 0; i < count; i += batch) {
    let s = '';
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const k = `key:${j}`;
      const v = `value:${j}:xxxxxxxxxxxxxxxx`;
      s += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
    }
    if (!socket.write(s)) await new Promise((r) => socket.once('drain', r));
  }
  await finished;
  socket.destroy();
}

/** ROLE over a connection of the bench (asynchronous: the PING loop must keep running meanwhile). */
async function role(r: Redis): Promise<unknown[]> {
  return (await r.call('ROLE')) as unknown[];
}

async function offsetOf(r: Redis): Promise<number> {
  const x = await role(r);
  return x[0] === 'master' ? Number(x[1]) : Number(x[4]);
}

/** Sequential PINGs on one connection until stopped; returns the round-trip times in ms. */
function pingLoop(port: number): { stop: () => Promise<number[]> } {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  const rtts: number[] = [];
  let running = true;
  let sentAt = 0;
  let resolveStop: (v: number[]) => void = () => {};
  const send = () => {
    sentAt = performance.now();
    socket.write('*1\r\n$4\r\nPING\r\n');
  };
  socket.on('connect', send);
  socket.on('data', () => {
    rtts.push(performance.now() - sentAt);
    if (running) setTimeout(send, 1);
    else resolveStop(rtts);
  });
  return {
    stop: () =>
      new Promise<number[]>((resolve) => {
        running = false;
        resolveStop = (v) => {
          socket.destroy();
          resolve(v);
        };
        setTimeout(() => resolveStop(rtts), 1000);
      }),
  };
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Result {
  syncMs: number;
  pingP50: number;
  pingP99: number;
  pingMax: number;
  catchUpMs: number;
}

async function run(kind: 'rcache' | 'redis'): Promise<Result> {
  const servers: RunningServer[] = [];
  try {
    const master = await startServer(kind, SYNC_OPTS);
    servers.push(master);
    const replica = await startServer(kind);
    servers.push(replica);
    await populate(master.port, KEYS);
    const m = new Redis({ port: master.port, host: '127.0.0.1', enableReadyCheck: false });
    const r = new Redis({ port: replica.port, host: '127.0.0.1', enableReadyCheck: false });
    await r.ping();
    await m.ping();
    const pings = pingLoop(master.port);
    await new Promise((res) => setTimeout(res, 200));
    const t0 = performance.now();
    await r.call('REPLICAOF', '127.0.0.1', String(master.port));
    await waitUntil(async () => (await role(r))[3] === 'connected', 600_000);
    const syncMs = performance.now() - t0;
    const rtts = await pings.stop();

    execFileSync(
      'redis-benchmark',
      ['-p', String(master.port), '-t', 'set', '-n', String(LOAD), '-P', '16', '-r', '1000000', '-q'],
      {
        stdio: 'ignore',
      },
    );
    // The master is idle once the load ends: its offset then is what the replica must reach. Poll the
    // replica back to back (one ROLE round trip per check) so the figure is the replica's, not a sleep's.
    const t1 = performance.now();
    const target = await offsetOf(m);
    while ((await offsetOf(r)) < target) {
      if (performance.now() - t1 > 600_000) throw new Error('replica did not catch up');
    }
    const catchUpMs = performance.now() - t1;
    m.disconnect();
    r.disconnect();
    return {
      syncMs,
      pingP50: percentile(rtts, 50),
      pingP99: percentile(rtts, 99),
      pingMax: Math.max(...rtts),
      catchUpMs,
    };
  } finally {
    for (const s of servers) await s.stop();
  }
}

const ours = await run('rcache');
const theirs = await run('redis');
const row = (name: string, a: number, b: number, unit: string) =>
  console.log(
    `${name.padEnd(34)} ${a.toFixed(1).padStart(9)} ${unit}  ${b.toFixed(1).padStart(9)} ${unit}  ${(a / b).toFixed(2)}x`,
  );
console.log(`replication, ${KEYS} keys, catch-up after ${LOAD} SETs (-P 16)`);
console.log(`${''.padEnd(34)} ${'rcache'.padStart(12)}  ${'redis'.padStart(12)}  ratio`);
row('REPLICAOF -> link up', ours.syncMs, theirs.syncMs, 'ms');
row('master PING p50 during full sync', ours.pingP50, theirs.pingP50, 'ms');
row('master PING p99 during full sync', ours.pingP99, theirs.pingP99, 'ms');
row('master PING max during full sync', ours.pingMax, theirs.pingMax, 'ms');
row('replica catch-up after load', ours.catchUpMs, theirs.catchUpMs, 'ms');
