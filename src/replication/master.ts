import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { RdbWriter, redisAuxFields } from '../rdb/writer.js';
import type { Client } from '../server/client.js';
import { GETACK_BYTES } from './resp.js';
import type { ReplicationManager } from './role.js';
import { type SnapshotManager, writeSnapshotRdb } from './snapshot.js';

/**
 * Where an attached replica is in its life. `waitStart`: asked for a full sync, the snapshot has not
 * started (diskless delay); `waitEnd`: the snapshot is being produced (and, diskless, streamed);
 * `sendBulk`: a finished RDB is being sent; `online`: receiving the live stream.
 */
export type ReplicaPhase = 'waitStart' | 'waitEnd' | 'sendBulk' | 'online';

/** What a master knows about one replica connected to it (Redis keeps this in the client struct). */
export class ReplicaInfo {
  phase: ReplicaPhase = 'waitStart';
  listeningPort = 0;
  announcedIp = '';
  capaEof = false;
  capaPsync2 = false;
  /** Highest offset the replica acknowledged, and when (unix ms). */
  ackOffset = 0;
  ackTime = 0;
  /** Legacy SYNC: no ACKs expected, never timed out. */
  preSync = false;
  /** After an EOF-marked transfer the stream starts only with the replica's first ACK. */
  waitingFirstAck = false;
  /** The stream produced since its snapshot began, held until the replica can take it. */
  buffering = false;
  pending: Buffer[] = [];
  pendingBytes = 0;
  softLimitSince = 0;
  /** Transfer progress (socket bytesWritten) and when it last moved, to time out a stuck full sync. */
  lastBytesWritten = 0;
  lastProgressAt = 0;
}

/** The replica bookkeeping of a client, created by its first REPLCONF/SYNC/PSYNC. */
export function replicaInfo(c: Client): ReplicaInfo {
  if (!(c.replicationState instanceof ReplicaInfo)) c.replicationState = new ReplicaInfo();
  return c.replicationState as ReplicaInfo;
}

/** INFO's state names for a replica. */
export function replicaStateName(info: ReplicaInfo): string {
  return info.phase === 'online' ? 'online' : info.phase === 'sendBulk' ? 'send_bulk' : 'wait_bgsave';
}

/** One snapshot shared by the replicas that asked for a full sync together. */
interface SyncJob {
  target: 'disk' | 'socket';
  replicas: Set<Client>;
  started: boolean;
  timer: NodeJS.Timeout | undefined;
  abort: (() => void) | undefined;
}

interface Waiter {
  c: Client;
  target: number;
  numReplicas: number;
}

/** Socket buffer level above which RDB production waits for the replica to drain. */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * The master role: replicas attached to us. Serves SYNC/PSYNC (partial from the backlog, or full from a
 * point-in-time snapshot, disk-style `$<len>` or diskless `$EOF:`), streams writes, tracks ACKs, WAIT
 * and min-replicas, times out silent replicas.
 */
export class MasterSide {
  readonly replicas = new Set<Client>();
  private readonly jobs = new Set<SyncJob>();
  private readonly waiters = new Set<Waiter>();
  private getackPending = false;

  constructor(private readonly mgr: ReplicationManager) {}

  private get server() {
    return this.mgr.server;
  }

  /** `ip:port` as Redis names a replica in logs: announced ip (else peer) and listening port. */
  replicaName(c: Client): string {
    const info = replicaInfo(c);
    const ip = info.announcedIp || c.socket?.remoteAddress?.replace(/^::ffff:/, '') || '?';
    return info.listeningPort ? `${ip}:${info.listeningPort}` : `${ip}:<unknown-replica-port>`;
  }

  // ---- SYNC / PSYNC --------------------------------------------------------------------------------

