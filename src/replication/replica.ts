import { connect, type Socket } from 'node:net';
import type { RedisValue } from '../keyspace/values.js';
import { RdbStreamLoader } from '../rdb/reader.js';
import type { Client } from '../server/client.js';
import { processCommand } from '../server/process-command.js';
import { encodeCommand } from './resp.js';
import type { ReplicationManager } from './role.js';
import { StreamParser, StreamProtocolError } from './stream-parser.js';

/** Redis's repl_state, minus the send states (we write a request and its reply state in one go). */
export type LinkState =
  | 'connect'
  | 'connecting'
  | 'receive_pong'
  | 'receive_auth'
  | 'receive_port'
  | 'receive_ip'
  | 'receive_capa'
  | 'receive_psync'
  | 'transfer'
  | 'connected';

/** A full sync being received: the RDB is parsed as it arrives into fresh databases. */
class Transfer {
  /** `$EOF:<mark>` transfers end with the mark; `$<len>` ones after `expected` bytes. */
  eofMark: string | undefined;
  expected = -1;
  received = 0;
  headerSeen = false;
  private tail: Buffer = Buffer.alloc(0);
  readonly dicts: Map<string, RedisValue>[] = [];
  readonly expires: Map<string, number>[] = [];
  readonly aux = new Map<string, string>();
  readonly loader: RdbStreamLoader;

  constructor(
    databases: number,
    readonly replid: string,
    readonly offset: number,
    private readonly onAux: (key: string, value: string) => void,
  ) {
    for (let i = 0; i < databases; i++) {
      this.dicts.push(new Map());
      this.expires.push(new Map());
    }
    this.loader = new RdbStreamLoader(
      {
        aux: (key, value) => {
          this.aux.set(key, value);
          this.onAux(key, value);
        },
        entry: (db, key, value, expireAtMs) => {
          // Replicas keep keys whose TTL already passed: the master's DEL will come.
          this.dicts[db]!.set(key, value);
          if (expireAtMs !== undefined) this.expires[db]!.set(key, expireAtMs);
        },
      },
      { databases },
    );
  }

  /** Feeds payload bytes; returns the bytes that follow the payload once it is complete, else undefined. */
  push(chunk: Buffer): Buffer | undefined {
    if (this.eofMark === undefined) {
      const take = Math.min(chunk.length, this.expected - this.received);
      this.loader.push(chunk.subarray(0, take));
      this.received += take;
      return this.received === this.expected ? chunk.subarray(take) : undefined;
    }
    this.loader.push(chunk);
    this.received += chunk.length;
    const joined = this.tail.length + chunk.length <= 80 ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - 40)));
    return this.tail.length === 40 && this.tail.latin1Slice(0, 40) === this.eofMark
      ? Buffer.alloc(0)
      : undefined;
  }
}

/**
 * Our link to a master (Redis's server.master / repl_state machine): connect, handshake, PSYNC, receive
 * a full sync or continue partially, then apply the stream through the normal command path with a
 * `master` client and forward it to our own backlog and sub-replicas. Reconnects after any failure.
 */
export class MasterLink {
  state: LinkState = 'connect';
  private socket: Socket | undefined;
  private inbuf: Buffer = Buffer.alloc(0);
  masterClient: Client | undefined;
  /** Last time we heard from the master (ms). */
  lastIo = 0;
  private attemptStart = 0;
  /** When the link went down (ms); 0 if it was never up. */
  downSince = 0;
  private closed = false;
  private transfer: Transfer | undefined;
  private parser = new StreamParser();
  /** Raw bytes of the command(s) applied but not committed yet (a MULTI waits for its EXEC). */
  private uncommitted: Buffer[] = [];
  /** slave_read_repl_offset: offset of the last byte read from the master. */
  readOffset = 0;
  private syncFallback = false;

  constructor(
    private readonly mgr: ReplicationManager,
    readonly host: string,
    readonly port: number,
  ) {}

  private get server() {
    return this.mgr.server;
  }
  private get log() {
    return this.mgr.server.log;
  }

  get isConnected(): boolean {
    return this.state === 'connected';
  }

