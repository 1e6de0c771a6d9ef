import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRealRedis, type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import { type Reply, RespClient } from '../helpers/resp-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The server-administration, connection and pub/sub families described by COMMAND INFO, and INFO's
 * field names, compared with a real redis-server 7.0 started for the purpose.
 */

const realMissing = !hasRealRedis();
const skipNote = realMissing ? ' [SKIPPED: redis-server is not installed]' : '';

let ours: TestServer;
let real: RealRedis | undefined;
let oursClient: RespClient;
let realClient: RespClient;

beforeAll(async () => {
  if (realMissing) return;
  ours = await startTestServer();
  real = await startRealRedis();
  oursClient = await RespClient.connect(ours.port);
  realClient = await RespClient.connect(real.port);
});
afterAll(async () => {
  await oursClient?.close();
  await realClient?.close();
  await ours?.close();
  await real?.stop();
});

const MINE = [
  'info',
  'config',
  'client',
  'command',
  'debug',
  'dbsize',
  'flushdb',
  'flushall',
  'swapdb',
  'time',
  'monitor',
  'shutdown',
  'slowlog',
  'latency',
  'memory',
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'publish',
  'ssubscribe',
  'sunsubscribe',
  'spublish',
  'pubsub',
  'ping',
  'echo',
  'auth',
  'hello',
  'select',
  'quit',
  'reset',
];
/** Subcommands we add that Redis 7.0 does not have (CLIENT SETINFO arrived in 7.2). */
const NEWER_THAN_7_0 = new Set(['client|setinfo']);

interface Described {
  name: string;
  arity: number;
  flags: string[];
  keys: number[];
  acl: string[];
  subcommands: Described[];
}

function describeReply(r: Reply): Described {
  const v = (r as { value: Reply[] }).value;
  const strings = (x: Reply) =>
    (x as { value: { value: string }[] }).value.map((y) => String(y.value)).sort();
  return {
    name: String((v[0] as { value: string }).value),
    arity: Number((v[1] as { value: bigint }).value),
    flags: strings(v[2]!),
    keys: [v[3]!, v[4]!, v[5]!].map((x) => Number((x as { value: bigint }).value)),
    acl: strings(v[6]!),
    subcommands: (v[9] as { value: Reply[] }).value
      .map(describeReply)
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

describe('compared with real redis-server 7.0', () => {
  it.skipIf(realMissing)(
    `COMMAND INFO: name, arity, flags, key triple, ACL categories${skipNote}`,
    async () => {
      const theirs = (await realClient.call('COMMAND', 'INFO', ...MINE)) as { value: Reply[] };
      const mine = (await oursClient.call('COMMAND', 'INFO', ...MINE)) as { value: Reply[] };
      const actualAll: Described[] = [];
      const expectedAll: Described[] = [];
      for (let i = 0; i < MINE.length; i++) {
        const expected = describeReply(theirs.value[i]!);
        const actual = describeReply(mine.value[i]!);
        // Compare only the subcommands we implement, and require Redis to have each of them.
        const ourNames = new Set(actual.subcommands.map((s) => s.name));
        expectedAll.push({
          ...expected,
          subcommands: expected.subcommands.filter((s) => ourNames.has(s.name)),
        });
        actualAll.push({
          ...actual,
          subcommands: actual.subcommands.filter((s) => !NEWER_THAN_7_0.has(s.name)),
        });
      }
      expect(actualAll).toEqual(expectedAll);
    },
  );

  it.skipIf(realMissing)(`INFO: every Redis 7.0 field of these sections is reported${skipNote}`, async () => {
    const fields = (text: string) =>
      new Map(
        text
          .split('\r\n')
          .filter((l) => l.includes(':') && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
      );
    for (const section of ['server', 'clients', 'persistence', 'stats', 'replication', 'cpu', 'cluster']) {
      const theirs = fields(((await realClient.call('INFO', section)) as { value: string }).value);
      const mine = fields(((await oursClient.call('INFO', section)) as { value: string }).value);
      expect(
        [...theirs.keys()].filter((k) => !mine.has(k)),
        section,
      ).toEqual([]);
    }
    // Memory: allocator-specific figures have no analogue in a GC runtime; the core ones must be there.
    const memory = fields(((await oursClient.call('INFO', 'memory')) as { value: string }).value);
    const core = [
      'used_memory',
      'used_memory_human',
      'used_memory_rss',
      'used_memory_peak',
      'used_memory_dataset',
    ];
    const more = [
      'maxmemory',
      'maxmemory_human',
      'maxmemory_policy',
      'mem_fragmentation_ratio',
      'mem_allocator',
    ];
    expect([...core, ...more].filter((k) => !memory.has(k))).toEqual([]);
  });

  it.skipIf(realMissing)(`CLIENT LIST fields appear in Redis 7.0's order${skipNote}`, async () => {
    const keys = (line: string) =>
      line
        .trim()
        .split(' ')
        .map((kv) => kv.slice(0, kv.indexOf('=')));
    const theirs = keys(((await realClient.call('CLIENT', 'INFO')) as { value: string }).value);
    const mine = keys(((await oursClient.call('CLIENT', 'INFO')) as { value: string }).value);
    // We append 7.2's lib-name and lib-ver (set by CLIENT SETINFO).
    expect(mine).toEqual([...theirs, 'lib-name', 'lib-ver']);
  });
});