  syncCommand(c: Client, argv: string[]): void {
    if (c.flags.replica) return;
    const psync = argv[0]!.toLowerCase() === 'psync';
    const mgr = this.mgr;
    if (psync && argv.length > 3 && argv[3]!.toLowerCase() === 'failover') {
      if (mgr.link === undefined) {
        c.out.error("ERR PSYNC FAILOVER can't be sent to a master.");
        return;
      }
      if (argv[1]!.toLowerCase() !== mgr.replid.toLowerCase()) {
        c.out.error('ERR PSYNC FAILOVER replid must match my replid.');
        return;
      }
      this.server.log.notice(`Failover request received for replid ${argv[1]}.`);
      mgr.promote(`failover request from ${this.server.describeClient(c)}`);
    }
    if (mgr.failoverState !== 'no-failover') {
      c.out.error("NOMASTERLINK Can't SYNC while failing over");
      return;
    }
    if (mgr.link !== undefined && !mgr.link.isConnected) {
      c.out.error("NOMASTERLINK Can't SYNC while not connected with my master");
      return;
    }
    if ((c.socket?.writableLength ?? 0) > 0) {
      c.out.error('ERR SYNC and PSYNC are invalid with pending output');
      return;
    }
    const info = replicaInfo(c);
    this.server.log.notice(`Replica ${this.replicaName(c)} asks for synchronization`);
    if (psync && !/^-?\d+$/.test(argv[2]!)) {
      this.server.log.warning(
        `Replica ${this.replicaName(c)} asks for synchronization but with a wrong offset`,
      );
      c.out.error('ERR value is not an integer or out of range');
      return;
    }
    if (psync) {
      if (this.tryPartial(c, argv[1]!, argv[2]!)) {
        this.server.stats.syncPartialOk++;
        return;
      }
      if (argv[1] !== '?') this.server.stats.syncPartialErr++;
    } else {
      info.preSync = true;
    }
    this.server.stats.syncFull++;
    c.flags.replica = true;
    this.replicas.add(c);
    info.phase = 'waitStart';
    // A master's first replica starts a new history (a replica always follows its master's).
    if (mgr.backlog === undefined && this.replicas.size === 1 && !mgr.isReplica) {
      mgr.newHistory();
      mgr.createBacklog();
      this.server.log.notice(
        `Replication backlog created, my new replication IDs are '${mgr.replid}' and '${mgr.replid2}'`,
      );
    }
    this.attachToJob(c, info);
  }

  /** Redis's masterTryPartialResynchronization; on success the replica is online. */
  private tryPartial(c: Client, id: string, offsetArg: string): boolean {
    const mgr = this.mgr;
    const log = this.server.log;
    const name = this.replicaName(c);
    const offset = Number(offsetArg);
    const lower = id.toLowerCase();
    const sameId = lower === mgr.replid.toLowerCase();
    const secondId = lower === mgr.replid2.toLowerCase() && offset <= mgr.secondReplidOffset;
    if (!sameId && !secondId) {
      if (id === '?') {
        log.notice(`Full resync requested by replica ${name}`);
      } else if (lower !== mgr.replid2.toLowerCase()) {
        log.notice(
          `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${id}', my replication IDs are '${mgr.replid}' and '${mgr.replid2}')`,
        );
      } else {
        log.notice(
          `Partial resynchronization not accepted: Requested offset for second ID was ${offset}, but I can reply up to ${mgr.secondReplidOffset}`,
        );
      }
      return false;
    }
    const backlog = mgr.backlog;
    if (backlog === undefined || !Number.isSafeInteger(offset) || !backlog.canServe(offset)) {
      log.notice(
        `Unable to partial resync with replica ${name} for lack of backlog (Replica request was: ${offsetArg}).`,
      );
      if (offset > mgr.masterReplOffset) {
        log.warning(
          `Warning: replica ${name} tried to PSYNC with an offset that is greater than the master replication offset.`,
        );
      }
      return false;
    }
    const info = replicaInfo(c);
    c.flags.replica = true;
    this.replicas.add(c);
    info.phase = 'online';
    info.ackTime = Date.now();
    this.server.output.flush();
    const data = backlog.readFrom(offset);
    c.socket?.write(info.capaPsync2 ? `+CONTINUE ${mgr.replid}\r\n` : '+CONTINUE\r\n');
    if (data.length > 0) c.socket?.write(data);
    log.notice(
      `Partial resynchronization request from ${name} accepted. Sending ${data.length} bytes of backlog starting from offset ${offset}.`,
    );
    return true;
  }