  /** ROLE's state names. */
  get roleState(): string {
    switch (this.state) {
      case 'connect':
      case 'connecting':
      case 'connected':
        return this.state;
      case 'transfer':
        return 'sync';
      default:
        return 'handshake';
    }
  }

  get inHandshake(): boolean {
    return this.state.startsWith('receive_') || this.state === 'connecting';
  }

  /** Bytes of the full sync received so far and expected (-1 when EOF-delimited), during TRANSFER. */
  get transferProgress(): { total: number; read: number } | undefined {
    return this.transfer ? { total: this.transfer.expected, read: this.transfer.received } : undefined;
  }

  connectNow(verb = 'Connecting'): void {
    if (this.closed) return;
    this.log.notice(`${verb} to MASTER ${this.host}:${this.port}`);
    this.state = 'connecting';
    this.attemptStart = Date.now();
    this.inbuf = Buffer.alloc(0);
    this.syncFallback = false;
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.log.notice('MASTER <-> REPLICA sync started');
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.log.notice('Non blocking connect for SYNC fired the event.');
      this.lastIo = Date.now();
      this.state = 'receive_pong';
      socket.write(encodeCommand(['PING']));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.lastIo = Date.now();
      try {
        this.onData(chunk);
      } catch (err) {
        this.log.warning(`Replication error: ${(err as Error).message}`);
        // The stream can no longer be trusted from this point: no cached master, a new sync.
        if (this.state === 'connected') this.dropLink(false);
        else this.fail();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      if (this.state === 'connecting') {
        this.log.warning(`Error condition on socket for SYNC: ${describeError(err)}`);
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      if (this.state === 'connected') {
        if (this.masterClient) this.server.freeClient(this.masterClient);
        return;
      }
      if (this.state === 'transfer')
        this.log.warning('I/O error trying to sync with MASTER: connection lost');
      else if (this.state !== 'connecting')
        this.log.warning('Master closed the connection during the SYNC handshake');
      this.fail();
    });
  }

