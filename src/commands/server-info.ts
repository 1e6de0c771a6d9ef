import { arch, release, type } from 'node:os';
import { memoryInfo } from '../keyspace/memory.js';
import type { Client } from '../server/client.js';
import { randomHex, type Server } from '../server/server.js';
import { SERVER_VERSION } from './hello-reply.js';
import type { CommandSpec } from './table.js';
import { cmd, NO_KEYS } from './table.js';

/**
 * INFO: the server's report, section by section, with Redis 7.0's section names, order and field names.
 * Subsystems replace a section's lines by registering a provider in `server.infoSections` (replication
 * and persistence do), so this file need not know their state.
 */

interface Section {
  /** Lower-case name used in `INFO <section>`. */
  name: string;
  /** The `# Title` line. */
  title: string;
  /** Part of a plain `INFO` (Redis's default sections). */
  byDefault: boolean;
  lines: (server: Server) => string[];
}

const SECTIONS: readonly Section[] = [
  { name: 'server', title: 'Server', byDefault: true, lines: serverSection },
  { name: 'clients', title: 'Clients', byDefault: true, lines: clientsSection },
  { name: 'memory', title: 'Memory', byDefault: true, lines: memorySection },
  { name: 'persistence', title: 'Persistence', byDefault: true, lines: persistenceSection },
  { name: 'stats', title: 'Stats', byDefault: true, lines: statsSection },
  { name: 'replication', title: 'Replication', byDefault: true, lines: replicationSection },
  { name: 'cpu', title: 'CPU', byDefault: true, lines: cpuSection },
  { name: 'modules', title: 'Modules', byDefault: true, lines: () => [] },
  { name: 'commandstats', title: 'Commandstats', byDefault: false, lines: commandstatsSection },
  { name: 'errorstats', title: 'Errorstats', byDefault: true, lines: errorstatsSection },
  // Per-command latency histograms are not kept: the section is present and empty.
  { name: 'latencystats', title: 'Latencystats', byDefault: false, lines: () => [] },
  { name: 'cluster', title: 'Cluster', byDefault: true, lines: () => ['cluster_enabled:0'] },
  { name: 'keyspace', title: 'Keyspace', byDefault: true, lines: keyspaceSection },
];

/** The INFO text for the requested sections (`default`, `all`, `everything` or section names). */
export function infoText(server: Server, requested: readonly string[]): string {
  const wanted = new Set(requested.map((s) => s.toLowerCase()));
  const everything = wanted.has('everything');
  const all = everything || wanted.has('all');
  const defaults = requested.length === 0 || wanted.has('default');
  const parts: string[] = [];
  const emit = (title: string, lines: string[]) => {
    parts.push(`# ${title}\r\n${lines.map((l) => `${l}\r\n`).join('')}`);
  };
  for (const section of SECTIONS) {
    if (!(all || wanted.has(section.name) || (defaults && section.byDefault))) continue;
    const provider = server.infoSections.get(section.name);
    emit(section.title, provider ? provider() : section.lines(server));
  }
  // Sections contributed by subsystems that Redis does not have come last, and only when asked for.
  for (const [name, provider] of server.infoSections) {
    if (SECTIONS.some((s) => s.name === name)) continue;
    if (everything || wanted.has(name)) emit(name[0]!.toUpperCase() + name.slice(1), provider());
  }
  return parts.join('\r\n');
}

function info(c: Client, argv: string[]): void {
  c.out.verbatim(infoText(c.server, argv.slice(1)));
}

// ---- sections ------------------------------------------------------------------------------------

const BUILD_ID = '0000000000000000';

function serverSection(server: Server): string[] {
  const now = Date.now();
  const uptime = Math.floor((now - server.startedAt) / 1000);
  const hz = server.config.num('hz');
  return [
    `redis_version:${SERVER_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    `redis_build_id:${BUILD_ID}`,
    'redis_mode:standalone',
    `os:${type()} ${release()} ${arch() === 'x64' ? 'x86_64' : arch()}`,
    'arch_bits:64',
    'monotonic_clock:POSIX clock_gettime',
    'multiplexing_api:epoll',
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    'process_supervised:no',
    `run_id:${server.runId}`,
    `tcp_port:${server.port}`,
    `server_time_usec:${now * 1000}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${hz}`,
    `configured_hz:${hz}`,
    `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
    `executable:${process.argv[1] ?? ''}`,
    `config_file:${server.config.configFile ?? ''}`,
    'io_threads_active:0',
  ];
}

