import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { allCommands } from '../commands/index.js';
import { type Command, CommandTable } from '../commands/table.js';
import { reprString } from '../commands/util.js';
import type { Config } from '../config/config.js';
import { ActiveExpire } from '../keyspace/active-expire.js';
import { Database, type KeyspaceHooks } from '../keyspace/db.js';
import { MemoryManager } from '../keyspace/memory.js';
import type { Logger, LogLevel } from '../log.js';
import { ReplicationManager } from '../replication/role.js';
import { SnapshotManager } from '../replication/snapshot.js';
import { ProtocolError } from '../resp/request-parser.js';
import { BlockingManager } from './blocking.js';
import { Client } from './client.js';
import { Output } from './output.js';
import { processCommand } from './process-command.js';
import { Slowlog } from './slowlog.js';
import { Stats } from './stats.js';

/** A write's effect as it will be propagated: the db it applies to and its argv. */
export interface PropagatedOp {
  db: number;
  argv: string[];
}

/**
 * What the replication subsystem plugs into the server. The default is a master with no replicas;
 * src/replication replaces it.
 */
export interface ReplicationRole {
  /** True when this server follows a master (commands from clients may not write, keys do not expire). */
  readonly isReplica: boolean;
  /** master_repl_offset: WAIT compares a client's last write offset (Client.woff) with replicas' ACKs. */
  readonly offset: number;
  /** Whether anything reads the replication stream (a backlog, replicas): propagation is skipped if not. */
  readonly feeding: boolean;
  /** Appends a command's effects to the replication stream (backlog and replicas). */
  feed(ops: readonly PropagatedOp[]): void;
  /** Policy checks that need replication state (read-only replica, stale data, min-replicas). */
  rejectReason(c: Client, cmd: Command): string | undefined;
  /** Called every cron tick (heartbeats, timeouts, reconnects). */
  cron(): void;
  /** Called when a client closes (replica links, the master link). */
  clientClosed(c: Client): void;
  /** On a replica: whether the link to the master is up (readiness). */
  masterLinkUp?(): boolean;
  shutdown(): Promise<void>;
}

/** Hooks for point-in-time snapshots (BGSAVE and full syncs): copy-on-write before any change. */
export interface SnapshotHooks {
  beforeWrite(db: Database, key: string): void;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  /** Injected clock for tests; defaults to Date.now. */
  clock?: () => number;
}

export class Server implements KeyspaceHooks {
  readonly config: Config;
  readonly log: Logger;
  readonly commands = new CommandTable();
  readonly dbs: Database[] = [];
  readonly clients = new Set<Client>();
  /** Every error reply counts in INFO errorstats (Redis counts at the reply layer too). */
  readonly output = new Output((message) => this.stats.countError(message));
  readonly blocking = new BlockingManager();
  readonly stats = new Stats();
  readonly slowlog = new Slowlog();
  readonly memory: MemoryManager;
  /** `dbId\0key` → clients WATCHing it. */
  readonly watchers = new Map<string, Set<Client>>();
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  readonly monitors = new Set<Client>();
  /** Number of changes since the last save (Redis's server.dirty). */
  dirty = 0;
  lastSave = Math.floor(Date.now() / 1000);
  readonly startedAt = Date.now();
  readonly runId = randomHex(40);

  replication: ReplicationRole = new NoReplication();
  snapshots: SnapshotHooks | undefined;

  /** Writes paused (CLIENT PAUSE WRITE / FAILOVER) or all commands paused, until these times. */
  pauseWritesUntil = 0;
  pauseAllUntil = 0;
  readonly postponed = new Set<Client>();
  /** Clients just served by a blocking command, whose pipelined commands wait for endTurn. */
  private readonly unblocked = new Set<Client>();

