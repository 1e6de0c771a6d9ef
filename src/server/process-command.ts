import type { Command } from '../commands/table.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

/** Commands that run immediately even inside MULTI (the rest are queued). */
const MULTI_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** What a RESP2 client in subscriber mode may still send. */
const PUBSUB_ALLOWED = new Set([
  'ping',
  'subscribe',
  'ssubscribe',
  'unsubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'quit',
  'reset',
]);

/**
 * The single choke point every request goes through (Redis's processCommand): lookup, arity, auth,
 * transaction queueing, pub/sub context, replication and memory policy, then call().
 */
export function processCommand(server: Server, c: Client, argv: string[]): void {
  if (!server.clockHeld) server.updateClock();
  // CLIENT REPLY SKIP silences exactly the command after it, whatever becomes of that command.
  c.replySkip = c.replySkipNext;
  c.replySkipNext = false;
  const name = argv[0]!;
  let cmd = server.lookupCommand(name);
  if (cmd === undefined) {
    reject(c, unknownCommandError(name, argv));
    return;
  }
  if (cmd.subcommands !== undefined && argv.length >= 2) {
    const sub = cmd.subcommands.get(argv[1]!.toLowerCase());
    if (sub === undefined) {
      if (cmd.spec.handler === undefined || argv[1]!.toLowerCase() !== 'help') {
        reject(c, `ERR unknown subcommand '${truncate(argv[1]!)}'. Try ${cmd.name.toUpperCase()} HELP.`);
        return;
      }
    } else {
      cmd = sub;
    }
  }
  const arity = cmd.spec.arity;
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
    reject(c, `ERR wrong number of arguments for '${cmd.fullName}' command`, cmd);
    return;
  }
  if (!c.authenticated && !cmd.noAuth) {
    reject(c, 'NOAUTH Authentication required.', cmd);
    return;
  }
  if (c.multi !== undefined && cmd.noMulti) {
    reject(c, 'ERR Command not allowed inside a transaction', cmd);
    return;
  }
  const policy = server.policyRejection(c, cmd);
  if (policy !== undefined) {
    reject(c, policy, cmd);
    return;
  }
  if (c.resp === 2 && c.inPubSub && !PUBSUB_ALLOWED.has(cmd.parent?.name ?? cmd.name)) {
    reject(
      c,
      `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    return;
  }
  if (c.flags.replica && (cmd.write || cmd.mayReplicate || cmd.spec.flags.includes('readonly'))) {
    reject(c, "ERR Replica can't interact with the keyspace", cmd);
    return;
  }
  if (!c.flags.replica && !c.flags.master && server.isPaused(cmd)) {
    // Held back until the pause ends (CLIENT PAUSE, FAILOVER): the request stays first in the queue.
    c.queue[--c.queueHead] = argv;
    c.postponed = true;
    server.postponed.add(c);
    return;
  }
  if (c.multi !== undefined && !MULTI_CONTROL.has(cmd.name)) {
    c.multi.push({ cmd, argv });
    c.out.status('QUEUED');
    return;
  }
  call(server, c, cmd, argv);
  // As in Redis 7.0, clients blocked on keys this command made ready are served before the next command.
  if (server.blocking.hasReadyKeys) server.serveBlockedClients();
}

/**
 * Executes a command and does the bookkeeping around it: stats, slow log, MONITOR, and propagation of
 * its effects (only when it changed something).
 */
export function call(server: Server, c: Client, cmd: Command, argv: string[]): void {
  const dirtyBefore = server.dirty;
  const offsetBefore = server.replication.offset;
  c.propagate = undefined;
  c.lastCommand = cmd.fullName;
  if (server.monitors.size > 0 && !cmd.skipMonitor && !cmd.admin) server.feedMonitors(c, argv);
  const errorsBefore = server.stats.errorReplies;
  const start = performance.now();
  const previousClient = server.currentClient;
  server.currentClient = c;
  try {
    cmd.spec.handler(c, argv);
  } finally {
    server.currentClient = previousClient;
  }
  const usec = Math.round((performance.now() - start) * 1000);
  cmd.calls++;
  if (server.stats.errorReplies !== errorsBefore) cmd.failedCalls++;
  cmd.usec += usec;
  server.stats.commandsProcessed++;
  if (!cmd.skipSlowlog) server.slowlog.consider(c, argv, usec);
  if (server.dirty !== dirtyBefore && !c.flags.master) {
    // The handler may have set c.propagate (TypeScript cannot see through the call).
    const rewritten = c.propagate as string[][] | undefined;
    if (rewritten !== undefined) {
      for (const op of rewritten) server.propagate(c.db.id, op);
    } else if (cmd.write || cmd.mayReplicate) {
      server.propagate(c.db.id, argv);
    }
  }
  c.propagate = undefined;
  // A command inside EXEC leaves propagation to EXEC, which wraps the whole transaction.
  if (!c.inExec) server.flushPropagation();
  if (server.replication.offset !== offsetBefore) c.woff = server.replication.offset;
}

/**
 * Replies with an error and, inside MULTI, dooms the transaction (EXECABORT). The error reply itself
 * counts in INFO errorstats; a known command also counts it as rejected_calls in commandstats.
 */
function reject(c: Client, message: string, cmd?: Command): void {
  if (c.multi !== undefined) c.multiAborted = true;
  if (cmd !== undefined) cmd.rejectedCalls++;
  c.out.error(message);
}

function unknownCommandError(name: string, argv: string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++)
    args += `'${truncate(argv[i]!, 128 - args.length)}' `;
  return `ERR unknown command '${truncate(name)}', with args beginning with: ${args}`;
}

function truncate(s: string, n = 128): string {
  return s.length > n ? s.slice(0, n) : s;
}

export type { Command };
