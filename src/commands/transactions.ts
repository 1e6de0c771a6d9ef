import type { Client } from '../server/client.js';
import { call } from '../server/process-command.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';

function multi(c: Client): void {
  if (c.multi !== undefined) {
    c.out.error('ERR MULTI calls can not be nested');
    return;
  }
  c.multi = [];
  c.multiAborted = false;
  c.out.status('OK');
}

function discard(c: Client): void {
  if (c.multi === undefined) {
    c.out.error('ERR DISCARD without MULTI');
    return;
  }
  endTransaction(c);
  c.out.status('OK');
}

function endTransaction(c: Client): void {
  c.multi = undefined;
  c.multiAborted = false;
  c.server.unwatchAll(c);
}

/**
 * EXEC: runs the queue atomically (nothing else runs in between in a single-threaded server), unless a
 * queued command was rejected (EXECABORT) or a WATCHed key changed (null reply).
 */
function exec(c: Client): void {
  const queued = c.multi;
  if (queued === undefined) {
    c.out.error('ERR EXEC without MULTI');
    return;
  }
  if (c.multiAborted) {
    endTransaction(c);
    c.out.error('EXECABORT Transaction discarded because of previous errors.');
    return;
  }
  if (c.watchDirty || c.server.watchedKeyExpired(c)) {
    endTransaction(c);
    c.out.nullArray();
    return;
  }
  c.multi = undefined;
  c.server.unwatchAll(c);
  c.out.arrayHeader(queued.length);
  c.inExec = true;
  try {
    for (const { cmd: command, argv } of queued) {
      const refused = command.write ? c.server.policyRejection(c, command) : undefined;
      if (refused !== undefined) c.out.error(refused);
      else call(c.server, c, command, argv);
    }
  } finally {
    c.inExec = false;
  }
  // EXEC itself is not propagated: its commands' effects are, wrapped in MULTI/EXEC when more than one.
  c.server.flushPropagation();
}

function watch(c: Client, argv: string[]): void {
  if (c.multi !== undefined) {
    c.out.error('ERR WATCH inside MULTI is not allowed');
    return;
  }
  for (let i = 1; i < argv.length; i++) c.server.watchKey(c, argv[i]!);
  c.out.status('OK');
}

function unwatch(c: Client): void {
  c.server.unwatchAll(c);
  c.out.status('OK');
}

export const transactionCommands: CommandSpec[] = [
  cmd('multi', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], NO_KEYS, 'transactions', multi),
  cmd('exec', 1, ['noscript', 'loading', 'stale', 'skip_slowlog'], NO_KEYS, 'transactions', exec),
  cmd('discard', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], NO_KEYS, 'transactions', discard),
  cmd('watch', -2, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], [1, -1, 1], 'transactions', watch),
  cmd('unwatch', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], NO_KEYS, 'transactions', unwatch),
];
