import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisValue } from '../../src/keyspace/values.js';
import { parseDataset } from '../../src/persistence/rdb-file.js';
import { redisAuxFields, serializeRdb } from '../../src/rdb/writer.js';
import { tempDir } from '../helpers/persistence.js';
import { freePort } from '../helpers/real-redis.js';

/**
 * rcache-server as a real process (bin/rcache-server on the compiled dist/): a kill -9 in the middle of
 * a BGSAVE, and unusable RDB files at startup.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/rcache-server');
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(() => {
  // The process runs the compiled code: compile what is tested (tsc emits even with type errors elsewhere).
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  } catch {
    // Type errors in files being edited by others do not stop the emit; a missing dist/cli.js is caught below.
  }
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js missing after tsc');
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

interface Proc {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns rcache-server; resolves once it is ready, or once it exited (for startup failures). */
async function spawnServer(dir: string, extra: string[] = []): Promise<Proc> {
  const port = await freePort();
  const child = spawn(
    BIN,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--log-format',
      'redis',
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`rcache-server did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolveReady();
    });
  });
  return { child, port, output: () => out, exited };
}

function bigRdb(keys: number, marker: string): Buffer {
  const entries: [string, RedisValue][] = [['marker', marker]];
  for (let i = 0; i < keys; i++) entries.push([`key:${i}`, `value-${i}-${'x'.repeat(40)}`]);
  return serializeRdb([{ index: 0, entries }], { aux: redisAuxFields() });
}

describe('rcache-server process', () => {
  it('kill -9 in the middle of a BGSAVE leaves the previous dump.rdb loadable and intact', async () => {
    const dir = newDir();
    const original = bigRdb(400_000, 'old');
    writeFileSync(join(dir, 'dump.rdb'), original);
    const p = await spawnServer(dir);
    expect(p.output()).toContain('Done loading RDB, keys loaded: 400001, keys expired: 0.');
    const r = new Redis({ port: p.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    await r.set('marker', 'new');
    expect(await r.bgsave()).toBe('Background saving started');
    // Wait until the temp file has data: the save is really under way.
    const temp = `temp-bgsave-${p.child.pid}.rdb`;
    const deadline = Date.now() + 20_000;
    while (!(existsSync(join(dir, temp)) && readFileSync(join(dir, temp)).length > 0)) {
      if (Date.now() > deadline) throw new Error('no temp file appeared');
      await new Promise((res) => setTimeout(res, 5));
    }
    const info = (await r.info('persistence')) as string;
    expect(info).toContain('rdb_bgsave_in_progress:1');
    p.child.kill('SIGKILL');
    await p.exited;
    r.disconnect();

    expect(readFileSync(join(dir, 'dump.rdb')).equals(original)).toBe(true);
    const data = parseDataset(readFileSync(join(dir, 'dump.rdb')), {
      databases: 16,
      dropExpiredBefore: undefined,
    });
    expect(data.dicts[0]!.get('marker')).toBe('old');
    // The killed save's temp file is left behind (as with a killed Redis child), never renamed.
    expect(readdirSync(dir).sort()).toEqual(['dump.rdb', temp].sort());

    const again = await spawnServer(dir);
    const r2 = new Redis({ port: again.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    expect(await r2.get('marker')).toBe('old');
    expect(await r2.dbsize()).toBe(400_001);
    r2.disconnect();
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 120_000);

  it('SIGTERM saves before exiting when save points are configured, as SHUTDOWN does', async () => {
    const dir = newDir();
    const p = await spawnServer(dir, ['--save', '3600 1']);
    const r = new Redis({ port: p.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    await r.set('k', 'saved at exit');
    r.disconnect();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('Saving the final RDB snapshot before exiting.');
    const data = parseDataset(readFileSync(join(dir, 'dump.rdb')), {
      databases: 16,
      dropExpiredBefore: undefined,
    });
    expect(data.dicts[0]!.get('k')).toBe('saved at exit');
  }, 60_000);

  it('SIGTERM with a final save that fails keeps the server running, as Redis 7.0 does', async () => {
    const dir = newDir();
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const p = await spawnServer(dataDir, ['--save', '3600 1']);
    const r = new Redis({ port: p.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    await r.set('k', 'v');
    rmSync(dataDir, { recursive: true });
    p.child.kill('SIGTERM');
    const deadline = Date.now() + 20_000;
    while (!p.output().includes('SIGTERM received but errors trying to shut down the server')) {
      if (Date.now() > deadline) throw new Error(`no refusal logged:\n${p.output()}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(p.output()).toContain("Error trying to save the DB, can't exit.");
    expect(await r.get('k')).toBe('v');
    r.disconnect();
    p.child.kill('SIGKILL');
    await p.exited;
  }, 60_000);

  const corrupt: [string, (good: Buffer) => Buffer, string][] = [
    [
      'truncated',
      (good) => good.subarray(0, good.length - 100),
      'Short read or OOM loading DB. Unrecoverable error, aborting now.',
    ],
    [
      'wrong signature',
      (good) => Buffer.concat([Buffer.from('XEDIS'), good.subarray(5)]),
      'Wrong signature trying to load DB from file',
    ],
    [
      'bad checksum',
      (good) => {
        const b = Buffer.from(good);
        b[b.length - 1]! ^= 0xff;
        return b;
      },
      'Wrong RDB checksum expected: (',
    ],
    [
      'duplicate key',
      () =>
        serializeRdb(
          [
            {
              index: 0,
              entries: [
                ['k', 'a'],
                ['k', 'b'],
              ],
            },
          ],
          { aux: redisAuxFields() },
        ),
      'Duplicated key found in RDB file',
    ],
    [
      'db index >= databases',
      () => serializeRdb([{ index: 16, entries: [['k', 'a']] }], { aux: redisAuxFields() }),
      'FATAL: Data file was created with a Redis server configured to handle more than 16 databases. Exiting',
    ],
  ];
  for (const [name, damage, message] of corrupt) {
    it(`refuses to start on a ${name} dump.rdb, with a clear error and a non-zero exit`, async () => {
      const dir = newDir();
      writeFileSync(join(dir, 'dump.rdb'), damage(bigRdb(1000, 'x')));
      const p = await spawnServer(dir);
      const code = await p.exited;
      expect(code).not.toBe(0);
      expect(p.output()).toContain(message);
      expect(p.output()).toContain('Fatal error loading the DB');
      expect(p.output()).not.toContain('Ready to accept connections');
    }, 60_000);
  }
});
