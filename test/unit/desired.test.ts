import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ReplicatedCache, ReplicatedCacheSpec } from '../../src/operator/api.js';
import { configHash, desiredObjects, desiredStatefulSet, serverConfig } from '../../src/operator/desired.js';

const defaults = { image: 'localhost/rcache:test', clusterDomain: 'cluster.local' };

function cache(spec: unknown): ReplicatedCache {
  return {
    apiVersion: 'rcache.dev/v1alpha1',
    kind: 'ReplicatedCache',
    metadata: { name: 'c', namespace: 'ns', uid: 'uid-1', generation: 1 },
    spec: ReplicatedCacheSpec.parse(spec),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked by path in assertions
type Obj = Record<string, any>;

describe('desired objects', () => {
  it('owns everything, selects consistently, and starts nodes fenced', () => {
    const specArb = fc.record({
      replicas: fc.integer({ min: 1, max: 9 }),
      maxmemoryPolicy: fc.constantFrom('noeviction', 'allkeys-lru', 'volatile-ttl'),
      minReplicasToWrite: fc.integer({ min: 0, max: 0 }),
      persistence: fc.record({ enabled: fc.boolean() }),
      podLabels: fc.dictionary(fc.constantFrom('team', 'tier'), fc.constantFrom('a', 'b')),
    });
    fc.assert(
      fc.property(specArb, (spec) => {
        const c = cache(spec);
        const objects = desiredObjects(c, defaults) as Obj[];
        expect(objects.map((o) => o.kind)).toEqual([
          'ConfigMap',
          'Service',
          'Service',
          'Service',
          'PodDisruptionBudget',
          'StatefulSet',
        ]);
        for (const o of objects) {
          expect(o.metadata.namespace).toBe('ns');
          expect(o.metadata.ownerReferences).toEqual([
            expect.objectContaining({ uid: 'uid-1', controller: true, kind: 'ReplicatedCache' }),
          ]);
        }
        const sts = objects[5]!;
        expect(sts.spec.replicas).toBe(spec.replicas);
        expect(sts.spec.podManagementPolicy).toBe('Parallel');
        expect(sts.spec.updateStrategy).toEqual({ type: 'OnDelete' });
        const podLabels = sts.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(sts.spec.selector.matchLabels)) expect(podLabels[k]).toBe(v);
        for (const svc of objects.filter((o) => o.kind === 'Service')) {
          for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) {
            // The operator sets the role labels on each pod as roles change.
            if (!['rcache.dev/serves-writes', 'rcache.dev/read-replica'].includes(k))
              expect(podLabels[k]).toBe(v);
          }
        }
        expect(objects[1]!.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
        expect(objects[2]!.spec.selector['rcache.dev/serves-writes']).toBe('true');
        expect(objects[3]!.spec.selector['rcache.dev/read-replica']).toBe('true');
        const conf = objects[0]!.data['redis.conf'] as string;
        expect(conf).toMatch(/^fenced yes$/m);
        expect(conf).not.toMatch(/^replicaof/m);
        expect(conf).toContain(`maxmemory-policy ${spec.maxmemoryPolicy}`);
        expect(Boolean(sts.spec.volumeClaimTemplates)).toBe(spec.persistence.enabled);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the password out of the ConfigMap and passes it through the Secret', () => {
    const c = cache({ auth: { secretRef: { name: 'pw' } } });
    const sts = desiredStatefulSet(c, defaults) as Obj;
    const container = sts.spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: 'RCACHE_PASSWORD', valueFrom: { secretKeyRef: { name: 'pw', key: 'password' } } },
    ]);
    expect(container.args).toEqual([
      '/etc/rcache/redis.conf',
      '--requirepass',
      '$(RCACHE_PASSWORD)',
      '--masterauth',
      '$(RCACHE_PASSWORD)',
    ]);
    expect(serverConfig(c)).not.toMatch(/requirepass|masterauth/);
  });

  it('changes the pod template hash when the server config changes, so the change rolls out', () => {
    const a = cache({ config: { hz: '10' } });
    const b = cache({ config: { hz: '20' } });
    expect(configHash(a)).not.toBe(configHash(b));
    expect(configHash(a)).toBe(configHash(cache({ config: { hz: '10' } })));
    expect(serverConfig(cache({ config: { 'notify-keyspace-events': 'Ex y' } }))).toContain(
      'notify-keyspace-events "Ex y"',
    );
  });

  it('defaults to a preferred spread by hostname and the operator image', () => {
    const sts = desiredStatefulSet(cache({}), defaults) as Obj;
    expect(sts.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    expect(sts.spec.template.spec.containers[0].image).toBe('localhost/rcache:test');
  });
});
