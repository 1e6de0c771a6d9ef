import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type PersistentServer, startPersistentServer, tempDir } from '../helpers/persistence.js';
import { localInfo, waitFor } from '../helpers/replication.js';

/**
 * A replica restarted from its own RDB continues with a partial resync: the RDB carries repl-id,
 * repl-offset and repl-stream-db, and at startup they become the replica's cached master.
 */

const dirs: string[] = [];
const servers: PersistentServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

async function start(
  dir: string,
  directives: Record<string, string | string[]> = {},
): Promise<PersistentServer> {
  const s = await startPersistentServer(dir, directives);
  servers.push(s);
  return s;
}

describe('replica restart from RDB', () => {
  it('continues with PSYNC <id> <offset+1>: sync_partial_ok increments, sync_full does not', async () => {
    const master = await start(newDir());
    const replicaDir = newDir();
    const replicaof = ['127.0.0.1', String(master.port)];
    const replica = await start(replicaDir, { replicaof });
    await waitFor('first sync', () => localInfo(replica.server).master_link_status === 'up');
    const m = new Redis({ port: master.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      await m.select(2);
      for (let i = 0; i < 100; i++) await m.set(`before:${i}`, `v${i}`);
      const masterOffset = () => localInfo(master.server).master_repl_offset;
      await waitFor(
        'replica caught up',
        () => localInfo(replica.server).master_repl_offset === masterOffset(),
      );
      expect(master.server.stats.syncFull).toBe(1);
      const partialBefore = master.server.stats.syncPartialOk;

      // SHUTDOWN (SAVE) on the replica: the RDB records the master's history and our offset.
      const savedOffset = Number(localInfo(replica.server).master_repl_offset);
      const replid = localInfo(master.server).master_replid;
      await replica.server.shutdown({ save: true });
      for (let i = 0; i < 50; i++) await m.set(`while-down:${i}`, `v${i}`);

      const restarted = await start(replicaDir, { replicaof });
      expect(
        restarted.logs.some((l) => l.includes('Done loading RDB, keys loaded: 100, keys expired: 0.')),
      ).toBe(true);
      await waitFor('partial resync', () => localInfo(restarted.server).master_link_status === 'up');
      await waitFor(
        'replica caught up again',
        () => localInfo(restarted.server).master_repl_offset === masterOffset(),
      );
      expect(
        restarted.logs.some((l) =>
          l.includes(`Trying a partial resynchronization (request ${replid}:${savedOffset + 1}).`),
        ),
      ).toBe(true);
      expect(
        restarted.logs.some((l) => l.includes('Successful partial resynchronization with master.')),
      ).toBe(true);
      expect(master.server.stats.syncPartialOk).toBe(partialBefore + 1);
      expect(master.server.stats.syncFull).toBe(1);
      // The stream continued in db 2 without a new SELECT: writes made while it was down are there.
      const db2 = restarted.server.dbs[2]!;
      expect(db2.dict.size).toBe(150);
      expect(db2.dict.get('while-down:49')).toBe('v49');
      await m.set('after', 'x');
      await waitFor('live stream', () => db2.dict.get('after') === 'x');
    } finally {
      m.disconnect();
    }
  }, 60_000);
});
