import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { replicaInfo, replicaStateName } from './master.js';
import { replicationOf } from './role.js';

/** The lines of `INFO replication`, with Redis 7.0's fields in its order. */
export function replicationInfo(server: Server): string[] {
  const mgr = replicationOf(server);
  const lines: string[] = [];
  const now = Date.now();
  const link = mgr.link;
  if (link === undefined) {
    lines.push('role:master');
  } else {
    const c = link.masterClient;
    const cached = mgr.cachedMaster;
    const readOffset = c ? link.readOffset : cached ? cached.offset : 1;
    const processed = c ? mgr.masterReplOffset : cached ? cached.offset : 1;
    lines.push(
      'role:slave',
      `master_host:${link.host}`,
      `master_port:${link.port}`,
      `master_link_status:${link.isConnected ? 'up' : 'down'}`,
      `master_last_io_seconds_ago:${c ? Math.floor((now - link.lastIo) / 1000) : -1}`,
      `master_sync_in_progress:${link.state === 'transfer' ? 1 : 0}`,
      `slave_read_repl_offset:${readOffset}`,
      `slave_repl_offset:${processed}`,
    );
    const progress = link.transferProgress;
    if (link.state === 'transfer' && progress) {
      const left = progress.total >= 0 ? progress.total - progress.read : -1;
      const perc = progress.total > 0 ? ((progress.read * 100) / progress.total).toFixed(2) : '0.00';
      lines.push(
        `master_sync_total_bytes:${progress.total}`,
        `master_sync_read_bytes:${progress.read}`,
        `master_sync_left_bytes:${left}`,
        `master_sync_perc:${perc}`,
        `master_sync_last_io_seconds_ago:${Math.floor((now - link.lastIo) / 1000)}`,
      );
    }
    if (!link.isConnected) {
      lines.push(
        `master_link_down_since_seconds:${link.downSince ? Math.floor((now - link.downSince) / 1000) : -1}`,
      );
    }
    const cfg = server.config;
    lines.push(
      `slave_priority:${cfg.num('replica-priority')}`,
      `slave_read_only:${cfg.bool('replica-read-only') ? 1 : 0}`,
      `replica_announced:${cfg.bool('replica-announced') ? 1 : 0}`,
    );
  }
  lines.push(`connected_slaves:${mgr.master.replicas.size}`);
  if (link === undefined && mgr.minReplicasActive())
    lines.push(`min_slaves_good_slaves:${mgr.master.goodReplicas()}`);
  let i = 0;
  const nowSec = Math.floor(now / 1000);
  for (const r of mgr.master.replicas) {
    const info = replicaInfo(r);
    const ip = info.announcedIp || r.socket?.remoteAddress?.replace(/^::ffff:/, '') || '';
    const lag = info.phase === 'online' ? nowSec - Math.floor(info.ackTime / 1000) : 0;
    lines.push(
      `slave${i++}:ip=${ip},port=${info.listeningPort},state=${replicaStateName(info)},offset=${info.ackOffset},lag=${lag}`,
    );
  }
  const backlog = mgr.backlog;
  lines.push(
    `master_failover_state:${mgr.failoverState}`,
    `master_replid:${mgr.replid}`,
    `master_replid2:${mgr.replid2}`,
    `master_repl_offset:${mgr.masterReplOffset}`,
    `second_repl_offset:${mgr.secondReplidOffset}`,
    `repl_backlog_active:${backlog ? 1 : 0}`,
    `repl_backlog_size:${backlog ? backlog.size : mgr.backlogSize()}`,
    `repl_backlog_first_byte_offset:${backlog ? backlog.firstByteOffset : 0}`,
    `repl_backlog_histlen:${backlog ? backlog.histlen : 0}`,
  );
  return lines;
}

/** ROLE: `master <offset> [[ip port offset]...]` or `slave host port state offset`. */
export function writeRole(c: Client): void {
  const mgr = replicationOf(c.server);
  const link = mgr.link;
  if (link === undefined) {
    const online = [...mgr.master.replicas].filter((r) => replicaInfo(r).phase === 'online');
    c.out.arrayHeader(3);
    c.out.bulk('master');
    c.out.integer(mgr.masterReplOffset);
    c.out.arrayHeader(online.length);
    for (const r of online) {
      const info = replicaInfo(r);
      const ip = info.announcedIp || r.socket?.remoteAddress?.replace(/^::ffff:/, '') || '';
      c.out.arrayHeader(3);
      c.out.bulk(ip);
      c.out.bulk(String(info.listeningPort));
      c.out.bulk(String(info.ackOffset));
    }
    return;
  }
  c.out.arrayHeader(5);
  c.out.bulk('slave');
  c.out.bulk(link.host);
  c.out.integer(link.port);
  c.out.bulk(link.roleState);
  c.out.integer(link.masterClient ? mgr.masterReplOffset : -1);
}
