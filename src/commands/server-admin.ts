import type { Client } from '../server/client.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err } from './util.js';

/** TIME, MONITOR and SHUTDOWN. */

/** TIME: [unix seconds, microseconds] as bulk strings, from the command's cached clock. */
function time(c: Client): void {
  const ms = c.server.now();
  c.out.arrayHeader(2);
  c.out.bulk(String(Math.floor(ms / 1000)));
  c.out.bulk(String((ms % 1000) * 1000));
}

/** MONITOR: from now on the client receives every command the server executes. */
function monitor(c: Client): void {
  if (c.inExec) {
    c.out.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  if (c.flags.replica || c.flags.monitor) return;
  c.flags.monitor = true;
  c.server.monitors.add(c);
  c.out.status('OK');
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success there is no reply: the server closes every
 * connection and asks the process to exit. If a shutdown hook fails (a save that cannot be written),
 * the server keeps running and the caller gets an error, unless FORCE says to exit regardless.
 */
function shutdown(c: Client, argv: string[]): void {
  let save: boolean | undefined;
  let force = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    if (opt === 'nosave' && save === undefined) save = false;
    else if (opt === 'save' && save === undefined) save = true;
    else if (opt === 'force') force = true;
    else if (opt === 'now') {
      // No replica wait to skip: shutdown never waits for replicas here.
    } else if (opt === 'abort') abort = true;
    else {
      c.out.error(Err.syntax);
      return;
    }
  }
  if (abort) {
    if (argv.length !== 2) c.out.error(Err.syntax);
    else c.out.error('ERR No shutdown in progress.');
    return;
  }
  const server = c.server;
  if (server.shuttingDown) return;
  server.shutdown({ save }).then(
    () => server.onShutdownRequested?.(0),
    async (err: unknown) => {
      server.log.warning(`Error trying to shut down: ${(err as Error).message}`);
      if (force) {
        await server.close();
        server.onShutdownRequested?.(0);
        return;
      }
      server.log.warning('Errors trying to SHUTDOWN. Check logs.');
      if (!c.closed) {
        c.out.error('ERR Errors trying to SHUTDOWN. Check logs.');
        server.output.flush();
      }
    },
  );
}

export const serverAdminCommands: CommandSpec[] = [
  cmd('time', 1, ['loading', 'stale', 'fast'], NO_KEYS, 'server', time),
  cmd('monitor', 1, ['admin', 'noscript', 'loading', 'stale'], NO_KEYS, 'server', monitor),
  cmd(
    'shutdown',
    -1,
    ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    NO_KEYS,
    'server',
    shutdown,
  ),
];
