import type { ReplicatedCache } from './api.js';

/** Label keys the operator puts on everything it owns. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  /** On pods: `master` or `replica`; never on two live pods at once. */
  role: 'rcache.dev/role',
  /** On pods: `true` on the master (and, for a moment, on the old one); the master Service selects it. */
  servesWrites: 'rcache.dev/serves-writes',
  /** On pods: `true` on replicas (and briefly on a new master); the replicas Service selects it. */
  readReplica: 'rcache.dev/read-replica',
} as const;

export const APP_NAME = 'rcache';
export const FIELD_MANAGER = 'rcache-operator';
export const REDIS_PORT = 6379;
export const HEALTH_PORT = 8080;
/** Annotation a user sets on the cache to ask for a planned switchover to the named pod. */
export const SWITCHOVER_ANNOTATION = 'rcache.dev/switchover';

export const names = {
  statefulSet: (c: ReplicatedCache) => c.metadata.name,
  headless: (c: ReplicatedCache) => `${c.metadata.name}-headless`,
  masterService: (c: ReplicatedCache) => c.metadata.name,
  replicasService: (c: ReplicatedCache) => `${c.metadata.name}-replicas`,
  config: (c: ReplicatedCache) => `${c.metadata.name}-config`,
  pdb: (c: ReplicatedCache) => c.metadata.name,
  pod: (c: ReplicatedCache, ordinal: number) => `${c.metadata.name}-${ordinal}`,
  /** The stable DNS name of a pod through the headless Service: what replicas use in `replicaof`. */
  podHost: (c: ReplicatedCache, pod: string, clusterDomain = 'cluster.local') =>
    `${pod}.${c.metadata.name}-headless.${c.metadata.namespace}.svc.${clusterDomain}`,
};

/** Labels that select every pod of one cache (the StatefulSet selector; immutable once created). */
export function selectorLabels(c: ReplicatedCache): Record<string, string> {
  return { [LABELS.name]: APP_NAME, [LABELS.instance]: c.metadata.name };
}

export function commonLabels(c: ReplicatedCache): Record<string, string> {
  return { ...selectorLabels(c), [LABELS.managedBy]: FIELD_MANAGER };
}

/** `cache-3` → 3; undefined when the name is not one of this cache's pods. */
export function ordinalOf(c: ReplicatedCache, pod: string): number | undefined {
  const prefix = `${c.metadata.name}-`;
  if (!pod.startsWith(prefix)) return undefined;
  const rest = pod.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** The label selector string for status.selector (what `kubectl scale` and an HPA read). */
export function selectorString(c: ReplicatedCache): string {
  return Object.entries(selectorLabels(c))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
