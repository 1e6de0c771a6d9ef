import { Config } from '../../src/config/config.js';
import { Logger } from '../../src/log.js';
import { type PropagatedOp, Server } from '../../src/server/server.js';
import { RespClient, show } from './resp-client.js';

/**
 * An in-process server whose clock the test sets (TTL arithmetic becomes exact), a raw RESP client
 * to it, and a record of what it propagates to replicas.
 */
export interface ClockedServer {
  server: Server;
  port: number;
  client: RespClient;
  /** The server's notion of now, in ms; tests move it forward to expire keys. */
  now: number;
  /** Every op handed to replication, in order (MULTI/EXEC wrappers included). */
  propagated: PropagatedOp[];
  /** Sends a command and renders the reply with `show` ("+OK", ":1", "\"bulk\"", "nil", "[...]"). */
  cmd(...args: (string | number)[]): Promise<string>;
  /** Propagated ops since the last call, each as a space-joined argv. */
  takePropagated(): string[];
  /** Empties every database and the propagation record. */
  reset(): void;
  close(): Promise<void>;
}

export const START_MS = 1_700_000_000_000;

export async function startClockedServer(directives: Record<string, string> = {}): Promise<ClockedServer> {
  const config = new Config();
  for (const [name, value] of Object.entries(directives)) config.set(name, [value], 'file');
  const log = new Logger({ level: 'warning', file: '', format: 'redis', sink: () => {} });
  const state = { now: START_MS };
  const server = new Server({ config, log, clock: () => state.now });
  const port = await server.listen(0, '127.0.0.1');
  const propagated: PropagatedOp[] = [];
  const replication = server.replication;
  const feed = replication.feed.bind(replication);
  // Record what would be propagated even with no replica attached.
  Object.defineProperty(replication, 'feeding', { get: () => true });
  replication.feed = (ops: readonly PropagatedOp[]) => {
    propagated.push(...ops);
    feed(ops);
  };
  const client = await RespClient.connect(port);
  let taken = 0;
  const handle: ClockedServer = {
    server,
    port,
    client,
    get now() {
      return state.now;
    },
    set now(v: number) {
      state.now = v;
    },
    propagated,
    async cmd(...args) {
      return show(await client.call(...args));
    },
    takePropagated() {
      const out = propagated.slice(taken).map((op) => op.argv.join(' '));
      taken = propagated.length;
      return out;
    },
    reset() {
      for (const db of server.dbs) db.clear();
      propagated.length = 0;
      taken = 0;
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
  return handle;
}
