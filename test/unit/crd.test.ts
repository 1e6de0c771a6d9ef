import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReplicatedCacheSpec } from '../../src/operator/api.js';
import { buildCrd, crdYaml } from '../../src/operator/crd.js';

const root = join(import.meta.dirname, '..', '..');

describe('ReplicatedCache CRD', () => {
  it.each(['crds/replicatedcaches.rcache.dev.yaml', 'charts/rcache/crds/replicatedcaches.rcache.dev.yaml'])(
    'checked-in %s matches the generator (run `npm run gen:crd` after changing src/operator/api.ts)',
    (rel) => {
      expect(readFileSync(join(root, rel), 'utf8')).toBe(crdYaml());
    },
  );

  it('is a structural schema: no additionalProperties:false, no untyped nodes', () => {
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        node.forEach((n, i) => {
          walk(n, `${path}[${i}]`);
        });
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      expect(obj.additionalProperties, path).not.toBe(false);
      for (const [k, v] of Object.entries(obj)) {
        if (k === 'properties') {
          for (const [name, sub] of Object.entries(v as object)) {
            const s = sub as Record<string, unknown>;
            expect(
              s.type !== undefined || s['x-kubernetes-int-or-string'] === true,
              `${path}.${name} has a type`,
            ).toBe(true);
            walk(sub, `${path}.${name}`);
          }
        } else if (k === 'items' || k === 'additionalProperties') {
          walk(v, `${path}.${k}`);
        }
      }
    };
    const version = (parse(crdYaml()) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } })
      .spec.versions[0]!;
    walk(version.schema.openAPIV3Schema, 'root');
  });

  it('exposes the scale subresource and the printer columns users expect', () => {
    const v = (buildCrd() as { spec: { versions: Record<string, unknown>[] } }).spec.versions[0]!;
    expect(v.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    });
    expect((v.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'Replicas',
      'Ready',
      'Master',
      'Status',
      'Age',
    ]);
  });

  it('applies defaults and rejects bad specs in the operator too', () => {
    const spec = ReplicatedCacheSpec.parse({});
    expect(spec.replicas).toBe(3);
    expect(spec.maxmemoryPolicy).toBe('noeviction');
    expect(spec.persistence.enabled).toBe(false);
    expect(ReplicatedCacheSpec.safeParse({ replicas: -1 }).success).toBe(false);
    expect(ReplicatedCacheSpec.safeParse({ maxmemory: 'lots' }).success).toBe(false);
  });
});
