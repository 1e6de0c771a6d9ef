import { ListValue, SortedSetValue } from '../keyspace/values.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { forcePropagation } from './propagation.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, parseLong } from './util.js';

/** Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB. */

function dbsize(c: Client): void {
  c.out.integer(c.db.size);
}

/** FLUSHDB / FLUSHALL take an optional ASYNC or SYNC; freeing is the GC's job either way. */
function flushModeValid(argv: string[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length > 2) return false;
  const mode = argv[1]!.toLowerCase();
  return mode === 'async' || mode === 'sync';
}

function flushdb(c: Client, argv: string[]): void {
  if (!flushModeValid(argv)) {
    c.out.error(Err.syntax);
    return;
  }
  c.server.dirty += c.db.clear();
  c.server.modifiedAll(c.db);
  // Replicated even when the db was already empty, as Redis does.
  forcePropagation(c, argv);
  c.out.status('OK');
}

/**
 * Hooks run after FLUSHALL emptied every db (Redis's flushAllDataAndResetRDB also rewrites the RDB
 * when save points are configured: the persistence module registers that here).
 */
export const afterFlushAll: ((server: Server) => void)[] = [];

function flushall(c: Client, argv: string[]): void {
  if (!flushModeValid(argv)) {
    c.out.error(Err.syntax);
    return;
  }
  const server = c.server;
  let removed = 0;
  for (const db of server.dbs) removed += db.clear();
  server.modifiedAll();
  for (const hook of afterFlushAll) hook(server);
  server.dirty += removed;
  forcePropagation(c, argv);
  c.out.status('OK');
}

/**
 * SWAPDB a b: the two databases exchange contents; clients stay on their db number and so see the
 * other data. WATCHed keys that exist on either side are touched, and clients blocked on keys that now
 * hold a list or sorted set are served (Redis's scanDatabaseForReadyKeys).
 */
function swapdb(c: Client, argv: string[]): void {
  const first = parseLong(argv[1]!);
  if (first === undefined) {
    c.out.error('ERR invalid first DB index');
    return;
  }
  const second = parseLong(argv[2]!);
  if (second === undefined) {
    c.out.error('ERR invalid second DB index');
    return;
  }
  const server = c.server;
  const a = server.dbs[first];
  const b = server.dbs[second];
  if (first < 0 || second < 0 || a === undefined || b === undefined) {
    c.out.error(Err.dbIndex);
    return;
  }
  if (a !== b) {
    touchWatchedKeysOnSwap(server, a.id, b.id);
    [a.dict, b.dict] = [b.dict, a.dict];
    [a.expires, b.expires] = [b.expires, a.expires];
    signalReadyAfterSwap(server, [a.id, b.id]);
  }
  server.dirty++;
  c.out.status('OK');
}

/** Invalidates WATCHes in either db whose key exists in either db (before or after the swap). */
function touchWatchedKeysOnSwap(server: Server, a: number, b: number): void {
  const dbA = server.dbs[a]!;
  const dbB = server.dbs[b]!;
  for (const [id, watchers] of server.watchers) {
    const sep = id.indexOf('\0');
    const dbId = Number(id.slice(0, sep));
    if (dbId !== a && dbId !== b) continue;
    const key = id.slice(sep + 1);
    if (dbA.dict.has(key) || dbB.dict.has(key)) for (const w of watchers) w.watchDirty = true;
  }
}

function signalReadyAfterSwap(server: Server, dbIds: number[]): void {
  for (const blocked of server.blocking.clients) {
    const state = blocked.blocked;
    if (state === undefined || !dbIds.includes(blocked.db.id)) continue;
    for (const key of state.keys) {
      const value = blocked.db.dict.get(key);
      if (value instanceof ListValue || value instanceof SortedSetValue) server.ready(blocked.db, key);
    }
  }
}

export const keyspaceAdminCommands: CommandSpec[] = [
  cmd('dbsize', 1, ['readonly', 'fast'], NO_KEYS, 'server', dbsize, { acl: ['keyspace'] }),
  cmd('flushdb', -1, ['write'], NO_KEYS, 'server', flushdb, { acl: ['keyspace', 'dangerous'] }),
  cmd('flushall', -1, ['write'], NO_KEYS, 'server', flushall, { acl: ['keyspace', 'dangerous'] }),
  cmd('swapdb', 3, ['write', 'fast'], NO_KEYS, 'server', swapdb, { acl: ['keyspace', 'dangerous'] }),
];
