import type { Client } from '../server/client.js';
import { replicaInfo } from './master.js';
import type { ReplicationManager } from './role.js';

interface Target {
  host: string;
  port: number;
}

/**
 * FAILOVER (Redis 7.0): a coordinated switchover started on a master. Writes are paused, the master
 * waits until a replica (the one named, or any) has acknowledged its whole stream, then turns itself
 * into a replica of it and sends `PSYNC <replid> <offset+1> FAILOVER`, which makes the target promote
 * itself and continue our history: no acknowledged write is lost.
 */
export class Failover {
  private target: Target | undefined;
  private force = false;
  /** Absolute ms; 0 = no timeout. */
  private endTime = 0;

  constructor(private readonly mgr: ReplicationManager) {}

  private get server() {
    return this.mgr.server;
  }

  command(c: Client, argv: string[]): void {
    let host: string | undefined;
    let port = 0;
    let force = false;
    let abort = false;
    let timeout = 0;
    for (let i = 1; i < argv.length; i++) {
      const arg = argv[i]!.toLowerCase();
      if (arg === 'to' && i + 2 < argv.length && host === undefined) {
        host = argv[++i]!;
        const p = Number(argv[++i]);
        if (!/^-?\d+$/.test(argv[i]!) || !Number.isSafeInteger(p)) {
          c.out.error('ERR value is not an integer or out of range');
          return;
        }
        port = p;
      } else if (arg === 'timeout' && i + 1 < argv.length && timeout === 0) {
        const t = Number(argv[++i]);
        if (!/^-?\d+$/.test(argv[i]!) || !Number.isSafeInteger(t)) {
          c.out.error('ERR value is not an integer or out of range');
          return;
        }
        if (t <= 0) {
          c.out.error('ERR FAILOVER timeout must be greater than 0');
          return;
        }
        timeout = t;
      } else if (arg === 'force' && !force) {
        force = true;
      } else if (arg === 'abort' && !abort) {
        abort = true;
      } else {
        c.out.error('ERR syntax error');
        return;
      }
    }
    const mgr = this.mgr;
    if (abort) {
      if (mgr.failoverState === 'no-failover') {
        c.out.error('ERR No failover in progress.');
        return;
      }
      this.abort('Failover manually aborted');
      c.out.status('OK');
      return;
    }
    if (force && (timeout === 0 || host === undefined)) {
      c.out.error('ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
      return;
    }
    if (mgr.isReplica) {
      c.out.error('ERR FAILOVER is not valid when server is a replica.');
      return;
    }
    if (mgr.master.replicas.size === 0) {
      c.out.error('ERR FAILOVER requires connected replicas.');
      return;
    }
    if (mgr.failoverState !== 'no-failover') {
      c.out.error('ERR FAILOVER already in progress.');
      return;
    }
    if (host !== undefined) {
      const replica = this.findReplica({ host, port });
      if (replica === undefined) {
        c.out.error('ERR FAILOVER target HOST and PORT is not a replica.');
        return;
      }
      if (replicaInfo(replica).phase !== 'online') {
        c.out.error('ERR FAILOVER target replica is not online.');
        return;
      }
    }
    this.target = host !== undefined ? { host, port } : undefined;
    this.force = force;
    this.endTime = timeout > 0 ? Date.now() + timeout : 0;
    mgr.failoverState = 'waiting-for-sync';
    this.server.log.notice(
      host !== undefined ? `FAILOVER requested to ${host}:${port}.` : 'FAILOVER requested to any replica.',
    );
    // Hold writes back so the target can reach our final offset.
    this.server.pauseWritesUntil = Number.POSITIVE_INFINITY;
    mgr.master.requestAcks();
    c.out.status('OK');
  }

  private findReplica(t: Target): Client | undefined {
    for (const r of this.mgr.master.replicas) {
      const info = replicaInfo(r);
      const ip = info.announcedIp || r.socket?.remoteAddress?.replace(/^::ffff:/, '') || '';
      if (ip.toLowerCase() === t.host.toLowerCase() && info.listeningPort === t.port) return r;
    }
    return undefined;
  }

  /** Checked on every ACK and every second while waiting for the target to catch up. */
  check(): void {
    const mgr = this.mgr;
    if (mgr.failoverState !== 'waiting-for-sync') return;
    if (this.endTime !== 0 && Date.now() >= this.endTime) {
      if (this.force && this.target) {
        this.server.log.notice(`FAILOVER to ${this.target.host}:${this.target.port} forced after timeout.`);
        this.handOver(this.target);
      } else {
        this.abort('Replica never caught up before timeout');
      }
      return;
    }
    for (const r of mgr.master.replicas) {
      const info = replicaInfo(r);
      if (info.phase !== 'online' || info.ackOffset !== mgr.masterReplOffset) continue;
      const ip = info.announcedIp || r.socket?.remoteAddress?.replace(/^::ffff:/, '') || '';
      const candidate = { host: ip, port: info.listeningPort };
      if (this.target && this.findReplica(this.target) !== r) continue;
      const chosen = this.target ?? candidate;
      this.server.log.notice(`Failover target ${chosen.host}:${chosen.port} is synced, failing over.`);
      this.handOver(chosen);
      return;
    }
  }

  private handOver(target: Target): void {
    this.mgr.failoverState = 'failover-in-progress';
    this.mgr.replicaOf(target.host, target.port, undefined);
  }

  /** The target answered our `PSYNC ... FAILOVER`. */
  psyncResult(accepted: boolean): void {
    if (this.mgr.failoverState !== 'failover-in-progress') return;
    if (accepted) this.clear();
    else this.abort('Failover target rejected psync request');
  }

  abort(reason: string): void {
    const mgr = this.mgr;
    this.server.log.warning(`FAILOVER aborted: ${reason}`);
    if (mgr.failoverState === 'failover-in-progress') {
      // We had already turned into a replica of the target: become a master again.
      mgr.failoverState = 'no-failover';
      mgr.promote('failover abort');
    }
    this.clear();
  }

  private clear(): void {
    this.mgr.failoverState = 'no-failover';
    this.target = undefined;
    this.force = false;
    this.endTime = 0;
    this.server.pauseWritesUntil = 0;
    this.server.resumePostponed();
  }
}
