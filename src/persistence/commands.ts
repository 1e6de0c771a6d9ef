import { debugExtensions } from '../commands/debug.js';
import { type CommandSpec, cmd, NO_KEYS } from '../commands/table.js';
import { Err, longArg } from '../commands/util.js';
import { DumpPayloadError, dumpValue, RdbError, restoreValue } from '../rdb/index.js';
import type { Client } from '../server/client.js';
import { persistenceOf } from './persistence.js';
import { readFileIfExists } from './rdb-file.js';

/** SAVE, BGSAVE, LASTSAVE, DUMP, RESTORE, and DEBUG RELOAD (registered into DEBUG). */

const BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';

/** SAVE: writes the RDB now, blocking the server, as Redis does. */
function save(c: Client): void {
  const p = persistenceOf(c.server);
  if (p.bgsaveInProgress) {
    c.out.error(BGSAVE_IN_PROGRESS);
    return;
  }
  try {
    p.saveSync();
  } catch {
    c.out.error('ERR');
    return;
  }
  c.out.status('OK');
}

/**
 * BGSAVE [SCHEDULE]. There is no fork, hence never "another child process is active": SCHEDULE is
 * accepted and behaves like a plain BGSAVE, and a BGSAVE already running is an error either way.
 */
function bgsave(c: Client, argv: string[]): void {
  if (argv.length > 2 || (argv.length === 2 && argv[1]!.toLowerCase() !== 'schedule')) {
    c.out.error(Err.syntax);
    return;
  }
  const p = persistenceOf(c.server);
  if (!p.startBgsave()) {
    c.out.error(BGSAVE_IN_PROGRESS);
    return;
  }
  c.out.status('Background saving started');
}

function lastsave(c: Client): void {
  c.out.integer(c.server.lastSave);
}

function dump(c: Client, argv: string[]): void {
  const value = c.db.lookupRead(argv[1]!);
  if (value === undefined) {
    c.out.nullBulk();
    return;
  }
  c.out.bulk(dumpValue(value, c.server.config.bool('rdbcompression')).latin1Slice());
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
function restore(c: Client, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idleSeconds: number | undefined;
  let freq: number | undefined;
  for (let j = 4; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    const more = j + 1 < argv.length;
    if (opt === 'replace') {
      replace = true;
    } else if (opt === 'absttl') {
      absttl = true;
    } else if (opt === 'idletime' && more && freq === undefined) {
      const v = longArg(c, argv[++j]!);
      if (v === undefined) return;
      if (v < 0) {
        c.out.error('ERR Invalid IDLETIME value, must be >= 0');
        return;
      }
      idleSeconds = v;
    } else if (opt === 'freq' && more && idleSeconds === undefined) {
      const v = longArg(c, argv[++j]!);
      if (v === undefined) return;
      if (v < 0 || v > 255) {
        c.out.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
        return;
      }
      freq = v;
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  const key = argv[1]!;
  const db = c.db;
  // Same order of checks as Redis: existing key, then TTL, then payload.
  if (!replace && db.exists(key)) {
    c.out.error('BUSYKEY Target key name already exists.');
    return;
  }
  let ttl = longArg(c, argv[2]!);
  if (ttl === undefined) return;
  if (ttl < 0) {
    c.out.error('ERR Invalid TTL value, must be >= 0');
    return;
  }
  let value: ReturnType<typeof restoreValue>;
  try {
    value = restoreValue(Buffer.from(argv[3]!, 'latin1'));
  } catch (err) {
    if (!(err instanceof DumpPayloadError)) throw err;
    c.out.error(err.message);
    return;
  }
  const deleted = replace && db.delete(key);
  const now = c.server.now();
  if (ttl !== 0 && !absttl) ttl += now;
  // A key restored already expired is not created (a replica keeps it: its master decides).
  if (ttl !== 0 && ttl <= now && !c.server.isReplica()) {
    if (deleted) {
      c.propagate = [['DEL', key]];
      c.server.dirty++;
    }
    c.out.status('OK');
    return;
  }
  db.add(key, value);
  if (ttl !== 0) {
    db.setExpire(key, ttl);
    // Replicas get the absolute time, so their copy expires when ours does.
    if (!absttl) c.propagate = [[argv[0]!, key, String(ttl), ...argv.slice(3), 'ABSTTL']];
  }
  db.access?.restore(key, now, idleSeconds, freq);
  c.server.dirty++;
  c.out.status('OK');
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB, empty the keyspace, load the RDB back. Unlike
 * Redis, a file that cannot be loaded leaves the keyspace as it was (Redis would have emptied it or
 * exited) and replies an error.
 */
function debugReload(c: Client, argv: string[]): void {
  let merge = false;
  let flush = true;
  let saveFirst = true;
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    if (opt === 'merge') merge = true;
    else if (opt === 'noflush') flush = false;
    else if (opt === 'nosave') saveFirst = false;
    else {
      c.out.error('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
      return;
    }
  }
  const server = c.server;
  const p = persistenceOf(server);
  if (saveFirst) {
    try {
      p.saveSync();
    } catch {
      c.out.error('ERR');
      return;
    }
  }
  const loadError = 'ERR Error trying to load the RDB dump';
  let data: ReturnType<typeof p.parse> | undefined;
  try {
    const buf = readFileIfExists(p.rdbPath);
    if (buf !== undefined) data = p.parse(buf, server.isReplica());
  } catch (err) {
    // A corrupt file (RdbError) or an unreadable one (fs errors carry a code); anything else is a bug.
    if (!(err instanceof RdbError) && (err as NodeJS.ErrnoException).code === undefined) throw err;
    server.log.warning(`DEBUG RELOAD: ${(err as Error).message}`);
  }
  if (data === undefined) {
    c.out.error(loadError);
    return;
  }
  if (flush) {
    p.install(data);
  } else {
    for (let i = 0; i < data.dicts.length; i++) {
      const db = server.dbs[i]!;
      for (const key of data.dicts[i]!.keys()) {
        if (!merge && db.dict.has(key)) {
          server.log.warning(`DEBUG RELOAD NOFLUSH: duplicated key '${key}' found in RDB file`);
          c.out.error(loadError);
          return;
        }
      }
    }
    for (let i = 0; i < data.dicts.length; i++) {
      const db = server.dbs[i]!;
      const expires = data.expires[i]!;
      for (const [key, value] of data.dicts[i]!) {
        db.set(key, value);
        const when = expires.get(key);
        if (when !== undefined) db.setExpire(key, when);
      }
    }
  }
  server.log.warning('DB reloaded by DEBUG RELOAD');
  c.out.status('OK');
}

debugExtensions.set('reload', debugReload);

export const persistenceCommands: CommandSpec[] = [
  cmd('save', 1, ['admin', 'noscript', 'no_async_loading', 'no_multi'], NO_KEYS, 'server', save),
  cmd('bgsave', -1, ['admin', 'noscript', 'no_async_loading'], NO_KEYS, 'server', bgsave),
  cmd('lastsave', 1, ['loading', 'stale', 'fast'], NO_KEYS, 'server', lastsave, {
    acl: ['admin', 'dangerous'],
  }),
  cmd('dump', 2, ['readonly'], [1, 1, 1], 'generic', dump),
  cmd('restore', -4, ['write', 'denyoom'], [1, 1, 1], 'generic', restore, { acl: ['dangerous'] }),
];
