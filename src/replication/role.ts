import type { Command } from '../commands/table.js';
import type { Client } from '../server/client.js';
import type { PropagatedOp, ReplicationRole, Server } from '../server/server.js';
import { Backlog } from './backlog.js';
import { Failover } from './failover.js';
import { NULL_REPLID, newReplid } from './ids.js';
import { replicationInfo } from './info.js';
import { MasterSide } from './master.js';
import { MasterLink } from './replica.js';
import { encodeCommand, PING_BYTES } from './resp.js';

/** What a replica remembers of its master to ask for a partial resync later (Redis's cached master). */
export interface CachedMaster {
  replid: string;
  /** Last processed offset; PSYNC asks for offset + 1. */
  offset: number;
  /** The db the master's stream had selected: a partial resync does not repeat SELECT. */
  db: number;
}

/**
 * The replication state of one server, master or replica (Redis keeps both in `server`): replication
 * ids and offset, the backlog, the replicas attached to us (MasterSide) and our link to a master
 * (MasterLink). Plugged into the server as `server.replication`.
 */
export class ReplicationManager implements ReplicationRole {
  replid = newReplid();
  replid2 = NULL_REPLID;
  secondReplidOffset = -1;
  /** master_repl_offset: bytes of stream produced (master) or applied (replica). */
  masterReplOffset = 0;
  backlog: Backlog | undefined;
  /** The db of the last command written to the stream (Redis's slaveseldb); -1 forces a SELECT. */
  selectedDb = -1;

  readonly master: MasterSide;
  readonly failover: Failover;
  /** Our link to a master, when we are a replica. */
  link: MasterLink | undefined;
  cachedMaster: CachedMaster | undefined;
  failoverState: 'no-failover' | 'waiting-for-sync' | 'failover-in-progress' = 'no-failover';

  private lastCronSecond = 0;
  private cronTicks = 0;
  /** Unix ms since when no replica is attached (for repl-backlog-ttl); 0 while some are. */
  noReplicasSince = Date.now();
  private configApplied = false;

  constructor(readonly server: Server) {
    this.master = new MasterSide(this);
    this.failover = new Failover(this);
    server.infoSections.set('replication', () => replicationInfo(server));
    server.afterTurn.push(() => this.master.afterTurn());
    this.readPolicyConfig();
    server.config.onChange((name) => {
      if (name === 'repl-backlog-size') this.backlog?.resize(this.backlogSize());
      this.readPolicyConfig();
    });
  }

  get isReplica(): boolean {
    return this.link !== undefined;
  }

  /** Readiness of a replica: its link to the master is up (the health endpoint reads this). */
  masterLinkUp(): boolean {
    return this.link?.isConnected ?? false;
  }

  get offset(): number {
    return this.masterReplOffset;
  }

  get log() {
    return this.server.log;
  }

  backlogSize(): number {
    return Math.max(16 * 1024, this.server.config.num('repl-backlog-size'));
  }

  createBacklog(): void {
    this.backlog = new Backlog(this.backlogSize(), this.masterReplOffset);
  }

  /** Redis's changeReplicationId + clearReplicationId2: a new history starts here. */
  newHistory(): void {
    this.replid = newReplid();
    this.clearReplid2();
  }

  clearReplid2(): void {
    this.replid2 = NULL_REPLID;
    this.secondReplidOffset = -1;
  }