  /** True while a pipeline batch runs on one clock reading (see onData). */
  clockHeld = false;
  /** The cached time of the current command (Redis's server.mstime). */
  private nowMs = Date.now();
  private readonly clock: () => number;
  private readonly pendingOps: PropagatedOp[] = [];
  private readonly netServers: NetServer[] = [];
  private cronTimer: NodeJS.Timeout | undefined;
  requiresAuth = false;
  /**
   * Started without a role (the operator's nodes start so): refuses writes and refuses to feed replicas
   * until REPLICAOF gives it one, so a node that restarted empty can never pose as a master.
   */
  fenced = false;
  /** Cached config read on hot paths. */
  protoMaxBulkLen = 0;
  queryBufferLimit = 0;
  /**
   * INFO sections supplied by subsystems (`replication`, `persistence`...), by lower-case section name:
   * they replace the built-in lines of that section (src/commands/server-info.ts).
   */
  readonly infoSections = new Map<string, () => string[]>();
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the cron's expiry cycle off (tests rely on lazy expiry only). */
  activeExpireEnabled = true;
  private readonly activeExpire = new ActiveExpire(this);
  /** Extra per-turn work registered by subsystems (replication ACK batching, etc.). */
  readonly afterTurn: (() => void)[] = [];
  shuttingDown = false;

  constructor(options: ServerOptions) {
    this.config = options.config;
    this.log = options.log;
    this.clock = options.clock ?? Date.now;
    for (let i = 0; i < this.config.num('databases'); i++) this.dbs.push(new Database(i, this));
    this.memory = new MemoryManager(this);
    this.commands.register(allCommands());
    this.snapshots = new SnapshotManager();
    this.replication = new ReplicationManager(this);
    this.readConfigCache();
    this.config.onChange((name, value) => {
      this.readConfigCache();
      // Directives that reconfigure running machinery rather than a cached value.
      if (name === 'hz' && this.cronTimer) {
        clearInterval(this.cronTimer);
        this.cronTimer = undefined;
        this.startCron();
      } else if (name === 'loglevel') {
        this.log.setLevel(value as LogLevel);
      } else if (name === 'maxclients') {
        for (const listener of this.netServers) listener.maxConnections = (value as number) + 32;
      }
    });
  }

  private readConfigCache(): void {
    this.requiresAuth = this.config.str('requirepass') !== '';
    this.protoMaxBulkLen = this.config.num('proto-max-bulk-len');
    this.slowlog.thresholdUsec = this.config.num('slowlog-log-slower-than');
    this.slowlog.maxLen = this.config.num('slowlog-max-len');
    this.queryBufferLimit = this.config.num('client-query-buffer-limit');
    this.fenced = this.config.bool('fenced');
  }

  // ---- KeyspaceHooks -------------------------------------------------------------------------------

  now(): number {
    return this.nowMs;
  }

  /** Refreshes the cached time; called before each command and each cron tick. */
  updateClock(): number {
    this.nowMs = this.clock();
    return this.nowMs;
  }

  isReplica(): boolean {
    return this.replication.isReplica;
  }

  /** The client whose command is executing (Redis's server.current_client), set by call(). */
  currentClient: Client | undefined;

  applyingMasterStream(): boolean {
    return this.currentClient?.flags.master === true;
  }

  beforeWrite(db: Database, key: string): void {
    this.snapshots?.beforeWrite(db, key);
  }

  modified(db: Database, key: string): void {
    if (this.watchers.size === 0) return;
    const set = this.watchers.get(`${db.id}\0${key}`);
    if (set) for (const c of set) c.watchDirty = true;
  }

  /** Invalidates every WATCH on a db (FLUSHDB, SWAPDB) or on all dbs (FLUSHALL). */
  modifiedAll(db?: Database): void {
    for (const [id, set] of this.watchers) {
      if (db === undefined || id.startsWith(`${db.id}\0`)) for (const c of set) c.watchDirty = true;
    }
  }

  /** WATCH: remembers the key, and whether it was already logically expired (Redis 7.0 semantics). */
  watchKey(c: Client, key: string): void {
    const id = `${c.db.id}\0${key}`;
    if (c.watched.has(id)) return;
    c.watched.add(id);
    const when = c.db.expires.get(key);
    if (when !== undefined && when <= this.nowMs) c.watchedExpired.add(id);
    const set = this.watchers.get(id);
    if (set) set.add(c);
    else this.watchers.set(id, new Set([c]));
  }

