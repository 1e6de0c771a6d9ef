import { createHash } from 'node:crypto';
import { type ReplicatedCache, ReplicatedCacheSpec, type ReplicatedCacheStatus } from './api.js';
import { desiredObjects, type OperatorDefaults } from './desired.js';
import type { Informer } from './informer.js';
import type { KubeClient, KubeObject } from './kube.js';
import type { OperatorMetrics } from './metrics.js';
import { LABELS, names, ordinalOf, REDIS_PORT, SWITCHOVER_ANNOTATION, selectorString } from './names.js';
import { NodeClient, type NodeState, readNodeState } from './node-client.js';
import {
  LEAVE_REPLICAS_SERVICE_AFTER_MS,
  roleLabelPatches,
  SWITCHOVER_AFTER_QUIET_MS,
  servicesChangedAt,
} from './role-labels.js';
import { setCondition, statusChanged } from './status.js';
import { switchover } from './switchover.js';
import { decideTopology, type ObservedNode, type TopologyAction } from './topology.js';

export interface ReconcilerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ReconcilerDeps {
  kube: KubeClient;
  caches: Informer<ReplicatedCache & KubeObject>;
  statefulSets: Informer<KubeObject>;
  pods: Informer<KubeObject>;
  services: Informer<KubeObject>;
  defaults: OperatorDefaults;
  metrics: OperatorMetrics;
  log: ReconcilerLogger;
  /** How the operator reaches a node (pod IP in the cluster; overridable for tests). */
  nodeAddress?: (pod: KubeObject) => string | undefined;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** How often a healthy cache's nodes are checked (reads only): the failure detector's period. */
const HEALTH_PERIOD_MS = 500;
/** How often a deleted master's preStop handover is checked on: until it is seen, writers wait. */
const HANDOVER_POLL_MS = 50;
const NODE_TIMEOUT_MS = 400;
const APPLIED_HASH = 'rcache.dev/applied-hash';

type Observation = { pod: KubeObject; node: ObservedNode; state?: NodeState; ip?: string };

interface PodStatusLike {
  phase?: string;
  podIP?: string;
  conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
}

/** Waiting reasons that mean a pod will not start without a spec change. */
const STUCK_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'InvalidImageName',
]);

