import { stringify } from 'yaml';
import { z } from 'zod';
import {
  GROUP,
  KIND,
  MAX_CONFIG_DIRECTIVES,
  PLURAL,
  ReplicatedCacheSpec,
  ReplicatedCacheStatus,
  SHORT_NAMES,
  SINGULAR,
  SPEC_VALIDATIONS,
  VERSION,
} from './api.js';

type Schema = Record<string, unknown>;

/**
 * Turns zod's OpenAPI 3.0 output into a Kubernetes structural schema: no `additionalProperties: false`
 * (forbidden beside `properties`), int-or-string unions marked as such, free-form values marked to
 * preserve unknown fields, JSON-Schema-only keywords and meaningless safe-integer bounds dropped.
 */
export function toStructural(node: Schema): Schema {
  const anyOf = node.anyOf as Schema[] | undefined;
  if (anyOf) {
    const types = anyOf.map((s) => s.type).sort();
    if (types.length === 2 && types[0] === 'integer' && types[1] === 'string') {
      const out: Schema = { 'x-kubernetes-int-or-string': true };
      if (node.default !== undefined) out.default = node.default;
      if (node.description !== undefined) out.description = node.description;
      return out;
    }
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema' || k === 'id' || k === '$id') continue;
    if (k === 'additionalProperties' && v === false) continue;
    if (
      (k === 'maximum' && v === Number.MAX_SAFE_INTEGER) ||
      (k === 'minimum' && v === Number.MIN_SAFE_INTEGER)
    )
      continue;
    if (k === 'properties') {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([name, sub]) => [name, toStructural(sub)]),
      );
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = toStructural(v as Schema);
    } else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') {
      out[k] = (v as Schema[]).map(toStructural);
    } else {
      out[k] = v;
    }
  }
  if (out.type === undefined && out.anyOf === undefined) {
    // `{}` from z.unknown(): keep whatever the user wrote.
    out.type = 'object';
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}

function openApi(schema: z.ZodType): Schema {
  return toStructural(
    z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }),
  ) as Schema;
}

/** The CustomResourceDefinition for ReplicatedCache, generated from the zod schemas. */
export function buildCrd(): Schema {
  const spec = openApi(ReplicatedCacheSpec);
  // zod cannot express a map's size; the apiserver needs it to bound the cost of the CEL rules.
  ((spec.properties as Record<string, Schema>).config as Schema).maxProperties = MAX_CONFIG_DIRECTIVES;
  spec['x-kubernetes-validations'] = SPEC_VALIDATIONS;
  const status = openApi(ReplicatedCacheStatus);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Master', type: 'string', jsonPath: '.status.master.pod' },
            { name: 'Status', type: 'string', jsonPath: '.status.phase' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A replicated Redis-compatible cache: one master and replicas that follow it.',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { ...spec, default: {} },
                status: status,
              },
            },
          },
        },
      ],
    },
  };
}

/** The CRD as the YAML checked into crds/ and the chart (a test keeps them in sync). */
export function crdYaml(): string {
  return `# Generated from src/operator/api.ts by \`npm run gen:crd\`. Do not edit by hand.\n${stringify(buildCrd(), { lineWidth: 0 })}`;
}
