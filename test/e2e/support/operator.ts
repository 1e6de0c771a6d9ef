// The operator installed the way users install it: `helm install` of charts/rcache, in a namespace of
// its own, with the image under test. So the chart's RBAC is what every operator test exercises.
import { join } from 'node:path';
import { type Kube, platform } from './kube.js';
import { ROOT, runOk } from './platform.js';

export class OperatorRelease {
  private constructor(
    private readonly kube: Kube,
    private readonly helm: string,
    /** The operator's namespace. */
    readonly namespace: string,
  ) {}

  static async install(kube: Kube, ...values: string[]): Promise<OperatorRelease> {
    const helm = (await runOk('bash', [join(ROOT, 'tools/k8s-build.sh'), 'path', 'helm'])).trim();
    const release = new OperatorRelease(kube, helm, await kube.createNamespace('rcache-system'));
    await release.run('install', ...values);
    return release;
  }

  /** `helm upgrade` with extra flags, e.g. `--reuse-values --set replicaCount=2`. */
  async upgrade(...values: string[]): Promise<void> {
    await this.run('upgrade', ...values);
  }

  private async run(verb: 'install' | 'upgrade', ...values: string[]): Promise<void> {
    const image = platform().image;
    const colon = image.lastIndexOf(':');
    await runOk(
      this.helm,
      [
        '--kubeconfig',
        platform().kubeconfig,
        verb,
        'rcache',
        join(ROOT, 'charts/rcache'),
        '--namespace',
        this.namespace,
        '--set',
        `image.repository=${image.slice(0, colon)}`,
        '--set',
        `image.tag=${image.slice(colon + 1)}`,
        ...values,
        '--wait',
        '--timeout',
        '3m',
      ],
      { timeoutMs: 240_000 },
    );
  }

  /** Removes the release and its namespace (the CRD stays, as Helm leaves CRDs). */
  async uninstall(): Promise<void> {
    await runOk(this.helm, [
      '--kubeconfig',
      platform().kubeconfig,
      'uninstall',
      'rcache',
      '--namespace',
      this.namespace,
    ]).catch(() => undefined);
    await this.kube.deleteNamespace(this.namespace);
  }
}
