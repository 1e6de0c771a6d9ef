/**
 * The configuration table: every directive rcache-server understands, with its type, default and
 * validation, in one place. redis.conf parsing, the command line, CONFIG GET/SET/REWRITE and INFO all
 * read from here.
 */

export type ConfigValue = string | number | boolean;

interface BaseDirective {
  name: string;
  aliases?: readonly string[];
  /** Cannot be changed by CONFIG SET (Redis's IMMUTABLE_CONFIG). */
  immutable?: boolean;
  /** Hidden from CONFIG GET * (debug-only knobs). */
  hidden?: boolean;
}

export interface StringDirective extends BaseDirective {
  type: 'string';
  default: string;
  /** Takes several words (`bind 127.0.0.1 ::1`), stored space-separated as CONFIG GET shows them. */
  multiWord?: boolean;
  validate?: (v: string) => string | undefined;
}
export interface IntDirective extends BaseDirective {
  type: 'int';
  default: number;
  min: number;
  max: number;
  /** Accepts memory units (1gb, 100mb, 64k) as Redis's MEMORY_CONFIG does. */
  memory?: boolean;
  /** Valid values outside this range are stored clamped into it (Redis's hz). */
  clamp?: readonly [number, number];
}
export interface BoolDirective extends BaseDirective {
  type: 'bool';
  default: boolean;
}
export interface EnumDirective extends BaseDirective {
  type: 'enum';
  default: string;
  values: readonly string[];
}
/** Directives with their own grammar (save, client-output-buffer-limit, replicaof...). */
export interface SpecialDirective extends BaseDirective {
  type: 'special';
  default: string;
  /** Normalises the argument list to the stored string form, or returns an error message. */
  parse: (args: string[]) => { value: string } | { error: string };
}

export type Directive = StringDirective | IntDirective | BoolDirective | EnumDirective | SpecialDirective;

const LLONG_MAX = Number.MAX_SAFE_INTEGER;

const str = (name: string, def: string, extra: Partial<StringDirective> = {}): StringDirective => ({
  name,
  type: 'string',
  default: def,
  ...extra,
});
const int = (
  name: string,
  def: number,
  min: number,
  max: number,
  extra: Partial<IntDirective> = {},
): IntDirective => ({
  name,
  type: 'int',
  default: def,
  min,
  max,
  ...extra,
});
const mem = (name: string, def: number, extra: Partial<IntDirective> = {}): IntDirective =>
  int(name, def, 0, LLONG_MAX, { memory: true, ...extra });
const bool = (name: string, def: boolean, extra: Partial<BoolDirective> = {}): BoolDirective => ({
  name,
  type: 'bool',
  default: def,
  ...extra,
});
const enumd = (
  name: string,
  def: string,
  values: readonly string[],
  extra: Partial<EnumDirective> = {},
): EnumDirective => ({
  name,
  type: 'enum',
  default: def,
  values,
  ...extra,
});

export const EVICTION_POLICIES = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
] as const;

