import type { Command } from '../commands/table.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Database } from './db.js';
import { Evictor, evictionTimeLimitUs, parsePolicy } from './eviction.js';
import { AccessTracker } from './eviction-access.js';
import { ListValue } from './list.js';
import { HashValue, type RedisValue, SetValue } from './values.js';

/*
 * Memory accounting.
 *
 * Redis's used_memory is what its allocator handed out. A garbage-collected heap has no such figure:
 * heapUsed includes garbage until the next GC, so eviction driven by it would evict far too much right
 * before each collection. Instead every database keeps `usedBytes`, an estimate of what its keys, values
 * and TTLs cost in V8, maintained incrementally by Database (add/set/delete/modified...). The estimate is
 * built from constants measured on Node 24 (x64, no pointer compression) with `node --expose-gc
 * bench/overhead.ts`: heapUsed after full GCs, before and after building 10^5..10^6 items.
 *
 *   one-byte string (what the parser produces)   16 B header + length rounded up to 8
 *   heap number (a double; TTLs are ms since 1970) 16 B
 *   Map hash table                                28 B per slot (3 pointers per entry + 1 bucket per 2),
 *                                                 slots = the power of two >= size (V8 doubles on growth)
 *   Set hash table                                20 B per slot
 *   empty HashValue / SetValue instance           208 / 176 B, of which the initial 4-slot table
 *   ListValue with its initial 8-slot ring         176 B, then 8 B per ring slot
 *   sorted-set element                            Map slot + score (heap number) + a skiplist node:
 *                                                 190 B for a ZNode with its next/span arrays at the
 *                                                 average level of 1.33 (measured with the same shape)
 *   empty sorted set                              ~900 B: its Map plus a 32-level header node
 *
 * A top-level key therefore costs its key string plus its value; the dict's own table is computed from
 * dict.size when the total is read, which is O(1). (V8 shrinks a table only once it is under a quarter
 * full, so right after mass deletions the real table is up to 4x what this counts.) Checked against heapUsed: 1M `SET key:N value:N` is
 * 93.3 B/key measured and 93.4 B/key estimated; test/unit/memory.test.ts checks a mixed dataset stays
 * within 25% (it measures ~0.3% off).
 *
 * Collections store the estimate they were last accounted at (`memBytes`), so a change is accounted as
 * the difference between the new estimate and the stored one, and a deletion subtracts exactly what was
 * added: the total never drifts. Estimating a collection is exact for small ones and, for large ones,
 * samples five elements as Redis's MEMORY USAGE does by default, so a change costs O(1).
 */

const STRING_HEADER = 16;
const HEAP_NUMBER = 16;
const MAP_SLOT = 28;
const SET_SLOT = 20;
const MAP_OBJECT = 96;
const SET_OBJECT = 96;
const LIST_OBJECT = 112;
const LIST_SLOT = 8;
const ZSET_OBJECT = 900;
const ZSET_NODE = 190;
/** Collections up to this size are measured element by element; larger ones are sampled. */
const EXACT_LIMIT = 16;
/** Elements sampled from a large collection, as Redis's MEMORY USAGE does by default. */
const SAMPLES = 5;
/**
 * Fixed allowance for the server's own structures (command table, config, buffers), comparable to the
 * ~0.9 MB an empty Redis reports, so small maxmemory settings behave as they do with Redis.
 */
const SERVER_BASELINE = 1024 * 1024;

/** Bytes of a one-byte string of this length in V8. */
export function stringBytes(length: number): number {
  return STRING_HEADER + ((length + 7) & ~7);
}

/** V8 hash tables hold a power-of-two number of slots, at least 4. */
function tableSlots(size: number): number {
  return size <= 4 ? 4 : 2 ** (32 - Math.clz32(size - 1));
}

/** Bytes of a top-level Map (dict, expires, LRU/LFU data) holding `size` entries, table only. */
export function mapTableBytes(size: number): number {
  return size === 0 ? 0 : MAP_SLOT * tableSlots(size);
}