  /** Abandons the current attempt; the cron reconnects within a second. */
  private fail(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.transfer = undefined;
    this.state = 'connect';
    socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'connected') {
      this.applyStream(chunk);
      return;
    }
    if (this.state === 'transfer' && this.transfer?.headerSeen) {
      this.pushPayload(chunk);
      return;
    }
    this.inbuf = this.inbuf.length === 0 ? chunk : Buffer.concat([this.inbuf, chunk]);
    this.processHandshake();
  }

  private readLine(): string | undefined {
    const nl = this.inbuf.indexOf(10);
    if (nl === -1) {
      if (this.inbuf.length > 64 * 1024) throw new Error('Master sent a too long line during the handshake');
      return undefined;
    }
    const end = nl > 0 && this.inbuf[nl - 1] === 13 ? nl - 1 : nl;
    const line = this.inbuf.latin1Slice(0, end);
    this.inbuf = this.inbuf.subarray(nl + 1);
    return line;
  }

  private send(argv: string[]): void {
    this.socket?.write(encodeCommand(argv));
  }

  private processHandshake(): void {
    while (this.socket !== undefined) {
      if (this.state === 'transfer') {
        this.transferHeader();
        return;
      }
      if (this.state === 'connected') {
        const rest = this.inbuf;
        this.inbuf = Buffer.alloc(0);
        if (rest.length > 0) this.applyStream(rest);
        return;
      }
      const line = this.readLine();
      if (line === undefined) return;
      this.handshakeReply(line);
    }
  }

  private handshakeReply(line: string): void {
    const cfg = this.server.config;
    switch (this.state) {
      case 'receive_pong': {
        if (
          line.startsWith('-') &&
          !line.startsWith('-NOAUTH') &&
          !line.startsWith('-NOPERM') &&
          !line.startsWith('-ERR operation not permitted')
        ) {
          this.log.warning(`Error reply to PING from master: '${line}'`);
          this.fail();
          return;
        }
        this.log.notice('Master replied to PING, replication can continue...');
        // The rest of the handshake goes out in one batch; replies are read in order.
        const auth = cfg.str('masterauth');
        const user = cfg.str('masteruser');
        if (auth !== '') this.send(user !== '' ? ['AUTH', user, auth] : ['AUTH', auth]);
        const port = cfg.num('replica-announce-port') || this.server.port;
        this.send(['REPLCONF', 'listening-port', String(port)]);
        const ip = cfg.str('replica-announce-ip');
        if (ip !== '') this.send(['REPLCONF', 'ip-address', ip]);
        this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
        this.state = auth !== '' ? 'receive_auth' : 'receive_port';
        return;
      }
      case 'receive_auth':
        if (line.startsWith('-')) {
          this.log.warning(`Unable to AUTH to MASTER: ${line}`);
          this.fail();
          return;
        }
        this.state = 'receive_port';
        return;
      case 'receive_port':
        if (line.startsWith('-')) {
          this.log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${line}`);
        }
        this.state = cfg.str('replica-announce-ip') !== '' ? 'receive_ip' : 'receive_capa';
        return;
      case 'receive_ip':
        if (line.startsWith('-')) {
          this.log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${line}`);
        }
        this.state = 'receive_capa';
        return;
      case 'receive_capa':
        if (line.startsWith('-'))
          this.log.notice(`(Non critical) Master does not understand REPLCONF capa: ${line}`);
        this.sendPsync();
        return;
      case 'receive_psync':
        this.psyncReply(line);
        return;
      default:
        return;
    }
  }

  private sendPsync(): void {
    const cached = this.mgr.cachedMaster;
    if (cached !== undefined) {
      const offset = cached.offset + 1;
      this.log.notice(`Trying a partial resynchronization (request ${cached.replid}:${offset}).`);
      // During FAILOVER the target must promote itself and continue our history.
      const failover = this.mgr.failoverState === 'failover-in-progress' ? ['FAILOVER'] : [];
      this.send(['PSYNC', cached.replid, String(offset), ...failover]);
    } else {
      this.log.notice('Partial resynchronization not possible (no cached master)');
      this.send(['PSYNC', '?', '-1']);
    }
    this.state = 'receive_psync';
  }

  private psyncReply(line: string): void {
    if (line === '') return; // keepalive while the master prepares the snapshot
    if (line.startsWith('+FULLRESYNC')) {
      const parts = line.split(' ');
      let replid = parts[1] ?? '';
      const offset = Number(parts[2]);
      if (replid.length !== 40 || !Number.isSafeInteger(offset)) {
        this.log.warning('Master replied with wrong +FULLRESYNC syntax.');
        replid = '';
      }
      this.log.notice(`Full resync from master: ${replid}:${offset}`);
      this.mgr.failover.psyncResult(true);
      this.beginTransfer(replid, Number.isSafeInteger(offset) ? offset : 0);
      return;
    }
    if (line.startsWith('+CONTINUE')) {
      this.mgr.failover.psyncResult(true);
      this.partialAccepted(line.slice('+CONTINUE'.length).trim());
      return;
    }
    if (this.mgr.failoverState === 'failover-in-progress') {
      this.log.warning(`Failover target rejected our PSYNC: ${line}`);
      this.fail();
      this.mgr.failover.psyncResult(false);
      return;
    }
    if (line.startsWith('-NOMASTERLINK') || line.startsWith('-LOADING')) {
      this.log.notice(`Master is currently unable to PSYNC but should be in the future: ${line}`);
      this.fail();
      return;
    }
    if (line.startsWith('-ERR')) {
      this.log.warning(`Master does not support PSYNC or is in error state (reply: ${line})`);
    } else {
      this.log.warning(`Unexpected reply to PSYNC from master: ${line}`);
    }
    this.log.notice('Retrying with SYNC...');
    this.socket?.write('SYNC\r\n');
    this.syncFallback = true;
    this.beginTransfer('', 0);
  }

  private beginTransfer(replid: string, offset: number): void {
    this.state = 'transfer';
    this.transfer = new Transfer(this.server.dbs.length, replid, offset, (key, value) =>
      this.logAux(key, value),
    );
  }

  private logAux(key: string, value: string): void {
    if (key === 'redis-ver') this.log.notice(`Loading RDB produced by version ${value}`);
    else if (key === 'ctime') {
      const age = Math.max(0, Math.floor(Date.now() / 1000) - Number(value));
      this.log.notice(`RDB age ${age} seconds`);
    } else if (key === 'used-mem') {
      this.log.notice(`RDB memory usage when created ${(Number(value) / 1024 / 1024).toFixed(2)} Mb`);
    }
  }

  /** Reads the `$<len>` / `$EOF:<mark>` line that starts the payload (keepalive newlines may precede). */
  private transferHeader(): void {
    const t = this.transfer!;
    for (;;) {
      const line = this.readLine();
      if (line === undefined) return;
      if (line === '') continue;
      if (line.startsWith('-')) {
        this.log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
        this.fail();
        return;
      }
      if (!line.startsWith('$')) {
        this.log.warning(
          `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
        );
        this.fail();
        return;
      }
      const target = this.server.config.str('repl-diskless-load') === 'disabled' ? 'disk' : 'parser';
      if (line.startsWith('$EOF:') && line.length === 5 + 40) {
        t.eofMark = line.slice(5);
        this.log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to ${target}`);
      } else {
        const len = Number(line.slice(1));
        if (!Number.isSafeInteger(len) || len < 0) {
          this.log.warning(`Bad protocol from MASTER, invalid bulk length '${line}'`);
          this.fail();
          return;
        }
        t.expected = len;
        this.log.notice(`MASTER <-> REPLICA sync: receiving ${len} bytes from master to ${target}`);
      }
      t.headerSeen = true;
      if (this.mgr.cachedMaster !== undefined) {
        this.log.notice('Discarding previously cached master state.');
        this.mgr.cachedMaster = undefined;
      }
      this.log.notice('MASTER <-> REPLICA sync: Flushing old data');
      this.log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
      const rest = this.inbuf;
      this.inbuf = Buffer.alloc(0);
      if (rest.length > 0) this.pushPayload(rest);
      return;
    }
  }

  private pushPayload(chunk: Buffer): void {
    const t = this.transfer!;
    let rest: Buffer | undefined;
    try {
      rest = t.push(chunk);
      if (rest === undefined) return;
      t.loader.end();
    } catch (err) {
      this.log.warning(
        `Failed trying to load the MASTER synchronization DB from socket: ${(err as Error).message}`,
      );
      this.fail();
      return;
    }
    this.fullSyncLoaded(t);
    if (rest.length > 0) this.applyStream(rest);
  }

  /** The RDB loaded completely and its checksum matched: swap it in and start following the stream. */
  private fullSyncLoaded(t: Transfer): void {
    const mgr = this.mgr;
    const server = this.server;
    // Our own history ends here: sub-replicas must resync with us, the backlog restarts.
    mgr.master.disconnectReplicas();
    let keys = 0;
    for (let i = 0; i < server.dbs.length; i++) {
      const db = server.dbs[i]!;
      db.dict = t.dicts[i]!;
      db.expires = t.expires[i]!;
      keys += db.dict.size;
    }
    server.modifiedAll();
    server.dirty++;
    this.log.notice(`Done loading RDB, keys loaded: ${keys}, keys expired: 0.`);
    mgr.replid = this.syncFallback ? (t.aux.get('repl-id') ?? mgr.replid) : t.replid;
    mgr.masterReplOffset = this.syncFallback ? Number(t.aux.get('repl-offset') ?? 0) : t.offset;
    mgr.clearReplid2();
    mgr.createBacklog();
    const streamDb = Number(t.aux.get('repl-stream-db') ?? 0);
    this.transfer = undefined;
    this.startStreaming(
      Number.isInteger(streamDb) && streamDb >= 0 && streamDb < server.dbs.length ? streamDb : 0,
    );
    this.log.notice('MASTER <-> REPLICA sync: Finished with success');
    // A diskless master waits for this first ACK before it streams anything.
    if (t.eofMark !== undefined) this.sendAck();
  }

  private partialAccepted(newId: string): void {
    const mgr = this.mgr;
    const cached = mgr.cachedMaster!;
    this.log.notice('Successful partial resynchronization with master.');
    if (newId.length === 40 && newId !== cached.replid) {
      this.log.warning(`Master replication ID changed to ${newId}`);
      mgr.replid2 = cached.replid;
      mgr.secondReplidOffset = mgr.masterReplOffset + 1;
      mgr.replid = newId;
      // Sub-replicas must learn the new id: they reconnect and continue via replid2.
      mgr.master.disconnectReplicas();
    }
    this.log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
    if (mgr.backlog === undefined) mgr.createBacklog();
    mgr.cachedMaster = undefined;
    this.startStreaming(cached.db);
  }

  private startStreaming(db: number): void {
    const socket = this.socket!;
    const c = this.server.createClient(socket);
    c.flags.master = true;
    c.authenticated = true;
    c.selectDb(db);
    this.masterClient = c;
    this.parser = new StreamParser();
    this.uncommitted = [];
    this.readOffset = this.mgr.masterReplOffset;
    this.state = 'connected';
    this.downSince = 0;
    this.lastIo = Date.now();
  }

  /** Applies the master's commands; the offset advances per complete command (a MULTI at its EXEC). */
  private applyStream(chunk: Buffer): void {
    const c = this.masterClient!;
    const server = this.server;
    this.readOffset += chunk.length;
    this.parser.push(chunk);
    for (;;) {
      let next: ReturnType<StreamParser['next']>;
      try {
        next = this.parser.next();
      } catch (err) {
        if (!(err instanceof StreamProtocolError)) throw err;
        this.log.warning(
          `WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master. (${err.message})`,
        );
        this.dropLink(false);
        return;
      }
      if (next === undefined) break;
      this.uncommitted.push(next.raw);
      if (next.argv.length > 0) processCommand(server, c, next.argv);
      if (c.closed || this.masterClient !== c) return;
      if (c.multi === undefined) this.commit();
    }
    server.endTurn();
  }

  private commit(): void {
    const parts = this.uncommitted;
    if (parts.length === 0) return;
    this.uncommitted = [];
    this.mgr.appendStream(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }

  sendAck(): void {
    if (this.state !== 'connected') return;
    this.socket?.write(encodeCommand(['REPLCONF', 'ACK', String(this.mgr.masterReplOffset)]));
  }

  cron(now: number): void {
    const timeoutMs = this.server.config.num('repl-timeout') * 1000;
    if (this.state === 'connect') {
      this.connectNow();
    } else if (this.inHandshake) {
      if (now - this.attemptStart > timeoutMs) {
        this.log.warning('Timeout connecting to the MASTER...');
        this.fail();
      }
    } else if (this.state === 'transfer') {
      if (now - this.lastIo > timeoutMs) {
        this.log.warning(
          "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
        );
        this.fail();
      }
    } else if (this.state === 'connected') {
      if (now - this.lastIo > timeoutMs) {
        this.log.warning('MASTER timeout: no data nor PING received...');
        if (this.masterClient) this.server.freeClient(this.masterClient);
        return;
      }
      this.sendAck();
    }
  }

  /** The master client was freed (link error, timeout, CLIENT KILL TYPE master). */
  masterClientClosed(c: Client): void {
    if (c !== this.masterClient) return;
    if (this.closed) {
      this.masterClient = undefined;
      return;
    }
    this.dropLink(true);
  }

  /** The established link is gone: keep what PSYNC needs (unless told not to) and reconnect at once. */
  private dropLink(cache: boolean): void {
    const c = this.masterClient;
    this.log.warning('Connection with master lost.');
    const db = c?.db.id ?? 0;
    if (cache) {
      this.log.notice('Caching the disconnected master state.');
      this.mgr.cachedMaster = { replid: this.mgr.replid, offset: this.mgr.masterReplOffset, db };
    } else {
      this.mgr.cachedMaster = undefined;
    }
    this.uncommitted = [];
    this.masterClient = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.state = 'connect';
    this.downSince = Date.now();
    if (c && !c.closed) this.server.freeClient(c);
    socket?.destroy();
    this.connectNow('Reconnecting');
  }

  /** Ends the link for good (REPLICAOF elsewhere / NO ONE, shutdown), caching the master if connected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.masterClient;
    if (c !== undefined && this.state === 'connected') {
      this.mgr.cachedMaster = { replid: this.mgr.replid, offset: this.mgr.masterReplOffset, db: c.db.id };
    }
    this.masterClient = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.transfer = undefined;
    this.state = 'connect';
    if (c && !c.closed) this.server.freeClient(c);
    socket?.destroy();
  }
}

function describeError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'EHOSTUNREACH':
      return 'No route to host';
    default:
      return err.message;
  }
}
