import { type CommandSpec, cmd, NO_KEYS } from '../commands/table.js';
import { Err, parseLong } from '../commands/util.js';
import type { Client } from '../server/client.js';
import { writeRole } from './info.js';
import { replicaInfo } from './master.js';
import { replicationOf } from './role.js';

/** REPLICAOF host port | NO ONE (and its old name SLAVEOF). */
function replicaof(c: Client, argv: string[]): void {
  const mgr = replicationOf(c.server);
  if (c.flags.replica) {
    c.out.error('ERR Command is not valid when client is a replica.');
    return;
  }
  if (mgr.failoverState !== 'no-failover') {
    c.out.error('ERR REPLICAOF not allowed while failing over.');
    return;
  }
  const host = argv[1]!;
  const port = parseLong(argv[2]!);
  const noOne = host.toLowerCase() === 'no' && argv[2]!.toLowerCase() === 'one';
  if (!noOne && (port === undefined || port < 0 || port > 65535)) {
    c.out.error('ERR Invalid master port');
    return;
  }
  // A fenced node (started without a role under the operator) gets its role now.
  if (c.server.fenced) c.server.config.set('fenced', ['no']);
  if (noOne) {
    if (mgr.isReplica) {
      mgr.promote(`user request from '${c.server.describeClient(c)}'`);
    }
    c.out.status('OK');
    return;
  }
  const link = mgr.link;
  if (link !== undefined && link.host.toLowerCase() === host.toLowerCase() && link.port === port!) {
    c.server.log.notice(
      'REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.',
    );
    c.out.status('OK Already connected to specified master');
    return;
  }
  mgr.replicaOf(host, port!, c);
  c.out.status('OK');
}

/**
 * REPLCONF <option> <value> ...: what a replica tells its master during the handshake (listening port,
 * announced ip, capabilities) and afterwards (ACK). ACK and GETACK are never answered.
 */
function replconf(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.out.error(Err.syntax);
    return;
  }
  const mgr = replicationOf(c.server);
  for (let i = 1; i < argv.length; i += 2) {
    const option = argv[i]!.toLowerCase();
    const value = argv[i + 1]!;
    switch (option) {
      case 'listening-port': {
        const port = parseLong(value);
        if (port === undefined) {
          c.out.error(Err.notInteger);
          return;
        }
        replicaInfo(c).listeningPort = port;
        break;
      }
      case 'ip-address':
        if (value.length >= 46) {
          c.out.error(
            `ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`,
          );
          return;
        }
        replicaInfo(c).announcedIp = value;
        break;
      case 'capa':
        if (value.toLowerCase() === 'eof') replicaInfo(c).capaEof = true;
        else if (value.toLowerCase() === 'psync2') replicaInfo(c).capaPsync2 = true;
        break;
      case 'ack': {
        // Only meaningful from an attached replica; never answered.
        if (!c.flags.replica) return;
        const offset = parseLong(value);
        if (offset !== undefined) mgr.master.ack(c, offset);
        return;
      }
      case 'getack':
        // From our master: answer with the offset processed before this very command.
        if (c.flags.master) mgr.link?.sendAck();
        return;
      case 'rdb-only':
      case 'rdb-filter-only':
        break;
      default:
        c.out.error(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
        return;
    }
  }
  c.out.status('OK');
}

function sync(c: Client, argv: string[]): void {
  if (c.server.fenced) {
    // A fenced node may have restarted empty: it must not hand that dataset to anyone.
    c.out.error(
      'NOMASTERLINK This node is fenced (no role assigned yet) and cannot serve a synchronization.',
    );
    return;
  }
  replicationOf(c.server).master.syncCommand(c, argv);
}

/** WAIT numreplicas timeout: blocks until that many replicas acknowledged this client's last write. */
function wait(c: Client, argv: string[]): void {
  const mgr = replicationOf(c.server);
  if (mgr.isReplica) {
    c.out.error(
      'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
    );
    return;
  }
  const numReplicas = parseLong(argv[1]!);
  if (numReplicas === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  const timeout = parseLong(argv[2]!);
  if (timeout === undefined) {
    c.out.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (timeout < 0) {
    c.out.error(Err.timeoutNegative);
    return;
  }
  mgr.master.wait(c, numReplicas, timeout);
}

function failover(c: Client, argv: string[]): void {
  replicationOf(c.server).failover.command(c, argv);
}

function role(c: Client): void {
  writeRole(c);
}

const replicaofFlags = ['admin', 'noscript', 'stale', 'no_async_loading'] as const;
const syncFlags = ['admin', 'noscript', 'no_async_loading', 'no_multi'] as const;

export const replicationCommands: CommandSpec[] = [
  cmd('replicaof', 3, replicaofFlags, NO_KEYS, 'server', replicaof),
  cmd('slaveof', 3, replicaofFlags, NO_KEYS, 'server', replicaof),
  cmd('replconf', -1, ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], NO_KEYS, 'server', replconf),
  cmd('psync', -3, syncFlags, NO_KEYS, 'server', sync),
  cmd('sync', 1, syncFlags, NO_KEYS, 'server', sync),
  cmd('wait', 3, ['noscript'], NO_KEYS, 'connection', wait),
  cmd('failover', -1, ['admin', 'noscript', 'stale'], NO_KEYS, 'server', failover),
  cmd('role', 1, ['noscript', 'loading', 'stale', 'fast'], NO_KEYS, 'server', role, {
    acl: ['admin', 'dangerous'],
  }),
];