  unwatchAll(c: Client): void {
    for (const id of c.watched) {
      const set = this.watchers.get(id);
      set?.delete(c);
      if (set?.size === 0) this.watchers.delete(id);
    }
    c.watched.clear();
    c.watchedExpired.clear();
    c.watchDirty = false;
  }

  /** A WATCHed key that existed at WATCH time and has expired since dooms EXEC, as in Redis 7.0. */
  watchedKeyExpired(c: Client): boolean {
    for (const id of c.watched) {
      if (c.watchedExpired.has(id)) continue;
      const sep = id.indexOf('\0');
      const db = this.dbs[Number(id.slice(0, sep))]!;
      const key = id.slice(sep + 1);
      const when = db.expires.get(key);
      if (when !== undefined && when <= this.nowMs && db.dict.has(key)) return true;
    }
    return false;
  }

  ready(db: Database, key: string): void {
    this.blocking.signalReady(db, key);
  }

  expired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    this.propagate(db.id, ['DEL', key]);
  }

  // ---- policy --------------------------------------------------------------------------------------

  /** Refusals owned by subsystems (persistence's MISCONF), checked after OOM for non-master clients. */
  readonly policyChecks: ((c: Client, cmd: Command) => string | undefined)[] = [];

  /** Server-wide reasons to refuse a command: memory, replication state (see processCommand). */
  policyRejection(c: Client, cmd: Command): string | undefined {
    if (this.memory.maxmemory !== 0 && this.memory.overLimit(c) && this.memory.refusedWhenFull(c, cmd)) {
      return "OOM command not allowed when used memory > 'maxmemory'.";
    }
    if (c.flags.master) return undefined;
    for (const check of this.policyChecks) {
      const reason = check(c, cmd);
      if (reason !== undefined) return reason;
    }
    if (this.fenced && (cmd.write || cmd.mayReplicate) && !cmd.spec.flags.includes('admin')) {
      return "READONLY You can't write against a fenced node: it waits for the operator to give it a role (REPLICAOF).";
    }
    return this.replication.rejectReason(c, cmd);
  }

  /** True when CLIENT PAUSE / FAILOVER holds this command back. */
  isPaused(cmd: Command): boolean {
    if (this.pauseAllUntil === 0 && this.pauseWritesUntil === 0) return false;
    const now = this.clock();
    if (this.pauseAllUntil > now) return true;
    return this.pauseWritesUntil > now && (cmd.write || cmd.mayReplicate);
  }

  /** MONITOR: every command, as `+<time> [<db> <addr>] "arg" ...`. */
  feedMonitors(c: Client, argv: string[]): void {
    const now = Date.now();
    const who = c.flags.master ? 'master' : c.socket ? c.address : 'lua';
    const line = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')} [${c.db.id} ${who}] ${argv.map(reprString).join(' ')}`;
    for (const m of this.monitors) m.out.status(line);
  }

  // ---- propagation ---------------------------------------------------------------------------------

  /** Queues an effect for the replication stream; flushed when the current command completes. */
  propagate(db: number, argv: string[]): void {
    // With no replica and no backlog nothing would read it: skip the queueing, which costs an object
    // and an array growth per write command.
    if (!this.replication.feeding) return;
    this.pendingOps.push({ db, argv });
  }

  /** Sends queued effects to replication, wrapped in MULTI/EXEC when there are several (Redis 7.0). */
  flushPropagation(): void {
    const ops = this.pendingOps;
    if (ops.length === 0) return;
    if (ops.length === 1) {
      this.replication.feed(ops);
    } else {
      const db = ops[0]!.db;
      this.replication.feed([{ db, argv: ['MULTI'] }, ...ops, { db, argv: ['EXEC'] }]);
    }
    ops.length = 0;
  }

  // ---- network -------------------------------------------------------------------------------------

  /**
   * Listens on every `bind` address (or just `host`); resolves with the bound port (useful with port 0).
   * As in Redis, an address prefixed with `-` is optional: skipped when the machine lacks it (no IPv6).
   */
  async listen(port = this.config.num('port'), host?: string): Promise<number> {
    const targets = host !== undefined ? [{ host, optional: false }] : bindAddresses(this.config.str('bind'));
    for (const target of targets) {
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
      server.maxConnections = this.config.num('maxclients') + 32;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(
            {
              port,
              host: target.host,
              ipv6Only: target.host === '::',
              backlog: this.config.num('tcp-backlog'),
            },
            () => {
              server.off('error', reject);
              resolve();
            },
          );
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (target.optional && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) continue;
        await this.closeListeners();
        throw err;
      }
      this.netServers.push(server);
      // With port 0 the first listener picks the port; the others share it.
      if (port === 0) port = this.port;
    }
    this.startCron();
    return this.port;
  }

  get port(): number {
    const a = this.netServers[0]?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  private async closeListeners(): Promise<void> {
    const servers = this.netServers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private accept(socket: Socket): void {
    if (this.clients.size >= this.config.num('maxclients')) {
      this.stats.rejectedConnections++;
      refuseConnection(socket, '-ERR max number of clients reached\r\n');
      return;
    }
    if (this.protectedModeRefuses(socket)) {
      this.stats.rejectedConnections++;
      refuseConnection(socket, PROTECTED_MODE_DENIED);
      return;
    }
    socket.setNoDelay(true);
    const keepalive = this.config.num('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const c = new Client(this, socket);
    this.clients.add(c);
    this.stats.connectionsReceived++;
    socket.on('data', (chunk: Buffer) => this.onData(c, chunk));
    socket.on('error', () => this.freeClient(c));
    socket.on('close', () => this.freeClient(c));
    socket.on('drain', () => {
      if (c.flags.closeAfterReply) socket.end();
    });
  }

  /**
   * Redis's protected mode: with no password and the default `bind`, only loopback clients may connect,
   * so a server started with defaults on a public interface is not an open door.
   */
  private protectedModeRefuses(socket: Socket): boolean {
    if (!this.config.bool('protected-mode') || this.requiresAuth) return false;
    if (this.config.str('bind') !== DEFAULT_BIND) return false;
    const addr = socket.remoteAddress ?? '';
    return !(addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.'));
  }

  /** Attaches an in-process client (the master link on a replica uses this path with its own socket). */
  createClient(socket: Socket | undefined): Client {
    const c = new Client(this, socket);
    this.clients.add(c);
    return c;
  }

  onData(c: Client, chunk: Buffer): void {
    if (c.closed) return;
    c.lastInteraction = Date.now();
    this.stats.netInputBytes += chunk.length;
    const queue = c.queue;
    try {
      c.parser.feed(chunk, queue, {
        maxBulkLen: c.flags.master ? Number.MAX_SAFE_INTEGER : this.protoMaxBulkLen,
        authenticated: c.authenticated,
      });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.processQueue(c);
      c.out.error(`ERR Protocol error: ${err.message}`);
      this.log.verbose(`Protocol error (${err.message}) from client: ${this.describeClient(c)}`);
      this.closeAfterReply(c);
      this.endTurn();
      return;
    }
    if (c.parser.bufferedBytes > this.queryBufferLimit && !c.flags.master) {
      this.log.warning(
        `Closing client that reached max query buffer length: ${this.describeClient(c)} (qbuf initial bytes: ${c.parser.bufferedBytes})`,
      );
      this.freeClient(c);
      return;
    }
    // One clock reading serves the whole pipeline this chunk carried (Redis caches its clock per
    // command; a batch shares one millisecond here, which saves a clock call per command).
    this.updateClock();
    this.clockHeld = true;
    try {
      this.processQueue(c);
      this.endTurn();
    } finally {
      this.clockHeld = false;
    }
  }

  /** Executes queued requests until the queue is empty or the client blocks or closes. */
  processQueue(c: Client): void {
    const queue = c.queue;
    while (
      c.queueHead < queue.length &&
      c.blocked === undefined &&
      !c.postponed &&
      !c.flags.closeAfterReply &&
      !c.closed
    ) {
      const argv = queue[c.queueHead]!;
      queue[c.queueHead++] = EMPTY;
      processCommand(this, c, argv);
    }
    if (c.queueHead === queue.length) {
      queue.length = 0;
      c.queueHead = 0;
    } else if (c.queueHead > 1024) {
      queue.splice(0, c.queueHead);
      c.queueHead = 0;
    }
  }

  /**
   * The end of an event-loop turn's work: serve clients whose keys became ready (and everything their
   * commands made ready), propagate, and hand replies to sockets.
   */
  endTurn(): void {
    if (this.blocking.hasReadyKeys) this.serveBlockedClients();
    // Served clients resume their pipelines; what those commands make ready is served as they run.
    for (const c of this.unblocked) {
      this.unblocked.delete(c);
      this.processQueue(c);
    }
    this.flushPropagation();
    for (const hook of this.afterTurn) hook();
    this.output.flush();
  }

  /**
   * Serves clients blocked on keys that became ready (Redis's handleClientsBlockedOnKeys), right after
   * the command that made them ready. Each served command propagates on its own, as its non-blocking
   * equivalent (set in c.propagate by its retry); the served clients' next pipelined commands run at
   * the end of the turn, not nested in the current command.
   */
  serveBlockedClients(): void {
    this.flushPropagation();
    const served = this.blocking.serveReady((c) => {
      const ops = c.propagate;
      c.propagate = undefined;
      if (ops !== undefined) for (const op of ops) this.propagate(c.db.id, op);
      this.flushPropagation();
    });
    for (const c of served) this.unblocked.add(c);
  }

  /** Re-runs clients held back by a pause once it has ended. */
  resumePostponed(): void {
    for (const c of [...this.postponed]) {
      this.postponed.delete(c);
      c.postponed = false;
      this.processQueue(c);
    }
    this.endTurn();
  }

  closeAfterReply(c: Client): void {
    c.flags.closeAfterReply = true;
    this.output.flush();
    if (c.socket && !c.closed) c.socket.end();
  }

  /** Closes a client now and forgets everything about it. Idempotent. */
  freeClient(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c);
    this.blocking.remove(c);
    this.postponed.delete(c);
    this.monitors.delete(c);
    this.unwatchAll(c);
    for (const ch of c.channels) this.unsubscribeFrom(this.channels, ch, c);
    for (const p of c.patterns) this.unsubscribeFrom(this.patterns, p, c);
    for (const ch of c.shardChannels) this.unsubscribeFrom(this.shardChannels, ch, c);
    this.replication.clientClosed(c);
    if (c.socket && !c.socket.destroyed) c.socket.destroy();
  }

  unsubscribeFrom(registry: Map<string, Set<Client>>, name: string, c: Client): void {
    const set = registry.get(name);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) registry.delete(name);
  }

  /** client-output-buffer-limit: a client that does not read its replies is closed, as in Redis. */
  checkOutputLimits(c: Client): void {
    const pending = c.outputBytes;
    if (pending < 1024 * 1024) return;
    const cls = c.flags.replica ? 'slave' : c.inPubSub ? 'pubsub' : 'normal';
    const limits = this.outputLimits(cls);
    if (limits.hard === 0 && limits.soft === 0) return;
    const now = Date.now();
    let exceeded = limits.hard > 0 && pending >= limits.hard;
    if (!exceeded && limits.soft > 0 && pending >= limits.soft) {
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince >= limits.seconds * 1000) exceeded = true;
    } else if (pending < limits.soft) {
      c.softLimitSince = 0;
    }
    if (exceeded) {
      this.log.warning(
        `Client ${this.describeClient(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`,
      );
      c.flags.closeAsap = true;
      setImmediate(() => this.freeClient(c));
    }
  }

  outputLimits(cls: 'normal' | 'slave' | 'pubsub'): { hard: number; soft: number; seconds: number } {
    const parts = this.config.str('client-output-buffer-limit').split(' ');
    const i = parts.indexOf(cls);
    return { hard: Number(parts[i + 1]), soft: Number(parts[i + 2]), seconds: Number(parts[i + 3]) };
  }

  describeClient(c: Client): string {
    return `id=${c.id} addr=${c.address} laddr=${c.localAddress} name=${c.name} age=${Math.floor((Date.now() - c.createdAt) / 1000)} db=${c.db.id} cmd=${c.lastCommand}`;
  }

  // ---- cron ----------------------------------------------------------------------------------------

  private startCron(): void {
    if (this.cronTimer) return;
    const hz = this.config.num('hz');
    this.cronTimer = setInterval(() => this.cron(), Math.max(2, Math.floor(1000 / hz)));
    this.cronTimer.unref();
  }

  /** Periodic work (Redis's serverCron): expiry, timeouts, replication heartbeats. */
  cron(): void {
    const now = this.updateClock();
    if (!this.isReplica() && this.activeExpireEnabled) this.activeExpire.cycle(now);
    this.stats.sample(now);
    const timedOut = this.blocking.expire(now);
    const idleTimeout = this.config.num('timeout');
    if (idleTimeout > 0) {
      for (const c of this.clients) {
        if (c.flags.master || c.flags.replica || c.blocked || c.inPubSub) continue;
        if (Date.now() - c.lastInteraction > idleTimeout * 1000) {
          this.log.verbose('Closing idle client');
          this.freeClient(c);
        }
      }
    }
    if (this.pauseWritesUntil !== 0 || this.pauseAllUntil !== 0) {
      if (now >= this.pauseWritesUntil && now >= this.pauseAllUntil) {
        this.pauseWritesUntil = this.pauseAllUntil = 0;
        this.resumePostponed();
      }
    }
    this.replication.cron();
    for (const c of timedOut) this.processQueue(c);
    this.endTurn();
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /** Set by the CLI: SHUTDOWN asks the process to exit with this code once the server is closed. */
  onShutdownRequested: ((code: number) => void) | undefined;
  /**
   * Work to do before exiting (persistence saves an RDB when save points are configured or SAVE is
   * asked; replication lets replicas catch up). A hook that throws aborts SHUTDOWN.
   */
  readonly shutdownHooks: ((options: { save: boolean | undefined }) => Promise<void>)[] = [];

  /** SHUTDOWN / SIGTERM: runs the hooks, then closes every client and the listener. */
  async shutdown(options: { save: boolean | undefined }): Promise<void> {
    this.log.warning('User requested shutdown...');
    for (const hook of this.shutdownHooks) await hook(options);
    await this.close();
  }

  async close(): Promise<void> {
    this.shuttingDown = true;
    if (this.cronTimer) clearInterval(this.cronTimer);
    this.cronTimer = undefined;
    await this.replication.shutdown();
    for (const c of [...this.clients]) this.freeClient(c);
    await this.closeListeners();
  }

  /** Commands lookups for processCommand and COMMAND. */
  lookupCommand(name: string): Command | undefined {
    return this.commands.lookup(name);
  }
}

const EMPTY: string[] = [];

/**
 * Answers a connection we do not serve, then closes it. The socket is destroyed once the message is
 * written: nothing reads it, so it would never see the peer's FIN and would keep the listener from
 * closing; a reset from the peer must not become an unhandled 'error'.
 */
function refuseConnection(socket: Socket, message: string): void {
  socket.on('error', () => socket.destroy());
  socket.end(message, () => socket.destroy());
}

const DEFAULT_BIND = '* -::*';
const PROTECTED_MODE_DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

class NoReplication implements ReplicationRole {
  readonly isReplica = false;
  readonly feeding = false;
  readonly offset = 0;
  feed(): void {}
  rejectReason(): string | undefined {
    return undefined;
  }
  cron(): void {}
  clientClosed(): void {}
  async shutdown(): Promise<void> {}
}

/** Redis's `bind` list: `*` is every IPv4 address, `::*` every IPv6 one, `-` marks an optional address. */
function bindAddresses(bind: string): { host: string; optional: boolean }[] {
  const out: { host: string; optional: boolean }[] = [];
  for (const word of bind.split(/\s+/)) {
    if (word === '') continue;
    const optional = word.startsWith('-');
    const addr = optional ? word.slice(1) : word;
    out.push({ host: addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr, optional });
  }
  return out.length > 0 ? out : [{ host: '0.0.0.0', optional: false }];
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

export { randomHex };
