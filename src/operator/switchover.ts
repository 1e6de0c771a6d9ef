import { type NodeClient, parseInfo, readNodeState } from './node-client.js';

/**
 * A planned handover that loses no acknowledged write — what Redis's FAILOVER does inside the server,
 * driven from outside so that it works with any Redis-compatible node: pause writes on the master, wait
 * until the target has processed everything the master has, promote the target, make the old master
 * follow it, then let the paused clients go (their writes now meet a replica and are retried through
 * the master Service, which follows the role label).
 */
export async function switchover(
  master: NodeClient,
  target: NodeClient,
  targetHost: string,
  targetPort: number,
  options: { catchUpTimeoutMs?: number; pauseMs?: number } = {},
): Promise<void> {
  const pauseMs = options.pauseMs ?? 10_000;
  await master.command(['CLIENT', 'PAUSE', String(pauseMs), 'WRITE'], 2000);
  try {
    const masterOffset = (await readNodeState(master, 2000)).offset;
    const deadline = Date.now() + (options.catchUpTimeoutMs ?? 5000);
    for (;;) {
      const t = await readNodeState(target, 2000);
      if (t.role === 'replica' && t.offset >= masterOffset) break;
      if (Date.now() > deadline)
        throw new Error(`switchover: target did not catch up (offset ${t.offset} < ${masterOffset})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await target.command(['REPLICAOF', 'NO', 'ONE'], 5000);
    await master.command(['REPLICAOF', targetHost, String(targetPort)], 5000);
  } finally {
    await master.command(['CLIENT', 'UNPAUSE'], 2000).catch(() => undefined);
  }
}

export interface ReplicaEntry {
  ip: string;
  port: number;
  state: string;
  offset: number;
}

/** The `slaveN:ip=...,port=...,state=online,offset=...,lag=...` lines of INFO replication. */
export async function connectedReplicas(master: NodeClient): Promise<ReplicaEntry[]> {
  const info = parseInfo(String(await master.command(['INFO', 'replication'], 2000)));
  const out: ReplicaEntry[] = [];
  for (const [key, value] of info) {
    if (!/^slave\d+$/.test(key)) continue;
    const fields = Object.fromEntries(value.split(',').map((kv) => kv.split('=') as [string, string]));
    out.push({
      ip: fields.ip ?? '',
      port: Number(fields.port),
      state: fields.state ?? '',
      offset: Number(fields.offset ?? 0),
    });
  }
  return out;
}
