// The operator on a real cluster, installed the way users install it (helm install of charts/rcache, so
// the chart's RBAC is what is exercised): a ReplicatedCache becomes a replicated group that keeps its
// topology right through failover, scaling, drift and deletion.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube, RESP_CLIENT, type RespValue } from './support/kube.js';
import { OperatorRelease } from './support/operator.js';
import { ROOT, waitFor } from './support/platform.js';

interface CacheStatus {
  phase?: string;
  replicas?: number;
  readyReplicas?: number;
  epoch?: number;
  selector?: string;
  master?: { pod: string; address: string };
  nodes?: { name: string; role: string; ready: boolean; linkStatus?: string }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

const CACHE = 'demo';
let kube: Kube;
let opNs: string;
let ns: string;
let operator: OperatorRelease | undefined;

async function status(): Promise<CacheStatus> {
  return ((await kube.getJson<{ status?: CacheStatus }>(ns, 'rcache', CACHE)).status ?? {}) as CacheStatus;
}

/** Waits until the cache reports Ready with `n` ready nodes, and returns its status. */
async function waitReady(n: number, timeoutMs = 180_000): Promise<CacheStatus> {
  return await waitFor(
    `${CACHE} Ready with ${n} nodes`,
    async () => {
      const s = await status();
      return s.phase === 'Ready' && s.readyReplicas === n && s.nodes?.length === n ? s : undefined;
    },
    timeoutMs,
    500,
  );
}

/** A command sent from inside the cluster to a host (a Service or a pod's DNS name). */
async function redisAt(fromPod: string, host: string, ...command: string[]): Promise<RespValue> {
  return await kube.nodeEval<RespValue>(ns, fromPod, RESP_CLIENT, [host, '6379', ...command]);
}

const masterService = () => `${CACHE}.${ns}.svc.cluster.local`;

async function podsOf(): Promise<string[]> {
  const list = await kube.getJson<{ items: { metadata: { name: string } }[] }>(
    ns,
    'pods',
    '-l',
    `app.kubernetes.io/instance=${CACHE}`,
  );
  return list.items.map((p) => p.metadata.name).sort();
}

/** The pods a Service routes to: the ready endpoints of its EndpointSlices. */
async function serviceEndpoints(service: string): Promise<string[]> {
  const slices = await kube.getJson<{
    items: { endpoints?: { targetRef?: { name: string }; conditions?: { ready?: boolean } }[] }[];
  }>(ns, 'endpointslices', '-l', `kubernetes.io/service-name=${service}`);
  return slices.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready)
    .map((e) => e.targetRef?.name ?? '?')
    .sort();
}

/** The master Service routes to the master alone, the replicas Service to every other node. */
async function expectServicesFollowRoles(master: string, replicas: string[]): Promise<void> {
  await waitFor(
    `the master Service on ${master} and the replicas Service on ${replicas.join(', ')}`,
    async () =>
      JSON.stringify([await serviceEndpoints(CACHE), await serviceEndpoints(`${CACHE}-replicas`)]) ===
      JSON.stringify([[master], [...replicas].sort()]),
    30_000,
    250,
  );
}

/** Every acknowledged key must be readable on every node. */
async function expectKeysEverywhere(keys: Record<string, string>): Promise<void> {
  const s = await status();
  for (const node of s.nodes ?? []) {
    await waitFor(
      `keys on ${node.name}`,
      async () => {
        for (const [k, v] of Object.entries(keys)) {
          if ((await kube.redis(ns, node.name, 'GET', k)) !== v) return false;
        }
        return true;
      },
      30_000,
      500,
    );
  }
}

beforeAll(async () => {
  kube = Kube.fromContext();
  operator = await OperatorRelease.install(kube);
  opNs = operator.namespace;
  ns = await kube.createNamespace('rcache-e2e');
});

afterAll(async () => {
  if (!kube) return;
  await kube.deleteNamespace(ns);
  await kube.run(['delete', 'replicatedcaches', '--all', '-A', '--wait=false']);
  await operator?.uninstall();
});

