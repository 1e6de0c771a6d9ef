import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { datasetDigest } from '../../src/commands/debug.js';
import { HashValue } from '../../src/keyspace/values.js';
import { parseDataset } from '../../src/persistence/rdb-file.js';
import {
  type PersistentServer,
  populateAllTypes,
  startPersistentServer,
  tempDir,
} from '../helpers/persistence.js';
import { dumpLocal } from '../helpers/replication.js';

const dirs: string[] = [];
const servers: PersistentServer[] = [];
const clients: Redis[] = [];

function newDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

async function start(...args: Parameters<typeof startPersistentServer>): Promise<PersistentServer> {
  const s = await startPersistentServer(...args);
  servers.push(s);
  return s;
}

function connect(port: number): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableReadyCheck: false });
  clients.push(r);
  return r;
}

async function infoFields(r: Redis, section: string): Promise<Record<string, string>> {
  const text = (await r.info(section)) as string;
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

afterEach(async () => {
  for (const r of clients.splice(0)) r.disconnect();
  for (const s of servers.splice(0)) {
    await s.persistence.abortBgsave();
    await s.close();
  }
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('SAVE and restart', () => {
  it('restores every type, both databases and the TTLs on a new server using the same dir', async () => {
    const dir = newDir();
    const first = await start(dir);
    populateAllTypes(first.server.dbs, Date.now());
    const before = dumpLocal(first.server);
    const digest = datasetDigest(first.server);
    const r = connect(first.port);
    await r.set('via-command', 'x');
    expect(await r.save()).toBe('OK');
    expect(first.logs.some((l) => l.includes('DB saved on disk'))).toBe(true);
    const stats = await infoFields(r, 'persistence');
    expect(stats.rdb_changes_since_last_save).toBe('0');
    expect(stats.rdb_saves).toBe('1');
    expect(Number(await r.lastsave())).toBe(first.server.lastSave);
    await first.close();

    const second = await start(dir);
    expect(second.server.dbs[0]!.dict.get('via-command')).toBe('x');
    second.server.dbs[0]!.delete('via-command');
    expect(dumpLocal(second.server)).toEqual(before);
    expect(datasetDigest(second.server)).toBe(digest);
    const keys = Object.values(before).reduce((n, db) => n + Object.keys(db).length, 0) + 1;
    expect(second.logs.some((l) => l.includes('Loading RDB produced by version 7.0.15'))).toBe(true);
    expect(
      second.logs.some((l) => l.includes(`Done loading RDB, keys loaded: ${keys}, keys expired: 0.`)),
    ).toBe(true);
    expect(second.logs.some((l) => /DB loaded from disk: \d+\.\d{3} seconds/.test(l))).toBe(true);
    expect((await infoFields(connect(second.port), 'persistence')).rdb_last_load_keys_loaded).toBe(
      String(keys),
    );
  });

  it('FLUSHALL with save points configured saves the empty dataset at once, so a restart keeps it empty', async () => {
    const dir = newDir();
    const first = await start(dir, { save: '3600 1' });
    const r = connect(first.port);
    await r.set('k', 'v');
    expect(await r.save()).toBe('OK');
    await r.set('k2', 'v2');
    expect(await r.flushall()).toBe('OK');
    await first.close();
    const second = await start(dir);
    expect(second.server.dbs[0]!.size).toBe(0);
  });

  it('drops keys already expired in the file on a master (and counts them)', async () => {
    const dir = newDir();
    let now = Date.now();
    const first = await start(dir, {}, { clock: () => now });
    first.server.dbs[0]!.add('short', 'v');
    first.server.dbs[0]!.setExpire('short', now + 1000);
    first.server.dbs[0]!.add('long', 'v');
    first.server.dbs[0]!.setExpire('long', now + 3_600_000);
    first.persistence.saveSync();
    await first.close();
    now += 5000;
    const second = await start(dir, {}, { clock: () => now });
    expect([...second.server.dbs[0]!.dict.keys()]).toEqual(['long']);
    expect(second.persistence.lastLoadKeysExpired).toBe(1);
    expect(second.logs.some((l) => l.includes('keys loaded: 1, keys expired: 1.'))).toBe(true);
  });

  it('SAVE refuses while a BGSAVE runs; BGSAVE refuses a second one; BGSAVE SCHEDULE parses', async () => {
    const dir = newDir();
    const s = await start(dir);
    for (let i = 0; i < 200_000; i++) s.server.dbs[0]!.add(`k${i}`, `v${i}`);
    const r = connect(s.port);
    expect(await r.bgsave()).toBe('Background saving started');
    await expect(r.save()).rejects.toThrow('ERR Background save already in progress');
    await expect(r.call('BGSAVE')).rejects.toThrow('ERR Background save already in progress');
    await expect(r.call('BGSAVE', 'SCHEDULE')).rejects.toThrow('ERR Background save already in progress');
    await expect(r.call('BGSAVE', 'NOW')).rejects.toThrow('ERR syntax error');
    expect((await infoFields(r, 'persistence')).rdb_bgsave_in_progress).toBe('1');
    await s.persistence.whenBgsaveDone();
    const stats = await infoFields(r, 'persistence');
    expect(stats.rdb_bgsave_in_progress).toBe('0');
    expect(stats.rdb_last_bgsave_status).toBe('ok');
    expect(stats.rdb_saves).toBe('1');
    expect(await r.call('BGSAVE', 'SCHEDULE')).toBe('Background saving started');
    await s.persistence.whenBgsaveDone();
  });
});

describe('BGSAVE', () => {
  it('writes exactly the keyspace as it was when BGSAVE ran, while writes continue', async () => {
    const dir = newDir();
    const s = await start(dir);
    const db = s.server.dbs[0]!;
    const N = 200_000;
    for (let i = 0; i < N; i++) db.add(`key:${i}`, `old:${i}`);
    const h = new HashValue();
    h.set('f', 'old');
    db.add('hash', h);
    const r = connect(s.port);
    // Writes in the same turn as BGSAVE (before any key is written out) and in later turns.
    const pipe = r.pipeline();
    pipe.bgsave();
    for (let i = 0; i < 1000; i++) pipe.set(`key:${N - 1 - i}`, 'new');
    pipe.hset('hash', 'f', 'new', 'g', 'added');
    pipe.del('key:0', 'key:1');
    pipe.set('created-after', 'x');
    await pipe.exec();
    let duringSave = 0;
    while (s.persistence.bgsaveInProgress) {
      const i = Math.floor(Math.random() * N);
      await r.set(`key:${i}`, 'late');
      await r.del(`key:${(i + 7) % N}`);
      duringSave++;
    }
    // The save must have overlapped with later writes for this test to mean anything.
    expect(duringSave).toBeGreaterThan(10);
    expect(db.dict.get('key:0')).toBeUndefined();

    const data = parseDataset(readFileSync(join(dir, 'dump.rdb')), {
      databases: 16,
      dropExpiredBefore: undefined,
    });
    const saved = data.dicts[0]!;
    expect(saved.size).toBe(N + 1);
    for (let i = 0; i < N; i++) expect(saved.get(`key:${i}`)).toBe(`old:${i}`);
    expect([...(saved.get('hash') as HashValue)]).toEqual([['f', 'old']]);
    expect(saved.has('created-after')).toBe(false);
    expect(s.logs.some((l) => l.includes('Background saving started'))).toBe(true);
    expect(s.logs.some((l) => l.includes('Background saving terminated with success'))).toBe(true);
    // Changes made during the save stay pending for the next one.
    expect(s.server.dirty).toBeGreaterThanOrEqual(duringSave);
  });

  it('does not block the event loop: PING stays fast during a BGSAVE of 500k keys', async () => {
    const dir = newDir();
    const s = await start(dir);
    const db = s.server.dbs[0]!;
    for (let i = 0; i < 500_000; i++) db.add(`key:${i}`, `value-${i}-${'x'.repeat(20)}`);
    const r = connect(s.port);
    await r.ping();
    const started = performance.now();
    expect(await r.bgsave()).toBe('Background saving started');
    const latencies: number[] = [];
    while (s.persistence.bgsaveInProgress) {
      const t = performance.now();
      await r.ping();
      latencies.push(performance.now() - t);
    }
    const total = performance.now() - started;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
    const max = latencies[latencies.length - 1]!;
    console.log(
      `BGSAVE of 500k keys: ${total.toFixed(0)} ms, ${latencies.length} PINGs, p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`,
    );
    expect(latencies.length).toBeGreaterThan(20);
    // A blocking save would stall one PING for the whole save; slices keep each stall to a few ms.
    expect(p99).toBeLessThan(Math.max(50, total / 10));
    const data = parseDataset(readFileSync(join(dir, 'dump.rdb')), {
      databases: 16,
      dropExpiredBefore: undefined,
    });
    expect(data.keysLoaded).toBe(500_000);
  }, 60_000);

  it('an aborted BGSAVE leaves the previous dump in place and no temp file', async () => {
    const dir = newDir();
    const s = await start(dir);
    const db = s.server.dbs[0]!;
    db.add('marker', 'good');
    s.persistence.saveSync();
    const good = readFileSync(join(dir, 'dump.rdb'));
    for (let i = 0; i < 300_000; i++) db.add(`key:${i}`, `v${i}`);
    expect(s.persistence.startBgsave()).toBe(true);
    const temp = join(dir, `temp-bgsave-${process.pid}.rdb`);
    while (!existsSync(temp) || readFileSync(temp).length === 0) {
      expect(s.persistence.bgsaveInProgress).toBe(true);
      await new Promise((r) => setTimeout(r, 2));
    }
    await s.persistence.abortBgsave();
    expect(readFileSync(join(dir, 'dump.rdb')).equals(good)).toBe(true);
    expect(readdirSync(dir)).toEqual(['dump.rdb']);
    // Stopped on purpose: not a failed save (no MISCONF afterwards), as when Redis kills its child.
    expect((await infoFields(connect(s.port), 'persistence')).rdb_last_bgsave_status).toBe('ok');
    expect(s.logs.some((l) => l.includes('Background saving aborted'))).toBe(true);
  });
});

describe('save points', () => {
  it('start a BGSAVE once <changes> writes are older than <seconds>, with an injected clock', async () => {
    const dir = newDir();
    let now = 1_800_000_000_000;
    const s = await start(dir, { save: '10 3 100 1' }, { clock: () => now });
    s.server.updateClock();
    s.server.lastSave = Math.floor(now / 1000);
    const r = connect(s.port);
    await r.set('a', '1');
    await r.set('b', '2');
    now += 11_000;
    s.server.cron();
    expect(s.persistence.bgsaveInProgress).toBe(false); // 2 changes < 3
    await r.set('c', '3');
    s.server.cron();
    expect(s.persistence.bgsaveInProgress).toBe(true);
    expect(s.logs.some((l) => l.includes('3 changes in 10 seconds. Saving...'))).toBe(true);
    await s.persistence.whenBgsaveDone();
    expect(s.server.dirty).toBe(0);
    expect(s.server.lastSave).toBe(Math.floor(now / 1000));
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
    // One change: due only after more than 100 s.
    await r.set('d', '4');
    now += 50_000;
    s.server.cron();
    expect(s.persistence.bgsaveInProgress).toBe(false);
    now += 51_000;
    s.server.cron();
    expect(s.persistence.bgsaveInProgress).toBe(true);
    expect(s.logs.some((l) => l.includes('1 changes in 100 seconds. Saving...'))).toBe(true);
    await s.persistence.whenBgsaveDone();
  });

  it('after a failed BGSAVE, retries only after 5 seconds', async () => {
    const dir = newDir();
    let now = 1_800_000_000_000;
    const s = await start(dir, { save: '1 1' }, { clock: () => now });
    s.server.updateClock();
    s.server.lastSave = Math.floor(now / 1000);
    rmSync(dir, { recursive: true });
    await connect(s.port).set('a', '1');
    now += 2000;
    s.server.cron();
    await s.persistence.whenBgsaveDone();
    expect(s.persistence.lastBgsaveOk).toBe(false);
    now += 3000;
    s.server.cron();
    expect(s.persistence.bgsaveInProgress).toBe(false);
    now += 3000;
    s.server.cron();
    expect(s.persistence.bgsaveInProgress).toBe(true);
    await s.persistence.whenBgsaveDone();
  });

  it('a failed BGSAVE makes writes and PING fail with MISCONF until a save succeeds', async () => {
    const dir = newDir();
    const s = await start(dir, { save: '3600 1', dir: join(dir, 'not-yet') });
    const r = connect(s.port);
    await r.set('a', '1');
    expect(await r.bgsave()).toBe('Background saving started');
    await s.persistence.whenBgsaveDone();
    expect((await infoFields(r, 'persistence')).rdb_last_bgsave_status).toBe('err');
    await expect(r.set('b', '2')).rejects.toThrow(/^MISCONF Redis is configured to save RDB snapshots/);
    await expect(r.ping()).rejects.toThrow(/^MISCONF/);
    expect(await r.get('a')).toBe('1');
    await r.config('SET', 'stop-writes-on-bgsave-error', 'no');
    expect(await r.set('b', '2')).toBe('OK');
    await r.config('SET', 'stop-writes-on-bgsave-error', 'yes');
    await expect(r.set('b', '3')).rejects.toThrow(/^MISCONF/);
    await r.config('SET', 'dir', dir);
    expect(await r.save()).toBe('OK');
    expect(await r.set('b', '4')).toBe('OK');
  });
});

describe('shutdown', () => {
  it('SHUTDOWN saves when save points are configured, NOSAVE does not, SAVE always does', async () => {
    const dir = newDir();
    const a = await start(dir, { save: '3600 1' });
    a.server.dbs[0]!.add('k', 'v1');
    await a.server.shutdown({ save: undefined });
    expect(
      parseDataset(readFileSync(join(dir, 'dump.rdb')), {
        databases: 16,
        dropExpiredBefore: undefined,
      }).dicts[0]!.get('k'),
    ).toBe('v1');

    const b = await start(dir, { save: '3600 1' });
    b.server.dbs[0]!.set('k', 'v2');
    await b.server.shutdown({ save: false });
    const c = await start(dir);
    expect(c.server.dbs[0]!.dict.get('k')).toBe('v1');
    c.server.dbs[0]!.set('k', 'v3');
    await c.server.shutdown({ save: undefined }); // no save points: no save
    const d = await start(dir);
    expect(d.server.dbs[0]!.dict.get('k')).toBe('v1');
    d.server.dbs[0]!.set('k', 'v4');
    await d.server.shutdown({ save: true });
    const e = await start(dir);
    expect(e.server.dbs[0]!.dict.get('k')).toBe('v4');
  });

  it('a shutdown save that fails aborts the shutdown', async () => {
    const dir = newDir();
    const s = await start(dir, { dir: join(dir, 'missing') });
    await expect(s.server.shutdown({ save: true })).rejects.toThrow(/Failed opening the temp RDB file/);
    expect(s.logs.some((l) => l.includes("Error trying to save the DB, can't exit."))).toBe(true);
  });
});

describe('DEBUG RELOAD', () => {
  it('saves, empties and loads back the same dataset', async () => {
    const dir = newDir();
    const s = await start(dir);
    populateAllTypes(s.server.dbs, Date.now());
    const digest = datasetDigest(s.server);
    const r = connect(s.port);
    expect(await r.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(datasetDigest(s.server)).toBe(digest);
    expect(s.logs.some((l) => l.includes('DB reloaded by DEBUG RELOAD'))).toBe(true);
    // NOSAVE reloads the file as it is: later changes are lost.
    await r.set('after', 'x');
    expect(await r.call('DEBUG', 'RELOAD', 'NOSAVE')).toBe('OK');
    expect(await r.exists('after')).toBe(0);
    // NOFLUSH without MERGE refuses duplicates; with MERGE the file's values win.
    await r.set('str', 'changed');
    await expect(r.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH')).rejects.toThrow(
      'ERR Error trying to load the RDB dump',
    );
    expect(await r.get('str')).toBe('changed');
    expect(await r.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE')).toBe('OK');
    expect(await r.get('str')).toBe('hello');
    await expect(r.call('DEBUG', 'RELOAD', 'FAST')).rejects.toThrow(
      'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.',
    );
  });

  it('a corrupt file is refused and the keyspace is kept', async () => {
    const dir = newDir();
    const s = await start(dir);
    s.server.dbs[0]!.add('k', 'v');
    writeFileSync(join(dir, 'dump.rdb'), 'REDIS0010\xfa');
    const r = connect(s.port);
    await expect(r.call('DEBUG', 'RELOAD', 'NOSAVE')).rejects.toThrow(
      'ERR Error trying to load the RDB dump',
    );
    expect(await r.get('k')).toBe('v');
  });
});
