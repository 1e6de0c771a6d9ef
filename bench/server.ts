/**
 * Throughput of rcache-server against a real redis-server, measured with redis-benchmark:
 *
 *   npx tsc -p tsconfig.json && node bench/server.ts
 *
 * Each test runs without pipelining and with -P 16, interleaved (rcache, redis, rcache, redis...) so
 * both servers see the same machine load. The ratio is the median over rounds of rcache/redis within a
 * round, which cancels most of the load changes between rounds on a shared machine; the requests/sec
 * columns are medians too. Bars: 0.8x unpipelined, 0.5x with -P 16.
 * Environment: BENCH_ROUNDS (default 3), BENCH_REQUESTS (default 200000), BENCH_CLIENTS (default 50),
 * BENCH_TESTS (default set,get,incr,lpush,hset,zadd), BENCH_NODE_OPTIONS (flags for rcache's Node).
 */
import { execFileSync } from 'node:child_process';
import { cli, type RunningServer, startServer } from './common.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const TESTS = (process.env.BENCH_TESTS ?? 'set,get,incr,lpush,hset,zadd').split(',');
const BARS: Record<number, number> = { 1: 0.8, 16: 0.5 };

/** A command each test relies on, to report "unsupported" instead of benchmarking error replies. */
const PROBES: Record<string, string[]> = {
  set: ['SET', 'bench:probe:s', 'x'],
  get: ['GET', 'bench:probe:s'],
  incr: ['INCR', 'bench:probe:i'],
  lpush: ['LPUSH', 'bench:probe:l', 'x'],
  hset: ['HSET', 'bench:probe:h', 'f', 'v'],
  zadd: ['ZADD', 'bench:probe:z', '1', 'm'],
};

function supported(server: RunningServer, test: string): boolean {
  const probe = PROBES[test];
  if (!probe) return true;
  const reply = cli(server.port, ...probe);
  return !/^(ERR|WRONGTYPE)/.test(reply);
}

/** Runs one redis-benchmark test and returns requests/sec. */
function benchmark(server: RunningServer, test: string, pipeline: number): number {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(server.port),
    '-c',
    String(CLIENTS),
    '-n',
    String(REQUESTS),
    '-P',
    String(pipeline),
    '-t',
    test,
    '--csv',
  ];
  const out = execFileSync('redis-benchmark', args, {
    encoding: 'latin1',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // --csv: a header line, then `"SET","123456.79",...` per test.
  for (const line of out.split('\n')) {
    const fields = line.split(',').map((f) => f.replace(/"/g, ''));
    if (fields[0]?.toLowerCase() === test.toLowerCase()) return Number(fields[1]);
  }
  throw new Error(`no result for ${test} in:\n${out}`);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const ours = await startServer('rcache');
  const redis = await startServer('redis');
  const rows: string[][] = [];
  let missed = 0;
  try {
    for (const pipeline of [1, 16]) {
      for (const test of TESTS) {
        if (!supported(ours, test)) {
          rows.push([test, String(pipeline), 'unsupported', '', '', '']);
          continue;
        }
        const a: number[] = [];
        const b: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          a.push(benchmark(ours, test, pipeline));
          b.push(benchmark(redis, test, pipeline));
        }
        const ratio = median(a.map((x, i) => x / b[i]!));
        const bar = BARS[pipeline]!;
        if (ratio < bar) missed++;
        rows.push([
          test,
          String(pipeline),
          median(a).toFixed(0),
          median(b).toFixed(0),
          `${ratio.toFixed(2)}x`,
          `${ratio >= bar ? 'ok' : 'MISS'} (bar ${bar}x)`,
        ]);
        process.stderr.write(
          `${test} -P ${pipeline}: rcache ${a.map((x) => x.toFixed(0)).join('/')} redis ${b.map((x) => x.toFixed(0)).join('/')}\n`,
        );
      }
    }
  } finally {
    await ours.stop();
    await redis.stop();
  }
  const header = ['test', '-P', 'rcache rps', 'redis rps', 'ratio', 'bar'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`redis-benchmark -c ${CLIENTS} -n ${REQUESTS}, ${ROUNDS} interleaved rounds, medians`);
  console.log(fmt(header));
  for (const r of rows) console.log(fmt(r));
  if (missed > 0) console.log(`${missed} result(s) below the bar`);
}

await main();
