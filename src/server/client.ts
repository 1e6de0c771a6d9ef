import type { Socket } from 'node:net';
import type { Command } from '../commands/table.js';
import type { Database } from '../keyspace/db.js';
import type { ReplyWriter } from '../resp/reply-writer.js';
import { RequestParser } from '../resp/request-parser.js';
import type { Server } from './server.js';

/** A command queued between MULTI and EXEC. */
export interface QueuedCommand {
  cmd: Command;
  argv: string[];
}

/** Why and until when a client is blocked (BLPOP & co, WAIT, paused writes). */
export interface BlockState {
  /** Keys (in the client's db) whose readiness re-runs the command. */
  keys: readonly string[];
  /** Absolute ms; 0 = forever. */
  deadline: number;
  /** Replies on timeout (null array for BLPOP, etc.). */
  onTimeout: (c: Client) => void;
  /** Re-runs the command once `key` is ready (served from that key); returns false to keep waiting. */
  retry: (c: Client, key: string) => boolean;
  /** Called when the client is unblocked for any reason (served, timed out, killed). */
  cleanup?: () => void;
}

/** Client flags that CLIENT LIST shows, among other things. */
export interface ClientFlags {
  /** The connection to our master (on a replica): its commands are applied, never answered. */
  master: boolean;
  /** A replica connected to us (after SYNC/PSYNC). */
  replica: boolean;
  monitor: boolean;
  noEvict: boolean;
  closeAfterReply: boolean;
  closeAsap: boolean;
}

let nextClientId = 1;

/**
 * One connection. Commands get the client as their context (Redis's `client *c`): its database, its
 * reply stream (`c.out`), its protocol version and transaction state.
 */
export class Client {
  readonly id = nextClientId++;
  readonly parser = new RequestParser();
  /** Parsed requests not yet executed (pipelining; a blocked client keeps the rest here). */
  readonly queue: string[][] = [];
  queueHead = 0;
  db: Database;
  name = '';
  libName = '';
  libVer = '';
  resp: 2 | 3 = 2;
  authenticated: boolean;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  readonly flags: ClientFlags = {
    master: false,
    replica: false,
    monitor: false,
    noEvict: false,
    closeAfterReply: false,
    closeAsap: false,
  };

  /** MULTI state: undefined outside a transaction. */
  multi: QueuedCommand[] | undefined;
  /** A queued command was rejected: EXEC answers EXECABORT. */
  multiAborted = false;
  /** True while EXEC runs the queue: blocking commands must not block inside. */
  inExec = false;
  /** Keys this client WATCHes, as `dbId\0key`; a touch sets watchDirty. */
  readonly watched = new Set<string>();
  /** WATCHed keys that were already expired when watched: their later deletion does not count. */
  readonly watchedExpired = new Set<string>();
  watchDirty = false;

  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Sharded channels (SSUBSCRIBE), counted apart from the others in confirmations. */
  readonly shardChannels = new Set<string>();

  blocked: BlockState | undefined;
  /** The command was held back by CLIENT PAUSE / FAILOVER; resumed on unpause. */
  postponed = false;
  /** CLIENT REPLY OFF: no replies at all; SKIP: none for the command after it (replySkipNext). */
  replyOff = false;
  replySkip = false;
  replySkipNext = false;

  /**
   * What a write command propagates instead of its argv (Redis's rewriteClientCommandVector /
   * alsoPropagate): relative expiries become absolute, SPOP becomes SREM, and so on.
   */
  propagate: string[][] | undefined;

  /** Bytes handed to the socket and not yet written, for client-output-buffer-limit. */
  softLimitSince = 0;
  closed = false;

  /** Free-form per-role state owned by the replication module (replica bookkeeping on a master). */
  replicationState: unknown;
  /** Replication offset right after this client's last propagated write (WAIT waits for it). */
  woff = 0;

  constructor(
    readonly server: Server,
    readonly socket: Socket | undefined,
  ) {
    this.db = server.dbs[0]!;
    this.authenticated = !server.requiresAuth;
  }

  /** The reply stream for this client; switching streams flushes the previous client's replies. */
  get out(): ReplyWriter {
    return this.server.output.for(this);
  }

  get address(): string {
    const s = this.socket;
    return s ? `${s.remoteAddress?.replace(/^::ffff:/, '')}:${s.remotePort}` : '';
  }

  get localAddress(): string {
    const s = this.socket;
    return s ? `${s.localAddress?.replace(/^::ffff:/, '')}:${s.localPort}` : '';
  }

  /** Is subscribed to any channel or pattern: RESP2 clients may then only (un)subscribe and ping. */
  get inPubSub(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  /** Blocking commands inside MULTI/EXEC (or from the master stream) behave as if they timed out. */
  get canBlock(): boolean {
    return !this.inExec && !this.flags.master;
  }

  /** Delivers a finished slice of replies to the socket (or drops it for the master link). */
  deliver(data: Buffer): void {
    if (this.closed || this.flags.master || !this.socket) return;
    this.server.stats.netOutputBytes += data.length;
    this.socket.write(data);
    this.server.checkOutputLimits(this);
  }

  /** Bytes queued in the socket not yet written to the kernel. */
  get outputBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  selectDb(index: number): boolean {
    const db = this.server.dbs[index];
    if (!db) return false;
    this.db = db;
    return true;
  }

  /** Blocks the client; processCommand stops reading its queue until unblock(). */
  block(state: BlockState): void {
    this.blocked = state;
    this.server.blocking.add(this);
  }

  /** Closes after the pending replies are written. */
  closeAfterReply(): void {
    this.flags.closeAfterReply = true;
  }
}