/** What a key's TTL adds: its number in the expires table (a heap number; the table is counted apart). */
export const EXPIRE_ENTRY_BYTES = HEAP_NUMBER;

/**
 * The accounted size of a collection, stored on it (see the file comment). The collection classes
 * declare `memBytes` so it is an in-object field from construction; reading it through this view keeps
 * the accounting working should a collection class be rewritten without it.
 */
interface Accounted {
  memBytes?: number;
}

/** A key's cost apart from its value: the key string (the dict's table slot is counted apart). */
export function keyBytes(key: string): number {
  return stringBytes(key.length);
}

/**
 * Accounts a value that is being stored: returns its estimated bytes and, for a collection, remembers
 * them on it so the later delta and the final subtraction match.
 */
export function accountValue(value: RedisValue): number {
  if (typeof value === 'string') return stringBytes(value.length);
  const bytes = estimateCollection(value);
  (value as Accounted).memBytes = bytes;
  return bytes;
}

/** The bytes a stored value was last accounted at. */
export function accountedBytes(value: RedisValue): number {
  if (typeof value === 'string') return stringBytes(value.length);
  return (value as Accounted).memBytes ?? 0;
}

/** Re-estimates a collection changed in place; returns the change in bytes. */
export function reaccountValue(value: RedisValue): number {
  if (typeof value === 'string') return 0;
  const before = (value as Accounted).memBytes ?? 0;
  return accountValue(value) - before;
}

/** Estimated bytes of a collection, from its element count and exact or sampled element sizes. */
export function estimateCollection(value: Exclude<RedisValue, string>): number {
  if (value instanceof ListValue) {
    const n = value.length;
    let payload = 0;
    if (n <= EXACT_LIMIT) {
      for (let i = 0; i < n; i++) payload += stringBytes(value.at(i)!.length);
    } else {
      // O(1) random access: sample evenly spread elements.
      const step = Math.floor(n / SAMPLES);
      let sampled = 0;
      for (let i = 0; i < SAMPLES; i++) sampled += stringBytes(value.at(i * step)!.length);
      payload = (sampled / SAMPLES) * n;
    }
    return LIST_OBJECT + LIST_SLOT * Math.max(8, tableSlots(n)) + Math.round(payload);
  }
  if (value instanceof HashValue) {
    return MAP_OBJECT + MAP_SLOT * tableSlots(value.size) + sampleEntries(value, value.size, true);
  }
  if (value instanceof SetValue) {
    return SET_OBJECT + SET_SLOT * tableSlots(value.size) + sampleEntries(value, value.size, false);
  }
  // Sorted set: member→score dict plus the ordered index; scores are heap numbers unless small integers.
  const n = value.size;
  return (
    ZSET_OBJECT +
    MAP_SLOT * tableSlots(n) +
    n * (ZSET_NODE + HEAP_NUMBER) +
    sampleEntries(value.dict.keys(), n, false)
  );
}

/**
 * Bytes of the strings in a Map or Set: all of them when small, else the first SAMPLES extrapolated.
 * Maps have no random access; their first elements are the oldest insertions, a fair sample of sizes.
 */
function sampleEntries(
  items: Iterable<string> | Iterable<[string, string]>,
  size: number,
  pairs: boolean,
): number {
  if (size === 0) return 0;
  const limit = size <= EXACT_LIMIT ? size : SAMPLES;
  let bytes = 0;
  let seen = 0;
  for (const item of items) {
    if (pairs) {
      const [field, val] = item as [string, string];
      bytes += stringBytes(field.length) + stringBytes(val.length);
    } else {
      bytes += stringBytes((item as string).length);
    }
    if (++seen === limit) break;
  }
  return seen === size ? bytes : Math.round((bytes / seen) * size);
}

/**
 * Re-measures a database whose dict was replaced wholesale rather than changed through its methods
 * (an RDB load, a full sync, SWAPDB): O(n), once per replacement.
 */
