import { NodeClient, readNodeState } from './node-client.js';
import { connectedReplicas, switchover } from './switchover.js';

export interface PreStopOptions {
  /** The local server's port. */
  port: number;
  /** How long a master keeps serving before it hands over (spec.failover.handoverDelayMillis). */
  delayMs: number;
  /**
   * How long the pod stays reachable after handing over (as a replica, which answers writes with
   * -READONLY), while the master Service moves to the new master; see preStop.
   */
  drainMs: number;
  password?: string;
  log: (msg: string) => void;
}

const USAGE = 'usage: rcache-server --pre-stop [--port <port>] [--delay-ms <ms>] [--drain-ms <ms>]';

/** `--port <n> --delay-ms <n> --drain-ms <n>` in any order; when they are wrong, a message naming the problem. */
export function parsePreStopArgs(args: string[]): Omit<PreStopOptions, 'log' | 'password'> | string {
  const options = { port: 6379, delayMs: 0, drainMs: 0 };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (args[i + 1] === undefined || !Number.isInteger(value) || value < 0) {
      return `pre-stop: ${args[i]} needs a non-negative integer; ${USAGE}`;
    }
    if (args[i] === '--port') options.port = value;
    else if (args[i] === '--delay-ms') options.delayMs = value;
    else if (args[i] === '--drain-ms') options.drainMs = value;
    else return `pre-stop: unknown option ${args[i]}; ${USAGE}`;
  }
  return options;
}

/**
 * The master pod's preStop hook (`rcache-server --pre-stop`): when the pod is being stopped by someone
 * other than the operator (a node drain, a manual delete), hand the master role to the most up-to-date
 * online replica before the server goes away, so no acknowledged write is lost and clients wait a
 * fraction of a second instead of a failure detection. Bounded in time; does nothing on replicas.
 *
 * It first keeps serving for `delayMs`. The deletion has just made kube-proxy reprogram the master
 * Service (which keeps routing to this serving, terminating pod while no other is ready), and kube-proxy
 * reprograms at most once per minSyncPeriod: a new master labelled sooner than that would wait for the
 * next turn while this one already refuses writes.
 *
 * After handing over it stays for `drainMs`: the master Service routes here until the operator has
 * moved the role label and kube-proxy its rules. A pod that is gone by then leaves the clients' SYNs
 * unanswered, and each costs the kernel's 1 s SYN retransmission; a replica that is still here answers
 * at once (-READONLY), so clients retry and reach the new master as soon as the Service does.
 */
export async function preStop(options: PreStopOptions): Promise<number> {
  const { log } = options;
  let local: NodeClient;
  try {
    local = await NodeClient.connect('127.0.0.1', options.port, 1000, options.password);
  } catch (err) {
    log(`pre-stop: server not reachable (${(err as Error).message}); nothing to hand over`);
    return 0;
  }
  try {
    if (!(await isUnfencedMaster(local, log))) return 0;
    if (options.delayMs > 0) {
      log(`pre-stop: serving ${options.delayMs} ms more before handing the master role over`);
      await new Promise((r) => setTimeout(r, options.delayMs));
      // The operator may have moved the role meanwhile (it does not while this pod terminates, but a
      // person might): only a master hands over.
      if (!(await isUnfencedMaster(local, log))) return 0;
    }
    const replicas = (await connectedReplicas(local))
      .filter((r) => r.state === 'online')
      .sort((a, b) => b.offset - a.offset);
    const target = replicas[0];
    if (!target) {
      log('pre-stop: no online replica; nothing to hand over');
      return 0;
    }
    const remote = await NodeClient.connect(target.ip, target.port, 1000, options.password);
    try {
      const t0 = Date.now();
      await switchover(local, remote, target.ip, target.port);
      log(`pre-stop: handed the master role to ${target.ip}:${target.port} in ${Date.now() - t0} ms`);
    } finally {
      remote.close();
    }
    if (options.drainMs > 0) {
      log(`pre-stop: staying ${options.drainMs} ms as a replica while the master Service moves`);
      await new Promise((r) => setTimeout(r, options.drainMs));
    }
    return 0;
  } catch (err) {
    log(`pre-stop: switchover failed (${(err as Error).message}); the operator will fail over`);
    return 0;
  } finally {
    local.close();
  }
}

async function isUnfencedMaster(local: NodeClient, log: (msg: string) => void): Promise<boolean> {
  const state = await readNodeState(local, 2000);
  if (state.role === 'master' && !state.fenced) return true;
  log(`pre-stop: this node is a ${state.fenced ? 'fenced node' : state.role}; nothing to hand over`);
  return false;
}
