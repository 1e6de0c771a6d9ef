import type { Socket } from 'node:net';
import { Config } from '../../src/config/config.js';
import { Logger } from '../../src/log.js';
import type { Client } from '../../src/server/client.js';
import { processCommand } from '../../src/server/process-command.js';
import { type PropagatedOp, type ReplicationRole, Server } from '../../src/server/server.js';

/**
 * An in-process server without sockets, for unit tests that need an injected clock and want to see
 * replies and the replication stream: `run('SET', 'k', 'v')` executes one command through
 * processCommand (policy checks included) and returns its raw RESP reply.
 */
export interface LocalServer {
  server: Server;
  /** The controllable time, in ms since the epoch. */
  clock: { now: number };
  /** Every op fed to replication, in order, as space-joined argv (`DEL k`). */
  fed: string[];
  /** When true, the server behaves as a replica (no expiry, no eviction). */
  replica: { value: boolean };
  run(...argv: string[]): string;
  client: Client;
}

export function startLocalServer(
  directives: Record<string, string> = {},
  startMs = 1_700_000_000_000,
): LocalServer {
  const config = new Config();
  for (const [name, value] of Object.entries(directives)) config.set(name, [value], 'file');
  const log = new Logger({ level: 'warning', file: '', format: 'redis', sink: () => {} });
  const clock = { now: startMs };
  const server = new Server({ config, log, clock: () => clock.now });
  server.updateClock();
  const fed: string[] = [];
  const replica = { value: false };
  const role: ReplicationRole = {
    get isReplica() {
      return replica.value;
    },
    feeding: true,
    feed(ops: readonly PropagatedOp[]) {
      for (const op of ops) fed.push(op.argv.join(' '));
    },
    rejectReason: () => undefined,
    cron() {},
    clientClosed() {},
    async shutdown() {},
  };
  server.replication = role;
  let replies: Buffer[] = [];
  const socket = {
    write(data: Buffer) {
      replies.push(Buffer.from(data));
      return true;
    },
    writableLength: 0,
    destroyed: false,
    destroy() {},
    end() {},
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localAddress: '127.0.0.1',
    localPort: 2,
  } as unknown as Socket;
  const client = server.createClient(socket);
  return {
    server,
    clock,
    fed,
    replica,
    client,
    run(...argv: string[]): string {
      replies = [];
      processCommand(server, client, argv);
      server.endTurn();
      return Buffer.concat(replies).toString('latin1');
    },
  };
}
