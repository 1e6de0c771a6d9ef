import { describe, expect, it } from 'vitest';
import { idleTimeMs, lfuFrequency } from '../../src/keyspace/memory.js';
import { startLocalServer } from '../helpers/local-client.js';

const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
/** An empty server's used_memory is this fixed baseline (see keyspace/memory.ts). */
const BASELINE = 1024 * 1024;
const VALUE = 'x'.repeat(100);

/** SETs `prefix:N` keys until a reply is not OK; returns how many succeeded and the first other reply. */
function fillUntilRefused(
  run: (...argv: string[]) => string,
  prefix: string,
): { count: number; reply: string } {
  for (let count = 0; ; count++) {
    const reply = run('SET', `${prefix}:${count}`, VALUE);
    if (reply !== '+OK\r\n') return { count, reply };
  }
}

function server(policy: string, datasetLimit: number, extra: Record<string, string> = {}) {
  const limit = BASELINE + datasetLimit;
  const s = startLocalServer({ maxmemory: String(limit), 'maxmemory-policy': policy, ...extra });
  return { ...s, limit };
}

describe('maxmemory', () => {
  it('noeviction refuses denyoom commands once over the limit, still serves reads and DEL', () => {
    const { run, server: srv, limit } = server('noeviction', 50_000);
    const { count, reply } = fillUntilRefused(run, 'key');
    expect(reply).toBe(OOM);
    expect(count).toBeGreaterThan(100);
    expect(srv.memory.usedBytes()).toBeGreaterThan(limit);
    expect(run('GET', 'key:0')).toBe(`$100\r\n${VALUE}\r\n`);
    expect(run('INCR', 'counter')).toBe(OOM);
    expect(srv.stats.evictedKeys).toBe(0);
    // DEL is not denyoom: it runs and makes room again.
    for (let j = 0; j < 20; j++) expect(run('DEL', `key:${j}`)).toBe(':1\r\n');
    expect(run('SET', 'again', 'v')).toBe('+OK\r\n');
  });

  it('refuses commands queued in MULTI when full, so EXEC aborts', () => {
    const { run } = server('noeviction', 20_000);
    expect(fillUntilRefused(run, 'key').reply).toBe(OOM);
    expect(run('MULTI')).toBe('+OK\r\n');
    expect(run('GET', 'key:0')).toBe(OOM); // queueing itself is refused while over the limit
    expect(run('EXEC')).toMatch(/^-EXECABORT/);
  });

  for (const policy of [
    'allkeys-lru',
    'allkeys-lfu',
    'allkeys-random',
    'volatile-lru',
    'volatile-lfu',
    'volatile-random',
    'volatile-ttl',
  ]) {
    it(`${policy} keeps used memory under the limit and propagates each eviction as DEL`, () => {
      const { run, server: srv, limit, fed, clock } = server(policy, 100_000);
      const volatile = policy.startsWith('volatile');
      for (let i = 0; i < 3000; i++) {
        const reply = volatile
          ? run('SET', `key:${i}`, VALUE, 'PX', String(1_000_000 + i))
          : run('SET', `key:${i}`, VALUE);
        expect(reply).toBe('+OK\r\n');
        // Eviction runs before every command (the write itself may go over): a read brings it back.
        run('GET', 'no-such-key');
        expect(srv.memory.usedBytes()).toBeLessThanOrEqual(limit);
        if (i % 500 === 0) clock.now += 1000;
      }
      const db = srv.dbs[0]!;
      expect(srv.stats.evictedKeys).toBe(3000 - db.size);
      expect(srv.stats.evictedKeys).toBeGreaterThan(2000);
      const dels = fed.filter((op) => op.startsWith('DEL '));
      expect(dels.length).toBe(srv.stats.evictedKeys);
      for (const del of dels) expect(db.dict.has(del.slice(4))).toBe(false);
    });
  }

  it('volatile policies never evict keys without a TTL, and refuse writes when only those are left', () => {
    const { run, server: srv } = server('volatile-lru', 60_000);
    for (let i = 0; i < 100; i++) run('SET', `ttl:${i}`, VALUE, 'EX', '1000');
    const { count, reply } = fillUntilRefused(run, 'plain');
    expect(reply).toBe(OOM);
    const db = srv.dbs[0]!;
    expect(db.expires.size).toBe(0);
    expect(srv.stats.evictedKeys).toBe(100);
    for (let j = 0; j < count; j++) expect(db.dict.has(`plain:${j}`)).toBe(true);
  });

  it('allkeys-lru evicts cold keys before recently used ones', () => {
    const { run, server: srv, clock } = server('allkeys-lru', 400_000);
    for (let i = 0; i < 1500; i++) run('SET', `old:${i}`, VALUE);
    expect(srv.stats.evictedKeys).toBe(0);
    clock.now += 10_000;
    for (let i = 0; i < 150; i++) run('GET', `old:${i}`); // the hot tenth
    clock.now += 10_000;
    for (let i = 0; i < 1500; i++) {
      run('SET', `new:${i}`, VALUE);
      if (i % 100 === 0) clock.now += 1000;
    }
    expect(srv.stats.evictedKeys).toBeGreaterThan(1000);
    const db = srv.dbs[0]!;
    const evicted = (prefix: string, from: number, to: number) => {
      let n = 0;
      for (let i = from; i < to; i++) if (!db.dict.has(`${prefix}:${i}`)) n++;
      return n;
    };
    // Exact LRU would take every eviction from the 1350 cold keys; the approximation nearly does.
    expect(evicted('old', 0, 150)).toBeLessThanOrEqual(15);
    expect(evicted('old', 150, 1500) / srv.stats.evictedKeys).toBeGreaterThan(0.85);
  });

  it('allkeys-lfu evicts rarely used keys before frequently used ones', () => {
    // lfu-log-factor 0 makes every access increment the counter, so the test is deterministic.
    const { run, server: srv } = server('allkeys-lfu', 400_000, { 'lfu-log-factor': '0' });
    for (let i = 0; i < 1500; i++) run('SET', `k:${i}`, VALUE);
    for (let round = 0; round < 10; round++) for (let i = 0; i < 150; i++) run('GET', `k:${i}`);
    for (let i = 0; i < 1500; i++) run('SET', `new:${i}`, VALUE);
    const db = srv.dbs[0]!;
    let hot = 0;
    for (let i = 0; i < 150; i++) if (db.dict.has(`k:${i}`)) hot++;
    expect(srv.stats.evictedKeys).toBeGreaterThan(1000);
    expect(hot).toBeGreaterThanOrEqual(145); // approximated: a sample may hold only hot keys
    expect(lfuFrequency(db, 'k:0', srv.now())).toBe(15);
    expect(lfuFrequency(db, 'new:1499', srv.now())).toBe(5);
  });

  it('volatile-ttl evicts the keys closest to expiring first', () => {
    const { run, server: srv } = server('volatile-ttl', 200_000);
    // TTLs in a shuffled order, so insertion order says nothing about them.
    const n = 2000;
    for (let i = 0; i < n; i++) run('SET', `k:${i}`, VALUE, 'EX', String(1000 + ((i * 7919) % n)));
    const db = srv.dbs[0]!;
    const kept = [...db.expires.values()].sort((a, b) => a - b);
    const evicted = n - db.size;
    expect(evicted).toBeGreaterThan(500);
    // The survivors should be mostly the longest TTLs: few below the median of all TTLs.
    const median = srv.now() + (1000 + n / 2) * 1000;
    const belowMedian = kept.filter((t) => t < median).length;
    expect(belowMedian / kept.length).toBeLessThan(0.35);
  });

  it('spreads a large eviction over event-loop turns when the tenacity budget runs out', async () => {
    const {
      run,
      server: srv,
      limit,
    } = server('allkeys-random', 2_000_000, { 'maxmemory-eviction-tenacity': '0' });
    for (let i = 0; i < 3000; i++) run('SET', `key:${i}`, VALUE);
    srv.config.set('maxmemory', [String(BASELINE + 100_000)], 'runtime');
    expect(limit).toBeGreaterThan(BASELINE + 100_000);
    // The command is not refused: eviction is under way, 16 keys per budget check.
    expect(run('SET', 'one-more', 'v')).toBe('+OK\r\n');
    expect(srv.stats.evictedKeys).toBe(16);
    for (let turn = 0; turn < 1000 && srv.memory.usedBytes() > BASELINE + 100_000; turn++) {
      await new Promise((r) => setImmediate(r));
    }
    expect(srv.memory.usedBytes()).toBeLessThanOrEqual(BASELINE + 100_000);
    expect(srv.stats.evictedKeys).toBeGreaterThan(2000);
  });

  it('a replica does not evict on its own (replica-ignore-maxmemory yes)', () => {
    const { run, server: srv, replica, fed, limit } = server('allkeys-random', 30_000);
    replica.value = true;
    // Writes as the master stream would apply them: the replica's own limit does not stop them.
    for (let i = 0; i < 1000; i++) expect(run('SET', `key:${i}`, VALUE)).toBe('+OK\r\n');
    expect(srv.memory.usedBytes()).toBeGreaterThan(limit);
    expect(srv.memory.overLimit()).toBe(false);
    expect(srv.stats.evictedKeys).toBe(0);
    expect(fed.some((op) => op.startsWith('DEL'))).toBe(false);
    expect(srv.dbs[0]!.size).toBe(1000);
  });

  it('tracks idle time only with an LRU policy, and access frequency only with LFU', () => {
    const lru = server('allkeys-lru', 1_000_000);
    lru.run('SET', 'k', 'v');
    lru.clock.now += 5000;
    lru.run('SET', 'other', 'v');
    const db = lru.server.dbs[0]!;
    expect(idleTimeMs(db, 'k', lru.server.now())).toBe(5000);
    expect(lfuFrequency(db, 'k', lru.server.now())).toBeUndefined();
    lru.run('EXISTS', 'k'); // EXISTS does not touch the key, as in Redis
    expect(idleTimeMs(db, 'k', lru.server.now())).toBe(5000);
    lru.run('GET', 'k');
    expect(idleTimeMs(db, 'k', lru.server.now())).toBe(0);
    // Switching to LFU at runtime: idle time is no longer available.
    lru.server.config.set('maxmemory-policy', ['allkeys-lfu']);
    expect(idleTimeMs(db, 'k', lru.server.now())).toBeUndefined();
    expect(lfuFrequency(db, 'k', lru.server.now())).toBe(5);
    // LFU counters decay by one per lfu-decay-time minutes without access.
    lru.server.config.set('lfu-log-factor', ['0']);
    for (let i = 0; i < 10; i++) lru.run('GET', 'k');
    expect(lfuFrequency(db, 'k', lru.server.now())).toBe(15);
    lru.clock.now += 3 * 60_000;
    lru.server.updateClock();
    expect(lfuFrequency(db, 'k', lru.server.now())).toBe(12);
  });
});
