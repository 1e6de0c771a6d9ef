import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../helpers/local-client.js';

const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;
const NIL = '$-1\r\n';

describe('expiry with an injected clock', () => {
  it('expires a key lazily when it is accessed after its TTL', () => {
    const { run, clock, server, fed } = startLocalServer();
    expect(run('SET', 'k', 'v', 'PX', '100')).toBe('+OK\r\n');
    clock.now += 99;
    expect(run('GET', 'k')).toBe(bulk('v'));
    clock.now += 1; // Redis: expired once now >= the expire time
    expect(server.dbs[0]!.dict.has('k')).toBe(true); // nothing ran since: still physically there
    expect(run('GET', 'k')).toBe(NIL);
    expect(server.dbs[0]!.dict.has('k')).toBe(false);
    expect(server.stats.expiredKeys).toBe(1);
    expect(fed.at(-1)).toBe('DEL k');
  });

  it('propagates the relative TTL as an absolute PXAT', () => {
    const { run, clock, fed } = startLocalServer();
    run('SET', 'k', 'v', 'EX', '10');
    expect(fed).toEqual([`SET k v PXAT ${clock.now + 10_000}`]);
  });

  it('deletes expired keys in the active cycle without any access, one DEL each', () => {
    const { run, clock, server, fed } = startLocalServer();
    for (let i = 0; i < 50; i++) run('SET', `short:${i}`, 'v', 'PX', '1000');
    for (let i = 0; i < 50; i++) run('SET', `long:${i}`, 'v', 'PX', '60000');
    run('SET', 'forever', 'v');
    fed.length = 0;
    clock.now += 1000;
    server.cron();
    const db = server.dbs[0]!;
    expect(db.size).toBe(51);
    expect(db.expires.size).toBe(50);
    expect(server.stats.expiredKeys).toBe(50);
    expect([...fed].sort()).toEqual(Array.from({ length: 50 }, (_, i) => `DEL short:${i}`).sort());
  });

  it('does not expire keys on a replica: they are hidden, kept, and no DEL is sent', () => {
    const { run, clock, server, fed, replica } = startLocalServer();
    run('SET', 'k', 'v', 'PX', '100');
    run('SET', 'j', 'v', 'PX', '100');
    fed.length = 0;
    replica.value = true;
    clock.now += 200;
    expect(run('GET', 'k')).toBe(NIL); // logically expired: hidden from readers
    expect(run('EXISTS', 'j')).toBe(':0\r\n');
    server.cron();
    const db = server.dbs[0]!;
    expect(db.dict.has('k')).toBe(true);
    expect(db.dict.has('j')).toBe(true);
    expect(server.stats.expiredKeys).toBe(0);
    expect(fed).toEqual([]);
    // Once promoted, the same keys expire normally.
    replica.value = false;
    server.cron();
    expect(db.size).toBe(0);
    expect(fed.sort()).toEqual(['DEL j', 'DEL k']);
  });

  it('a key overwritten without KEEPTTL loses its TTL; with KEEPTTL it keeps it', () => {
    const { run, clock } = startLocalServer();
    run('SET', 'a', '1', 'PX', '100');
    run('SET', 'a', '2');
    run('SET', 'b', '1', 'PX', '100');
    run('SET', 'b', '2', 'KEEPTTL');
    clock.now += 100;
    expect(run('GET', 'a')).toBe(bulk('2'));
    expect(run('GET', 'b')).toBe(NIL);
  });

  type Op =
    | { kind: 'set'; key: string; value: string; ttl: number | undefined; keepTtl: boolean }
    | { kind: 'get'; key: string }
    | { kind: 'pexpire'; key: string; ms: number }
    | { kind: 'persist'; key: string }
    | { kind: 'pttl'; key: string }
    | { kind: 'advance'; ms: number }
    | { kind: 'cron' };

  const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      key: keyArb,
      value: fc.string({ minLength: 0, maxLength: 6 }),
      ttl: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
      keepTtl: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('get' as const), key: keyArb }),
    fc.record({ kind: fc.constant('pexpire' as const), key: keyArb, ms: fc.integer({ min: 1, max: 400 }) }),
    fc.record({ kind: fc.constant('persist' as const), key: keyArb }),
    fc.record({ kind: fc.constant('pttl' as const), key: keyArb }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
    fc.record({ kind: fc.constant('cron' as const) }),
  );

  it('matches a naive model under random SET / PEXPIRE / PERSIST / GET / PTTL / clock / cron sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { run, clock, server, fed } = startLocalServer();
        // The model: key → value and absolute expire time (undefined = no TTL).
        const model = new Map<string, { value: string; expireAt: number | undefined }>();
        const visible = (key: string) => {
          const e = model.get(key);
          return e !== undefined && (e.expireAt === undefined || e.expireAt > clock.now) ? e : undefined;
        };
        for (const op of ops) {
          if (op.kind === 'set') {
            const argv = ['SET', op.key, op.value];
            const prior = visible(op.key);
            let expireAt: number | undefined;
            if (op.ttl !== undefined) {
              argv.push('PX', String(op.ttl));
              expireAt = clock.now + op.ttl;
            } else if (op.keepTtl) {
              argv.push('KEEPTTL');
              expireAt = prior?.expireAt;
            }
            expect(run(...argv)).toBe('+OK\r\n');
            model.set(op.key, { value: op.value, expireAt });
          } else if (op.kind === 'get') {
            const e = visible(op.key);
            expect(run('GET', op.key)).toBe(e === undefined ? NIL : bulk(e.value));
          } else if (op.kind === 'pexpire') {
            const e = visible(op.key);
            expect(run('PEXPIRE', op.key, String(op.ms))).toBe(e === undefined ? ':0\r\n' : ':1\r\n');
            if (e !== undefined) e.expireAt = clock.now + op.ms;
          } else if (op.kind === 'persist') {
            const e = visible(op.key);
            const had = e?.expireAt !== undefined;
            expect(run('PERSIST', op.key)).toBe(had ? ':1\r\n' : ':0\r\n');
            if (e !== undefined) e.expireAt = undefined;
          } else if (op.kind === 'pttl') {
            const e = visible(op.key);
            const expected = e === undefined ? -2 : e.expireAt === undefined ? -1 : e.expireAt - clock.now;
            expect(run('PTTL', op.key)).toBe(`:${expected}\r\n`);
          } else if (op.kind === 'advance') {
            clock.now += op.ms;
          } else {
            server.cron();
          }
        }
        // Far in the future, the active cycle alone removes every key with a TTL.
        clock.now += 10_000;
        server.cron();
        const db = server.dbs[0]!;
        const survivors = [...model].filter(([, e]) => e.expireAt === undefined).map(([k]) => k);
        expect([...db.dict.keys()].sort()).toEqual(survivors.sort());
        expect(db.expires.size).toBe(0);
        // Every key removed by expiry was propagated exactly once as a DEL.
        const dels = fed.filter((op) => op.startsWith('DEL '));
        expect(dels.length).toBe(server.stats.expiredKeys);
      }),
      { numRuns: 150 },
    );
  });
});