export const DIRECTIVES: readonly Directive[] = [
  // network
  str('bind', '* -::*', { multiWord: true }),
  int('port', 6379, 0, 65535, { immutable: false }),
  int('tcp-backlog', 511, 0, LLONG_MAX, { immutable: true }),
  int('timeout', 0, 0, 2147483647),
  int('tcp-keepalive', 300, 0, 2147483647),
  bool('protected-mode', true),
  str('unixsocket', '', { immutable: true }),
  // general
  bool('daemonize', false, { immutable: true }),
  str('pidfile', ''),
  enumd('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning']),
  str('logfile', '', { immutable: true }),
  enumd('log-format', 'json', ['json', 'redis']),
  // rcache extensions for running under the operator
  bool('fenced', false),
  int('health-port', 0, 0, 65535, { immutable: true }),
  int('databases', 16, 1, 1 << 20, { immutable: true }),
  bool('always-show-logo', false, { immutable: true }),
  bool('set-proc-title', true, { immutable: true }),
  str('proc-title-template', '{title} {listen-addr} {server-mode}'),
  enumd('enable-debug-command', 'yes', ['yes', 'no', 'local'], { immutable: true }),
  // security
  str('requirepass', ''),
  str('masterauth', ''),
  str('masteruser', ''),
  // limits
  int('maxclients', 10000, 1, LLONG_MAX),
  mem('maxmemory', 0),
  enumd('maxmemory-policy', 'noeviction', EVICTION_POLICIES),
  int('maxmemory-samples', 5, 1, 2147483647),
  int('maxmemory-eviction-tenacity', 10, 0, 100),
  int('lfu-log-factor', 10, 0, 2147483647),
  int('lfu-decay-time', 1, 0, 2147483647),
  mem('proto-max-bulk-len', 512 * 1024 * 1024, { min: 1024 * 1024 }),
  mem('client-query-buffer-limit', 1024 * 1024 * 1024, { min: 1024 * 1024 }),
  // expiry
  // Redis accepts any value and clamps it to the range the server loop supports.
  int('hz', 10, 0, 2147483647, { clamp: [1, 500] }),
  bool('dynamic-hz', true),
  int('active-expire-effort', 1, 1, 10),
  // snapshots
  str('dir', '.'),
  str('dbfilename', 'dump.rdb'),
  bool('rdbcompression', true),
  bool('rdbchecksum', true),
  bool('stop-writes-on-bgsave-error', true),
  bool('rdb-del-sync-files', false),
  bool('appendonly', false),
  // replication
  bool('replica-read-only', true, { aliases: ['slave-read-only'] }),
  bool('replica-serve-stale-data', true, { aliases: ['slave-serve-stale-data'] }),
  int('repl-ping-replica-period', 10, 1, 2147483647, { aliases: ['repl-ping-slave-period'] }),
  int('repl-timeout', 60, 1, 2147483647),
  mem('repl-backlog-size', 1024 * 1024, { min: 1 }),
  int('repl-backlog-ttl', 3600, 0, 2147483647),
  bool('repl-diskless-sync', true),
  int('repl-diskless-sync-delay', 5, 0, 2147483647),
  int('repl-diskless-sync-max-replicas', 0, 0, 2147483647),
  enumd('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb']),
  bool('repl-disable-tcp-nodelay', false),
  int('replica-priority', 100, 0, 2147483647, { aliases: ['slave-priority'] }),
  str('replica-announce-ip', '', { aliases: ['slave-announce-ip'] }),
  int('replica-announce-port', 0, 0, 65535, { aliases: ['slave-announce-port'] }),
  bool('replica-announced', true),
  bool('replica-ignore-maxmemory', true, { aliases: ['slave-ignore-maxmemory'] }),
  bool('replica-lazy-flush', false, { aliases: ['slave-lazy-flush'] }),
  int('min-replicas-to-write', 0, 0, 2147483647, { aliases: ['min-slaves-to-write'] }),
  int('min-replicas-max-lag', 10, 0, 2147483647, { aliases: ['min-slaves-max-lag'] }),
  // slow log and latency
  int('slowlog-log-slower-than', 10000, -1, LLONG_MAX),
  int('slowlog-max-len', 128, 0, LLONG_MAX),
  int('latency-monitor-threshold', 0, 0, LLONG_MAX),
  // lazy free (accepted: freeing is already off the critical path in a GC runtime)
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  // encodings (accepted for compatibility; they shape OBJECT ENCODING answers)
  int('hash-max-listpack-entries', 128, 0, LLONG_MAX, { aliases: ['hash-max-ziplist-entries'] }),
  mem('hash-max-listpack-value', 64, { aliases: ['hash-max-ziplist-value'] }),
  int('list-max-listpack-size', -2, -5, 2147483647, { aliases: ['list-max-ziplist-size'] }),
  int('list-compress-depth', 0, 0, 2147483647),
  int('set-max-intset-entries', 512, 0, LLONG_MAX),
  int('zset-max-listpack-entries', 128, 0, LLONG_MAX, { aliases: ['zset-max-ziplist-entries'] }),
  mem('zset-max-listpack-value', 64, { aliases: ['zset-max-ziplist-value'] }),
  bool('activerehashing', true),
  str('notify-keyspace-events', ''),
  int('lua-time-limit', 5000, 0, LLONG_MAX, { aliases: ['busy-reply-threshold'] }),
];