function clientsSection(server: Server): string[] {
  let replicas = 0;
  let maxInput = 0;
  let maxOutput = 0;
  let inTimeoutTable = 0;
  for (const c of server.clients) {
    if (c.flags.replica) replicas++;
    maxInput = Math.max(maxInput, c.parser.bufferedBytes);
    maxOutput = Math.max(maxOutput, c.outputBytes);
    if (c.blocked !== undefined && c.blocked.deadline !== 0) inTimeoutTable++;
  }
  return [
    `connected_clients:${server.clients.size - replicas}`,
    'cluster_connections:0',
    `maxclients:${server.config.num('maxclients')}`,
    `client_recent_max_input_buffer:${maxInput}`,
    `client_recent_max_output_buffer:${maxOutput}`,
    `blocked_clients:${server.blocking.clients.size}`,
    'tracking_clients:0',
    `clients_in_timeout_table:${inTimeoutTable}`,
  ];
}

/** The figures come from the memory accounting that maxmemory enforcement uses (keyspace/memory.ts). */
function memorySection(server: Server): string[] {
  return memoryInfo(server).map(([name, value]) => `${name}:${value}`);
}

/** What a server without persistence reports; the persistence module registers its own provider. */
function persistenceSection(server: Server): string[] {
  return [
    'loading:0',
    'async_loading:0',
    'current_cow_peak:0',
    'current_cow_size:0',
    'current_cow_size_age:0',
    'current_fork_perc:0.00',
    'current_save_keys_processed:0',
    'current_save_keys_total:0',
    `rdb_changes_since_last_save:${server.dirty}`,
    'rdb_bgsave_in_progress:0',
    `rdb_last_save_time:${server.lastSave}`,
    'rdb_last_bgsave_status:ok',
    'rdb_last_bgsave_time_sec:-1',
    'rdb_current_bgsave_time_sec:-1',
    'rdb_saves:0',
    'rdb_last_cow_size:0',
    'rdb_last_load_keys_expired:0',
    'rdb_last_load_keys_loaded:0',
    'aof_enabled:0',
    'aof_rewrite_in_progress:0',
    'aof_rewrite_scheduled:0',
    'aof_last_rewrite_time_sec:-1',
    'aof_current_rewrite_time_sec:-1',
    'aof_last_bgrewrite_status:ok',
    'aof_rewrites:0',
    'aof_rewrites_consecutive_failures:0',
    'aof_last_write_status:ok',
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  ];
}

