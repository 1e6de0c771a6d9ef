import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hostPidOfContainer } from './support/faults.js';
import { Kube, platform, type RespValue } from './support/kube.js';
import { OperatorRelease } from './support/operator.js';
import { containerEngine, loadImageIntoLocalCluster, runOk, waitFor } from './support/platform.js';
import {
  Writer as LoadWriter,
  longestPause,
  percentile,
  StickyClient,
  VERIFY,
  type WriteLog,
  writerPodManifest,
} from './support/writer.js';

interface CacheStatus {
  phase?: string;
  readyReplicas?: number;
  epoch?: number;
  master?: { pod: string; address: string };
  nodes?: { name: string; role: string; ready: boolean }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: { containers: { image: string }[] };
  status: {
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; restartCount: number; state?: { running?: object } }[];
  };
}

const CACHE = 'ha';
const DOWN_AFTER_MS = 1000;
/** SIGKILL/SIGSTOP of a pod's server are sent from the node (the local cluster runs on this host). */
const onThisHost = inject('platform')?.local === true;
let kube: Kube;
let ns: string;
let operator: OperatorRelease | undefined;

function clientTarget() {
  const p = platform();
  return {
    kubectl: p.kubectl,
    kubeconfig: p.kubeconfig,
    namespace: ns,
    pod: 'client',
    host: `${CACHE}.${ns}.svc.cluster.local`,
  };
}

/** A write load from the client pod through the cache's master Service. */
class Writer extends LoadWriter {
  constructor() {
    super(clientTarget());
  }
}

async function status(): Promise<CacheStatus> {
  return ((await kube.getJson<{ status?: CacheStatus }>(ns, 'rcache', CACHE)).status ?? {}) as CacheStatus;
}

async function waitReady(n: number, timeoutMs = 180_000): Promise<CacheStatus> {
  return await waitFor(
    `${CACHE} Ready with ${n} nodes`,
    async () => {
      const s = await status();
      return s.phase === 'Ready' && s.readyReplicas === n && s.nodes?.length === n ? s : undefined;
    },
    timeoutMs,
    250,
  );
}

/** Asks for a switchover to `pod` (the rcache.dev/switchover annotation) and waits until it is the master. */
async function switchoverTo(pod: string): Promise<void> {
  await kube.kubectl(['annotate', 'rcache', CACHE, '-n', ns, '--overwrite', `rcache.dev/switchover=${pod}`]);
  await waitFor(`${pod} is the master`, async () => (await status()).master?.pod === pod, 60_000, 200);
}

/** Waits for a master other than `old` with a higher epoch; resolves with the status and when it was seen. */
async function waitNewMaster(old: CacheStatus, timeoutMs = 60_000): Promise<{ s: CacheStatus; at: number }> {
  return await waitFor(
    `a master other than ${old.master?.pod}`,
    async () => {
      const s = await status();
      return s.master?.pod !== old.master?.pod && (s.epoch ?? 0) > (old.epoch ?? 0)
        ? { s, at: Date.now() }
        : undefined;
    },
    timeoutMs,
    100,
  );
}

