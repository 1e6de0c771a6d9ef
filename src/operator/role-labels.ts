import { LABELS } from './names.js';

/**
 * How long a new master stays in the replicas Service after it was labelled master. kube-proxy
 * reprograms Services at most once per minSyncPeriod (1 s by default): if the new master left the
 * replicas Service in the same change that puts it in the master Service, whichever endpoint update
 * kube-proxy saw first would delay the other by a second, half the time the one clients write through.
 * Leaving the replicas Service later costs nothing: a master serves reads too.
 */
export const LEAVE_REPLICAS_SERVICE_AFTER_MS = 1000;

export interface LabelledPod {
  name: string;
  labels: Record<string, string> | undefined;
  /** Reachable and not terminating: its labels are kept up to date. */
  current: boolean;
}

export interface LabelPatch {
  pod: string;
  /** A merge patch of metadata.labels: null removes a label. */
  labels: Record<string, string | null>;
}

/**
 * The label changes that make the Services follow the roles, the master's first: the master Service
 * selects `role=master`, the replicas Service `read-replica=true`.
 */
export function roleLabelPatches(
  pods: readonly LabelledPod[],
  master: string,
  masterForMs: number,
): LabelPatch[] {
  const patches: LabelPatch[] = [];
  for (const pod of pods) {
    if (!pod.current) continue;
    const want: Record<string, string | null> =
      pod.name === master
        ? {
            [LABELS.role]: 'master',
            ...(masterForMs >= LEAVE_REPLICAS_SERVICE_AFTER_MS ? { [LABELS.readReplica]: null } : {}),
          }
        : { [LABELS.role]: 'replica', [LABELS.readReplica]: 'true' };
    const labels: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(want)) {
      if ((pod.labels?.[key] ?? null) !== value) labels[key] = value;
    }
    if (Object.keys(labels).length === 0) continue;
    if (pod.name === master) patches.unshift({ pod: pod.name, labels });
    else patches.push({ pod: pod.name, labels });
  }
  return patches;
}