function statsSection(server: Server): string[] {
  const s = server.stats;
  return [
    `total_connections_received:${s.connectionsReceived}`,
    `total_commands_processed:${s.commandsProcessed}`,
    `instantaneous_ops_per_sec:${s.instantaneousOps}`,
    `total_net_input_bytes:${s.netInputBytes}`,
    `total_net_output_bytes:${s.netOutputBytes}`,
    'total_net_repl_input_bytes:0',
    'total_net_repl_output_bytes:0',
    'instantaneous_input_kbps:0.00',
    'instantaneous_output_kbps:0.00',
    'instantaneous_input_repl_kbps:0.00',
    'instantaneous_output_repl_kbps:0.00',
    `rejected_connections:${s.rejectedConnections}`,
    `sync_full:${s.syncFull}`,
    `sync_partial_ok:${s.syncPartialOk}`,
    `sync_partial_err:${s.syncPartialErr}`,
    `expired_keys:${s.expiredKeys}`,
    'expired_stale_perc:0.00',
    'expired_time_cap_reached_count:0',
    'expire_cycle_cpu_milliseconds:0',
    `evicted_keys:${s.evictedKeys}`,
    'evicted_clients:0',
    'total_eviction_exceeded_time:0',
    'current_eviction_exceeded_time:0',
    `keyspace_hits:${s.keyspaceHits}`,
    `keyspace_misses:${s.keyspaceMisses}`,
    `pubsub_channels:${server.channels.size}`,
    `pubsub_patterns:${server.patterns.size}`,
    `pubsubshard_channels:${server.shardChannels.size}`,
    'latest_fork_usec:0',
    'total_forks:0',
    'migrate_cached_sockets:0',
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    'tracking_total_keys:0',
    'tracking_total_items:0',
    'tracking_total_prefixes:0',
    'unexpected_error_replies:0',
    `total_error_replies:${s.errorReplies}`,
    'dump_payload_sanitizations:0',
    `total_reads_processed:${s.commandsProcessed}`,
    `total_writes_processed:${s.commandsProcessed}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    'reply_buffer_shrinks:0',
    'reply_buffer_expands:0',
  ];
}

/** A replication id for a master with no replication module: stable for the server's lifetime. */
const standaloneReplIds = new WeakMap<Server, string>();

/** What a master without replicas reports; the replication module registers its own provider. */
function replicationSection(server: Server): string[] {
  let replid = standaloneReplIds.get(server);
  if (replid === undefined) {
    replid = randomHex(40);
    standaloneReplIds.set(server, replid);
  }
  return [
    `role:${server.isReplica() ? 'slave' : 'master'}`,
    'connected_slaves:0',
    'master_failover_state:no-failover',
    `master_replid:${replid}`,
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:0',
    'second_repl_offset:-1',
    'repl_backlog_active:0',
    `repl_backlog_size:${server.config.num('repl-backlog-size')}`,
    'repl_backlog_first_byte_offset:0',
    'repl_backlog_histlen:0',
  ];
}

function cpuSection(): string[] {
  const usage = process.cpuUsage();
  const seconds = (usec: number) => (usec / 1e6).toFixed(6);
  return [
    `used_cpu_sys:${seconds(usage.system)}`,
    `used_cpu_user:${seconds(usage.user)}`,
    'used_cpu_sys_children:0.000000',
    'used_cpu_user_children:0.000000',
    `used_cpu_sys_main_thread:${seconds(usage.system)}`,
    `used_cpu_user_main_thread:${seconds(usage.user)}`,
  ];
}

function commandstatsSection(server: Server): string[] {
  const lines: string[] = [];
  const add = (
    name: string,
    s: { calls: number; usec: number; rejectedCalls: number; failedCalls: number },
  ) => {
    if (s.calls === 0 && s.rejectedCalls === 0 && s.failedCalls === 0) return;
    const perCall = s.calls > 0 ? s.usec / s.calls : 0;
    lines.push(
      `cmdstat_${name}:calls=${s.calls},usec=${s.usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${s.rejectedCalls},failed_calls=${s.failedCalls}`,
    );
  };
  for (const command of server.commands.all()) {
    add(command.name, command);
    for (const sub of command.subcommands?.values() ?? []) add(sub.fullName, sub);
  }
  return lines;
}

function errorstatsSection(server: Server): string[] {
  return [...server.stats.errorsByCode].map(([code, count]) => `errorstat_${code}:count=${count}`);
}

function keyspaceSection(server: Server): string[] {
  const lines: string[] = [];
  const now = server.now();
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    lines.push(
      `db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${averageTtl(db.expires, now)}`,
    );
  }
  return lines;
}

/**
 * Redis estimates avg_ttl from the keys its expiry cycle samples; we likewise average a bounded sample
 * (the first entries of the TTL table), so INFO stays cheap on large databases.
 */
function averageTtl(expires: Map<string, number>, now: number): number {
  let sum = 0;
  let n = 0;
  for (const when of expires.values()) {
    if (when > now) {
      sum += when - now;
      n++;
    }
    if (n >= 1000) break;
  }
  return n > 0 ? Math.round(sum / n) : 0;
}

export const infoCommands: CommandSpec[] = [
  cmd('info', -1, ['loading', 'stale'], NO_KEYS, 'server', info, { acl: ['dangerous'] }),
];
