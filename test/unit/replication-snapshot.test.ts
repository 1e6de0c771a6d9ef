import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { ListValue } from '../../src/keyspace/list.js';
import { type RedisValue, SetValue } from '../../src/keyspace/values.js';
import { Logger } from '../../src/log.js';
import { RdbWriter, readRdb } from '../../src/rdb/index.js';
import type { SnapshotManager } from '../../src/replication/snapshot.js';
import { Server } from '../../src/server/server.js';

function newServer(): Server {
  return new Server({
    config: new Config(),
    log: new Logger({ level: 'warning', file: '', format: 'redis', sink: () => {} }),
  });
}

type Flat = Record<string, { value: unknown; expireAt: number | undefined }>;

function flatValue(v: RedisValue): unknown {
  if (typeof v === 'string') return v;
  if (v instanceof ListValue) return ['list', ...v.toArray()];
  if (v instanceof SetValue) return ['set', ...[...v].sort()];
  return v;
}

function capture(server: Server): Flat {
  const out: Flat = {};
  for (const db of server.dbs) {
    for (const [k, v] of db.dict) out[`${db.id}/${k}`] = { value: flatValue(v), expireAt: db.expires.get(k) };
  }
  return out;
}

function decode(rdb: Buffer): Flat {
  const out: Flat = {};
  readRdb(rdb, {
    entry(db, key, value, expireAt) {
      const id = `${db}/${key}`;
      if (id in out) throw new Error(`duplicate key ${id}`);
      out[id] = { value: flatValue(value), expireAt };
    },
  });
  return out;
}

/** A random mutation of the keyspace through the Database API (the same calls commands make). */
const mutation = fc.record({
  kind: fc.constantFrom('set', 'add', 'del', 'push', 'sadd', 'expire', 'persist', 'flush', 'readd'),
  db: fc.integer({ min: 0, max: 2 }),
  key: fc.integer({ min: 0, max: 40 }),
  n: fc.integer({ min: 0, max: 1000 }),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

describe('copy-on-write snapshot', () => {
  it('produces exactly the keyspace of the moment it began, whatever is written while it runs', () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { maxLength: 80 }),
        fc.array(mutation, { maxLength: 200 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        (initial, during, every, sliceKeys) => {
          const server = newServer();
          const apply = (m: Mutation) => {
            const db = server.dbs[m.db]!;
            const key = `k${m.key}`;
            switch (m.kind) {
              case 'set':
                db.set(key, `v${m.n}`);
                break;
              case 'add':
                if (!db.dict.has(key)) db.add(key, `a${m.n}`);
                break;
              case 'del':
                db.delete(key);
                break;
              case 'readd':
                if (db.delete(key)) db.add(key, `re${m.n}`);
                break;
              case 'push': {
                const v = db.lookupWrite(key);
                if (v === undefined) {
                  const l = new ListValue();
                  l.pushTail(`e${m.n}`);
                  db.add(key, l);
                } else if (v instanceof ListValue) {
                  v.pushTail(`e${m.n}`);
                  db.modified(key);
                }
                break;
              }
              case 'sadd': {
                const v = db.lookupWrite(key);
                if (v === undefined) db.add(key, new SetValue([`m${m.n}`]));
                else if (v instanceof SetValue) {
                  v.add(`m${m.n}`);
                  db.modified(key);
                }
                break;
              }
              case 'expire':
                if (db.dict.has(key)) db.setExpire(key, 4_000_000_000_000 + m.n);
                break;
              case 'persist':
                db.persist(key);
                break;
              case 'flush':
                if (m.n % 10 === 0) db.clear();
                break;
            }
          };
          for (const m of initial) apply(m);
          const before = capture(server);
          const snap = (server.snapshots as SnapshotManager).begin(server.dbs);
          const writer = new RdbWriter();
          const parts: Buffer[] = [];
          let i = 0;
          // Interleave: a tiny slice of the snapshot, then some writes, until it is done.
          while (!snap.step(writer, 1000, 1 << 20, sliceKeys)) {
            parts.push(writer.take());
            for (let j = 0; j < every && i < during.length; j++) apply(during[i++]!);
          }
          while (i < during.length) apply(during[i++]!);
          writer.end();
          parts.push(writer.take());
          snap.close();
          expect(decode(Buffer.concat(parts))).toEqual(before);
          expect((server.snapshots as SnapshotManager).inProgress).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not write twice a key deleted and re-added after it was written (Map order moves it)', () => {
    const server = newServer();
    const db = server.dbs[0]!;
    for (const k of ['a', 'b', 'c']) db.add(k, `${k}0`);
    const before = capture(server);
    const snap = (server.snapshots as SnapshotManager).begin(server.dbs);
    const writer = new RdbWriter();
    const parts: Buffer[] = [];
    expect(snap.step(writer, 1000, 1 << 20, 1)).toBe(false); // wrote 'a'
    parts.push(writer.take());
    db.delete('a');
    db.add('a', 'a1'); // now last in insertion order: the live iterator will meet it again
    db.set('c', 'c1'); // not written yet: its old value must be preserved
    db.add('d', 'd1'); // born after the snapshot: never written
    while (!snap.step(writer, 1000, 1 << 20, 1)) parts.push(writer.take());
    writer.end();
    parts.push(writer.take());
    expect(decode(Buffer.concat(parts))).toEqual(before);
  });
});
