import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kube, type RespValue } from './support/kube.js';
import { OperatorRelease } from './support/operator.js';
import { CLUSTER_SCRIPT, runOk, waitFor } from './support/platform.js';

interface CacheStatus {
  phase?: string;
  readyReplicas?: number;
  epoch?: number;
  master?: { pod: string; address: string };
  nodes?: { name: string; role: string; ready: boolean }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

interface Pod {
  metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> };
  status: { conditions?: { type: string; status: string }[] };
}

const OPERATOR_SELECTOR = 'app.kubernetes.io/name=rcache-operator';
const local = inject('platform')?.local === true;
let kube: Kube;
let opNs: string;
let ns: string;
let operator: OperatorRelease | undefined;

async function status(cache: string): Promise<CacheStatus> {
  return ((await kube.getJson<{ status?: CacheStatus }>(ns, 'rcache', cache)).status ?? {}) as CacheStatus;
}

async function waitReady(cache: string, n: number, timeoutMs = 180_000): Promise<CacheStatus> {
  return await waitFor(
    `${cache} Ready with ${n} nodes`,
    async () => {
      const s = await status(cache);
      return s.phase === 'Ready' && s.readyReplicas === n && s.nodes?.length === n ? s : undefined;
    },
    timeoutMs,
    250,
  );
}

async function waitNewMaster(cache: string, old: CacheStatus, timeoutMs = 90_000): Promise<CacheStatus> {
  return await waitFor(
    `${cache}: a master other than ${old.master?.pod}`,
    async () => {
      const s = await status(cache);
      return s.master?.pod !== old.master?.pod && (s.epoch ?? 0) > (old.epoch ?? 0) ? s : undefined;
    },
    timeoutMs,
    200,
  );
}

async function operatorPods(): Promise<string[]> {
  const list = await kube.getJson<{ items: Pod[] }>(opNs, 'pods', '-l', OPERATOR_SELECTOR);
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
}

