import { NodeClient, readNodeState } from './node-client.js';
import { connectedReplicas, switchover } from './switchover.js';

/**
 * The master pod's preStop hook (`rcache-server --pre-stop`): when the pod is being stopped by someone
 * other than the operator (a node drain, a manual delete), hand the master role to the most up-to-date
 * online replica before the server goes away, so no acknowledged write is lost and clients wait a
 * fraction of a second instead of a failure detection. Bounded in time; does nothing on replicas.
 */
export async function preStop(
  port: number,
  password: string | undefined,
  log: (msg: string) => void,
): Promise<number> {
  let local: NodeClient;
  try {
    local = await NodeClient.connect('127.0.0.1', port, 1000, password);
  } catch (err) {
    log(`pre-stop: server not reachable (${(err as Error).message}); nothing to hand over`);
    return 0;
  }
  try {
    const state = await readNodeState(local, 2000);
    if (state.role !== 'master' || state.fenced) {
      log(`pre-stop: this node is a ${state.fenced ? 'fenced node' : state.role}; nothing to hand over`);
      return 0;
    }
    const replicas = (await connectedReplicas(local))
      .filter((r) => r.state === 'online')
      .sort((a, b) => b.offset - a.offset);
    const target = replicas[0];
    if (!target) {
      log('pre-stop: no online replica; nothing to hand over');
      return 0;
    }
    const remote = await NodeClient.connect(target.ip, target.port, 1000, password);
    try {
      const t0 = Date.now();
      await switchover(local, remote, target.ip, target.port);
      log(`pre-stop: handed the master role to ${target.ip}:${target.port} in ${Date.now() - t0} ms`);
    } finally {
      remote.close();
    }
    return 0;
  } catch (err) {
    log(`pre-stop: switchover failed (${(err as Error).message}); the operator will fail over`);
    return 0;
  } finally {
    local.close();
  }
}
