import type { Server } from '../server/server.js';
import type { Database } from './db.js';

/*
 * maxmemory-policy: which key to evict next.
 *
 * Like Redis, the LRU, LFU and TTL policies are approximated: each round samples maxmemory-samples keys
 * per database into a pool of the 16 best candidates seen so far (kept across rounds, Redis's
 * EVPOOL_SIZE), then evicts the best candidate that still exists. The random policies pick one sampled
 * key.
 *
 * Sampling without random access. Redis picks random dict buckets; a JS Map has no random access. Each
 * sampled Map (a db's dict, or its expires for volatile policies) has a persistent iterator, advanced by
 * a random number of entries per sample (mean size/64, at most 2*MAX_STEP) and restarted at the end. So
 * every round looks at a few keys spread over a stretch of the keyspace, and successive rounds sweep all
 * of it; with the pool remembering good candidates across rounds, this approximates Redis's random
 * sampling at a bounded cost per sample (~1 µs). For maps beyond 64*MAX_STEP keys a sweep takes more
 * than 64 samples, so samples are more local than Redis's; the pool compensates in part. The first
 * sweep starts at a random point.
 *
 * Map iterators survive insertions and deletions (deleted entries are skipped), so the sweep needs no
 * invalidation except when a db's Maps are replaced (FLUSHDB, loads), which the WeakMap handles.
 * Insertion order is roughly creation order, so consecutive samples tend to be of similar age.
 */

export interface EvictionPolicy {
  readonly name: string;
  /** Samples only keys with a TTL. */
  readonly volatile: boolean;
  readonly lru: boolean;
  readonly lfu: boolean;
  readonly ttl: boolean;
  readonly random: boolean;
  /** noeviction: writes are refused once over maxmemory. */
  readonly none: boolean;
}

export function parsePolicy(name: string): EvictionPolicy {
  return {
    name,
    volatile: name.startsWith('volatile-'),
    lru: name.endsWith('-lru'),
    lfu: name.endsWith('-lfu'),
    ttl: name === 'volatile-ttl',
    random: name.endsWith('-random'),
    none: name === 'noeviction',
  };
}

const POOL_SIZE = 16;
const MAX_STEP = 64;

interface Candidate {
  /** Higher is evicted first: idle time, 255 - LFU counter, or -expire time. */
  score: number;
  db: Database;
  key: string;
}

/** Persistent, randomly stepped iterators over Maps (see the file comment). */
export class KeySampler {
  private readonly cursors = new WeakMap<Map<string, unknown>, Iterator<string>>();

  /** Appends up to `count` keys of `map` to `out` (fewer, and all of them, when the map is that small). */
  sample(map: Map<string, unknown>, count: number, out: string[]): void {
    if (map.size <= count) {
      for (const key of map.keys()) out.push(key);
      return;
    }
    // Mean step: size/64, so a sweep takes ~64 samples and quickly leaves any region of the keyspace
    // (say, a run of recently used keys), capped so a sample never walks more than 2*MAX_STEP entries.
    const mean = Math.min(MAX_STEP, Math.max(1, Math.floor(map.size / 64)));
    for (let i = 0; i < count; i++) out.push(this.next(map, 1 + Math.floor(Math.random() * 2 * mean)));
  }

  /** The key `steps` entries after the cursor, wrapping around; the map must not be empty. */
  private next(map: Map<string, unknown>, steps: number): string {
    let it = this.cursors.get(map);
    if (it === undefined) {
      // Start the first sweep at a random point rather than always among the oldest keys.
      it = map.keys();
      this.cursors.set(map, it);
      steps += Math.floor(Math.random() * Math.min(map.size, 64 * MAX_STEP));
    }
    let key: string | undefined;
    for (let i = 0; i < steps; i++) {
      let r = it.next();
      if (r.done) {
        it = map.keys();
        this.cursors.set(map, it);
        r = it.next();
      }
      key = r.value;
    }
    return key!;
  }
}

/** Redis's eviction pool: the best candidates, ascending by score, at most POOL_SIZE. */
class EvictionPool {
  private readonly entries: Candidate[] = [];

