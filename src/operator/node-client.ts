import { connect, type Socket } from 'node:net';
import { encodeCommand, RespError, type RespValue, RespValueParser } from '../resp/value-parser.js';

/**
 * A minimal Redis client for the operator: one connection, one command at a time, hard timeouts. It
 * reuses the server's RESP codec, so it needs no third-party client in the operator image.
 */
export class NodeClient {
  private readonly parser = new RespValueParser();
  private waiting: { resolve: (v: RespValue) => void; reject: (e: Error) => void } | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const value of this.parser.feed(chunk)) {
          const w = this.waiting;
          this.waiting = undefined;
          w?.resolve(value);
        }
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static async connect(
    host: string,
    port: number,
    timeoutMs: number,
    password?: string,
  ): Promise<NodeClient> {
    const socket = connect({ host, port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const client = new NodeClient(socket);
    if (password) await client.command(['AUTH', password], timeoutMs);
    return client;
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  /** Sends one command; an error reply rejects with its text. */
  async command(argv: string[], timeoutMs: number): Promise<RespValue> {
    if (this.closedError) throw this.closedError;
    if (this.waiting) throw new Error('NodeClient runs one command at a time');
    const reply = new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.socket.destroy();
        reject(new Error(`${argv[0]} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    this.socket.write(encodeCommand(argv));
    const value = await reply;
    if (value instanceof RespError) throw new Error(value.message);
    return value;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** What the operator needs to know about one server, from INFO replication and CONFIG GET fenced. */
export interface NodeState {
  role: 'master' | 'replica';
  fenced: boolean;
  masterHost?: string;
  masterPort?: number;
  linkUp?: boolean;
  linkDownForSec?: number;
  /** master_repl_offset on a master; slave_repl_offset (processed) on a replica. */
  offset: number;
  replid: string;
  connectedReplicas: number;
}

export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

export async function readNodeState(client: NodeClient, timeoutMs: number): Promise<NodeState> {
  const info = parseInfo(String(await client.command(['INFO', 'replication'], timeoutMs)));
  const fencedReply = await client.command(['CONFIG', 'GET', 'fenced'], timeoutMs);
  const fenced = Array.isArray(fencedReply) && fencedReply[1] === 'yes';
  const isReplica = info.get('role') === 'slave';
  return {
    role: isReplica ? 'replica' : 'master',
    fenced,
    masterHost: isReplica ? info.get('master_host') : undefined,
    masterPort: isReplica ? Number(info.get('master_port')) : undefined,
    linkUp: isReplica ? info.get('master_link_status') === 'up' : undefined,
    linkDownForSec: isReplica ? Number(info.get('master_link_down_since_seconds') ?? 0) || 0 : undefined,
    offset: Number(isReplica ? (info.get('slave_repl_offset') ?? 0) : (info.get('master_repl_offset') ?? 0)),
    replid: info.get('master_replid') ?? '',
    connectedReplicas: Number(info.get('connected_slaves') ?? 0),
  };
}