  /** Diskless replicas that ask within `repl-diskless-sync-delay` share one snapshot. */
  private attachToJob(c: Client, info: ReplicaInfo): void {
    const cfg = this.server.config;
    const target = cfg.bool('repl-diskless-sync') && info.capaEof && !info.preSync ? 'socket' : 'disk';
    if (target === 'socket') {
      for (const job of this.jobs) {
        if (job.target === 'socket' && !job.started) {
          job.replicas.add(c);
          const max = cfg.num('repl-diskless-sync-max-replicas');
          if (max > 0 && job.replicas.size >= max) this.startJob(job);
          return;
        }
      }
    }
    const job: SyncJob = {
      target,
      replicas: new Set([c]),
      started: false,
      timer: undefined,
      abort: undefined,
    };
    this.jobs.add(job);
    const delay = cfg.num('repl-diskless-sync-delay');
    if (target === 'socket' && delay > 0) {
      this.server.log.notice('Delay next BGSAVE for diskless SYNC');
      job.timer = setTimeout(() => this.startJob(job), delay * 1000);
      job.timer.unref();
    } else {
      // Start after this command's reply bookkeeping, in a clean turn.
      setImmediate(() => this.startJob(job));
    }
  }

  private startJob(job: SyncJob): void {
    if (job.started) return;
    job.started = true;
    if (job.timer) clearTimeout(job.timer);
    if (job.replicas.size === 0) {
      this.jobs.delete(job);
      return;
    }
    const mgr = this.mgr;
    const server = this.server;
    const snapshots = server.snapshots as SnapshotManager;
    const snapshot = snapshots.begin(server.dbs);
    job.abort = () => snapshot.close();
    const offset = mgr.masterReplOffset;
    // On a replica the stream is proxied and keeps its db: tell sub-replicas where it stands.
    const streamDb = mgr.link?.masterClient?.db.id ?? 0;
    mgr.selectedDb = -1;
    server.log.notice(
      `Starting BGSAVE for SYNC with target: ${job.target === 'disk' ? 'disk' : 'replicas sockets'}`,
    );
    server.output.flush();
    for (const c of job.replicas) {
      const info = replicaInfo(c);
      info.phase = 'waitEnd';
      info.buffering = true;
      if (!info.preSync) c.socket?.write(`+FULLRESYNC ${mgr.replid} ${offset}\r\n`);
    }
    const writer = new RdbWriter({
      aux: redisAuxFields({
        usedMem: process.memoryUsage().heapUsed,
        replication: { replId: mgr.replid, replOffset: offset, streamDb },
      }),
      compress: server.config.bool('rdbcompression'),
    });
    const run =
      job.target === 'disk'
        ? this.runDiskJob(job, snapshot, writer)
        : this.runSocketJob(job, snapshot, writer);
    run
      .catch((err: Error) => {
        if (!snapshot.isClosed || job.replicas.size > 0)
          server.log.warning(`Replica full sync failed: ${err.message}`);
      })
      .finally(() => {
        snapshot.close();
        this.jobs.delete(job);
      });
  }

  private async runDiskJob(job: SyncJob, snapshot: ReturnType<SnapshotManager['begin']>, writer: RdbWriter) {
    const chunks: Buffer[] = [];
    await writeSnapshotRdb(snapshot, writer, (chunk) => {
      if (job.replicas.size === 0) snapshot.close();
      chunks.push(chunk);
    });
    this.server.log.notice('Background saving terminated with success');
    let total = 0;
    for (const ch of chunks) total += ch.length;
    await Promise.all(
      [...job.replicas].map(async (c) => {
        const info = replicaInfo(c);
        info.phase = 'sendBulk';
        const socket = c.socket!;
        socket.write(`$${total}\r\n`);
        for (const ch of chunks) {
          if (c.closed) return;
          socket.write(ch);
          await drained(socket);
        }
        if (c.closed) return;
        this.server.log.notice(`Synchronization with replica ${this.replicaName(c)} succeeded`);
        this.goOnline(c, info);
      }),
    );
  }