  offer(score: number, db: Database, key: string): void {
    const entries = this.entries;
    const existing = entries.findIndex((e) => e.db === db && e.key === key);
    if (existing !== -1) entries.splice(existing, 1);
    if (entries.length === POOL_SIZE && score <= entries[0]!.score) return;
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.score > score) i--;
    entries.splice(i, 0, { score, db, key });
    if (entries.length > POOL_SIZE) entries.shift();
  }

  popBest(): Candidate | undefined {
    return this.entries.pop();
  }

  clear(): void {
    this.entries.length = 0;
  }
}

export class Evictor {
  policy: EvictionPolicy = parsePolicy('noeviction');
  /** maxmemory-samples: keys sampled per database per round. */
  samples = 5;
  /** From maxmemory-eviction-tenacity: how long one call may spend evicting. */
  timeLimitUs = 500;
  private readonly sampler = new KeySampler();
  private readonly pool = new EvictionPool();
  private nextDb = 0;
  private continuing = false;
  private readonly batch: string[] = [];

  constructor(private readonly server: Server) {}

  /**
   * Evicts keys until `done()` (Redis's performEvictions). Returns false when nothing more can be
   * evicted and done() is still false. Like Redis, it spends at most a time budget derived from
   * maxmemory-eviction-tenacity; when that runs out it lets the command proceed and continues on the
   * next event-loop turn.
   */
  evictUntil(done: () => boolean): boolean {
    if (this.policy.none) return false;
    const limitUs = this.timeLimitUs;
    const start = performance.now();
    let evicted = 0;
    while (!done()) {
      const victim = this.policy.random ? this.pickRandom() : this.pickFromPool();
      if (victim === undefined) return false;
      this.evict(victim.db, victim.key);
      if (++evicted % 16 === 0 && (performance.now() - start) * 1000 > limitUs) {
        this.continueLater(done);
        return true;
      }
    }
    return true;
  }

  private continueLater(done: () => boolean): void {
    if (this.continuing) return;
    this.continuing = true;
    setImmediate(() => {
      this.continuing = false;
      if (!this.policy.none && !done()) this.evictUntil(done);
    });
  }

  /** Removes a key as Redis's eviction does: DEL to replicas, WATCH invalidated, counted. */
  private evict(db: Database, key: string): void {
    const server = this.server;
    // A key whose TTL passed is removed (and propagated) as expired instead: memory is freed all the same.
    if (db.delete(key)) {
      server.stats.evictedKeys++;
      server.propagate(db.id, ['DEL', key]);
    }
    server.flushPropagation();
  }

  private sampledMap(db: Database): Map<string, unknown> {
    return this.policy.volatile ? db.expires : db.dict;
  }

  private pickRandom(): Candidate | undefined {
    const dbs = this.server.dbs;
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[this.nextDb++ % dbs.length]!;
      const map = this.sampledMap(db);
      if (map.size === 0) continue;
      this.batch.length = 0;
      this.sampler.sample(map, 1, this.batch);
      return { score: 0, db, key: this.batch[0]! };
    }
    return undefined;
  }

  private pickFromPool(): Candidate | undefined {
    const samples = this.samples;
    const now = this.server.now();
    for (;;) {
      let sampled = 0;
      for (const db of this.server.dbs) {
        const map = this.sampledMap(db);
        if (map.size === 0) continue;
        this.batch.length = 0;
        this.sampler.sample(map, samples, this.batch);
        for (const key of this.batch) this.pool.offer(this.score(db, key, now), db, key);
        sampled += this.batch.length;
      }
      if (sampled === 0) {
        this.pool.clear();
        return undefined;
      }
      // Pool entries may be stale: deleted, or (volatile policies) persisted since they were sampled.
      for (let best = this.pool.popBest(); best !== undefined; best = this.pool.popBest()) {
        if (this.policy.volatile ? best.db.expires.has(best.key) : best.db.dict.has(best.key)) return best;
      }
    }
  }

  private score(db: Database, key: string, now: number): number {
    const policy = this.policy;
    if (policy.ttl) return -(db.expires.get(key) ?? 0);
    const access = db.access;
    if (access === undefined) return 0;
    if (policy.lfu) return 255 - access.frequency(key, now);
    return access.idleMs(key, now);
  }
}

/** Redis's evictionTimeLimitUs: how long one performEvictions may run, from the tenacity setting. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * 1.15 ** (tenacity - 10));
  return Number.POSITIVE_INFINITY;
}
