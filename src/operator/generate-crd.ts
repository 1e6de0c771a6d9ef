import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdYaml } from './crd.js';

/** Where the generated CRD lives: the top-level crds/ folder and the Helm chart's crds/. */
export const CRD_PATHS = [
  'crds/replicatedcaches.rcache.dev.yaml',
  'charts/rcache/crds/replicatedcaches.rcache.dev.yaml',
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const yaml = crdYaml();
for (const rel of CRD_PATHS) {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, yaml);
  process.stdout.write(`wrote ${rel}\n`);
}
