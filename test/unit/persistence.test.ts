import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Config } from '../../src/config/config.js';
import { HashValue } from '../../src/keyspace/values.js';
import { Logger } from '../../src/log.js';
import { persistenceOf } from '../../src/persistence/persistence.js';
import { parseDataset, writeFileAtomic, writeFileAtomicSync } from '../../src/persistence/rdb-file.js';
import {
  BGSAVE_RETRY_DELAY_SECONDS,
  dueSavePoint,
  parseSavePoints,
} from '../../src/persistence/save-points.js';
import { dumpValue, RdbError, serializeRdb } from '../../src/rdb/index.js';
import { processCommand } from '../../src/server/process-command.js';
import { Server } from '../../src/server/server.js';
import { tempDir } from '../helpers/persistence.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function newDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

describe('save points', () => {
  it('parses the stored form of `save`', () => {
    expect(parseSavePoints('3600 1 300 100')).toEqual([
      { seconds: 3600, changes: 1 },
      { seconds: 300, changes: 100 },
    ]);
    expect(parseSavePoints('')).toEqual([]);
  });

  it('is due when enough changes are older than strictly more than <seconds>', () => {
    const points = parseSavePoints('60 10 300 1');
    const state = { dirty: 10, lastSave: 1000, lastBgsaveTry: 0, lastBgsaveOk: true };
    expect(dueSavePoint(points, state, 1060)).toBeUndefined();
    expect(dueSavePoint(points, state, 1061)).toEqual({ seconds: 60, changes: 10 });
    expect(dueSavePoint(points, { ...state, dirty: 9 }, 1061)).toBeUndefined();
    expect(dueSavePoint(points, { ...state, dirty: 1 }, 1301)).toEqual({ seconds: 300, changes: 1 });
    expect(dueSavePoint(points, { ...state, dirty: 0 }, 99999)).toBeUndefined();
  });

  it('waits BGSAVE_RETRY_DELAY_SECONDS after a failed attempt', () => {
    const points = parseSavePoints('1 1');
    const failed = { dirty: 5, lastSave: 0, lastBgsaveTry: 2000, lastBgsaveOk: false };
    expect(dueSavePoint(points, failed, 2000 + BGSAVE_RETRY_DELAY_SECONDS)).toBeUndefined();
    expect(dueSavePoint(points, failed, 2001 + BGSAVE_RETRY_DELAY_SECONDS)).toBeDefined();
  });
});

describe('atomic RDB writes', () => {
  it('a write failing half way leaves the previous file untouched and removes the temp file', () => {
    const dir = newDir();
    const target = join(dir, 'dump.rdb');
    writeFileAtomicSync(target, (write) => write(Buffer.from('good')));
    expect(readFileSync(target, 'latin1')).toBe('good');
    expect(() =>
      writeFileAtomicSync(target, (write) => {
        write(Buffer.alloc(100_000, 1));
        throw new Error('disk full');
      }),
    ).toThrow('Write error saving DB on disk: disk full');
    expect(readFileSync(target, 'latin1')).toBe('good');
    expect(readdirSync(dir)).toEqual(['dump.rdb']);
  });

  it('the asynchronous writer behaves the same', async () => {
    const dir = newDir();
    const target = join(dir, 'dump.rdb');
    await writeFileAtomic(target, async (write) => write(Buffer.from('good')));
    await expect(
      writeFileAtomic(target, async (write) => {
        await write(Buffer.alloc(100_000, 1));
        expect(readdirSync(dir)).toContain(`temp-bgsave-${process.pid}.rdb`);
        throw new Error('aborted');
      }),
    ).rejects.toThrow('Write error saving DB on disk: aborted');
    expect(readFileSync(target, 'latin1')).toBe('good');
    expect(readdirSync(dir)).toEqual(['dump.rdb']);
  });

  it('reports a directory that cannot hold the temp file', () => {
    const target = join(newDir(), 'missing', 'dump.rdb');
    expect(() => writeFileAtomicSync(target, () => {})).toThrow(
      /Failed opening the temp RDB file temp-\d+\.rdb/,
    );
    expect(existsSync(target)).toBe(false);
  });
});

