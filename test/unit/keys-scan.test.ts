import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';
import { parseScanArguments, parseScanCursor, ScanCursors } from '../../src/keyspace/scan.js';
import { HashValue } from '../../src/keyspace/values.js';
import { type ClockedServer, START_MS, startClockedServer } from '../helpers/clocked-server.js';
import type { Reply } from '../helpers/resp-client.js';

/** Runs a full iteration, applying `between(step)` after every step; returns everything returned. */
function fullScan(
  cursors: ScanCursors,
  source: Map<string, unknown> | Set<string>,
  count: number,
  between: (step: number) => void = () => {},
): { returned: string[]; steps: number } {
  const returned: string[] = [];
  let cursor = 0;
  let steps = 0;
  do {
    const page = cursors.scan(source, cursor, count, 0);
    returned.push(...page.keys);
    cursor = page.cursor;
    between(steps++);
    if (steps > 100_000) throw new Error('scan did not terminate');
  } while (cursor !== 0);
  return { returned, steps };
}

describe('ScanCursors', () => {
  it('returns everything once, in pages of COUNT, ending with cursor 0', () => {
    const map = new Map<string, number>();
    for (let i = 0; i < 95; i++) map.set(`k${i}`, i);
    const { returned, steps } = fullScan(new ScanCursors(), map, 10);
    expect(returned.sort()).toEqual([...map.keys()].sort());
    expect(steps).toBe(10);
  });

  it('finishes in one step when COUNT covers the collection exactly', () => {
    const set = new Set(['a', 'b', 'c']);
    const page = new ScanCursors().scan(set, 0, 3, 0);
    expect(page).toEqual({ cursor: 0, keys: ['a', 'b', 'c'] });
    expect(new ScanCursors().scan(new Set<string>(), 0, 10, 0)).toEqual({ cursor: 0, keys: [] });
  });

  it('returns every element present for the whole iteration, whatever changes meanwhile', () => {
    // Ops between steps: add a new key, delete a key, delete and re-add a key.
    const op = fc.record({ kind: fc.constantFrom('add', 'del', 'readd'), n: fc.nat(300) });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 60 }),
        (size, count, ops) => {
          const map = new Map<string, number>();
          for (let i = 0; i < size; i++) map.set(`k${i}`, i);
          const initial = new Set(map.keys());
          const touched = new Set<string>();
          const { returned } = fullScan(new ScanCursors(), map, count, (step) => {
            for (const { kind, n } of ops[step] ?? []) {
              const key = `k${n}`;
              touched.add(key);
              if (kind === 'add') map.set(key, n);
              else if (kind === 'del') map.delete(key);
              else if (map.delete(key)) map.set(key, n);
            }
          });
          const got = new Set(returned);
          // Present from start to end and never deleted in between: must have been returned.
          for (const key of initial) if (!touched.has(key)) expect(got.has(key)).toBe(true);
          // Nothing that never existed is returned.
          for (const key of got) expect(initial.has(key) || touched.has(key)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('resumes an evicted cursor by position', () => {
    const cursors = new ScanCursors(1);
    const map = new Map<string, number>();
    for (let i = 0; i < 30; i++) map.set(`k${i}`, i);
    const first = cursors.scan(map, 0, 10, 0);
    cursors.scan(new Set(['x', 'y']), 0, 1, 0); // parks another cursor: the first one is evicted
    expect(cursors.size).toBe(1);
    const rest: string[] = [];
    let cursor = first.cursor;
    while (cursor !== 0) {
      const page = cursors.scan(map, cursor, 10, 0);
      rest.push(...page.keys);
      cursor = page.cursor;
    }
    expect([...first.keys, ...rest]).toEqual([...map.keys()]);
  });

  it('a replayed cursor gives the same page when nothing changed', () => {
    const cursors = new ScanCursors();
    const map = new Map<string, number>();
    for (let i = 0; i < 30; i++) map.set(`k${i}`, i);
    const first = cursors.scan(map, 0, 10, 0);
    const second = cursors.scan(map, first.cursor, 10, 0);
    const replay = cursors.scan(map, first.cursor, 10, 0);
    expect(replay.keys).toEqual(second.keys);
  });

  it('drops cursors left idle too long', () => {
    const cursors = new ScanCursors(100, 1000);
    const map = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    cursors.scan(map, 0, 1, 0);
    expect(cursors.size).toBe(1);
    cursors.scan(new Set<string>(), 0, 1, 1000);
    expect(cursors.size).toBe(0);
  });
});

describe('cursor and option parsing', () => {
  it('parses cursors as strtoul does', () => {
    expect(parseScanCursor('0')).toBe(0);
    expect(parseScanCursor('')).toBe(0);
    expect(parseScanCursor('007')).toBe(7);
    expect(parseScanCursor('+5')).toBe(5);
    expect(parseScanCursor('-1')).toBe(2 ** 64 - 1);
    expect(parseScanCursor(' 1')).toBeUndefined();
    expect(parseScanCursor('1 ')).toBeUndefined();
    expect(parseScanCursor('abc')).toBeUndefined();
    expect(parseScanCursor('18446744073709551616')).toBeUndefined();
  });

  it('parses MATCH / COUNT / TYPE', () => {
    expect(parseScanArguments(['scan', '0', 'MATCH', '*', 'COUNT', '5'], 1, true)).toEqual({
      cursor: 0,
      count: 5,
      pattern: undefined,
      type: undefined,
    });
    expect(parseScanArguments(['hscan', 'k', '0', 'TYPE', 'string'], 2, false)).toBe('ERR syntax error');
    expect(parseScanArguments(['scan', '0', 'COUNT', '0'], 1, true)).toBe('ERR syntax error');
    expect(parseScanArguments(['scan', '0', 'COUNT', 'x'], 1, true)).toBe(
      'ERR value is not an integer or out of range',
    );
    expect(parseScanArguments(['scan', '0', 'COUNT'], 1, true)).toBe('ERR syntax error');
    expect(parseScanArguments(['scan', 'x'], 1, true)).toBe('ERR invalid cursor');
  });
});

describe('SCAN command', () => {
  let s: ClockedServer;
  beforeAll(async () => {
    s = await startClockedServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  beforeEach(() => {
    s.reset();
    s.now = START_MS;
  });

  async function scanAll(...options: (string | number)[]): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const reply = (await s.client.call('SCAN', cursor, ...options)) as Extract<Reply, { type: 'array' }>;
      const [next, page] = reply.value as [
        Extract<Reply, { type: 'bulk' }>,
        Extract<Reply, { type: 'array' }>,
      ];
      cursor = next.value;
      for (const k of page.value) keys.push((k as Extract<Reply, { type: 'bulk' }>).value);
    } while (cursor !== '0');
    return keys.sort();
  }

  it('iterates everything with MATCH, COUNT and TYPE filters', async () => {
    const args: string[] = [];
    for (let i = 0; i < 50; i++) args.push(`user:${i}`, 'v', `item:${i}`, 'v');
    await s.cmd('MSET', ...args);
    s.server.dbs[0]!.add('user:list', ListValue.from(['a']));
    s.server.dbs[0]!.add('user:hash', new HashValue([['f', 'v']]));
    expect((await scanAll()).length).toBe(102);
    expect((await scanAll('COUNT', 7)).length).toBe(102);
    const users = await scanAll('MATCH', 'user:*', 'COUNT', 3);
    expect(users.length).toBe(52);
    expect(await scanAll('MATCH', 'user:*', 'TYPE', 'LIST')).toEqual(['user:list']);
    expect(await scanAll('TYPE', 'hash')).toEqual(['user:hash']);
    expect(await scanAll('TYPE', 'nosuchtype')).toEqual([]);
  });

  it('skips expired keys and answers cursor 0 on an empty db', async () => {
    expect(await s.cmd('SCAN', 0)).toBe('["0", []]');
    await s.cmd('SET', 'live', 'v');
    await s.cmd('SET', 'dead', 'v', 'PX', 10);
    s.now += 10;
    expect(await s.cmd('SCAN', 0)).toBe('["0", ["live"]]');
  });

  it('TYPE none returns a key that expired while filtering, as Redis 7.0 does', async () => {
    s.server.activeExpireEnabled = false; // only the SCAN below may expire the key
    try {
      await s.cmd('SET', 'gone', 'v', 'PX', 10);
      await s.cmd('SET', 'stay', 'v');
      s.now += 10;
      expect(await s.cmd('SCAN', 0, 'TYPE', 'none')).toBe('["0", ["gone"]]');
      expect(await s.cmd('DBSIZE')).toBe(':1');
      expect(s.takePropagated().at(-1)).toBe('DEL gone');
    } finally {
      s.server.activeExpireEnabled = true;
    }
  });

  it('errors', async () => {
    expect(await s.cmd('SCAN', 'x')).toBe('-ERR invalid cursor');
    expect(await s.cmd('SCAN', 0, 'COUNT', 0)).toBe('-ERR syntax error');
    expect(await s.cmd('SCAN', 0, 'FOO', 'bar')).toBe('-ERR syntax error');
    expect(await s.cmd('SCAN', 0, 'MATCH')).toBe('-ERR syntax error');
  });

  it('works with ioredis scanStream', async () => {
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(`k${i}`, 'v');
    await s.cmd('MSET', ...args);
    const r = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
    await r.connect();
    try {
      const seen = new Set<string>();
      for await (const batch of r.scanStream({ count: 25 })) for (const k of batch as string[]) seen.add(k);
      expect(seen.size).toBe(300);
    } finally {
      r.disconnect();
    }
  });
});