/** The operator's /metrics, read from inside its pod (the image has node, not curl). */
async function metrics(pod: string): Promise<Map<string, number>> {
  const text = await kube.exec(opNs, pod, [
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

function sum(m: Map<string, number>, prefix: string): number {
  let total = 0;
  for (const [k, v] of m) if (k === prefix || k.startsWith(`${prefix}{`)) total += v;
  return total;
}

/**
 * Samples, until stopped, how many masters the cache shows: pods labelled master that are live and
 * Ready (what the master Service routes to), and nodes with role master in the status.
 */
function sampleMasters(cache: string): { stop: () => Promise<string[]>; samples: () => number } {
  const violations: string[] = [];
  let count = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const pods = await kube.getJson<{ items: Pod[] }>(
          ns,
          'pods',
          '-l',
          `app.kubernetes.io/instance=${cache}`,
        );
        const labelled = pods.items.filter(
          (p) =>
            p.metadata.labels?.['rcache.dev/role'] === 'master' &&
            !p.metadata.deletionTimestamp &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        const s = await status(cache);
        const inStatus = (s.nodes ?? []).filter((n) => n.role === 'master');
        if (labelled.length > 1)
          violations.push(
            `labels: ${labelled.map((p) => p.metadata.name).join(', ')} at ${new Date().toISOString()}`,
          );
        if (inStatus.length > 1) violations.push(`status: ${inStatus.map((n) => n.name).join(', ')}`);
        count++;
      } catch {
        // The apiserver may be briefly away (the watch-cut scenario): sample again.
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return {
    samples: () => count,
    stop: async () => {
      running = false;
      await loop;
      return violations;
    },
  };
}

/** Exactly one node answers ROLE as master, and every other follows it. */
async function expectOneMasterByRole(s: CacheStatus): Promise<void> {
  const roles: string[] = [];
  for (const n of s.nodes ?? []) {
    const role = (await kube.redis(ns, n.name, 'ROLE')) as RespValue[];
    roles.push(`${n.name}:${role[0]}`);
    if (n.name === s.master?.pod) expect(role[0]).toBe('master');
    else expect([role[0], role[1]]).toEqual(['slave', s.master?.address]);
  }
  expect(roles.filter((r) => r.endsWith(':master'))).toHaveLength(1);
}

async function deleteOperatorPods(...extra: string[]): Promise<void> {
  await kube.kubectl(['delete', 'pod', '-n', opNs, '-l', OPERATOR_SELECTOR, '--wait=false', ...extra]);
}

async function eventCount(cache: string, reason: string): Promise<number> {
  const out = await kube.kubectl([
    'get',
    'events',
    '-n',
    ns,
    '--field-selector',
    `involvedObject.name=${cache},reason=${reason}`,
    '-o',
    'name',
  ]);
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

beforeAll(async () => {
  kube = Kube.fromContext();
  operator = await OperatorRelease.install(kube);
  opNs = operator.namespace;
  ns = await kube.createNamespace('rcache-res');
});

afterAll(async () => {
  if (!kube) return;
  await kube.deleteNamespace(ns);
  await operator?.uninstall();
});

describe('operator resilience', () => {
  it('the operator restarted right after a cache is applied, and right after a master pod is deleted: the new operator finishes, never two masters', async () => {
    const sampler = sampleMasters('restart');
    await kube.apply(
      ns,
      'apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: restart}\nspec: {replicas: 3}\n',
    );
    await deleteOperatorPods();
    const first = await waitReady('restart', 3);
    await expectOneMasterByRole(first);

    await kube.kubectl(['delete', 'pod', '-n', ns, first.master!.pod, '--wait=false']);
    await deleteOperatorPods();
    const after = await waitNewMaster('restart', first);
    const ready = await waitReady('restart', 3);
    expect(ready.master?.pod).toBe(after.master?.pod);
    await expectOneMasterByRole(ready);
    const samples = sampler.samples();
    const violations = await sampler.stop();
    console.log(
      `operator restarts: ${samples} samples of labels and status, ${violations.length} with two masters`,
    );
    expect(samples).toBeGreaterThan(20);
    expect(violations).toEqual([]);
  });

  it('two operator replicas: exactly one leads; killing the leader, the other takes over and repairs a failover once', async () => {
    await operator!.upgrade('--reuse-values', '--set', 'replicaCount=2');
    const leaders = async () => {
      const pods = await operatorPods();
      const lead: string[] = [];
      for (const p of pods) if (sum(await metrics(p), 'rcache_leader') === 1) lead.push(p);
      return { pods, lead };
    };
    const { lead } = await waitFor(
      'two operator pods, one leader',
      async () => {
        const l = await leaders();
        return l.pods.length === 2 && l.lead.length === 1 ? l : undefined;
      },
      120_000,
      1000,
    );
    const leader = lead[0]!;
    const lease = await kube.getJson<{ spec: { holderIdentity: string } }>(
      opNs,
      'lease',
      'rcache-operator-leader',
    );
    expect(lease.spec.holderIdentity).toMatch(new RegExp(`^${leader}`));

    await kube.apply(
      ns,
      'apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: ha2}\nspec: {replicas: 3}\n',
    );
    const before = await waitReady('ha2', 3);
    const failoversBefore = await eventCount('ha2', 'Failover');
    const sampler = sampleMasters('ha2');
    // SIGKILL-like: no graceful lease release, so the standby must wait out the lease and take it.
    const t0 = Date.now();
    await kube.kubectl(['delete', 'pod', '-n', opNs, leader, '--grace-period=0', '--force']);
    await kube.kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
    const after = await waitNewMaster('ha2', before);
    const tookOver = Date.now() - t0;
    const ready = await waitReady('ha2', 3);
    await expectOneMasterByRole(ready);
    const violations = await sampler.stop();
    const failovers = (await eventCount('ha2', 'Failover')) - failoversBefore;
    const now = await waitFor(
      'two operator pods, one leader, after the kill',
      async () => {
        const l = await leaders();
        return l.pods.length === 2 && l.lead.length === 1 ? l : undefined;
      },
      120_000,
      1000,
    );
    console.log(
      `leader ${leader} killed → failover to ${after.master?.pod} recorded after ${tookOver} ms by ${now.lead[0]}; ` +
        `${failovers} Failover event(s)`,
    );
    expect(now.lead[0]).not.toBe(leader);
    expect(failovers).toBe(1);
    expect(violations).toEqual([]);
    await operator!.upgrade('--reuse-values', '--set', 'replicaCount=1');
    await kube.kubectl(['delete', 'rcache', 'ha2', '-n', ns, '--wait=false']);
  });

  it.skipIf(!local)(
    'watch connections cut by an apiserver restart: the informers relist and the operator still reacts',
    async () => {
      const before = await waitReady('restart', 3);
      const pod = (await operatorPods())[0]!;
      const relistsBefore = sum(await metrics(pod), 'rcache_watch_relists');
      await runOk('bash', [CLUSTER_SCRIPT, 'restart-apiserver'], { timeoutMs: 120_000 });
      // Let the informers notice the cut (their backoff starts at 250 ms).
      await waitFor(
        'the informers relisted',
        async () => sum(await metrics(pod), 'rcache_watch_relists') > relistsBefore,
        60_000,
        500,
      );
      await kube.kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
      await waitNewMaster('restart', before);
      const ready = await waitReady('restart', 3);
      await expectOneMasterByRole(ready);
      const relistsAfter = sum(await metrics(pod), 'rcache_watch_relists');
      console.log(`apiserver restart: operator relists ${relistsBefore} → ${relistsAfter}; failover handled`);
      expect(relistsAfter).toBeGreaterThan(relistsBefore);
      // The same operator process did all this: it was not restarted to recover.
      expect(await operatorPods()).toEqual([pod]);
    },
  );

  it('an image that does not exist: Degraded naming the pull problem, no crash or hot loop; fixing the image makes it Ready', async () => {
    const pod = (await operatorPods())[0]!;
    await kube.apply(
      ns,
      'apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: badimage}\n' +
        'spec: {replicas: 1, image: "localhost/rcache:does-not-exist"}\n',
    );
    const degraded = await waitFor(
      'badimage Degraded',
      async () => {
        const s = await status('badimage');
        const c = s.conditions?.find((x) => x.type === 'Degraded' && x.status === 'True');
        return c && /ErrImagePull|ImagePullBackOff|ErrImageNeverPull/.test(c.message) ? c : undefined;
      },
      120_000,
      500,
    );
    console.log(`bad image: Degraded ${degraded.reason}: ${degraded.message}`);
    expect(degraded.message).toContain('localhost/rcache:does-not-exist');
    const m0 = await metrics(pod);
    const windowMs = 20_000;
    await new Promise((r) => setTimeout(r, windowMs));
    const m1 = await metrics(pod);
    const rate = (sum(m1, 'rcache_reconcile_total') - sum(m0, 'rcache_reconcile_total')) / (windowMs / 1000);
    const restarts = await kube.kubectl([
      'get',
      'pods',
      '-n',
      opNs,
      pod,
      '-o',
      'jsonpath={.status.containerStatuses[0].restartCount}',
    ]);
    console.log(
      `bad image: ${rate.toFixed(1)} reconciles/s over ${windowMs / 1000} s (all caches), operator restarts ${restarts}`,
    );
    // One health check per cache every 500 ms (2 caches here) plus watch events: a hot loop would be 100s/s.
    expect(rate).toBeLessThan(10);
    expect(restarts).toBe('0');
    await kube.kubectl([
      'patch',
      'rcache',
      'badimage',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/image"}]',
    ]);
    await waitReady('badimage', 1, 120_000);
  });
});
