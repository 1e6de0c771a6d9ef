import { createHash } from 'node:crypto';
import type { ReplicatedCache } from './api.js';
import {
  APP_NAME,
  commonLabels,
  FIELD_MANAGER,
  HEALTH_PORT,
  LABELS,
  names,
  REDIS_PORT,
  selectorLabels,
} from './names.js';

/**
 * Pure functions from a ReplicatedCache (and the operator's defaults) to the Kubernetes objects that
 * realise it. No I/O here: the reconciler server-side-applies whatever these return, so what they
 * return is exactly what we own (fields we leave out are not ours).
 */

export interface OperatorDefaults {
  /** Image for caches that do not set spec.image: the operator's own. */
  image: string;
  clusterDomain: string;
}

type Obj = Record<string, unknown>;

/**
 * How long a master's pod stays up after its preStop hook handed the role over: the operator's relabel
 * and kube-proxy's next turn (at most once a second by default) move the master Service meanwhile.
 */
export const PRE_STOP_DRAIN_MS = 2000;

function ownerReference(c: ReplicatedCache): Obj {
  return {
    apiVersion: 'rcache.dev/v1alpha1',
    kind: 'ReplicatedCache',
    name: c.metadata.name,
    uid: c.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function metadata(c: ReplicatedCache, name: string, extraLabels: Record<string, string> = {}): Obj {
  return {
    name,
    namespace: c.metadata.namespace,
    labels: { ...commonLabels(c), ...extraLabels },
    ownerReferences: [ownerReference(c)],
  };
}

/**
 * The redis.conf every node starts with. Nodes start **fenced**: they refuse writes and refuse to feed
 * replicas until the operator gives them a role (REPLICAOF host port / REPLICAOF NO ONE). A pod that
 * restarted with an empty dataset therefore can never act as a master on its own.
 */
export function serverConfig(c: ReplicatedCache): string {
  const s = c.spec;
  const lines = [
    `# Managed by ${FIELD_MANAGER} for ${c.metadata.namespace}/${c.metadata.name}: edit the ReplicatedCache, not this file.`,
    `port ${REDIS_PORT}`,
    'bind * -::*',
    'protected-mode no',
    'dir /data',
    'fenced yes',
    `health-port ${HEALTH_PORT}`,
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    `maxmemory-policy ${s.maxmemoryPolicy}`,
    `min-replicas-to-write ${s.minReplicasToWrite}`,
  ];
  if (s.maxmemory !== undefined) lines.push(`maxmemory ${s.maxmemory}`);
  if (!s.persistence.enabled) lines.push('save ""');
  for (const [k, v] of Object.entries(s.config).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`${k} ${quoteConf(v)}`);
  return `${lines.join('\n')}\n`;
}

function quoteConf(v: string): string {
  return /^[^\s"'\\]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function desiredConfigMap(c: ReplicatedCache): Obj {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(c, names.config(c)),
    data: { 'redis.conf': serverConfig(c) },
  };
}

/** A short hash of what the pods must restart for; stored on the pod template so a change rolls out. */
export function configHash(c: ReplicatedCache): string {
  return createHash('sha256')
    .update(serverConfig(c))
    .update(JSON.stringify(c.spec.auth ?? null))
    .digest('hex')
    .slice(0, 16);
}

export function desiredStatefulSet(c: ReplicatedCache, defaults: OperatorDefaults): Obj {
  const s = c.spec;
  const args = ['/etc/rcache/redis.conf'];
  const env: Obj[] = [];
  if (s.auth) {
    env.push({
      name: 'RCACHE_PASSWORD',
      valueFrom: { secretKeyRef: { name: s.auth.secretRef.name, key: s.auth.secretRef.key } },
    });
    // The kubelet expands $(VAR) in args, so the password never lands in the ConfigMap.
    args.push('--requirepass', '$(RCACHE_PASSWORD)', '--masterauth', '$(RCACHE_PASSWORD)');
  }
  const podLabels = { ...(s.podLabels ?? {}), ...commonLabels(c) };
  const volumes: Obj[] = [{ name: 'config', configMap: { name: names.config(c) } }];
  const volumeClaimTemplates: Obj[] = [];
  if (s.persistence.enabled) {
    volumeClaimTemplates.push({
      metadata: { name: 'data', labels: selectorLabels(c) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: String(s.persistence.size) } },
        ...(s.persistence.storageClassName ? { storageClassName: s.persistence.storageClassName } : {}),
      },
    });
  } else {
    volumes.push({ name: 'data', emptyDir: {} });
  }
  const container: Obj = {
    name: 'rcache-server',
    image: s.image ?? defaults.image,
    imagePullPolicy: s.imagePullPolicy,
    command: ['rcache-server'],
    args,
    env,
    ports: [
      { name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' },
      { name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' },
    ],
    // Ready means the node really serves its role: an unfenced master, or a replica whose link is up.
    readinessProbe: {
      httpGet: { path: '/ready', port: 'health' },
      periodSeconds: 1,
      failureThreshold: 2,
      timeoutSeconds: 1,
    },
    livenessProbe: {
      httpGet: { path: '/live', port: 'health' },
      periodSeconds: 5,
      failureThreshold: 6,
      timeoutSeconds: 2,
    },
    // A master being stopped by anyone but the operator (drain, manual delete) hands its role over first.
    lifecycle: {
      preStop: {
        exec: {
          command: [
            'rcache-server',
            '--pre-stop',
            '--delay-ms',
            String(s.failover.handoverDelayMillis),
            '--drain-ms',
            String(PRE_STOP_DRAIN_MS),
          ],
        },
      },
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/rcache', readOnly: true },
      { name: 'data', mountPath: '/data' },
    ],
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    ...(s.resources ? { resources: s.resources } : {}),
  };
  const podSpec: Obj = {
    containers: [container],
    volumes,
    terminationGracePeriodSeconds: 30,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    topologySpreadConstraints: s.topologySpreadConstraints ?? [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selectorLabels(c) },
      },
    ],
    ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
    ...(s.tolerations ? { tolerations: s.tolerations } : {}),
    ...(s.affinity ? { affinity: s.affinity } : {}),
    ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadata(c, names.statefulSet(c), { [LABELS.component]: 'server' }),
    spec: {
      replicas: s.replicas,
      serviceName: names.headless(c),
      // All pods start at once; the operator, not the StatefulSet controller, decides roles and rollouts.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: selectorLabels(c) },
      template: {
        metadata: {
          labels: podLabels,
          annotations: { ...(s.podAnnotations ?? {}), 'rcache.dev/config-hash': configHash(c) },
        },
        spec: podSpec,
      },
      ...(volumeClaimTemplates.length > 0 ? { volumeClaimTemplates } : {}),
    },
  };
}

