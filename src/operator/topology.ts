/**
 * The topology decision, as a pure function of what the operator observed: which node is master,
 * and what each node must be told. The reconciler executes the actions; running the decision again on
 * the new observations yields no actions once the group is correct (level-based, idempotent).
 */

/** What the operator saw of one pod and its server. */
export interface ObservedNode {
  pod: string;
  ordinal: number;
  /** The pod is being deleted or is gone from the API: never a candidate. */
  terminating: boolean;
  /** We talked to its server in this reconcile. */
  reachable: boolean;
  /** For how long (ms) it has been unreachable; 0 when reachable. */
  unreachableForMs: number;
  /** The server's own answer (undefined when unreachable). */
  role?: 'master' | 'replica';
  /** Started and not yet given a role by the operator: possibly empty, never a master candidate. */
  fenced?: boolean;
  /** The pod's IP: a preStop handover names its target by IP (see handoverTarget). */
  address?: string;
  /** For replicas: the host they follow (the stable DNS name we told them) and their link. */
  masterHost?: string;
  linkUp?: boolean;
  /** How long (s) the replica's link has been down; 0 when up. */
  linkDownForSec?: number;
  /** Replication offset: master_repl_offset for masters, processed offset for replicas. */
  offset?: number;
}

export interface TopologyInput {
  /** spec.replicas: nodes that should exist (ordinals 0..desired-1). */
  desired: number;
  /** status.master.pod: the master the operator last established. */
  currentMaster: string | undefined;
  nodes: ObservedNode[];
  /** spec.failover.downAfterMillis: how long a master may be unreachable before failing over. */
  downAfterMillis: number;
  /** The stable DNS name of a pod (what `replicaof` is given). */
  hostOf: (pod: string) => string;
  /** Replicas whose link was down longer than this are not promoted (their data may be stale). */
  maxLinkDownSec?: number;
}

export type TopologyAction =
  /** `REPLICAOF NO ONE`: becomes (or stays) the master. */
  | { kind: 'promote'; pod: string; reason: string }
  /** `REPLICAOF <host> 6379`. */
  | { kind: 'follow'; pod: string; master: string; reason: string }
  /** Planned handover from a healthy master (FAILOVER TO), losing no acknowledged write. */
  | { kind: 'switchover'; from: string; to: string; reason: string };

export interface TopologyDecision {
  /** The master after the actions (undefined: none can be chosen safely now; retry later). */
  master: string | undefined;
  /** True when the master changes (the epoch increases). */
  masterChanged: boolean;
  actions: TopologyAction[];
  /** Why no master could be chosen, for the Degraded condition. */
  problem?: string;
  /** The terminating master's preStop hook is handing its role over: look again soon. */
  awaitingHandover?: boolean;
}

const DEFAULT_MAX_LINK_DOWN_SEC = 60;