  /**
   * PSYNC2 (Redis's shiftReplicationId): a new id for the history that starts now, while the old id stays
   * valid up to the current offset so replicas that followed it can continue.
   */
  shiftReplid(): void {
    this.replid2 = this.replid;
    this.secondReplidOffset = this.masterReplOffset + 1;
    this.replid = newReplid();
    this.log.warning(
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondReplidOffset}. New replication ID is ${this.replid}`,
    );
  }

  // ---- the stream ----------------------------------------------------------------------------------

  /** Adds bytes to the stream: offset, backlog, every attached replica. */
  appendStream(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.backlog) this.backlog.append(bytes);
    this.masterReplOffset += bytes.length;
    this.master.broadcast(bytes);
  }

  /** Whether propagated writes go anywhere: a master with a backlog or replicas. */
  get feeding(): boolean {
    return this.hasConsumers();
  }

  private hasConsumers(): boolean {
    return !this.isReplica && (this.backlog !== undefined || this.master.replicas.size > 0);
  }

  /** Effects of a command on this master (ReplicationRole.feed). Replicas proxy their master instead. */
  feed(ops: readonly PropagatedOp[]): void {
    if (!this.hasConsumers()) return;
    const parts: Buffer[] = [];
    for (const op of ops) {
      if (op.db !== this.selectedDb) {
        parts.push(encodeCommand(['SELECT', String(op.db)]));
        this.selectedDb = op.db;
      }
      parts.push(encodeCommand(op.argv));
    }
    this.appendStream(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }

  // ---- policy --------------------------------------------------------------------------------------

  /** Runs for every command: the settings it needs are cached (see readPolicyConfig). */
  rejectReason(_c: Client, cmd: Command): string | undefined {
    const link = this.link;
    if (link !== undefined) {
      // Redis checks read-only before stale data, so a write gets READONLY either way.
      if (cmd.write && this.policy.readOnly) return "READONLY You can't write against a read only replica.";
      if (!link.isConnected && !this.policy.serveStale && !cmd.stale) {
        return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
      }
      return undefined;
    }
    if (cmd.write && this.minReplicasActive() && this.master.goodReplicas() < this.policy.minReplicas) {
      return 'NOREPLICAS Not enough good replicas to write.';
    }
    return undefined;
  }

  minReplicasActive(): boolean {
    return this.policy.minReplicas > 0 && this.policy.minReplicasMaxLag > 0;
  }

  private readonly policy = { readOnly: true, serveStale: true, minReplicas: 0, minReplicasMaxLag: 10 };

  private readPolicyConfig(): void {
    const cfg = this.server.config;
    this.policy.readOnly = cfg.bool('replica-read-only');
    this.policy.serveStale = cfg.bool('replica-serve-stale-data');
    this.policy.minReplicas = cfg.num('min-replicas-to-write');
    this.policy.minReplicasMaxLag = cfg.num('min-replicas-max-lag');
  }

  // ---- cron ----------------------------------------------------------------------------------------

  /** Called at `hz`; replication work runs once per second, as Redis's replicationCron. */
  cron(): void {
    if (!this.configApplied) {
      this.configApplied = true;
      const target = this.server.config.str('replicaof');
      if (target !== '') {
        const [host, port] = target.split(' ');
        this.replicaOf(host!, Number(port), undefined);
      }
    }
    const now = Date.now();
    if (now - this.lastCronSecond < 1000) return;
    this.lastCronSecond = now;
    this.cronTicks++;
    this.link?.cron(now);
    this.master.cron(now);
    this.failover.check();
    // Heartbeat through the stream, so idle replicas see data and measure offsets.
    const period = this.server.config.num('repl-ping-replica-period');
    if (!this.isReplica && this.master.replicas.size > 0 && this.cronTicks % period === 0) {
      this.appendStream(PING_BYTES);
    }
    this.checkBacklogTtl(now);
  }

  private checkBacklogTtl(now: number): void {
    if (this.master.replicas.size > 0) {
      this.noReplicasSince = 0;
      return;
    }
    if (this.noReplicasSince === 0) this.noReplicasSince = now;
    const ttl = this.server.config.num('repl-backlog-ttl');
    if (this.isReplica || this.backlog === undefined || ttl === 0) return;
    if (now - this.noReplicasSince >= ttl * 1000) {
      this.newHistory();
      this.backlog = undefined;
      this.log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
    }
  }

  clientClosed(c: Client): void {
    if (c.flags.replica) this.master.replicaClosed(c);
    else if (c.flags.master) this.link?.masterClientClosed(c);
  }

  async shutdown(): Promise<void> {
    this.link?.close();
    this.master.shutdown();
  }

  // ---- role changes --------------------------------------------------------------------------------

  /**
   * REPLICAOF host port (or `replicaof` in the config). A master first turns its own history into a
   * cached master, so it may continue with a partial resync (the demoted old master case).
   */
  replicaOf(host: string, port: number, requestedBy: Client | undefined): void {
    const who = requestedBy ? ` (user request from '${this.server.describeClient(requestedBy)}')` : '';
    if (this.link === undefined) {
      this.log.notice(
        'Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.',
      );
      this.cachedMaster = {
        replid: this.replid,
        offset: this.masterReplOffset,
        db: this.cachedMaster?.db ?? 0,
      };
      this.master.unblockAllClients();
    } else {
      this.link.close();
    }
    this.server.log.role = 'S';
    this.link = new MasterLink(this, host, port);
    this.link.connectNow();
    if (requestedBy) this.log.notice(`REPLICAOF ${host}:${port} enabled${who}`);
  }

  /** REPLICAOF NO ONE: promotion. Sub-replicas reconnect and continue thanks to replid2. */
  promote(reason: string): void {
    if (this.link === undefined) return;
    if (this.link.isConnected) {
      this.log.warning('Connection with master lost.');
      this.log.notice('Caching the disconnected master state.');
    }
    this.link.close();
    this.link = undefined;
    if (this.cachedMaster !== undefined) this.log.notice('Discarding previously cached master state.');
    this.cachedMaster = undefined;
    this.shiftReplid();
    this.master.disconnectReplicas();
    this.selectedDb = -1;
    this.server.log.role = 'M';
    if (this.backlog === undefined) this.createBacklog();
    this.log.notice(`MASTER MODE enabled (${reason})`);
  }

  // ---- persistence hooks ---------------------------------------------------------------------------

  /**
   * What an RDB saved now should record in its `repl-id`/`repl-offset`/`repl-stream-db` aux fields so
   * that, after a restart, this server can continue with a partial resync (Redis's rdbPopulateSaveInfo).
   * Undefined when there is no history worth keeping.
   */
  rdbReplicationInfo(): { replId: string; replOffset: number; streamDb: number } | undefined {
    if (this.link !== undefined) {
      const db = this.link.masterClient?.db.id ?? this.cachedMaster?.db ?? 0;
      return { replId: this.replid, replOffset: this.masterReplOffset, streamDb: db };
    }
    if (this.backlog !== undefined) {
      return {
        replId: this.replid,
        replOffset: this.masterReplOffset,
        streamDb: Math.max(0, this.selectedDb),
      };
    }
    return undefined;
  }

  /**
   * Called by persistence after loading an RDB at startup with repl-* aux fields (Redis's
   * loadDataFromDisk). A replica adopts the saved history as its cached master, so it asks
   * `PSYNC <id> <offset+1>` and continues where it stopped. A master keeps its fresh id but accepts the
   * saved one as its secondary id, so its replicas can continue with it after the restart.
   */
  restoreFromRdb(replId: string, replOffset: number, streamDb: number): void {
    if (replId.length !== 40 || !Number.isSafeInteger(replOffset) || replOffset < 0) return;
    this.masterReplOffset = replOffset;
    if (this.link !== undefined || this.server.config.str('replicaof') !== '') {
      this.replid = replId;
      this.clearReplid2();
      this.cachedMaster = { replid: replId, offset: replOffset, db: streamDb };
    } else {
      this.replid2 = replId;
      this.secondReplidOffset = replOffset + 1;
      this.noReplicasSince = Date.now();
    }
    this.createBacklog();
  }
}

/** The manager behind `server.replication` (every server has one; see the Server constructor). */
export function replicationOf(server: Server): ReplicationManager {
  return server.replication as ReplicationManager;
}