function remeasure(db: Database): void {
  db.settleAccounting();
  let bytes = db.expires.size * EXPIRE_ENTRY_BYTES;
  for (const [key, value] of db.dict) bytes += keyBytes(key) + accountValue(value);
  db.usedBytes = bytes;
  db.accountedDict = db.dict;
  // Access data of the previous contents means nothing for the new ones.
  db.access?.clear();
}

/** The estimated bytes of one database: its entries plus its tables. */
export function databaseBytes(db: Database): number {
  if (db.accountedDict !== db.dict) remeasure(db);
  else db.settleAccounting();
  return (
    db.usedBytes +
    mapTableBytes(db.dict.size) +
    mapTableBytes(db.expires.size) +
    mapTableBytes(db.access?.size ?? 0)
  );
}

/** Bytes pending in clients' query and output buffers (counted by INFO, not for eviction). */
function clientBuffersBytes(server: Server): number {
  let bytes = 0;
  for (const c of server.clients) bytes += c.parser.bufferedBytes + c.outputBytes;
  return bytes;
}

function humanBytes(n: number): string {
  // Redis's bytesToHuman: two decimals and a B/K/M/G/T/P suffix.
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

/**
 * The figures of INFO memory, in Redis's field order. used_memory is the keyspace estimate plus client
 * buffers and a fixed baseline; used_memory_rss is the process's real RSS; the fragmentation ratio is
 * their quotient, which for a GC runtime also includes the heap's free space and the runtime itself.
 */
export function memoryInfo(server: Server): [string, string | number][] {
  const m = server.memory;
  const dataset = m.datasetBytes();
  const clients = clientBuffersBytes(server);
  const used = SERVER_BASELINE + dataset + clients;
  m.notePeak(used);
  const usage = process.memoryUsage();
  const rss = usage.rss;
  const maxmemory = server.config.num('maxmemory');
  const peak = m.peakBytes;
  return [
    ['used_memory', used],
    ['used_memory_human', humanBytes(used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', humanBytes(rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', humanBytes(peak)],
    ['used_memory_peak_perc', `${((used * 100) / peak).toFixed(2)}%`],
    ['used_memory_overhead', SERVER_BASELINE + clients],
    ['used_memory_startup', SERVER_BASELINE],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', `${((dataset * 100) / Math.max(1, used)).toFixed(2)}%`],
    ['used_memory_heap', usage.heapUsed],
    ['used_memory_heap_total', usage.heapTotal],
    ['used_memory_external', usage.external + usage.arrayBuffers],
    ['maxmemory', maxmemory],
    ['maxmemory_human', humanBytes(maxmemory)],
    ['maxmemory_policy', server.config.str('maxmemory-policy')],
    ['mem_fragmentation_ratio', (rss / used).toFixed(2)],
    ['mem_fragmentation_bytes', rss - used],
    ['mem_clients_normal', clients],
    ['mem_allocator', 'v8'],
  ];
}

/**
 * maxmemory enforcement. `overLimit` runs before commands (see Server.policyRejection): when the
 * estimate is above maxmemory it evicts per maxmemory-policy and answers whether the command must still
 * be refused. A replica does not evict on its own (replica-ignore-maxmemory yes): its master's DELs keep
 * it in line.
 */
export class MemoryManager {
  /** Cached maxmemory (0 = no limit): read on every command, so kept out of the config map. */
  maxmemory = 0;
  peakBytes = 0;
  private replicaIgnoresMaxmemory = true;
  private readonly evictor: Evictor;

  constructor(private readonly server: Server) {
    this.evictor = new Evictor(server);
    this.configure();
    server.config.onChange((name) => {
      if (name.startsWith('maxmemory') || name.startsWith('lfu-') || name === 'replica-ignore-maxmemory')
        this.configure();
    });
  }

  /** Re-reads the limits and (de)activates per-key access tracking, which only LRU/LFU need. */
  private configure(): void {
    const config = this.server.config;
    this.maxmemory = config.num('maxmemory');
    this.replicaIgnoresMaxmemory = config.bool('replica-ignore-maxmemory');
    const policy = parsePolicy(config.str('maxmemory-policy'));
    this.evictor.policy = policy;
    this.evictor.samples = config.num('maxmemory-samples');
    this.evictor.timeLimitUs = evictionTimeLimitUs(config.num('maxmemory-eviction-tenacity'));
    const mode = policy.lru ? 'lru' : policy.lfu ? 'lfu' : undefined;
    for (const db of this.server.dbs) {
      if (mode === undefined) db.access = undefined;
      else if (db.access?.mode !== mode) db.access = new AccessTracker(mode, this.server.updateClock());
      db.access?.setLfuParams(config.num('lfu-log-factor'), config.num('lfu-decay-time'));
    }
  }

  /** Estimated bytes of every database's keys, values, TTLs and access data. */
  datasetBytes(): number {
    let bytes = 0;
    for (const db of this.server.dbs) bytes += databaseBytes(db);
    return bytes;
  }

  /** The figure compared with maxmemory (client buffers are not counted, see memoryInfo). */
  usedBytes(): number {
    const used = SERVER_BASELINE + this.datasetBytes();
    this.notePeak(used);
    return used;
  }

  /** INFO's used_memory: the eviction figure plus clients' query and output buffers. */
  usedMemory(): number {
    const used = this.usedBytes() + clientBuffersBytes(this.server);
    this.notePeak(used);
    return used;
  }

  /** What used_memory holds that eviction ignores (Redis's freeMemoryGetNotCountedMemory): client buffers. */
  notCountedForEvict(): number {
    return clientBuffersBytes(this.server);
  }

  notePeak(used: number): void {
    if (used > this.peakBytes) this.peakBytes = used;
  }

  /** True when replication rules forbid evicting here (a replica with replica-ignore-maxmemory). */
  private evictionSuspended(): boolean {
    return this.replicaIgnoresMaxmemory && this.server.isReplica();
  }

  /**
   * Redis's performEvictions: frees memory until under maxmemory. Returns true when memory is still
   * over the limit (no policy, nothing evictable), so a denyoom command must be refused.
   */
  overLimit(_c?: Client): boolean {
    if (this.underLimit()) return false;
    return !this.evictor.evictUntil(this.underLimit);
  }

  /** Also the stop condition of an eviction continued later: the limit may be lifted meanwhile. */
  private readonly underLimit = (): boolean =>
    this.maxmemory === 0 || this.evictionSuspended() || this.usedBytes() <= this.maxmemory;

  /**
   * Whether a command is refused while memory is over the limit (Redis 7.0's processCommand): denyoom
   * commands, EXEC of a transaction holding one, and anything queued inside MULTI, since queueing
   * itself takes memory. Commands from our master are always applied.
   */
  refusedWhenFull(c: Client, cmd: Command): boolean {
    if (c.flags.master) return false;
    if (cmd.denyOom) return true;
    const name = cmd.parent?.name ?? cmd.name;
    if (name === 'exec') return c.multi?.some((q) => q.cmd.denyOom) ?? false;
    return c.multi !== undefined && name !== 'discard' && name !== 'quit' && name !== 'reset';
  }
}

/*
 * What OBJECT IDLETIME / OBJECT FREQ report. Access data exists only while an LRU or LFU policy is
 * selected; with any other policy the idle time is unknown for string values and reported as 0.
 */

/** OBJECT IDLETIME in ms, or undefined when an LFU policy is selected (Redis replies an error then). */
export function idleTimeMs(db: Database, key: string, nowMs: number): number | undefined {
  const access = db.access;
  if (access === undefined) return 0;
  if (access.mode === 'lfu') return undefined;
  return access.idleMs(key, nowMs);
}

/** OBJECT FREQ, or undefined when no LFU policy is selected (Redis replies an error then). */
export function lfuFrequency(db: Database, key: string, nowMs: number): number | undefined {
  const access = db.access;
  if (access === undefined || access.mode !== 'lfu') return undefined;
  return access.frequency(key, nowMs);
}