function stuckReason(pod: KubeObject): string | undefined {
  for (const cs of (pod.status as PodStatusLike | undefined)?.containerStatuses ?? []) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && STUCK_REASONS.has(waiting.reason))
      return `${pod.metadata.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  }
  return undefined;
}

function readyCondition(pod: KubeObject) {
  return (pod.status as PodStatusLike | undefined)?.conditions?.find((c) => c.type === 'Ready');
}

/** When the pod's Ready condition last changed (RFC 3339, whole seconds). */
function readySince(pod: KubeObject): string | undefined {
  return readyCondition(pod)?.lastTransitionTime;
}

function podReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Level-based, idempotent reconcile of one ReplicatedCache, keyed by namespace/name: it reads the world
 * (informer caches and each node's own replication state), decides, and writes only what differs.
 */
export class Reconciler {
  /** Hash of what we last applied per object, so an unchanged cache causes no apply at all. */
  private readonly applied = new Map<string, Map<string, string>>();
  /** When each node first failed to answer, for downAfterMillis. */
  private readonly unreachableSince = new Map<string, number>();
  private readonly passwords = new Map<string, string | undefined>();
  /** Since when the operator has seen each cache's master as master, for role-labels.ts. */
  private readonly masterSince = new Map<string, { pod: string; at: number; previous?: string }>();
  /** When the operator last changed each cache's role labels (so its Services), for planned switchovers. */
  private readonly relabelledAt = new Map<string, number>();

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const cache = this.deps.caches.cache.get(key);
    if (!cache || cache.metadata.deletionTimestamp) {
      this.forget(key);
      return {};
    }
    const log = this.deps.log;
    const ns = cache.metadata.namespace!;
    const name = cache.metadata.name;
    const parsed = ReplicatedCacheSpec.safeParse(cache.spec ?? {});
    if (!parsed.success) {
      const message = parsed.error.issues
        .map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`)
        .join('; ');
      await this.writeStatus(cache, this.degraded(cache, 'InvalidSpec', message));
      return {};
    }
    const rc: ReplicatedCache = { ...cache, spec: parsed.data } as ReplicatedCache;

    let password: string | undefined;
    if (rc.spec.auth) {
      const secret = await this.deps.kube.get<KubeObject & { data?: Record<string, string> }>(
        'Secret',
        ns,
        rc.spec.auth.secretRef.name,
      );
      const encoded = secret?.data?.[rc.spec.auth.secretRef.key];
      if (encoded === undefined) {
        await this.writeStatus(
          cache,
          this.degraded(
            cache,
            'MissingSecret',
            `Secret ${ns}/${rc.spec.auth.secretRef.name} with key '${rc.spec.auth.secretRef.key}' not found; create it or fix spec.auth.secretRef`,
          ),
        );
        return { requeueAfterMs: 10_000 };
      }
      password = Buffer.from(encoded, 'base64').toString('utf8');
    }
    this.passwords.set(key, password);

    // The pods that exist, by ordinal, and what their servers say.
    const pods = this.deps.pods.list(
      (p) =>
        p.metadata.namespace === ns &&
        ordinalOf(rc, p.metadata.name) !== undefined &&
        p.metadata.labels?.[LABELS.instance] === name,
    );
    const observed = await Promise.all(pods.map((p) => this.observe(key, p, password)));
    const nodes: ObservedNode[] = observed.map((o) => o.node);
    const currentMaster = cache.status?.master?.pod;
    if (currentMaster !== undefined && !nodes.some((n) => n.pod === currentMaster)) {
      // The master's pod is gone from the API: it cannot serve, it is a failure now.
      nodes.push({
        pod: currentMaster,
        ordinal: ordinalOf(rc, currentMaster) ?? 0,
        terminating: true,
        reachable: false,
        unreachableForMs: Number.MAX_SAFE_INTEGER,
      });
    }

    const decision = decideTopology({
      desired: rc.spec.replicas,
      currentMaster,
      nodes,
      downAfterMillis: rc.spec.failover.downAfterMillis,
      hostOf: (pod) => names.podHost(rc, pod, this.deps.defaults.clusterDomain),
    });

    let since = this.masterSince.get(key);
    if (decision.master !== undefined && since?.pod !== decision.master) {
      since = { pod: decision.master, at: Date.now(), previous: since?.pod };
      this.masterSince.set(key, since);
    }
    const masterForMs = since === undefined ? 0 : Date.now() - since.at;
    // Keep the master's ordinal alive until a scale-down has handed its role over, and the old master's
    // for a moment after that: deleted along with its relabelling, it would stay the master Service's
    // only (terminating) endpoint for a kube-proxy turn, answering READONLY.
    const kept = [
      decision.master,
      masterForMs < LEAVE_REPLICAS_SERVICE_AFTER_MS ? since?.previous : undefined,
    ];
    const stsReplicas = Math.max(
      rc.spec.replicas,
      ...kept.map((pod) => (pod === undefined ? 0 : (ordinalOf(rc, pod) ?? 0) + 1)),
    );
    await this.applyOwned(rc, stsReplicas);
    const replacedStuck = await this.replaceStuckStalePods(rc, cache, observed);

    const byPod = new Map(observed.map((o) => [o.node.pod, o]));
    // A planned switchover (here: a scale-down's) waits until kube-proxy is idle, see role-labels.ts.
    const switchoverWaitMs = Math.max(
      0,
      servicesChangedAt(
        this.relabelledAt.get(key),
        observed.map((o) => readySince(o.pod)),
      ) +
        SWITCHOVER_AFTER_QUIET_MS -
        Date.now(),
    );
    let executed = 0;
    for (const action of decision.actions) {
      if (action.kind === 'switchover' && switchoverWaitMs > 0) continue;
      await this.execute(rc, action, byPod, password);
      executed++;
    }

    // Role labels follow the decision in the same reconcile, so the Services follow too.
    if (decision.master !== undefined) {
      const patches = roleLabelPatches(
        observed.map((o) => ({
          name: o.node.pod,
          labels: o.pod.metadata.labels,
          reachable: o.node.reachable,
          terminating: o.node.terminating,
        })),
        decision.master,
        masterForMs,
      );
      for (const patch of patches) {
        if (patch.labels[LABELS.readReplica] === 'true') {
          await this.disconnectWriteClients(rc, patch.pod, byPod.get(patch.pod)?.ip, password);
        }
        await this.deps.kube.mergePatch('Pod', ns, patch.pod, { metadata: { labels: patch.labels } });
      }
      if (patches.length > 0) this.relabelledAt.set(key, Date.now());
    }

    // Planned changes (rolling updates, a requested switchover) only start from a healthy group.
    const planned =
      decision.master !== undefined && decision.actions.length === 0
        ? await this.plannedChanges(rc, cache, decision.master, observed, password, switchoverWaitMs)
        : {};

    if (decision.masterChanged) {
      this.deps.metrics.roleChanges.inc({
        namespace: ns,
        cache: name,
        kind: currentMaster === undefined ? 'initial' : 'failover',
      });
    }
    // With no master, say why the pods do not start (a bad image, a crash loop) when that is the cause.
    const stuckNoMaster =
      decision.problem !== undefined
        ? observed.map((o) => stuckReason(o.pod)).find((r) => r !== undefined)
        : undefined;
    const status = this.computeStatus(
      rc,
      cache,
      decision.master,
      decision.masterChanged,
      observed,
      decision.problem !== undefined
        ? stuckNoMaster !== undefined
          ? { reason: 'PodsNotStarting', message: `${decision.problem}: ${stuckNoMaster}` }
          : { reason: 'NoMaster', message: decision.problem }
        : planned.stuck !== undefined
          ? planned.stuck
          : undefined,
      planned.step,
    );
    await this.writeStatus(cache, status);
    if (decision.masterChanged) {
      await this.event(
        cache,
        'Normal',
        currentMaster === undefined ? 'MasterElected' : 'Failover',
        currentMaster === undefined
          ? `${decision.master} is the master`
          : `${decision.master} promoted: master ${currentMaster} failed`,
      );
      log.info({ namespace: ns, name, master: decision.master, epoch: status.epoch }, 'master changed');
    }
    // After changing roles, look again at once: the next pass records and labels the result. While a
    // preStop handover runs, every moment the new master goes unlabelled is write outage: poll it closely.
    const changing = executed > 0 || planned.acted || replacedStuck;
    const deferred = executed < decision.actions.length || planned.waiting;
    return {
      requeueAfterMs: changing
        ? 50
        : decision.awaitingHandover
          ? HANDOVER_POLL_MS
          : deferred
            ? Math.min(HEALTH_PERIOD_MS, switchoverWaitMs)
            : HEALTH_PERIOD_MS,
    };
  }

  /**
   * A pod stuck on a template that has changed since (a bad image, now fixed) never starts, so the group
   * never gets healthy enough for a planned rollout step and nothing would replace it (OnDelete): replace
   * it now. It runs no server, so no data or role is lost.
   */
  private async replaceStuckStalePods(
    rc: ReplicatedCache,
    cache: ReplicatedCache & KubeObject,
    observed: Observation[],
  ): Promise<boolean> {
    const sts = this.deps.statefulSets.cache.get(`${rc.metadata.namespace}/${names.statefulSet(rc)}`);
    const stsStatus = sts?.status as { updateRevision?: string; observedGeneration?: number } | undefined;
    // Only trust updateRevision once the StatefulSet controller has seen the latest template.
    if (!stsStatus?.updateRevision || stsStatus.observedGeneration !== sts?.metadata.generation) return false;
    let replaced = false;
    for (const o of observed) {
      const reason = stuckReason(o.pod);
      if (reason === undefined || o.node.reachable || o.node.terminating) continue;
      if (o.pod.metadata.labels?.['controller-revision-hash'] === stsStatus.updateRevision) continue;
      await this.deps.kube.delete('Pod', rc.metadata.namespace, o.node.pod);
      await this.event(cache, 'Normal', 'RollingUpdate', `replacing ${reason}: its template is outdated`);
      replaced = true;
    }
    return replaced;
  }

  /**
   * Rolling updates (the StatefulSet uses OnDelete: we decide the order) and user-requested
   * switchovers. One step per reconcile, and only when every node is ready and in sync: replicas are
   * replaced first, one at a time; then the master hands its role to an updated replica (no write
   * lost) and is replaced as a replica. A new pod that cannot start stops the rollout before the
   * master is touched, and the cache reports Degraded until the spec is fixed.
   */
  private async plannedChanges(
    rc: ReplicatedCache,
    cache: ReplicatedCache & KubeObject,
    master: string,
    observed: Observation[],
    password: string | undefined,
    switchoverWaitMs: number,
  ): Promise<{
    step?: string;
    stuck?: { reason: string; message: string };
    acted?: boolean;
    waiting?: boolean;
  }> {
    const ns = rc.metadata.namespace;
    const sts = this.deps.statefulSets.cache.get(`${ns}/${names.statefulSet(rc)}`);
    const revision = (sts?.status as { updateRevision?: string } | undefined)?.updateRevision;
    const stale = observed
      .filter((o) => o.pod.metadata.labels?.['controller-revision-hash'] !== revision)
      .sort((a, b) => a.node.ordinal - b.node.ordinal);
    const stuck = observed.map((o) => stuckReason(o.pod)).find((r) => r !== undefined);
    if (stuck) {
      // Only a pod of a rollout in progress is the spec's fault; a crash loop without one (a server
      // killed again and again, say) clears when its cause does.
      return {
        stuck:
          revision !== undefined && stale.length > 0
            ? {
                reason: 'RolloutStuck',
                message: `rollout stopped: ${stuck}; fix spec.image or the pod template to resume`,
              }
            : {
                reason: 'PodNotStarting',
                message: `${stuck}; kubectl describe pod and kubectl logs --previous say why`,
              },
      };
    }
    const healthy =
      observed.length === rc.spec.replicas &&
      observed.every((o) => o.node.reachable && !o.node.terminating && podReady(o.pod)) &&
      observed.every(
        (o) =>
          o.node.pod === master ||
          (o.state?.linkUp === true &&
            o.node.masterHost === names.podHost(rc, master, this.deps.defaults.clusterDomain)),
      );
    if (!healthy) return {};
    const byPod = new Map(observed.map((o) => [o.node.pod, o]));

    const requested = cache.metadata.annotations?.[SWITCHOVER_ANNOTATION];
    if (requested && requested !== master && byPod.has(requested)) {
      if (switchoverWaitMs > 0)
        return { step: `switching over to ${requested} once the Services have settled`, waiting: true };
      await this.execute(
        rc,
        {
          kind: 'switchover',
          from: master,
          to: requested,
          reason: `requested by the ${SWITCHOVER_ANNOTATION} annotation`,
        },
        byPod,
        password,
      );
      return { step: `switching over to ${requested}`, acted: true };
    }

    if (!revision) return {};
    if (stale.length === 0) return {};
    const replica = stale.find((o) => o.node.pod !== master);
    if (replica) {
      await this.deps.kube.delete('Pod', ns, replica.node.pod);
      await this.event(
        cache,
        'Normal',
        'RollingUpdate',
        `replacing replica ${replica.node.pod} (${stale.length} node(s) to update)`,
      );
      return { step: `rolling update: replacing replica ${replica.node.pod}`, acted: true };
    }
    // Only the master is left on the old revision: hand its role to an updated replica first.
    const target = observed
      .filter((o) => o.node.pod !== master)
      .sort((a, b) => (b.state?.offset ?? 0) - (a.state?.offset ?? 0) || a.node.ordinal - b.node.ordinal)[0];
    if (!target) {
      await this.deps.kube.delete('Pod', ns, master);
      return { step: `rolling update: replacing the lone master ${master}`, acted: true };
    }
    if (switchoverWaitMs > 0) {
      return {
        step: `rolling update: switching over from ${master} to ${target.node.pod} once the Services have settled`,
        waiting: true,
      };
    }
    await this.execute(
      rc,
      { kind: 'switchover', from: master, to: target.node.pod, reason: 'rolling update of the master' },
      byPod,
      password,
    );
    return { step: `rolling update: switching over from ${master} to ${target.node.pod}`, acted: true };
  }

  forget(key: string): void {
    this.passwords.delete(key);
    this.masterSince.delete(key);
    this.relabelledAt.delete(key);
    for (const k of [...this.unreachableSince.keys()])
      if (k.startsWith(`${key}/`)) this.unreachableSince.delete(k);
    this.applied.delete(key);
  }

  private async observe(
    key: string,
    pod: KubeObject,
    password: string | undefined,
  ): Promise<{ pod: KubeObject; node: ObservedNode; state?: NodeState; ip?: string }> {
    const status = pod.status as PodStatusLike | undefined;
    const podName = pod.metadata.name;
    const ordinal = Number(podName.slice(podName.lastIndexOf('-') + 1));
    const terminating =
      pod.metadata.deletionTimestamp !== undefined ||
      status?.phase === 'Failed' ||
      status?.phase === 'Succeeded';
    const ip = this.deps.nodeAddress ? this.deps.nodeAddress(pod) : status?.podIP;
    const healthKey = `${key}/${podName}`;
    let state: NodeState | undefined;
    let refused = false;
    // Terminating pods are asked too: a master being deleted still serves until its preStop hook has
    // handed the role over, and the topology decision must know that to wait for it (see topology.ts).
    if (ip) {
      let client: NodeClient | undefined;
      try {
        client = await NodeClient.connect(ip, REDIS_PORT, NODE_TIMEOUT_MS, password);
        state = await readNodeState(client, NODE_TIMEOUT_MS);
      } catch (err) {
        refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
        this.deps.log.debug({ pod: podName, err: (err as Error).message }, 'node did not answer');
      } finally {
        client?.close();
      }
    }
    const now = Date.now();
    if (state) this.unreachableSince.delete(healthKey);
    else if (!this.unreachableSince.has(healthKey)) this.unreachableSince.set(healthKey, now);
    const since = this.unreachableSince.get(healthKey);
    // A refused connection is no missed PING: nothing listens, the server died (it restarts fenced and
    // empty). A partition or a frozen server times out instead, and gets downAfterMillis.
    const unreachableForMs = refused ? Number.MAX_SAFE_INTEGER : since === undefined ? 0 : now - since;
    return {
      pod,
      ip,
      state,
      node: {
        pod: podName,
        ordinal,
        terminating,
        reachable: state !== undefined,
        unreachableForMs,
        address: ip,
        role: state?.role,
        fenced: state?.fenced,
        masterHost: state?.masterHost,
        linkUp: state?.linkUp,
        linkDownForSec: state?.linkDownForSec,
        offset: state?.offset,
      },
    };
  }

  private async execute(
    rc: ReplicatedCache,
    action: TopologyAction,
    byPod: Map<string, { ip?: string }>,
    password: string | undefined,
  ): Promise<void> {
    const ns = rc.metadata.namespace;
    const log = this.deps.log;
    const target = action.kind === 'switchover' ? action.from : action.pod;
    const ip = byPod.get(target)?.ip;
    if (!ip) return;
    const client = await NodeClient.connect(ip, REDIS_PORT, 2000, password);
    try {
      if (action.kind === 'promote') {
        await client.command(['REPLICAOF', 'NO', 'ONE'], 5000);
        log.info(
          { namespace: ns, name: rc.metadata.name, pod: action.pod, reason: action.reason },
          'promoted',
        );
      } else if (action.kind === 'follow') {
        const host = names.podHost(rc, action.master, this.deps.defaults.clusterDomain);
        await client.command(['REPLICAOF', host, String(REDIS_PORT)], 5000);
        this.deps.metrics.repairs.inc({ namespace: ns, cache: rc.metadata.name });
        log.info(
          {
            namespace: ns,
            name: rc.metadata.name,
            pod: action.pod,
            master: action.master,
            reason: action.reason,
          },
          're-pointed replica',
        );
        await this.event(
          rc as ReplicatedCache & KubeObject,
          'Normal',
          'ReplicaRepointed',
          `${action.pod} now follows ${action.master}: ${action.reason}`,
        );
      } else {
        const toIp = byPod.get(action.to)?.ip;
        if (!toIp) return;
        log.info(
          { namespace: ns, name: rc.metadata.name, from: action.from, to: action.to, reason: action.reason },
          'switchover started',
        );
        await this.switchover(rc, client, toIp, action.to, password);
        await this.event(
          rc as ReplicatedCache & KubeObject,
          'Normal',
          'Switchover',
          `${action.from} handed the master role to ${action.to}: ${action.reason}`,
        );
      }
    } finally {
      client.close();
    }
  }

  /**
   * A node about to join the replicas Service has served no client through it yet; the normal clients
   * it has came through the master Service while it was the master (or just after, before kube-proxy
   * moved the Service). Demoted, it answers their writes with READONLY, and most client libraries only
   * reconnect when the connection drops: drop them, as Sentinel does after a failover, so that they
   * reconnect through the master Service, which has moved on by now. Replication links and
   * subscribers are left alone (publishes reach replicas too). Best effort: a node that does not answer
   * is not held up for it.
   */
  private async disconnectWriteClients(
    rc: ReplicatedCache,
    pod: string,
    ip: string | undefined,
    password: string | undefined,
  ): Promise<void> {
    if (!ip) return;
    let client: NodeClient | undefined;
    try {
      client = await NodeClient.connect(ip, REDIS_PORT, NODE_TIMEOUT_MS, password);
      const killed = await client.command(['CLIENT', 'KILL', 'TYPE', 'normal'], NODE_TIMEOUT_MS);
      if (typeof killed === 'number' && killed > 0) {
        this.deps.log.info(
          { namespace: rc.metadata.namespace, name: rc.metadata.name, pod, clients: killed },
          'disconnected the clients a demoted master still had, so they reconnect to the new master',
        );
      }
    } catch (err) {
      this.deps.log.debug({ pod, err: (err as Error).message }, 'could not disconnect clients');
    } finally {
      client?.close();
    }
  }

  private async switchover(
    rc: ReplicatedCache,
    master: NodeClient,
    targetIp: string,
    targetPod: string,
    password: string | undefined,
  ): Promise<void> {
    const target = await NodeClient.connect(targetIp, REDIS_PORT, 2000, password);
    try {
      await switchover(
        master,
        target,
        names.podHost(rc, targetPod, this.deps.defaults.clusterDomain),
        REDIS_PORT,
      );
    } finally {
      target.close();
    }
  }

  /** Server-side applies every owned object whose desired form changed since we last applied it. */
  private async applyOwned(rc: ReplicatedCache, stsReplicas: number): Promise<void> {
    const objects = desiredObjects(rc, this.deps.defaults);
    const cacheKey = `${rc.metadata.namespace}/${rc.metadata.name}`;
    let applied = this.applied.get(cacheKey);
    if (!applied) {
      applied = new Map();
      this.applied.set(cacheKey, applied);
    }
    for (const obj of objects) {
      if (obj.kind === 'StatefulSet') (obj.spec as { replicas: number }).replicas = stsReplicas;
      const meta = obj.metadata as { name: string; namespace: string; annotations?: Record<string, string> };
      const hash = createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 16);
      meta.annotations = { ...(meta.annotations ?? {}), [APPLIED_HASH]: hash };
      const id = `${obj.kind}|${meta.namespace}|${meta.name}`;
      const informer =
        obj.kind === 'StatefulSet'
          ? this.deps.statefulSets
          : obj.kind === 'Service'
            ? this.deps.services
            : undefined;
      const live = informer?.cache.get(`${meta.namespace}/${meta.name}`);
      const upToDate = informer
        ? live?.metadata.annotations?.[APPLIED_HASH] === hash
        : applied.get(id) === hash;
      if (upToDate) continue;
      await this.deps.kube.apply(obj as unknown as KubeObject);
      applied.set(id, hash);
    }
  }

  private computeStatus(
    rc: ReplicatedCache,
    cache: ReplicatedCache & KubeObject,
    master: string | undefined,
    masterChanged: boolean,
    observed: Observation[],
    problem: { reason: string; message: string } | undefined,
    step: string | undefined,
  ): ReplicatedCacheStatus {
    const now = new Date().toISOString();
    const masterState = observed.find((o) => o.node.pod === master)?.state;
    const nodes = observed
      .filter((o) => !o.node.terminating)
      .sort((a, b) => a.node.ordinal - b.node.ordinal)
      .map((o) => {
        const ready = podReady(o.pod);
        const role: 'master' | 'replica' | 'unknown' = !o.state
          ? 'unknown'
          : o.node.pod === master
            ? 'master'
            : 'replica';
        const lag =
          role === 'replica' && masterState && o.state
            ? Math.max(0, masterState.offset - o.state.offset)
            : undefined;
        if (lag !== undefined)
          this.deps.metrics.replicationLag.set(
            { namespace: rc.metadata.namespace, cache: rc.metadata.name, pod: o.node.pod },
            lag,
          );
        return {
          name: o.node.pod,
          role,
          ready,
          linkStatus:
            role === 'replica' ? (o.state?.linkUp ? 'up' : 'down') : role === 'master' ? 'n/a' : undefined,
          offset: o.state?.offset,
          lag,
        } as NonNullable<ReplicatedCacheStatus['nodes']>[number];
      });
    const readyReplicas = nodes.filter((n) => n.ready).length;
    const replicasInSync = nodes.filter((n) => n.role === 'replica' && n.linkStatus === 'up').length;
    const allReady =
      master !== undefined &&
      readyReplicas === rc.spec.replicas &&
      nodes.length === rc.spec.replicas &&
      replicasInSync === rc.spec.replicas - 1;
    let conditions = cache.status?.conditions ?? [];
    conditions = setCondition(
      conditions,
      {
        type: 'Ready',
        status: allReady ? 'True' : 'False',
        reason: allReady ? 'AllNodesReady' : 'NodesNotReady',
        message: `${readyReplicas}/${rc.spec.replicas} nodes ready, ${replicasInSync} replicas in sync`,
        observedGeneration: cache.metadata.generation,
      },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Progressing',
        status: allReady && step === undefined ? 'False' : 'True',
        reason: step !== undefined ? 'RollingUpdate' : allReady ? 'Stable' : 'Converging',
        message:
          step ?? (allReady ? 'the group matches the spec' : 'waiting for nodes to become ready and in sync'),
        observedGeneration: cache.metadata.generation,
      },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Degraded',
        status: problem ? 'True' : 'False',
        reason: problem?.reason ?? 'AsExpected',
        message: problem?.message ?? 'no problem found',
        observedGeneration: cache.metadata.generation,
      },
      now,
    );
    const epoch = (cache.status?.epoch ?? 0) + (masterChanged ? 1 : 0);
    return {
      observedGeneration: cache.metadata.generation,
      replicas: nodes.length,
      readyReplicas,
      selector: selectorString(rc),
      phase: problem ? 'Degraded' : allReady && step === undefined ? 'Ready' : 'Progressing',
      master:
        master !== undefined
          ? { pod: master, address: names.podHost(rc, master, this.deps.defaults.clusterDomain) }
          : cache.status?.master,
      epoch,
      nodes,
      conditions,
    };
  }

  private degraded(
    cache: ReplicatedCache & KubeObject,
    reason: string,
    message: string,
  ): ReplicatedCacheStatus {
    const now = new Date().toISOString();
    let conditions = cache.status?.conditions ?? [];
    conditions = setCondition(
      conditions,
      { type: 'Degraded', status: 'True', reason, message, observedGeneration: cache.metadata.generation },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', reason, message, observedGeneration: cache.metadata.generation },
      now,
    );
    return {
      ...(cache.status ?? { replicas: 0, readyReplicas: 0, epoch: 0 }),
      observedGeneration: cache.metadata.generation,
      phase: 'Degraded',
      conditions,
    };
  }

  private async writeStatus(
    cache: ReplicatedCache & KubeObject,
    status: ReplicatedCacheStatus,
  ): Promise<void> {
    if (!statusChanged(cache, status)) return;
    await this.deps.kube.apply(
      {
        apiVersion: 'rcache.dev/v1alpha1',
        kind: 'ReplicatedCache',
        metadata: { name: cache.metadata.name, namespace: cache.metadata.namespace },
        status,
      } as KubeObject,
      'status',
    );
    // Keep our view current until the watch delivers the update, so we do not write it twice.
    cache.status = status;
  }

  private async event(
    cache: ReplicatedCache & KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    try {
      await this.deps.kube.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${cache.metadata.name}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
          namespace: cache.metadata.namespace,
        },
        involvedObject: {
          apiVersion: 'rcache.dev/v1alpha1',
          kind: 'ReplicatedCache',
          name: cache.metadata.name,
          namespace: cache.metadata.namespace,
          uid: cache.metadata.uid,
        },
        reason,
        message,
        type,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: 'rcache-operator' },
      });
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, reason }, 'could not record event');
    }
  }
}