  private async runSocketJob(
    job: SyncJob,
    snapshot: ReturnType<SnapshotManager['begin']>,
    writer: RdbWriter,
  ) {
    const mark = randomBytes(20).toString('hex');
    for (const c of job.replicas) c.socket?.write(`$EOF:${mark}\r\n`);
    await writeSnapshotRdb(snapshot, writer, async (chunk) => {
      if (job.replicas.size === 0) {
        snapshot.close();
        return;
      }
      for (const c of job.replicas) c.socket?.write(chunk);
      for (const c of job.replicas) if (c.socket) await drained(c.socket);
    });
    this.server.log.notice('Background RDB transfer terminated with success');
    for (const c of job.replicas) {
      if (c.closed) continue;
      c.socket?.write(mark);
      const info = replicaInfo(c);
      const name = this.replicaName(c);
      this.server.log.notice(
        `Streamed RDB transfer with replica ${name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`,
      );
      this.server.log.notice(`Synchronization with replica ${name} succeeded`);
      info.phase = 'online';
      info.waitingFirstAck = true;
      info.ackTime = Date.now();
    }
  }

  /** The replica has the whole snapshot: send what was produced meanwhile, then the live stream. */
  private goOnline(c: Client, info: ReplicaInfo): void {
    info.phase = 'online';
    info.waitingFirstAck = false;
    info.buffering = false;
    info.ackTime = Date.now();
    if (info.pendingBytes > 0) {
      c.socket?.write(info.pending.length === 1 ? info.pending[0]! : Buffer.concat(info.pending));
      this.server.checkOutputLimits(c);
    }
    info.pending = [];
    info.pendingBytes = 0;
  }

  // ---- streaming -----------------------------------------------------------------------------------

  broadcast(bytes: Buffer): void {
    for (const c of this.replicas) {
      if (c.closed) continue;
      const info = replicaInfo(c);
      if (info.phase === 'online' && !info.waitingFirstAck) {
        c.socket?.write(bytes);
        this.server.checkOutputLimits(c);
      } else if (info.buffering) {
        info.pending.push(bytes);
        info.pendingBytes += bytes.length;
        this.checkPendingLimit(c, info);
      }
    }
  }

