/**
 * Plumbing for the benchmarks that run on a Kubernetes cluster (bench/operator.ts, bench/failover.ts):
 * kubectl and helm of tools/k8s-build.sh against the local cluster of tools/cluster.sh (or the cluster of
 * RCACHE_KUBECONFIG), the operator installed with the chart in a fresh namespace, and its /metrics.
 * The cluster must be up and hold the image: `bash tools/cluster.sh up && bash tools/cluster.sh
 * load-image localhost/rcache:<version>`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './common.ts';

const tool = (name: string) =>
  execFileSync('bash', [join(ROOT, 'tools/k8s-build.sh'), 'path', name], { encoding: 'utf8' }).trim();

export const KUBECTL = tool('kubectl');
export const HELM = tool('helm');
export const KUBECONFIG =
  process.env.RCACHE_KUBECONFIG ??
  execFileSync('bash', [join(ROOT, 'tools/cluster.sh'), 'kubeconfig'], { encoding: 'utf8' }).trim();
export const IMAGE =
  process.env.RCACHE_IMAGE ??
  `localhost/rcache:${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`;

export function kubectl(args: string[], input?: string): string {
  return execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

export function getJson<T>(ns: string, ...what: string[]): T {
  return JSON.parse(kubectl(['get', '-n', ns, ...what, '-o', 'json'])) as T;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 300_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = probe();
      if (v !== undefined && v !== false) return v;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface CacheStatus {
  phase?: string;
  readyReplicas?: number;
  epoch?: number;
  master?: { pod: string; address: string };
  nodes?: { name: string }[];
}

export function cacheStatus(ns: string, name: string): CacheStatus {
  return getJson<{ status?: CacheStatus }>(ns, 'rcache', name).status ?? {};
}

export function isReady(s: CacheStatus, n: number): boolean {
  return s.phase === 'Ready' && s.readyReplicas === n && s.nodes?.length === n;
}

/** A namespace with the operator installed by the chart, and one for caches; `remove()` deletes both. */
export function installOperator(): { opNs: string; ns: string; remove: () => void } {
  const suffix = Math.random().toString(36).slice(2, 8);
  const opNs = `bench-system-${suffix}`;
  const ns = `bench-${suffix}`;
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=180s', '--ignore-not-found']);
    // The release's cluster-scoped parts (ClusterRole, binding) go only through helm uninstall.
    try {
      execFileSync(HELM, ['--kubeconfig', KUBECONFIG, 'uninstall', 'rcache', '--namespace', opNs], {
        stdio: 'ignore',
      });
    } catch {
      // Not installed (the install itself failed): nothing cluster-wide to remove.
    }
    kubectl(['delete', 'namespace', opNs, '--wait=false', '--ignore-not-found']);
  };
  // An interrupted benchmark must not leave a release behind: the next install would collide with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`${signal}: removing the benchmark's namespaces and release`);
      remove();
      process.exit(130);
    });
  kubectl(['create', 'namespace', opNs]);
  kubectl(['create', 'namespace', ns]);
  try {
    const colon = IMAGE.lastIndexOf(':');
    execFileSync(
      HELM,
      [
        '--kubeconfig',
        KUBECONFIG,
        'install',
        'rcache',
        join(ROOT, 'charts/rcache'),
        '--namespace',
        opNs,
        '--set',
        `image.repository=${IMAGE.slice(0, colon)}`,
        '--set',
        `image.tag=${IMAGE.slice(colon + 1)}`,
        '--wait',
        '--timeout',
        '3m',
      ],
      // helm's own words when it fails (a release left by another run, say).
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    // Pods are refused until the namespace's default ServiceAccount exists.
    execFileSync(KUBECTL, [
      '--kubeconfig',
      KUBECONFIG,
      'wait',
      '--for=create',
      'serviceaccount/default',
      '-n',
      ns,
    ]);
  } catch (err) {
    remove();
    throw err;
  }
  return { opNs, ns, remove };
}

/** The operator pod's Prometheus metrics, read from inside it (the image has node, not curl). */
export function operatorMetrics(opNs: string): Map<string, number> {
  const pod = kubectl([
    'get',
    'pods',
    '-n',
    opNs,
    '-l',
    'app.kubernetes.io/name=rcache-operator',
    '-o',
    'jsonpath={.items[0].metadata.name}',
  ]);
  const text = kubectl([
    'exec',
    '-n',
    opNs,
    pod,
    '--',
    'node',
    '-e',
    "fetch('http://127.0.0.1:8081/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))",
  ]);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

export const mib = (bytes: number | undefined) => `${((bytes ?? 0) / 1048576).toFixed(1)} MiB`;
