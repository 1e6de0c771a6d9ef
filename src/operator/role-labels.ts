import { LABELS } from './names.js';

/**
 * How long after a master change the replicas Service stays as it was (the new master in it, the old
 * one out of it). kube-proxy reprograms Services at most once per minSyncPeriod (1 s by default): had
 * both Services changed together, whichever endpoint update kube-proxy saw first would delay the other
 * by a second, half the time the one clients write through. The wait costs nothing: a master serves
 * reads too.
 *
 * It is also long enough for kube-proxy to have moved the master Service off a demoted master: the
 * clients still connected to one came through the master Service, and are disconnected (as Sentinel
 * does) just before it joins the replicas Service, so that they reconnect to the new master.
 */
export const LEAVE_REPLICAS_SERVICE_AFTER_MS = 2000;

/**
 * How long a cache's Services must have been unchanged before a planned switchover starts. kube-proxy
 * reprograms at most once per minSyncPeriod (1 s by default), and two changes close together take two
 * turns: a switchover that met kube-proxy just after a turn would leave writers on the demoted master,
 * refused, until the next one. A planned change can wait that long; its write pause should not.
 */
export const SWITCHOVER_AFTER_QUIET_MS = 2000;

/**
 * When a cache's Services last changed, as far as the operator can tell: its own last relabelling, or
 * a pod turning Ready or unready (its condition's lastTransitionTime, which has whole seconds, so the
 * end of that second).
 */
export function servicesChangedAt(
  relabelledAt: number | undefined,
  readyTransitions: readonly (string | undefined)[],
): number {
  let at = relabelledAt ?? 0;
  for (const t of readyTransitions) {
    const ms = t === undefined ? Number.NaN : Date.parse(t);
    if (Number.isFinite(ms)) at = Math.max(at, ms + 999);
  }
  return at;
}

export interface LabelledPod {
  name: string;
  labels: Record<string, string> | undefined;
  /** Its server answered in this reconcile. */
  reachable: boolean;
  /** Being deleted: left alone, it is going away. */
  terminating: boolean;
}

export interface LabelPatch {
  pod: string;
  /** A merge patch of metadata.labels: null removes a label. */
  labels: Record<string, string | null>;
}

/**
 * The label changes that make the Services follow the roles, in the order to apply them:
 *  1. the new master joins the master Service (`serves-writes=true`) while the old one is still in it,
 *     so kube-proxy's next turn routes writes to it; the old master was demoted before any relabelling,
 *     so it only answers READONLY, and clients that retry find the new one;
 *  2. the other pods are labelled replicas and leave the master Service;
 *  3. the new master takes the `role=master` label last, so no two live pods are ever labelled master.
 * A master that stopped answering is taken out of the master Service and labelled replica at once
 * (the kubelet may still call it Ready for a second); terminating pods are left alone.
 * The replicas Service selects `read-replica=true`, which changes only a while after (see above).
 */
export function roleLabelPatches(
  pods: readonly LabelledPod[],
  master: string,
  masterForMs: number,
): LabelPatch[] {
  // The replicas Service changes only once the master has held the role for a while, so that its
  // endpoint update never races the master Service's.
  const settled = masterForMs >= LEAVE_REPLICAS_SERVICE_AFTER_MS;
  const joins: LabelPatch[] = [];
  const demotions: LabelPatch[] = [];
  const promotions: LabelPatch[] = [];
  for (const pod of pods) {
    if (pod.terminating) continue;
    if (!pod.reachable) {
      // A dead master leaves the master Service at once, without waiting for the kubelet to notice;
      // nothing else is said of a node that does not answer.
      if (pod.name !== master)
        addPatch(demotions, pod, { [LABELS.role]: 'replica', [LABELS.servesWrites]: null });
      continue;
    }
    if (pod.name === master) {
      addPatch(joins, pod, { [LABELS.servesWrites]: 'true' });
      addPatch(promotions, pod, {
        [LABELS.role]: 'master',
        ...(settled ? { [LABELS.readReplica]: null } : {}),
      });
    } else {
      // Never into the replicas Service in the patch that takes a pod out of the master Service (its
      // write clients are disconnected as it joins, see above): a pass later. Usually the master change
      // took it out LEAVE_REPLICAS_SERVICE_AFTER_MS before; only a pod found still labelled long after
      // (by a restarted operator) comes here.
      const leavingMasterService = pod.labels?.[LABELS.servesWrites] !== undefined;
      addPatch(demotions, pod, {
        [LABELS.role]: 'replica',
        [LABELS.servesWrites]: null,
        ...(settled && !leavingMasterService ? { [LABELS.readReplica]: 'true' } : {}),
      });
    }
  }
  return [...joins, ...demotions, ...promotions];
}

/** Adds a patch of the labels that differ from what the pod has, if any do. */
function addPatch(into: LabelPatch[], pod: LabelledPod, want: Record<string, string | null>): void {
  const labels: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(want)) {
    if ((pod.labels?.[key] ?? null) !== value) labels[key] = value;
  }
  if (Object.keys(labels).length > 0) into.push({ pod: pod.name, labels });
}