describe('parseDataset', () => {
  const rdb = serializeRdb([
    {
      index: 0,
      entries: [
        ['live', 'v', 5000],
        ['dead', 'v', 1000],
        ['forever', new HashValue([['f', 'v']])],
      ],
    },
  ]);

  it('drops keys expired before the cutoff (a master) and counts them', () => {
    const data = parseDataset(rdb, { databases: 16, dropExpiredBefore: 2000 });
    expect([...data.dicts[0]!.keys()]).toEqual(['live', 'forever']);
    expect([...data.expires[0]!]).toEqual([['live', 5000]]);
    expect(data.keysLoaded).toBe(2);
    expect(data.keysExpired).toBe(1);
    expect(data.usedBytes[0]).toBeGreaterThan(0);
  });

  it('keeps them without a cutoff (a replica)', () => {
    const data = parseDataset(rdb, { databases: 16, dropExpiredBefore: undefined });
    expect(data.dicts[0]!.size).toBe(3);
    expect(data.keysExpired).toBe(0);
  });

  it('treats a duplicate key as a corrupt file', () => {
    const dup = serializeRdb([
      {
        index: 0,
        entries: [
          ['k', 'a'],
          ['k', 'b'],
        ],
      },
    ]);
    expect(() => parseDataset(dup, { databases: 16, dropExpiredBefore: undefined })).toThrow(RdbError);
  });
});

describe('commands without a network', () => {
  function server(now: number): Server {
    const config = new Config();
    config.set('save', [''], 'file');
    config.set('dir', [newDir()], 'file');
    const log = new Logger({ level: 'warning', file: '', format: 'redis', sink: () => {} });
    return new Server({ config, log, clock: () => now });
  }

  function run(s: Server, argv: string[]): string {
    const c = s.createClient(undefined);
    const chunks: string[] = [];
    vi.spyOn(c.out, 'status').mockImplementation((t: string) => void chunks.push(`+${t}`));
    vi.spyOn(c.out, 'error').mockImplementation((t: string) => void chunks.push(`-${t}`));
    processCommand(s, c, argv);
    return chunks.join('');
  }

  it('RESTORE with a relative TTL propagates the absolute time and ABSTTL', () => {
    const now = 1_800_000_000_000;
    const s = server(now);
    const propagated: string[][] = [];
    vi.spyOn(s, 'propagate').mockImplementation((_db, argv) => void propagated.push(argv));
    const payload = dumpValue('hello').latin1Slice();
    expect(run(s, ['RESTORE', 'k', '5000', payload, 'REPLACE'])).toBe('+OK');
    expect(s.dbs[0]!.getExpire('k')).toBe(now + 5000);
    expect(propagated).toEqual([['RESTORE', 'k', String(now + 5000), payload, 'REPLACE', 'ABSTTL']]);
    // Restoring over a key with a time already past deletes it, and propagates a DEL.
    propagated.length = 0;
    expect(run(s, ['RESTORE', 'k', '1000', payload, 'REPLACE', 'ABSTTL'])).toBe('+OK');
    expect(s.dbs[0]!.dict.has('k')).toBe(false);
    expect(propagated).toEqual([['DEL', 'k']]);
  });

  it('RESTORE IDLETIME / FREQ set the access data of the policy in use', () => {
    const now = 1_800_000_000_000;
    const s = server(now);
    s.config.set('maxmemory-policy', ['allkeys-lru']);
    s.config.set('maxmemory', ['100mb']);
    const payload = dumpValue('v').latin1Slice();
    expect(run(s, ['RESTORE', 'k', '0', payload, 'IDLETIME', '1000'])).toBe('+OK');
    const access = s.dbs[0]!.access;
    if (access === undefined) throw new Error('an LRU policy should track access (keyspace/eviction)');
    expect(Math.round(access.idleMs('k', now) / 1000)).toBe(1000);
  });

  it('SAVE updates LASTSAVE, rdb_changes_since_last_save and the file', () => {
    const now = 1_800_000_000_000;
    const s = server(now);
    s.dirty = 5;
    expect(run(s, ['SAVE'])).toBe('+OK');
    expect(s.dirty).toBe(0);
    expect(s.lastSave).toBe(now / 1000);
    expect(persistenceOf(s).saves).toBe(1);
    expect(existsSync(persistenceOf(s).rdbPath)).toBe(true);
  });
});