  /** client-output-buffer-limit for the stream a replica cannot take yet (Redis counts it as output). */
  private checkPendingLimit(c: Client, info: ReplicaInfo): void {
    const limits = this.server.outputLimits('slave');
    const used = info.pendingBytes;
    const now = Date.now();
    let exceeded = limits.hard > 0 && used >= limits.hard;
    if (!exceeded && limits.soft > 0 && used >= limits.soft) {
      if (info.softLimitSince === 0) info.softLimitSince = now;
      else if (now - info.softLimitSince >= limits.seconds * 1000) exceeded = true;
    }
    if (!exceeded) return;
    this.server.log.warning(
      `Client ${this.server.describeClient(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    c.flags.closeAsap = true;
    info.buffering = false;
    info.pending = [];
    setImmediate(() => this.server.freeClient(c));
  }

  /** REPLCONF ACK <offset> from a replica. */
  ack(c: Client, offset: number): void {
    const info = replicaInfo(c);
    if (offset > info.ackOffset) info.ackOffset = offset;
    info.ackTime = Date.now();
    if (info.waitingFirstAck) this.goOnline(c, info);
    if (this.waiters.size > 0) this.serveWaiters();
    if (this.mgr.failoverState === 'waiting-for-sync') this.mgr.failover.check();
  }

  // ---- WAIT and min-replicas -----------------------------------------------------------------------

  /** Online replicas that acknowledged at least `offset`. */
  replicasAcked(offset: number): number {
    let n = 0;
    for (const c of this.replicas) {
      const info = replicaInfo(c);
      if (info.phase === 'online' && info.ackOffset >= offset) n++;
    }
    return n;
  }

  /** Online replicas whose last ACK is at most min-replicas-max-lag seconds old. */
  goodReplicas(): number {
    const maxLag = this.server.config.num('min-replicas-max-lag');
    const nowSec = Math.floor(Date.now() / 1000);
    let n = 0;
    for (const c of this.replicas) {
      const info = replicaInfo(c);
      if (info.phase === 'online' && nowSec - Math.floor(info.ackTime / 1000) <= maxLag) n++;
    }
    return n;
  }

  wait(c: Client, numReplicas: number, timeoutMs: number): void {
    const target = c.woff;
    const acked = this.replicasAcked(target);
    if (acked >= numReplicas || !c.canBlock) {
      c.out.integer(acked);
      return;
    }
    const waiter: Waiter = { c, target, numReplicas };
    this.waiters.add(waiter);
    c.block({
      keys: [],
      deadline: timeoutMs > 0 ? this.server.now() + timeoutMs : 0,
      retry: () => false,
      onTimeout: (bc) => bc.out.integer(this.replicasAcked(target)),
      cleanup: () => this.waiters.delete(waiter),
    });
    this.getackPending = true;
  }

  private serveWaiters(): void {
    const served: Client[] = [];
    for (const w of this.waiters) {
      const acked = this.replicasAcked(w.target);
      if (acked < w.numReplicas) continue;
      this.server.blocking.remove(w.c);
      w.c.out.integer(acked);
      served.push(w.c);
    }
    if (served.length === 0) return;
    setImmediate(() => {
      for (const c of served) this.server.processQueue(c);
      this.server.endTurn();
    });
  }

  /**
   * Becoming a replica: clients blocked in WAIT, BLPOP & co. would wait for writes that can no longer
   * happen here; they are released with an error, as Redis's disconnectAllBlockedClients does.
   */
  unblockAllClients(): void {
    const blocked = [...this.server.blocking.clients];
    for (const c of blocked) {
      this.server.blocking.remove(c);
      c.out.error(
        'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
      );
    }
    if (blocked.length === 0) return;
    setImmediate(() => {
      for (const c of blocked) this.server.processQueue(c);
      this.server.endTurn();
    });
  }

  /** Asks every replica for an ACK (GETACK), once this event-loop turn is over. */
  requestAcks(): void {
    this.getackPending = true;
  }

  afterTurn(): void {
    if (this.getackPending) {
      this.getackPending = false;
      if (!this.mgr.isReplica && this.replicas.size > 0) this.mgr.appendStream(GETACK_BYTES);
    }
  }

  // ---- housekeeping --------------------------------------------------------------------------------

  cron(now: number): void {
    const timeoutMs = this.server.config.num('repl-timeout') * 1000;
    for (const c of [...this.replicas]) {
      const info = replicaInfo(c);
      const job = this.jobOf(c);
      // Keepalive newlines (not part of the offset) while the replica waits for its payload to start.
      if (info.phase === 'waitStart' || (info.phase === 'waitEnd' && job?.target === 'disk')) {
        c.socket?.write('\n');
      }
      if (info.phase === 'online' && !info.preSync && now - info.ackTime > timeoutMs) {
        this.server.log.warning(`Disconnecting timedout replica (streaming sync): ${this.replicaName(c)}`);
        this.server.freeClient(c);
      } else if (info.phase === 'sendBulk' || (info.phase === 'waitEnd' && job?.target === 'socket')) {
        // A replica that stopped reading its payload would hold the snapshot (and its copies) forever.
        const written = c.socket?.bytesWritten ?? 0;
        if (
          written !== info.lastBytesWritten ||
          info.lastProgressAt === 0 ||
          (c.socket?.writableLength ?? 0) === 0
        ) {
          info.lastBytesWritten = written;
          info.lastProgressAt = now;
        } else if (now - info.lastProgressAt > timeoutMs) {
          this.server.log.warning(`Disconnecting timedout replica (full sync): ${this.replicaName(c)}`);
          this.server.freeClient(c);
        }
      }
    }
  }

  private jobOf(c: Client): SyncJob | undefined {
    for (const job of this.jobs) if (job.replicas.has(c)) return job;
    return undefined;
  }

  replicaClosed(c: Client): void {
    if (!this.replicas.delete(c)) return;
    this.server.log.warning(`Connection with replica ${this.replicaName(c)} lost.`);
    for (const job of this.jobs) {
      if (job.replicas.delete(c) && job.replicas.size === 0) {
        if (job.started) job.abort?.();
        else {
          if (job.timer) clearTimeout(job.timer);
          this.jobs.delete(job);
        }
      }
    }
    if (this.replicas.size === 0) this.mgr.noReplicasSince = Date.now();
  }

  /** Drops every attached replica (promotion, full resync with our own master): they reconnect. */
  disconnectReplicas(): void {
    for (const c of [...this.replicas]) this.server.freeClient(c);
  }

  shutdown(): void {
    for (const job of this.jobs) {
      if (job.timer) clearTimeout(job.timer);
      job.abort?.();
    }
    this.jobs.clear();
  }
}

/** Resolves once the socket's buffered output is below the high-water mark (or it closed). */
function drained(socket: Socket): Promise<void> {
  if (socket.writableLength < HIGH_WATER || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
