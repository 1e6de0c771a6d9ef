import { LABELS } from './names.js';

/**
 * How long a new master stays in the replicas Service after it joined the master Service. kube-proxy
 * reprograms Services at most once per minSyncPeriod (1 s by default): if the new master left the
 * replicas Service in the same change that puts it in the master Service, whichever endpoint update
 * kube-proxy saw first would delay the other by a second, half the time the one clients write through.
 * Leaving the replicas Service later costs nothing: a master serves reads too.
 */
export const LEAVE_REPLICAS_SERVICE_AFTER_MS = 1000;

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
 * The replicas Service selects `read-replica=true`, which a new master keeps for a while (see above).
 */
export function roleLabelPatches(
  pods: readonly LabelledPod[],
  master: string,
  masterForMs: number,
): LabelPatch[] {
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
        ...(masterForMs >= LEAVE_REPLICAS_SERVICE_AFTER_MS ? { [LABELS.readReplica]: null } : {}),
      });
    } else {
      addPatch(demotions, pod, {
        [LABELS.role]: 'replica',
        [LABELS.readReplica]: 'true',
        [LABELS.servesWrites]: null,
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