export function decideTopology(input: TopologyInput): TopologyDecision {
  const byPod = new Map(input.nodes.map((n) => [n.pod, n]));
  const current = input.currentMaster !== undefined ? byPod.get(input.currentMaster) : undefined;
  const actions: TopologyAction[] = [];

  let master: string | undefined;
  let masterChanged = false;
  let problem: string | undefined;

  if (
    current?.terminating &&
    current.reachable &&
    current.role === 'master' &&
    current.fenced !== true &&
    !input.nodes.some((n) => n.pod !== current.pod && isHealthyMaster(n))
  ) {
    // The master's pod is being deleted but its server still accepts writes: its preStop hook is handing
    // the role over (every acknowledged write reaches the target first). Promoting a replica now would
    // race with that handover and miss the writes the old master still acknowledges. Wait until it has
    // handed over (another node is master) or stopped answering (then fail over as usual).
    return { master: undefined, masterChanged: false, actions: [], awaitingHandover: true };
  }
  const target = current?.terminating && current.reachable ? handoverTarget(input, current) : undefined;
  if (target && !target.terminating && !isHealthyMaster(target)) {
    // Mid-handover: the old master already follows its target, which has not taken the role yet (a
    // FAILOVER turns the old master into a replica before the target promotes itself), or did not
    // answer this time. Only that target may be the next master; promoting another would make two,
    // one of them with writes the other never sees. Bounded: the old master's pod is going away, and
    // once it stops answering this is an ordinary failover.
    return { master: undefined, masterChanged: false, actions: [], awaitingHandover: true };
  }

  if (current && isHealthyMaster(current)) {
    master = current.pod;
  } else if (
    current &&
    !current.terminating &&
    !current.reachable &&
    current.unreachableForMs < input.downAfterMillis
  ) {
    // One missed check is not a failure: keep the master until downAfterMillis has passed.
    master = current.pod;
  } else {
    const adopted = input.currentMaster === undefined ? adoptExistingMaster(input.nodes) : undefined;
    if (adopted) {
      master = adopted.pod;
      masterChanged = true;
    } else if (input.currentMaster === undefined) {
      // First start: ordinal 0 becomes master once it is up, as users expect from the StatefulSet.
      const first = input.nodes.find((n) => n.ordinal === 0);
      if (first?.reachable && !first.terminating) {
        master = first.pod;
        masterChanged = true;
        actions.push({ kind: 'promote', pod: first.pod, reason: 'initial master (ordinal 0)' });
      } else {
        problem = 'waiting for ordinal 0 to start';
      }
    } else {
      // A failover that an earlier reconcile started (promoted, then died before recording it).
      const promoted = adoptExistingMaster(input.nodes.filter((n) => n.pod !== input.currentMaster));
      const candidate =
        promoted ?? bestReplica(input, input.currentMaster, input.hostOf(input.currentMaster));
      if (promoted) {
        master = promoted.pod;
        masterChanged = true;
      } else if (candidate) {
        master = candidate.pod;
        masterChanged = true;
        actions.push({ kind: 'promote', pod: candidate.pod, reason: `master ${input.currentMaster} failed` });
      } else {
        problem = `master ${input.currentMaster} is down and no replica is safe to promote`;
      }
    }
  }

  if (master === undefined) return { master, masterChanged: false, actions, problem };

  // Scale-down that removes the master's ordinal: hand the role over first.
  const masterNode = byPod.get(master)!;
  if (!masterChanged && masterNode.ordinal >= input.desired && isHealthyMaster(masterNode)) {
    const target = bestReplica(
      { ...input, nodes: input.nodes.filter((n) => n.ordinal < input.desired) },
      master,
      input.hostOf(master),
    );
    if (target) {
      actions.push({
        kind: 'switchover',
        from: master,
        to: target.pod,
        reason: `scale down removes ${master}`,
      });
      return { master, masterChanged: false, actions };
    }
  }

  const masterHost = input.hostOf(master);
  for (const node of input.nodes) {
    if (node.pod === master || !node.reachable || node.terminating) continue;
    if (node.fenced) {
      actions.push({ kind: 'follow', pod: node.pod, master, reason: 'node started: assigning its role' });
    } else if (node.role === 'master') {
      actions.push({
        kind: 'follow',
        pod: node.pod,
        master,
        reason: `second master: ${master} keeps the role`,
      });
    } else if (node.masterHost !== masterHost) {
      actions.push({
        kind: 'follow',
        pod: node.pod,
        master,
        reason: `follows ${node.masterHost ?? 'nothing'} instead of ${master}`,
      });
    }
  }
  if (!masterChanged && (masterNode.fenced || masterNode.role !== 'master') && masterNode.reachable) {
    // The named master answers but not as an unfenced master: it restarted. Its data may be empty, so
    // it is not re-promoted; fall through to failover on the next pass by treating it as failed.
    return decideTopology({
      ...input,
      nodes: input.nodes.map((n) => (n.pod === master ? { ...n, terminating: true } : n)),
    });
  }
  return { master, masterChanged, actions };
}

function isHealthyMaster(n: ObservedNode): boolean {
  return n.reachable && !n.terminating && n.role === 'master' && n.fenced !== true;
}

/** The node a demoted (terminating) master follows: by DNS name, or by IP when its preStop hook named it. */
function handoverTarget(input: TopologyInput, old: ObservedNode): ObservedNode | undefined {
  if (old.role !== 'replica' || old.masterHost === undefined) return undefined;
  return input.nodes.find(
    (n) => n.pod !== old.pod && (n.address === old.masterHost || input.hostOf(n.pod) === old.masterHost),
  );
}

/** After an operator restart with no status, keep whichever unfenced master holds the most data. */
function adoptExistingMaster(nodes: ObservedNode[]): ObservedNode | undefined {
  const masters = nodes.filter(isHealthyMaster);
  masters.sort((a, b) => (b.offset ?? 0) - (a.offset ?? 0) || a.ordinal - b.ordinal);
  return masters[0];
}

/**
 * The replica to promote: reachable, unfenced, following the old master, link not down for too long;
 * highest replication offset wins, ties go to the lowest ordinal.
 */
function bestReplica(
  input: TopologyInput,
  oldMaster: string,
  oldMasterHost: string,
): ObservedNode | undefined {
  const maxDown = input.maxLinkDownSec ?? DEFAULT_MAX_LINK_DOWN_SEC;
  const candidates = input.nodes.filter(
    (n) =>
      n.pod !== oldMaster &&
      n.reachable &&
      !n.terminating &&
      n.fenced !== true &&
      n.role === 'replica' &&
      n.masterHost === oldMasterHost &&
      (n.linkDownForSec ?? 0) <= maxDown,
  );
  candidates.sort((a, b) => (b.offset ?? 0) - (a.offset ?? 0) || a.ordinal - b.ordinal);
  return candidates[0];
}
