import { HashValue, ListValue, type RedisValue, SetValue } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { memoryFigures } from './memory-figures.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, parseLong } from './util.js';

/**
 * MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS. USAGE is an estimate in the spirit of Redis's
 * objectComputeSize: fixed per-key overhead plus the bytes of the contents, collections extrapolated
 * from a sample of their elements (SAMPLES, default 5, 0 = all).
 */

/** Per-key cost: the dict entry, the value object header and the key's own header (64-bit Redis). */
const KEY_OVERHEAD = 24 + 16 + 8;
/** Per-element cost inside a collection (node or entry plus headers), roughly what Redis's big encodings use. */
const ELEMENT_OVERHEAD = 24;

function elementsOf(value: Exclude<RedisValue, string>): Iterable<string[]> {
  if (value instanceof ListValue) return (function* () {
    for (const item of value) yield [item];
  })();
  if (value instanceof SetValue) return (function* () {
    for (const member of value) yield [member];
  })();
  if (value instanceof HashValue) return (function* () {
    for (const [field, v] of value) yield [field, v];
  })();
  return (function* () {
    for (const member of value.dict.keys()) yield [member, '12345678'];
  })();
}

export function estimateUsage(key: string, value: RedisValue, samples: number): number {
  let bytes = KEY_OVERHEAD + key.length;
  if (typeof value === 'string') return bytes + value.length;
  const count = value instanceof ListValue ? value.length : value.size;
  if (count === 0) return bytes;
  let sampled = 0;
  let sampledBytes = 0;
  for (const parts of elementsOf(value)) {
    sampledBytes += ELEMENT_OVERHEAD + parts.reduce((n, p) => n + p.length, 0);
    if (++sampled === samples) break;
  }
  bytes += Math.round((sampledBytes / sampled) * count);
  return bytes;
}

function memoryUsage(c: Client, argv: string[]): void {
  let samples = 5;
  if (argv.length === 5 && argv[3]!.toLowerCase() === 'samples') {
    const n = parseLong(argv[4]!);
    if (n === undefined) {
      c.out.error(Err.notInteger);
      return;
    }
    samples = n === 0 ? Number.MAX_SAFE_INTEGER : n;
  } else if (argv.length !== 3) {
    c.out.error(Err.syntax);
    return;
  }
  const value = c.db.lookupRead(argv[2]!);
  if (value === undefined) c.out.nullBulk();
  else c.out.integer(estimateUsage(argv[2]!, value, samples));
}

function memoryStats(c: Client): void {
  const server = c.server;
  const m = memoryFigures(server);
  let keys = 0;
  for (const db of server.dbs) keys += db.size;
  const dataset = Math.max(0, m.used - m.startup);
  const fields: [string, number][] = [
    ['peak.allocated', m.peak],
    ['total.allocated', m.used],
    ['startup.allocated', m.startup],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', 0],
    ['aof.buffer', 0],
    ['keys.count', keys],
    ['keys.bytes-per-key', keys > 0 ? Math.floor(dataset / keys) : 0],
    ['dataset.bytes', dataset],
  ];
  const out = c.out;
  out.mapHeader(fields.length + 2);
  for (const [name, value] of fields) {
    out.bulk(name);
    out.integer(value);
  }
  out.bulk('dataset.percentage');
  out.double(m.used > 0 ? (dataset * 100) / m.used : 0);
  out.bulk('peak.percentage');
  out.double(m.peak > 0 ? (m.used * 100) / m.peak : 0);
}

function memoryDoctor(c: Client): void {
  c.out.verbatim(
    'Hi Sam, I can\'t find any memory issue in your instance. I can only account for what occurs on this base.\n',
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
