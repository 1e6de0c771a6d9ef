import {
  EXPIRE_ENTRY_BYTES,
  estimateCollection,
  keyBytes,
  memoryInfo,
  stringBytes,
} from '../keyspace/memory.js';
import type { RedisValue } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, parseLong } from './util.js';

/**
 * MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS, reporting the same estimates maxmemory
 * enforcement uses (keyspace/memory.ts). USAGE re-estimates the value on each call; SAMPLES is
 * validated but the estimator's own sampling (exact for small collections) decides the precision.
 */

/** What a key costs: its name, its value and, when it has one, its TTL entry. */
function keyUsage(c: Client, key: string, value: RedisValue): number {
  const valueBytes = typeof value === 'string' ? stringBytes(value.length) : estimateCollection(value);
  const ttlBytes = c.db.getExpire(key) === undefined ? 0 : EXPIRE_ENTRY_BYTES;
  return keyBytes(key) + valueBytes + ttlBytes;
}

function memoryUsage(c: Client, argv: string[]): void {
  if (argv.length === 5 && argv[3]!.toLowerCase() === 'samples') {
    const n = parseLong(argv[4]!);
    if (n === undefined) {
      c.out.error(Err.notInteger);
      return;
    }
  } else if (argv.length !== 3) {
    c.out.error(Err.syntax);
    return;
  }
  const value = c.db.lookupRead(argv[2]!);
  if (value === undefined) c.out.nullBulk();
  else c.out.integer(keyUsage(c, argv[2]!, value));
}

/** MEMORY STATS: a map of the INFO memory figures Redis also reports there, plus key counts. */
function memoryStats(c: Client): void {
  const server = c.server;
  const figures = new Map(memoryInfo(server));
  const num = (name: string) => Number(figures.get(name) ?? 0);
  let keys = 0;
  for (const db of server.dbs) keys += db.size;
  const dataset = num('used_memory_dataset');
  const fields: [string, number][] = [
    ['peak.allocated', num('used_memory_peak')],
    ['total.allocated', num('used_memory')],
    ['startup.allocated', num('used_memory_startup')],
    ['clients.normal', num('mem_clients_normal')],
    ['keys.count', keys],
    ['keys.bytes-per-key', keys > 0 ? Math.floor(dataset / keys) : 0],
    ['dataset.bytes', dataset],
  ];
  const out = c.out;
  out.mapHeader(fields.length + 1);
  for (const [name, value] of fields) {
    out.bulk(name);
    out.integer(value);
  }
  out.bulk('dataset.percentage');
  out.double(num('used_memory') > 0 ? (dataset * 100) / num('used_memory') : 0);
}

function memoryDoctor(c: Client): void {
  c.out.verbatim(
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
  );
}

function memoryHelp(c: Client): void {
  replyHelp(c, 'MEMORY', [
    'DOCTOR',
    '    Return memory problems reports.',
    'MALLOC-STATS',
    '    Return internal statistics report from the memory allocator.',
    'PURGE',
    '    Attempt to purge dirty pages for reclamation by the allocator.',
    'STATS',
    '    Return information about the memory usage of the server.',
    'USAGE <key> [SAMPLES <count>]',
    '    Return memory in bytes used by <key> and its value. Nested values are',
    '    sampled up to <count> times (default: 5, 0 means sample all).',
  ]);
}

export const memoryCommands: CommandSpec[] = [
  cmd('memory', -2, [], NO_KEYS, 'server', dispatchedToSubcommands, {
    subcommands: [
      cmd('memory|usage', -3, ['readonly'], [2, 2, 1], 'server', memoryUsage),
      cmd('memory|stats', 2, [], NO_KEYS, 'server', memoryStats),
      cmd('memory|doctor', 2, [], NO_KEYS, 'server', memoryDoctor),
      cmd('memory|purge', 2, [], NO_KEYS, 'server', (c) => c.out.status('OK')),
      cmd('memory|malloc-stats', 2, [], NO_KEYS, 'server', (c) =>
        c.out.verbatim('Stats not supported for the current allocator'),
      ),
      cmd('memory|help', 2, ['loading', 'stale'], NO_KEYS, 'server', memoryHelp),
    ],
  }),
];