async function pods(): Promise<Pod[]> {
  return (
    await kube.getJson<{ items: Pod[] }>(ns, 'pods', '-l', `app.kubernetes.io/instance=${CACHE}`)
  ).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Every acknowledged write is on every node (retrying while replicas catch up). */
async function expectAllAcknowledged(log: WriteLog, writer: LoadWriter): Promise<void> {
  expect(log.acked.length).toBeGreaterThan(0);
  const hosts = (await pods()).map((p) => `${p.metadata.name}=${p.status.podIP}:6379`);
  let last: Record<string, { missing: number; sample: number[] } | string> = {};
  await waitFor(
    `all ${log.acked.length} acknowledged writes on ${hosts.join(', ')}`,
    async () => {
      const out = await kube.kubectl(
        [
          'exec',
          '-i',
          '-n',
          ns,
          'client',
          '--',
          'node',
          '-e',
          VERIFY,
          '--',
          ...hosts.map((h) => h.split('=')[1]!),
        ],
        JSON.stringify({ prefix: writer.prefix, seqs: log.acked }),
      );
      last = JSON.parse(out) as typeof last;
      return Object.values(last).every((r) => typeof r === 'object' && r.missing === 0);
    },
    30_000,
    1000,
  ).catch((err: Error) => {
    // What the writer saw around the first lost writes, to tell when they were acknowledged.
    const lost = Object.values(last).flatMap((r) => (typeof r === 'object' ? r.sample.slice(0, 3) : []));
    const lines = writer.out.split('\n');
    const context = [...new Set(lost)].map((seq) => {
      const at = lines.findIndex((l) => l.startsWith(`A ${seq} `));
      return lines.slice(Math.max(0, at - 3), at + 4).join(' | ');
    });
    throw new Error(
      `${err.message}; missing per node: ${JSON.stringify(last)}; writer around them: ${context.join(' ;; ')}`,
    );
  });
}

async function infoField(pod: string, section: string, field: string): Promise<string | undefined> {
  const text = String(await kube.redis(ns, pod, 'INFO', section));
  return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

/** The host PID of the pod's server (PID 1 in its container). */
function hostPidOf(pod: Pod): number {
  return hostPidOfContainer(pod.status.containerStatuses?.[0]?.containerID);
}

/**
 * An image to upgrade to: RCACHE_UPGRADE_IMAGE on a cluster of your own; on the local cluster, a second
 * tag of the image under test, loaded into the node. Undefined when neither is available.
 */
async function upgradeImage(): Promise<string | undefined> {
  if (process.env.RCACHE_UPGRADE_IMAGE) return process.env.RCACHE_UPGRADE_IMAGE;
  const engine = containerEngine();
  if (!onThisHost || !engine) return undefined;
  const next = `${platform().image}-upgrade`;
  await runOk(engine, ['tag', platform().image, next]);
  await loadImageIntoLocalCluster(next);
  return next;
}

/** `kubectl patch` of the cache: a merge patch of its spec, or a JSON patch. */
async function patchCache(patch: { spec: Record<string, unknown> } | object[]): Promise<void> {
  const type = Array.isArray(patch) ? 'json' : 'merge';
  await kube.kubectl(['patch', 'rcache', CACHE, '-n', ns, `--type=${type}`, '-p', JSON.stringify(patch)]);
}

async function masterPod(): Promise<Pod> {
  const s = await status();
  const pod = (await pods()).find((p) => p.metadata.name === s.master?.pod);
  if (!pod) throw new Error(`master ${s.master?.pod} not found`);
  return pod;
}

beforeAll(async () => {
  kube = Kube.fromContext();
  operator = await OperatorRelease.install(kube);
  ns = await kube.createNamespace('rcache-ha');
  const image = platform().image;
  await kube.apply(
    ns,
    `apiVersion: rcache.dev/v1alpha1
kind: ReplicatedCache
metadata: {name: ${CACHE}}
spec: {replicas: 3, failover: {downAfterMillis: ${DOWN_AFTER_MS}}}
---
${writerPodManifest(image)}`,
  );
  await kube.kubectl(['wait', '--for=condition=Ready', 'pod/client', '-n', ns, '--timeout=120s']);
  await waitReady(3);
});

afterAll(async () => {
  if (!kube) return;
  await kube.deleteNamespace(ns);
  await operator?.uninstall();
});

describe('high availability under write load', () => {
  it('delete the master pod (5 runs): the master Service accepts writes again within 2 s every time, no acknowledged write lost', async () => {
    const recoveries: number[] = [];
    const syncProblems: string[] = [];
    for (let run = 0; run < 5; run++) {
      const before = await waitReady(3);
      const survivors = before.nodes!.filter((n) => n.name !== before.master!.pod).map((n) => n.name);
      const syncBefore = new Map<string, { full: number; partial: number }>();
      for (const pod of survivors)
        syncBefore.set(pod, {
          full: Number(await infoField(pod, 'stats', 'sync_full')),
          partial: Number(await infoField(pod, 'stats', 'sync_partial_ok')),
        });
      const writer = new Writer();
      await writer.acksAfter(Date.now(), 50);
      const t0 = Date.now();
      await kube.kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
      const { s, at } = await waitNewMaster(before);
      await writer.acksAfter(Date.now(), 50);
      const log = await writer.stop();
      // The pod goes away asynchronously (its preStop hands the role over first): the outage is the
      // longest gap between acknowledged writes from the delete on.
      const outage = longestPause(log, t0);
      recoveries.push(outage);
      await waitReady(3);
      await expectAllAcknowledged(log, writer);
      // The survivors kept their data: the new master served partial resyncs, and at most one full
      // sync — to the deleted pod, which came back empty.
      const newMaster = s.master!.pod;
      expect(survivors).toContain(newMaster);
      const full = Number(await infoField(newMaster, 'stats', 'sync_full'));
      const partial = Number(await infoField(newMaster, 'stats', 'sync_partial_ok'));
      console.log(
        `run ${run + 1}: ${before.master!.pod} deleted → new master recorded after ${at - t0} ms, ` +
          `longest write outage ${outage} ms ` +
          `(new master ${newMaster}; its sync_full ${syncBefore.get(newMaster)!.full}→${full}, ` +
          `sync_partial_ok ${syncBefore.get(newMaster)!.partial}→${partial}; ${log.acked.length} acked writes, ` +
          `${log.errors.length} unacknowledged)`,
      );
      if (partial <= syncBefore.get(newMaster)!.partial || full - syncBefore.get(newMaster)!.full > 1) {
        // Checked after the five runs, so that the timings are measured in any case.
        const why = (await kube.kubectl(['logs', '-n', ns, newMaster]))
          .split('\n')
          .filter((l) => /[Pp]artial resynchronization|Full resync/.test(l))
          .slice(-4);
        syncProblems.push(`run ${run + 1}, new master ${newMaster}: ${why.join(' | ')}`);
      }
    }
    console.log(
      `delete master: write outage p50 ${percentile(recoveries, 50)} ms, max ${Math.max(...recoveries)} ms over 5 runs`,
    );
    expect(syncProblems).toEqual([]);
    // The target is 2 s, on every run. The preStop hook hands over, then stays as a replica that answers
    // at once (-READONLY) until kube-proxy has moved the Service, which it does at most once per
    // minSyncPeriod (1 s): the outage is at most about one such turn.
    expect(Math.max(...recoveries)).toBeLessThanOrEqual(2000);
  });

  it.skipIf(!onThisHost)(
    'kill -9 of the master server: failover, the restarted node rejoins as a replica and never serves as an empty master',
    async () => {
      const before = await waitReady(3);
      const victim = await masterPod();
      const restartsBefore = victim.status.containerStatuses?.[0]?.restartCount ?? 0;
      const writer = new Writer();
      await writer.acksAfter(Date.now(), 50);
      const t0 = Date.now();
      process.kill(hostPidOf(victim), 'SIGKILL');
      const { s, at } = await waitNewMaster(before);
      // Acknowledgements after the new master was recorded: a write in flight at the kill does not count.
      await writer.acksAfter(at, 50);
      // While it comes back, the killed node must never be an unfenced master nor the Service's target.
      const sightings: string[] = [];
      await waitFor(
        `${victim.metadata.name} restarted and following ${s.master!.pod}`,
        async () => {
          const pod = (await pods()).find((p) => p.metadata.name === victim.metadata.name);
          // Its labels may lag while it is down; what matters is whether the master Service (its
          // serves-writes label and Ready) would route writes to it.
          if (
            pod?.metadata.labels?.['rcache.dev/serves-writes'] === 'true' &&
            pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          )
            sightings.push('a master Service endpoint');
          // The fence first: the node goes from (master, fenced) to (replica, unfenced) in one step, so
          // reading the role first could see the first state's role with the second state's fence.
          const fenced = (await kube
            .redis(ns, victim.metadata.name, 'CONFIG', 'GET', 'fenced')
            .catch(() => undefined)) as RespValue[] | undefined;
          const role = (await kube.redis(ns, victim.metadata.name, 'ROLE').catch(() => undefined)) as
            | RespValue[]
            | undefined;
          // Both read (the server may come up between the two): an unfenced master would stay one.
          if (fenced && role?.[0] === 'master' && fenced[1] !== 'yes') sightings.push('unfenced master');
          return (
            (pod?.status.containerStatuses?.[0]?.restartCount ?? 0) > restartsBefore &&
            role?.[0] === 'slave' &&
            role[1] === s.master!.address
          );
        },
        120_000,
        200,
      );
      const log = await writer.stop();
      await waitReady(3);
      await expectAllAcknowledged(log, writer);
      console.log(
        `kill -9 master: new master recorded after ${at - t0} ms, ` +
          `longest write outage ${longestPause(log, t0)} ms (${log.acked.length} acked writes)`,
      );
      expect(sightings).toEqual([]);
    },
  );

  it.skipIf(!onThisHost)(
    'a replica that keeps crashing, with no rollout under way, is reported as such (not as a stuck rollout)',
    async () => {
      const before = await waitReady(3);
      const name = before.nodes!.map((n) => n.name).find((n) => n !== before.master!.pod)!;
      const replica = async () => (await pods()).find((p) => p.metadata.name === name)!;
      // Two kills in a row put the container in the kubelet's restart back-off (CrashLoopBackOff).
      for (let kill = 1; kill <= 2; kill++) {
        const pod = await replica();
        const restarts = pod.status.containerStatuses?.[0]?.restartCount ?? 0;
        process.kill(hostPidOf(pod), 'SIGKILL');
        if (kill === 2) break;
        await waitFor(
          `${name} restarted`,
          async () => {
            const cs = (await replica()).status.containerStatuses?.[0];
            return (cs?.restartCount ?? 0) > restarts && cs?.state?.running !== undefined;
          },
          60_000,
          250,
        );
      }
      const degraded = await waitFor(
        `Degraded while ${name} backs off`,
        async () => (await status()).conditions?.find((c) => c.type === 'Degraded' && c.status === 'True'),
        60_000,
        250,
      );
      console.log(`crash-looping replica: ${degraded.reason}: ${degraded.message}`);
      expect(degraded.reason).toBe('PodNotStarting');
      expect(degraded.message).toMatch(new RegExp(`^${name}: CrashLoopBackOff`));
      expect(degraded.message).not.toMatch(/spec\.image/);
      await waitReady(3, 120_000);
    },
  );

  it.skipIf(!onThisHost)(
    'a frozen master (SIGSTOP) is failed over after downAfterMillis and demoted when it resumes',
    async () => {
      const before = await waitReady(3);
      const victim = await masterPod();
      const pid = hostPidOf(victim);
      const writer = new Writer();
      await writer.acksAfter(Date.now(), 50);
      const t0 = Date.now();
      process.kill(pid, 'SIGSTOP');
      let resumed = false;
      try {
        const { s, at } = await waitNewMaster(before, 30_000);
        await writer.acksAfter(at, 50);
        console.log(
          `frozen master: new master recorded after ${at - t0} ms (downAfterMillis ${DOWN_AFTER_MS}), ` +
            `longest write outage ${longestPause(writer.log(), t0)} ms`,
        );
        // Detection takes downAfterMillis; allow one health period (500 ms) and the status write.
        expect(at - t0).toBeLessThan(DOWN_AFTER_MS + 2000);
        process.kill(pid, 'SIGCONT');
        resumed = true;
        const t1 = Date.now();
        await waitFor(
          `${victim.metadata.name} demoted to a replica of ${s.master!.pod}`,
          async () => {
            const role = (await kube.redis(ns, victim.metadata.name, 'ROLE')) as RespValue[];
            return role[0] === 'slave' && role[1] === s.master!.address;
          },
          30_000,
          200,
        );
        console.log(`frozen master resumed → demoted in ${Date.now() - t1} ms`);
        await writer.acksAfter(Date.now(), 50);
        const log = await writer.stop();
        await waitReady(3);
        await expectAllAcknowledged(log, writer);
      } finally {
        if (!resumed) process.kill(pid, 'SIGCONT');
      }
    },
  );

  it('rolling upgrade of the image and config under write load: replicas first, then a switchover, zero acknowledged writes lost', async () => {
    await waitReady(3);
    const image = await upgradeImage();
    if (!image) {
      console.log(
        'rolling upgrade: only the config changes (set RCACHE_UPGRADE_IMAGE to a second tag of the image to upgrade it too)',
      );
    }
    const oldUids = new Set((await pods()).map((p) => p.metadata.uid));
    const writer = new Writer();
    await writer.acksAfter(Date.now(), 50);
    const t0 = Date.now();
    await patchCache({ spec: { config: { hz: '20' }, ...(image ? { image } : {}) } });
    await waitFor(
      'every pod replaced and the cache Ready',
      async () => {
        const ps = await pods();
        const s = await status();
        return (
          ps.length === 3 &&
          ps.every((p) => !oldUids.has(p.metadata.uid)) &&
          s.phase === 'Ready' &&
          s.readyReplicas === 3
        );
      },
      300_000,
      500,
    );
    await writer.acksAfter(Date.now(), 50);
    const log = await writer.stop();
    await expectAllAcknowledged(log, writer);
    expect(await kube.redis(ns, (await status()).master!.pod, 'CONFIG', 'GET', 'hz')).toEqual(['hz', '20']);
    if (image) expect((await pods()).map((p) => p.spec.containers[0]!.image)).toEqual([image, image, image]);
    const events = await kube.kubectl([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${CACHE}`,
      '-o',
      'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
    ]);
    console.log(
      `rolling upgrade${image ? ` to ${image}` : ''} under load: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${log.acked.length} acked writes, ` +
        `longest write pause ${longestPause(log)} ms, 0 lost`,
    );
    expect(events).toMatch(/RollingUpdate/);
    expect(events).toMatch(/Switchover/);
  });

  it('a client that reconnects only when its connection drops writes to the new master after a switchover', async () => {
    const before = await waitReady(3);
    const client = new StickyClient(clientTarget());
    try {
      await waitFor(
        'the client writing',
        async () => client.events().some((e) => e.kind === 'OK'),
        30_000,
        100,
      );
      const to = before.nodes!.map((n) => n.name).find((n) => n !== before.master!.pod)!;
      const t0 = Date.now();
      await switchoverTo(to);
      // Demoted, the old master answers READONLY on the kept connection until the operator closes it
      // (once the master Service has moved); the reconnection lands on the new master.
      const resumed = await waitFor(
        'a write accepted on a new connection after the switchover',
        async () => {
          const after = client.events().filter((e) => e.at > t0);
          const closed = after.findIndex((e) => e.kind === 'CLOSED');
          return closed >= 0 ? after.slice(closed).find((e) => e.kind === 'OK') : undefined;
        },
        15_000,
        100,
      );
      const after = client.events().filter((e) => e.at > t0);
      const refused = after.filter((e) => e.kind === 'ERR');
      console.log(
        `sticky client across a switchover: ${refused.length} writes refused (${[...new Set(refused.map((e) => e.detail))].join(', ')}), ` +
          `writing again ${resumed.at - t0} ms after the annotation`,
      );
      expect(refused.every((e) => e.detail === '-READONLY')).toBe(true);
    } finally {
      await client.stop();
      await kube.kubectl(['annotate', 'rcache', CACHE, '-n', ns, 'rcache.dev/switchover-']);
    }
  });

  it('scale down that removes the master ordinal, under write load: zero acknowledged writes lost', async () => {
    await waitReady(3);
    await switchoverTo(`${CACHE}-2`);
    await kube.kubectl(['annotate', 'rcache', CACHE, '-n', ns, 'rcache.dev/switchover-']);
    await waitReady(3);
    const writer = new Writer();
    await writer.acksAfter(Date.now(), 50);
    await kube.kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=2']);
    await waitFor('2 pods', async () => (await pods()).length === 2, 120_000, 500);
    const s = await waitReady(2);
    expect([`${CACHE}-0`, `${CACHE}-1`]).toContain(s.master?.pod);
    await writer.acksAfter(Date.now(), 50);
    const log = await writer.stop();
    await expectAllAcknowledged(log, writer);
    console.log(
      `scale-down removing the master: ${log.acked.length} acked writes, longest pause ${longestPause(log)} ms, 0 lost`,
    );
    await kube.kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=3']);
    await waitReady(3);
  });

  it('ten failovers in a row converge every time', async () => {
    const times: number[] = [];
    const writer = new Writer();
    for (let i = 0; i < 10; i++) {
      const before = await waitReady(3);
      const t0 = Date.now();
      await kube.kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
      await waitNewMaster(before);
      await writer.acksAfter(Date.now(), 5);
      await waitReady(3);
      times.push(Date.now() - t0);
    }
    const log = await writer.stop();
    await expectAllAcknowledged(log, writer);
    console.log(
      `ten failovers: each back to Ready (3/3) in p50 ${percentile(times, 50)} ms, max ${Math.max(...times)} ms; ` +
        `${log.acked.length} acked writes, longest pause ${longestPause(log)} ms, 0 lost`,
    );
  });

  it('a bad upgrade (image that does not exist) stops before the master and reports Degraded; fixing it resumes', async () => {
    const before = await waitReady(3);
    const master = await masterPod();
    await patchCache({ spec: { image: 'localhost/rcache:does-not-exist' } });
    const degraded = await waitFor(
      'Degraded RolloutStuck',
      async () => {
        const s = await status();
        return s.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True') ? s : undefined;
      },
      180_000,
      500,
    );
    const condition = degraded.conditions!.find((c) => c.type === 'Degraded')!;
    console.log(`bad upgrade: ${condition.reason}: ${condition.message}`);
    expect(condition.reason).toBe('RolloutStuck');
    expect(condition.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    // A few more health periods: the rollout must stay stopped with the master untouched.
    await new Promise((r) => setTimeout(r, 5000));
    const now = await pods();
    const masterNow = now.find((p) => p.metadata.name === master.metadata.name)!;
    expect(masterNow.metadata.uid).toBe(master.metadata.uid);
    expect(masterNow.spec.containers[0]!.image).toBe(master.spec.containers[0]!.image);
    expect((await status()).master?.pod).toBe(before.master?.pod);
    expect(now.filter((p) => p.spec.containers[0]!.image.endsWith(':does-not-exist')).length).toBe(1);
    await patchCache([{ op: 'remove', path: '/spec/image' }]);
    // The stuck pod keeps its old template until it is replaced; the operator replaces it.
    await waitFor(
      'Ready again on the good image',
      async () => {
        const s = await status();
        const ps = await pods();
        return (
          s.phase === 'Ready' &&
          ps.length === 3 &&
          ps.every((p) => p.spec.containers[0]!.image === platform().image)
        );
      },
      180_000,
      1000,
    );
  });
});
