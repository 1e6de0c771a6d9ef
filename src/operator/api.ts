import { z } from 'zod';

/**
 * The ReplicatedCache API (group rcache.dev, version v1alpha1): the single source of truth. The
 * TypeScript types, the operator's runtime validation and the CRD's OpenAPI schema (crds/) all derive
 * from these zod schemas.
 */

export const GROUP = 'rcache.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'ReplicatedCache';
export const PLURAL = 'replicatedcaches';
export const SINGULAR = 'replicatedcache';
export const SHORT_NAMES = ['rcache'];

/** redis.conf directives the operator owns: a user setting them would break the topology or the probes. */
export const OPERATOR_OWNED_DIRECTIVES = [
  'port',
  'bind',
  'replicaof',
  'slaveof',
  'masterauth',
  'masteruser',
  'requirepass',
  'dir',
  'dbfilename',
  'daemonize',
  'pidfile',
  'logfile',
  'include',
  'replica-announce-ip',
  'replica-announce-port',
  'slave-announce-ip',
  'slave-announce-port',
  'unixsocket',
  'protected-mode',
  'min-replicas-to-write',
  'min-slaves-to-write',
  'maxmemory',
  'maxmemory-policy',
  'rename-command',
  'fenced',
  'health-port',
] as const;

/** Bounds that keep the CEL rules on `config` within the apiserver's cost budget. */
export const MAX_CONFIG_DIRECTIVES = 64;
const MAX_CONFIG_VALUE = 1024;

const memorySize = z
  .string()
  .regex(/^[0-9]+([kKmMgG][bB]?|[bB])?$/, 'a Redis memory size such as 512mb, 2gb or 1048576');

const quantity = z.union([z.string(), z.number().int()]);

const resourceList = z.record(z.string(), quantity);

const evictionPolicy = z.enum([
  'noeviction',
  'allkeys-lru',
  'volatile-lru',
  'allkeys-lfu',
  'volatile-lfu',
  'allkeys-random',
  'volatile-random',
  'volatile-ttl',
]);

/** Kubernetes objects we pass through verbatim to the pod spec (validated by the apiserver there). */
const opaque = z.record(z.string(), z.unknown());

export const ReplicatedCacheSpec = z.object({
  replicas: z.number().int().min(1).max(100).default(3).describe('Total nodes including the master.'),
  image: z.string().min(1).optional().describe("rcache-server image; defaults to the operator's own image."),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  resources: z
    .object({ requests: resourceList.optional(), limits: resourceList.optional() })
    .optional()
    .describe('Container resources for rcache-server.'),
  maxmemory: memorySize.optional().describe('Memory limit for the dataset (redis.conf maxmemory).'),
  maxmemoryPolicy: evictionPolicy.default('noeviction'),
  config: z
    .record(z.string().max(128), z.string().max(MAX_CONFIG_VALUE))
    .refine(
      (c) => Object.keys(c).length <= MAX_CONFIG_DIRECTIVES,
      `at most ${MAX_CONFIG_DIRECTIVES} directives`,
    )
    .default({})
    .describe(
      'Extra redis.conf directives; replication, network and auth directives are managed by the operator.',
    ),
  auth: z
    .object({
      secretRef: z.object({
        name: z.string().min(1),
        key: z.string().min(1).default('password'),
      }),
    })
    .optional()
    .describe('Password for clients and for the replication link (requirepass + masterauth).'),
  persistence: z
    .object({
      enabled: z.boolean().default(false),
      size: quantity.default('1Gi'),
      storageClassName: z.string().optional(),
    })
    .default({ enabled: false, size: '1Gi' }),
  minReplicasToWrite: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Refuse writes on the master unless this many replicas are connected and recent.'),
  failover: z
    .object({
      downAfterMillis: z.number().int().min(200).max(60_000).default(1000),
      handoverDelayMillis: z
        .number()
        .int()
        .min(0)
        .max(10_000)
        .default(1000)
        .describe(
          'When the master pod is stopped by anyone but the operator (a delete, a drain), its preStop ' +
            'hook keeps serving this long before handing the role over. kube-proxy reprograms Services at ' +
            'most once per minSyncPeriod (1 s by default) and the deletion itself takes that turn, so ' +
            'handing over sooner would only lengthen the write outage. 0 hands over at once.',
        ),
    })
    .default({ downAfterMillis: 1000, handoverDelayMillis: 1000 }),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(opaque).optional(),
  affinity: opaque.optional(),
  topologySpreadConstraints: z.array(opaque).optional(),
  podLabels: z.record(z.string(), z.string()).optional(),
  podAnnotations: z.record(z.string(), z.string()).optional(),
  priorityClassName: z.string().optional(),
  serviceAnnotations: z.record(z.string(), z.string()).optional(),
});

export const NodeStatus = z.object({
  name: z.string(),
  role: z.enum(['master', 'replica', 'unknown']),
  ready: z.boolean(),
  linkStatus: z.enum(['up', 'down', 'n/a']).optional(),
  offset: z.number().int().optional(),
  lag: z.number().int().optional(),
});

export const Condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});

export const ReplicatedCacheStatus = z.object({
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().default(0),
  readyReplicas: z.number().int().default(0),
  selector: z.string().optional(),
  phase: z.enum(['Pending', 'Progressing', 'Ready', 'Degraded']).optional(),
  master: z.object({ pod: z.string(), address: z.string() }).optional(),
  epoch: z.number().int().default(0),
  nodes: z.array(NodeStatus).optional(),
  conditions: z.array(Condition).optional(),
});

export type ReplicatedCacheSpecInput = z.input<typeof ReplicatedCacheSpec>;
export type ReplicatedCacheSpec = z.output<typeof ReplicatedCacheSpec>;
export type ReplicatedCacheStatus = z.output<typeof ReplicatedCacheStatus>;

export interface ReplicatedCache {
  apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: ReplicatedCacheSpec;
  status?: ReplicatedCacheStatus;
}

/** CEL rules the apiserver enforces across fields, with messages a user can act on. */
export const SPEC_VALIDATIONS = [
  {
    rule: '!has(self.minReplicasToWrite) || !has(self.replicas) || self.minReplicasToWrite < self.replicas',
    message: 'minReplicasToWrite must be less than replicas (the master does not count as a replica)',
  },
  {
    rule: `!has(self.config) || self.config.all(k, !(k.lowerAscii() in [${OPERATOR_OWNED_DIRECTIVES.map((d) => `'${d}'`).join(', ')}]))`,
    message: `config may not set directives the operator manages (${OPERATOR_OWNED_DIRECTIVES.join(', ')}); use the dedicated spec fields instead`,
  },
];