function service(c: ReplicatedCache, name: string, selector: Record<string, string>, extra: Obj = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...metadata(c, name),
      ...(c.spec.serviceAnnotations ? { annotations: c.spec.serviceAnnotations } : {}),
    },
    spec: {
      selector,
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis', protocol: 'TCP' }],
      ...extra,
    },
  };
}

/** Gives every pod a stable DNS name, ready or not (replicaof must resolve during startup). */
export function desiredHeadlessService(c: ReplicatedCache): Obj {
  return service(c, names.headless(c), selectorLabels(c), {
    clusterIP: 'None',
    publishNotReadyAddresses: true,
  });
}

/** Writes go here: it selects the master's pod, and the label moves with the role (role-labels.ts). */
export function desiredMasterService(c: ReplicatedCache): Obj {
  return service(
    c,
    names.masterService(c),
    { ...selectorLabels(c), [LABELS.servesWrites]: 'true' },
    { type: 'ClusterIP' },
  );
}

/** Reads from replicas: a new master leaves it a moment after joining the master Service (role-labels.ts). */
export function desiredReplicasService(c: ReplicatedCache): Obj {
  return service(
    c,
    names.replicasService(c),
    { ...selectorLabels(c), [LABELS.readReplica]: 'true' },
    { type: 'ClusterIP' },
  );
}

export function desiredPodDisruptionBudget(c: ReplicatedCache): Obj {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(c, names.pdb(c)),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(c) } },
  };
}

/** Everything a cache owns, in the order it is applied. */
export function desiredObjects(c: ReplicatedCache, defaults: OperatorDefaults): Obj[] {
  return [
    desiredConfigMap(c),
    desiredHeadlessService(c),
    desiredMasterService(c),
    desiredReplicasService(c),
    desiredPodDisruptionBudget(c),
    desiredStatefulSet(c, defaults),
  ];
}

export { APP_NAME };
