import type { AccessTracker } from './eviction-access.js';
import { ListValue } from './list.js';
import { accountedBytes, accountValue, EXPIRE_ENTRY_BYTES, keyBytes, reaccountValue } from './memory.js';
import { type RedisValue, SortedSetValue } from './values.js';

/**
 * What a database needs from the server around it. Kept as an interface so the keyspace can be tested
 * with an injected clock and without sockets.
 */
export interface KeyspaceHooks {
  /** Cached "now" in ms, refreshed once per command as Redis does, so one command sees one time. */
  now(): number;
  /** Replicas never expire keys themselves: they hide logically expired keys and wait for the master's DEL. */
  isReplica(): boolean;
  /** True while a command from our master runs: like Redis, the master's stream never sees keys as expired. */
  applyingMasterStream?(): boolean;
  /** A key is about to change: snapshots in progress preserve its current value first (copy-on-write). */
  beforeWrite(db: Database, key: string): void;
  /** A key changed: invalidates WATCH. */
  modified(db: Database, key: string): void;
  /** A list or sorted set got elements: clients blocked on it may be served. */
  ready(db: Database, key: string): void;
  /** A key expired on access or by the active cycle: replicas and the backlog must see a DEL. */
  expired(db: Database, key: string): void;
  /** INFO stats keyspace_hits / keyspace_misses, counted by read lookups as Redis does. */
  readonly stats: { keyspaceHits: number; keyspaceMisses: number };
}

/** One of the numbered databases: the key→value dictionary and the key→expire-time dictionary. */
export class Database {
  dict = new Map<string, RedisValue>();
  /** Absolute unix time in ms; only keys with a TTL are here, as in Redis. */
  expires = new Map<string, number>();
  /** Count of keys removed by expiry, for INFO stats. */
  expiredKeys = 0;
  /** Estimated bytes of the keys, values and TTLs (keyspace/memory.ts); tables are counted apart. */
  usedBytes = 0;
  /** The dict usedBytes describes: one swapped in wholesale (RDB load, SWAPDB) gets re-measured. */
  accountedDict: Map<string, RedisValue> | undefined;
  /**
   * Collections changed in place since their size was last estimated, by key. Re-estimating on every
   * change would cost a sampling pass per write; instead `settleAccounting` does it when the figure is
   * read (INFO, the maxmemory check), once per changed collection.
   */
  private unsettled: Map<string, RedisValue> | undefined;
  /** Per-key access data, present only while an LRU/LFU maxmemory-policy is selected. */
  access: AccessTracker | undefined;

  constructor(
    public id: number,
    readonly hooks: KeyspaceHooks,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /**
   * True when the key has a TTL in the past. On a master the key is also deleted (and a DEL propagated);
   * on a replica it is only hidden.
   */
  private expireIfNeeded(key: string): boolean {
    const when = this.expires.get(key);
    if (when === undefined || when > this.hooks.now()) return false;
    if (this.hooks.isReplica()) return this.hooks.applyingMasterStream?.() !== true;
    this.deleteExpired(key);
    return true;
  }

  /** Removes a key whose TTL passed and tells the world (replicas, backlog, WATCH). */
  deleteExpired(key: string): void {
    this.hooks.beforeWrite(this, key);
    this.forget(key);
    this.expiredKeys++;
    this.hooks.expired(this, key);
    this.hooks.modified(this, key);
  }

  /** Looks a key up for reading. Returns undefined for missing and expired keys. */
  lookupRead(key: string): RedisValue | undefined {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) {
      this.hooks.stats.keyspaceMisses++;
      return undefined;
    }
    const value = this.dict.get(key);
    if (value === undefined) {
      this.hooks.stats.keyspaceMisses++;
      return undefined;
    }
    this.hooks.stats.keyspaceHits++;
    if (this.access !== undefined) this.access.touch(key, this.hooks.now());
    return value;
  }

  /**
   * A read that counts in keyspace_hits/misses but leaves LRU/LFU data alone (Redis's LOOKUP_NOTOUCH:
   * EXISTS, TYPE, TTL, OBJECT).
   */
  lookupReadNoTouch(key: string): RedisValue | undefined {
    const value = this.peek(key);
    if (value === undefined) this.hooks.stats.keyspaceMisses++;
    else this.hooks.stats.keyspaceHits++;
    return value;
  }

  /** Looks a key up for the server's own purposes: no statistics, no LRU/LFU update. */
  peek(key: string): RedisValue | undefined {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return this.dict.get(key);
  }

