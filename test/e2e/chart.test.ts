// The Helm chart: lint passes, and every rendering users will ask for (defaults, two replicas with
// leader election, one watched namespace) is accepted by the real apiserver in a server-side dry run.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from './support/kube.js';
import { ROOT, run, runOk } from './support/platform.js';

const CHART = join(ROOT, 'charts/rcache');
let helm: string;
let kube: Kube;
/** The release's namespace for the dry runs (the chart does not create its own namespace). */
let ns: string;

beforeAll(async () => {
  helm = (await runOk('bash', [join(ROOT, 'tools/k8s-build.sh'), 'path', 'helm'])).trim();
  kube = Kube.fromContext();
  ns = await kube.createNamespace('rcache-dry-run');
});

afterAll(async () => {
  if (ns) await kube.deleteNamespace(ns);
});

describe('charts/rcache', () => {
  it('passes helm lint', async () => {
    const out = await runOk(helm, ['lint', CHART, '--strict']);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('refuses values that break its schema', async () => {
    const r = await run(helm, ['template', 'x', CHART, '--set', 'replicaCount=0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/replicaCount/);
  });

  it.each([
    ['defaults', () => []],
    ['two replicas with leader election', () => ['--set', 'replicaCount=2']],
    ['one watched namespace', () => ['--set', `watchNamespace=${ns}`]],
  ])('renders manifests the apiserver accepts: %s', async (_name, extra) => {
    const rendered = await runOk(helm, [
      'template',
      'rcache',
      CHART,
      '--namespace',
      ns,
      '--include-crds',
      ...extra(),
    ]);
    expect(rendered).toContain('kind: CustomResourceDefinition');
    const out = await kube.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], rendered);
    expect(out).toMatch(/deployment\.apps\/rcache created \(server dry run\)/);
  });
});