/** Directives redis.conf accepts that rcache-server does not implement: accepted with a warning. */
export const ACCEPTED_UNIMPLEMENTED = new Set([
  'supervised',
  'io-threads',
  'io-threads-do-reads',
  'appendfilename',
  'appendfsync',
  'appenddirname',
  'aof-use-rdb-preamble',
  'aof-load-truncated',
  'aof-timestamp-enabled',
  'auto-aof-rewrite-percentage',
  'auto-aof-rewrite-min-size',
  'no-appendfsync-on-rewrite',
  'aof-rewrite-incremental-fsync',
  'rdb-save-incremental-fsync',
  'jemalloc-bg-thread',
  'activedefrag',
  'active-defrag-ignore-bytes',
  'active-defrag-threshold-lower',
  'active-defrag-threshold-upper',
  'active-defrag-cycle-min',
  'active-defrag-cycle-max',
  'active-defrag-max-scan-fields',
  'cluster-enabled',
  'cluster-config-file',
  'cluster-node-timeout',
  'tls-port',
  'tls-replication',
  'tls-cluster',
  'stream-node-max-bytes',
  'stream-node-max-entries',
  'hll-sparse-max-bytes',
  'latency-tracking',
  'latency-tracking-info-percentiles',
  'crash-log-enabled',
  'crash-memcheck-enabled',
  'oom-score-adj',
  'oom-score-adj-values',
  'disable-thp',
  'syslog-enabled',
  'syslog-ident',
  'syslog-facility',
  'sanitize-dump-payload',
  'enable-protected-configs',
  'enable-module-command',
  'lazyfree-lazy-user-flush',
  'rdb-key-save-delay',
  'key-load-delay',
  'acllog-max-len',
  'aclfile',
  'tracking-table-max-keys',
  'shutdown-timeout',
  'shutdown-on-sigint',
  'shutdown-on-sigterm',
  'maxmemory-clients',
  'repl-diskless-sync-period',
  'cluster-announce-ip',
  'propagation-error-behavior',
  'replica-ignore-disk-write-errors',
  'locale-collate',
]);

/** Directives with their own grammar, stored as Redis prints them in CONFIG GET. */
export const SPECIAL_DIRECTIVES: readonly SpecialDirective[] = [
  {
    name: 'save',
    type: 'special',
    default: '3600 1 300 100 60 10000',
    parse(args) {
      // `save ""` disables; otherwise pairs of <seconds> <changes>.
      const flat = args.flatMap((a) => a.split(/\s+/)).filter((a) => a.length > 0);
      if (flat.length === 0) return { value: '' };
      if (flat.length % 2 !== 0) return { error: 'Invalid save parameters' };
      for (const n of flat) if (!/^\d+$/.test(n)) return { error: 'Invalid save parameters' };
      return { value: flat.join(' ') };
    },
  },
  {
    name: 'client-output-buffer-limit',
    type: 'special',
    default: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    parse(args) {
      const flat = args.flatMap((a) => a.split(/\s+/)).filter((a) => a.length > 0);
      if (flat.length % 4 !== 0) return { error: 'Wrong number of arguments in buffer limit configuration.' };
      const classes = new Map<string, string>([
        ['normal', '0 0 0'],
        ['slave', '268435456 67108864 60'],
        ['pubsub', '33554432 8388608 60'],
      ]);
      for (let i = 0; i < flat.length; i += 4) {
        let cls = flat[i]!.toLowerCase();
        if (cls === 'replica') cls = 'slave';
        if (!classes.has(cls))
          return { error: 'Invalid client class specified in buffer limit configuration.' };
        const hard = parseMemory(flat[i + 1]!);
        const soft = parseMemory(flat[i + 2]!);
        const secs = Number(flat[i + 3]);
        if (hard === undefined || soft === undefined || !Number.isInteger(secs) || secs < 0) {
          return { error: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' };
        }
        classes.set(cls, `${hard} ${soft} ${secs}`);
      }
      return { value: [...classes].map(([k, v]) => `${k} ${v}`).join(' ') };
    },
  },
  {
    name: 'replicaof',
    aliases: ['slaveof'],
    type: 'special',
    default: '',
    parse(args) {
      if (args.length === 0 || (args.length === 1 && args[0] === '')) return { value: '' };
      if (args.length !== 2) return { error: 'wrong number of arguments' };
      if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return { value: '' };
      const port = Number(args[1]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) return { error: 'Invalid master port' };
      return { value: `${args[0]} ${port}` };
    },
  },
  {
    name: 'rename-command',
    type: 'special',
    default: '',
    immutable: true,
    hidden: true,
    parse(args) {
      if (args.length !== 2) return { error: 'wrong number of arguments' };
      return { value: `${args[0]} ${args[1]}` };
    },
  },
];

/** Parses `1gb`, `100mb`, `64k`, `1024`: Redis's memtoull, units case-insensitive. */
export function parseMemory(text: string): number | undefined {
  const m = /^(-?\d+)([a-z]*)$/i.exec(text.trim());
  if (!m) return undefined;
  const units: Record<string, number> = {
    '': 1,
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1000 * 1000,
    mb: 1024 * 1024,
    g: 1000 * 1000 * 1000,
    gb: 1024 * 1024 * 1024,
  };
  const mul = units[m[2]!.toLowerCase()];
  if (mul === undefined) return undefined;
  const n = Number(m[1]) * mul;
  return Number.isSafeInteger(n) ? n : undefined;
}