  /**
   * Looks a key up to change it in place. The caller must call `modified(key)` after changing it.
   * Snapshots preserve the value before it is handed out for mutation.
   */
  lookupWrite(key: string): RedisValue | undefined {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) {
      // A replica's write path (commands from its master) sees the logically expired key as gone.
      if (this.hooks.isReplica()) return undefined;
    }
    const value = this.dict.get(key);
    if (value !== undefined && typeof value !== 'string') this.hooks.beforeWrite(this, key);
    if (this.access !== undefined && value !== undefined) this.access.touch(key, this.hooks.now());
    return value;
  }

  /** True when the key exists and is not expired, without touching LRU/LFU data. */
  exists(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Signals an in-place change to a value obtained from lookupWrite. */
  modified(key: string): void {
    const value = this.dict.get(key);
    if (value !== undefined && typeof value !== 'string') {
      if (this.unsettled === undefined) this.unsettled = new Map();
      this.unsettled.set(key, value);
    }
    this.hooks.modified(this, key);
  }

  /**
   * Brings usedBytes up to date with collections changed in place. A collection deleted or replaced
   * since was already subtracted at its last estimate, which keeps the sum exact; it is skipped here.
   */
  settleAccounting(): void {
    const pending = this.unsettled;
    if (pending === undefined) return;
    this.unsettled = undefined;
    for (const [key, value] of pending) {
      if (this.dict.get(key) === value) this.usedBytes += reaccountValue(value);
    }
  }

  /** Adds a key that the caller knows is absent. */
  add(key: string, value: RedisValue): void {
    this.hooks.beforeWrite(this, key);
    this.dict.set(key, value);
    this.usedBytes += keyBytes(key) + accountValue(value);
    this.access?.created(key, this.hooks.now());
    if (value instanceof ListValue || value instanceof SortedSetValue) this.hooks.ready(this, key);
    this.hooks.modified(this, key);
  }

  /**
   * Sets a key to a value (Redis's setKey): overwrites any old value and, unless keepTtl, clears the TTL.
   */
  set(key: string, value: RedisValue, keepTtl = false): void {
    // As Redis's setKey (via lookupKeyWrite): a logically expired old key is deleted first, so KEEPTTL
    // cannot resurrect its past TTL, and the expiry is counted and propagated.
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    this.hooks.beforeWrite(this, key);
    const old = this.dict.get(key);
    const existed = old !== undefined;
    this.dict.set(key, value);
    this.usedBytes += accountValue(value) - (existed ? accountedBytes(old) : -keyBytes(key));
    if (!keepTtl && this.expires.size !== 0 && this.expires.delete(key)) this.usedBytes -= EXPIRE_ENTRY_BYTES;
    if (this.access !== undefined) {
      if (existed) this.access.touch(key, this.hooks.now());
      else this.access.created(key, this.hooks.now());
    }
    if (!existed && (value instanceof ListValue || value instanceof SortedSetValue))
      this.hooks.ready(this, key);
    this.hooks.modified(this, key);
  }

  /** Deletes a key; true when it existed (expired keys count as absent). */
  delete(key: string): boolean {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return false;
    if (!this.dict.has(key)) return false;
    this.hooks.beforeWrite(this, key);
    this.forget(key);
    this.hooks.modified(this, key);
    return true;
  }

  /** Removes a key from every table and from the memory accounting. */
  private forget(key: string): void {
    const value = this.dict.get(key);
    if (value === undefined) return;
    this.dict.delete(key);
    this.usedBytes -= keyBytes(key) + accountedBytes(value);
    if (this.expires.delete(key)) this.usedBytes -= EXPIRE_ENTRY_BYTES;
    this.access?.forget(key);
  }

  /** Deletes a collection that became empty after an in-place change, as Redis never keeps empty ones. */
  deleteIfEmpty(key: string, value: RedisValue): boolean {
    const empty =
      typeof value === 'string' ? false : value instanceof ListValue ? value.length === 0 : value.size === 0;
    if (!empty) return false;
    this.forget(key);
    return true;
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  setExpire(key: string, whenMs: number): void {
    this.hooks.beforeWrite(this, key);
    if (!this.expires.has(key)) this.usedBytes += EXPIRE_ENTRY_BYTES;
    this.expires.set(key, whenMs);
    this.hooks.modified(this, key);
  }

  /** Removes the TTL; true when there was one. */
  persist(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.hooks.beforeWrite(this, key);
    this.expires.delete(key);
    this.usedBytes -= EXPIRE_ENTRY_BYTES;
    this.hooks.modified(this, key);
    return true;
  }

  /**
   * Empties the database by swapping in new dictionaries: O(1), and a snapshot that still iterates the
   * old ones keeps its point-in-time view for free. The caller handles WATCH for the whole db.
   */
  clear(): number {
    const n = this.dict.size;
    this.dict = new Map();
    this.expires = new Map();
    this.usedBytes = 0;
    this.unsettled = undefined;
    this.accountedDict = this.dict;
    this.access?.clear();
    return n;
  }
}
