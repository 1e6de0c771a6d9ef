/**
 * Failover times on a real cluster (local cluster of tools/cluster.sh, as root: the process kill and
 * the freeze are sent from the node), under a write load from a pod inside the cluster that counts a
 * write as acknowledged once `WAIT 1` confirms a replica has it:
 *
 *   npm run bench:failover        (tsc, then node bench/failover.ts)
 *
 * For BENCH_RUNS (default 10) master pod deletions, server kills (SIGKILL) and freezes (SIGSTOP, then
 * SIGCONT once replaced), prints p50/p99/max of: the time until the operator recorded the new master,
 * and the write outage (longest gap between acknowledged writes). Then the write pause of planned
 * switchovers (the rcache.dev/switchover annotation).
 */
import { hostPidOfContainer } from '../test/e2e/support/faults.ts';
import { longestPause, percentile, Writer } from '../test/e2e/support/writer.ts';
import {
  type CacheStatus,
  cacheStatus,
  getJson,
  IMAGE,
  installOperator,
  isReady,
  KUBECONFIG,
  KUBECTL,
  kubectl,
  sleep,
  waitFor,
} from './k8s.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const CACHE = 'fo';

type Disruption = 'delete' | 'kill' | 'freeze' | 'switchover';

const { ns, remove } = installOperator();
const writerTarget = {
  kubectl: KUBECTL,
  kubeconfig: KUBECONFIG,
  namespace: ns,
  pod: 'client',
  host: `${CACHE}.${ns}.svc.cluster.local`,
};

function masterContainer(s: CacheStatus): string | undefined {
  const pod = getJson<{ status: { containerStatuses?: { containerID?: string }[] } }>(
    ns,
    'pod',
    s.master!.pod,
  );
  return pod.status.containerStatuses?.[0]?.containerID;
}

async function once(kind: Disruption): Promise<{ recorded: number; outage: number }> {
  const before = await waitFor('Ready', () => {
    const s = cacheStatus(ns, CACHE);
    return isReady(s, 3) ? s : undefined;
  });
  const writer = new Writer(writerTarget);
  await writer.acksAfter(Date.now(), 50);
  let pid = 0;
  const t0 = Date.now();
  if (kind === 'delete') kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
  else if (kind === 'switchover') {
    const to = before.nodes!.map((n) => n.name).find((n) => n !== before.master!.pod)!;
    kubectl(['annotate', 'rcache', CACHE, '-n', ns, '--overwrite', `rcache.dev/switchover=${to}`]);
  } else {
    pid = hostPidOfContainer(masterContainer(before));
    process.kill(pid, kind === 'kill' ? 'SIGKILL' : 'SIGSTOP');
  }
  try {
    await waitFor('a new master', () => {
      const s = cacheStatus(ns, CACHE);
      return s.master?.pod !== before.master?.pod && (s.epoch ?? 0) > (before.epoch ?? 0);
    });
  } finally {
    if (kind === 'freeze') process.kill(pid, 'SIGCONT');
  }
  const recorded = Date.now() - t0;
  await writer.acksAfter(Date.now(), 50);
  const log = await writer.stop();
  if (kind === 'switchover') kubectl(['annotate', 'rcache', CACHE, '-n', ns, 'rcache.dev/switchover-']);
  return { recorded, outage: longestPause(log, t0) };
}

const ms = (v: number) => `${Math.round(v)} ms`;
const summary = (xs: number[]) =>
  `p50 ${ms(percentile(xs, 50))}, p99 ${ms(percentile(xs, 99))}, max ${ms(Math.max(...xs))}`;

try {
  kubectl(
    ['apply', '-n', ns, '-f', '-'],
    `apiVersion: rcache.dev/v1alpha1
kind: ReplicatedCache
metadata: {name: ${CACHE}}
spec: {replicas: 3, failover: {downAfterMillis: 1000}}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: client
      image: ${IMAGE}
      imagePullPolicy: IfNotPresent
      command: [node, -e, "setInterval(() => {}, 1 << 30)"]
`,
  );
  kubectl(['wait', '--for=condition=Ready', 'pod/client', '-n', ns, '--timeout=120s']);
  for (const kind of ['delete', 'kill', 'freeze', 'switchover'] as const) {
    const recorded: number[] = [];
    const outages: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await once(kind);
      recorded.push(r.recorded);
      outages.push(r.outage);
      await sleep(1000);
    }
    console.log(
      `${kind.padEnd(10)} (${RUNS} runs): new master recorded ${summary(recorded)}; ` +
        `write outage ${summary(outages)}`,
    );
  }
} finally {
  remove();
}