describe('ReplicatedCache on a real cluster', () => {
  const written: Record<string, string> = {};

  it('apply → Ready: a master and replicas that follow it by DNS name', async () => {
    const t0 = Date.now();
    await kube.apply(
      ns,
      (await import('node:fs')).readFileSync(join(ROOT, 'examples/replicatedcache.yaml'), 'utf8'),
    );
    const s = await waitReady(3);
    console.log(`apply → Ready (3 nodes): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(s.master?.pod).toBe(`${CACHE}-0`);
    expect(s.master?.address).toBe(`${CACHE}-0.${CACHE}-headless.${ns}.svc.cluster.local`);
    expect(s.epoch).toBe(1);
    expect(s.selector).toBe(`app.kubernetes.io/name=rcache,app.kubernetes.io/instance=${CACHE}`);
    expect(s.nodes?.map((n) => n.role)).toEqual(['master', 'replica', 'replica']);
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    for (const replica of [`${CACHE}-1`, `${CACHE}-2`]) {
      const role = (await kube.redis(ns, replica, 'ROLE')) as RespValue[];
      expect(role[0]).toBe('slave');
      expect(role[1]).toBe(s.master?.address);
    }
    await expectServicesFollowRoles(`${CACHE}-0`, [`${CACHE}-1`, `${CACHE}-2`]);
    const table = await kube.kubectl(['get', 'rcache', '-n', ns]);
    expect(table.split('\n')[0]).toMatch(/NAME\s+REPLICAS\s+READY\s+MASTER\s+STATUS\s+AGE/);
    expect(table).toMatch(new RegExp(`${CACHE}\\s+3\\s+3\\s+${CACHE}-0\\s+Ready`));
  });

  it('writes through the master Service reach every replica; replicas refuse writes', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await redisAt(`${CACHE}-1`, masterService(), 'SET', `k${i}`, `v${i}`)).toBe('OK');
      written[`k${i}`] = `v${i}`;
    }
    await expectKeysEverywhere(written);
    expect(await kube.redis(ns, `${CACHE}-1`, 'SET', 'x', '1')).toEqual({
      error: expect.stringMatching(/^READONLY/),
    });
  });

  it('delete the master pod: a replica is promoted, the others follow it, the Services follow, the pod rejoins', async () => {
    const before = await status();
    const t0 = Date.now();
    await kube.kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
    const after = await waitFor(
      'a new master',
      async () => {
        const s = await status();
        return s.master?.pod !== before.master?.pod && (s.epoch ?? 0) > (before.epoch ?? 0) ? s : undefined;
      },
      60_000,
      200,
    );
    console.log(
      `master pod deleted → new master ${after.master?.pod} recorded in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    await waitFor(
      'writes through the master Service',
      async () => (await redisAt(after.master!.pod, masterService(), 'SET', 'after-failover', '1')) === 'OK',
      30_000,
      200,
    );
    written['after-failover'] = '1';
    const ready = await waitReady(3);
    expect(ready.nodes?.find((n) => n.name === before.master?.pod)?.role).toBe('replica');
    // The new master leaves the replicas Service too, a moment after joining the master Service.
    await expectServicesFollowRoles(
      after.master!.pod,
      (ready.nodes ?? []).map((n) => n.name).filter((n) => n !== after.master!.pod),
    );
    await expectKeysEverywhere(written);
    const events = await kube.kubectl([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${CACHE}`,
    ]);
    expect(events).toMatch(/Failover/);
  });

  it('scales 3 → 5 → 2 → 1 with kubectl scale, handing the master role over when its ordinal goes', async () => {
    await kube.kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=5']);
    await waitReady(5);
    await expectKeysEverywhere(written);
    await kube.kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=2']);
    await waitFor('2 pods', async () => (await podsOf()).length === 2, 120_000, 500);
    await waitReady(2);
    await expectKeysEverywhere(written);
    const masterBefore = (await status()).master!.pod;
    await kube.kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=1']);
    await waitFor('1 pod', async () => (await podsOf()).length === 1, 120_000, 500);
    const s = await waitReady(1);
    expect(s.master?.pod).toBe(`${CACHE}-0`);
    if (masterBefore !== `${CACHE}-0`) expect(s.epoch).toBeGreaterThan(1);
    await expectKeysEverywhere(written);
    await kube.kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=3']);
    await waitReady(3);
    await expectKeysEverywhere(written);
  });

  it('repairs drift: REPLICAOF NO ONE by hand, and REPLICAOF to a wrong host', async () => {
    const s = await status();
    const replicas = (s.nodes ?? []).filter((n) => n.role === 'replica').map((n) => n.name);
    expect(await kube.redis(ns, replicas[0]!, 'REPLICAOF', 'NO', 'ONE')).toBe('OK');
    expect(await kube.redis(ns, replicas[1]!, 'REPLICAOF', 'nowhere.invalid', '6379')).toBe('OK');
    await waitFor(
      'replicas re-pointed at the master',
      async () => {
        for (const r of replicas) {
          const role = (await kube.redis(ns, r, 'ROLE')) as RespValue[];
          if (role[0] !== 'slave' || role[1] !== s.master?.address) return false;
        }
        return true;
      },
      30_000,
      500,
    );
    expect((await status()).master?.pod).toBe(s.master?.pod);
    await waitReady(3);
  });

  it('refuses bad specs with readable messages', async () => {
    const bad = (spec: string) =>
      kube.run(
        ['apply', '-n', ns, '-f', '-'],
        `apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: bad}\nspec: ${spec}\n`,
      );
    const negative = await bad('{replicas: -1}');
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toMatch(/replicas.*should be greater than or equal to 1/);
    const lots = await bad('{maxmemory: lots}');
    expect(lots.stderr).toMatch(/maxmemory/);
    const forbidden = await bad('{config: {replicaof: "x 1"}}');
    expect(forbidden.stderr).toMatch(/config may not set directives the operator manages/);
    const unknown = await kube.run(
      ['apply', '--validate=strict', '-n', ns, '-f', '-'],
      `apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: bad}\nspec: {replicas: 1, colour: blue}\n`,
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown field "spec.colour"/);
  });

  it('reports Degraded for a missing auth Secret instead of crashing or looping', async () => {
    await kube.apply(
      ns,
      `apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: locked}\nspec: {replicas: 1, auth: {secretRef: {name: no-such-secret}}}\n`,
    );
    const s = await waitFor(
      'Degraded MissingSecret',
      async () => {
        const st = ((await kube.getJson<{ status?: CacheStatus }>(ns, 'rcache', 'locked')).status ??
          {}) as CacheStatus;
        return st.conditions?.find(
          (c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'MissingSecret',
        )
          ? st
          : undefined;
      },
      60_000,
      500,
    );
    expect(s.conditions?.find((c) => c.type === 'Degraded')?.message).toMatch(/no-such-secret/);
    await kube.kubectl(['delete', 'rcache', 'locked', '-n', ns]);
  });

  it('writes nothing to the apiserver in steady state', async () => {
    await waitReady(3);
    const operatorPod = (
      await kube.getJson<{ items: { metadata: { name: string } }[] }>(
        opNs,
        'pods',
        '-l',
        'app.kubernetes.io/name=rcache-operator',
      )
    ).items[0]!.metadata.name;
    const scrape = async () => {
      const text = await kube.exec(opNs, operatorPod, [
        'node',
        '-e',
        "fetch('http://127.0.0.1:8081/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))",
      ]);
      let total = 0;
      for (const line of text.split('\n'))
        if (line.startsWith('rcache_kube_writes_total{')) total += Number(line.split(' ').pop());
      return total;
    };
    const before = await scrape();
    await new Promise((r) => setTimeout(r, 60_000));
    const after = await scrape();
    console.log(`operator API writes during 60 s of steady state: ${after - before}`);
    expect(after - before).toBe(0);
  });

  it('deleting the cache removes everything it owned', async () => {
    await kube.kubectl(['delete', 'rcache', CACHE, '-n', ns]);
    await waitFor(
      'owned objects gone',
      async () => {
        const left = await kube.kubectl([
          'get',
          'statefulsets,services,configmaps,poddisruptionbudgets,pods',
          '-n',
          ns,
          '-l',
          `app.kubernetes.io/instance=${CACHE}`,
          '-o',
          'name',
        ]);
        return left.trim() === '';
      },
      120_000,
      1000,
    );
  });
});
