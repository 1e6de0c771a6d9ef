import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import type { Database } from '../../src/keyspace/db.js';
import { HashValue, ListValue, SetValue, SortedSetValue } from '../../src/keyspace/values.js';
import { Logger } from '../../src/log.js';
import { attachPersistence, type Persistence } from '../../src/persistence/persistence.js';
import { Server } from '../../src/server/server.js';

export interface PersistentServer {
  server: Server;
  persistence: Persistence;
  port: number;
  logs: string[];
  close(): Promise<void>;
}

export function tempDir(prefix = 'rcache-persist-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * An in-process server wired as rcache-server's startServer does (RDB loaded from `dir` before it
 * listens, save points and the shutdown save enabled). Save points are off unless `save` is given.
 */
export async function startPersistentServer(
  dir: string,
  directives: Record<string, string | string[]> = {},
  options: { clock?: () => number; listen?: boolean } = {},
): Promise<PersistentServer> {
  const config = new Config();
  const all: Record<string, string | string[]> = {
    save: '',
    'enable-debug-command': 'yes',
    dir,
    ...directives,
  };
  for (const [name, value] of Object.entries(all))
    config.set(name, Array.isArray(value) ? value : [value], 'file');
  const logs: string[] = [];
  const log = new Logger({ level: 'verbose', file: '', format: 'redis', sink: (line) => logs.push(line) });
  const server = new Server({ config, log, clock: options.clock });
  const persistence = attachPersistence(server);
  const port = options.listen === false ? 0 : await server.listen(0, '127.0.0.1');
  return { server, persistence, port, logs, close: () => server.close() };
}

/** Every type, binary keys and values, TTLs in two databases: what a save must carry over. */
export function populateAllTypes(dbs: readonly Database[], nowMs: number): void {
  const db0 = dbs[0]!;
  const db3 = dbs[3]!;
  db0.add('str', 'hello');
  db0.add('int', '12345');
  db0.add('bin\x00\xff', 'v\x00\x01\xfe\xff');
  db0.add('big', 'x'.repeat(100_000));
  db0.add('list', ListValue.from(['a', 'b', '1', '\xff\x00']));
  db0.add('biglist', ListValue.from(Array.from({ length: 1000 }, (_, i) => `item-${i}`)));
  const h = new HashValue();
  h.set('f1', 'v1');
  h.set('f2', '2');
  db0.add('hash', h);
  const bigHash = new HashValue();
  for (let i = 0; i < 600; i++) bigHash.set(`field${i}`, `value${i}`);
  db0.add('bighash', bigHash);
  db0.add('intset', new SetValue(['1', '2', '300000']));
  db0.add('set', new SetValue(['a', 'b', 'c']));
  const z = new SortedSetValue();
  z.add('one', 1);
  z.add('pi', Math.PI);
  z.add('neg', -Infinity);
  db0.add('zset', z);
  db0.add('ttl', 'expiring');
  db0.setExpire('ttl', nowMs + 3_600_000);
  db3.add('indb3', 'yes');
  db3.add('hash3', new HashValue([['a', '1']]));
  db3.setExpire('hash3', nowMs + 7_200_000);
}
