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
 * BENCH_KINDS picks disruptions (default delete,kill,freeze,switchover,scaledown), BENCH_SETTLE_MS the
 * pause before each, once the group and its Services have settled (default 1000). BENCH_TRACE=1 prints,
 * per run, when the Services' endpoints and the pods' labels changed, relative to the disruption (the
 * Services follow the labels through the EndpointSlice controller and kube-proxy, which reprograms a
 * node at most once a second by default), and for a write outage over BENCH_TRACE_GAP_MS (default
 * 1000), what the writer saw meanwhile and the new master's log.
 */
import { spawn } from 'node:child_process';
import { hostPidOfContainer } from '../test/e2e/support/faults.ts';
import { longestPause, percentile, Writer, writerPodManifest } from '../test/e2e/support/writer.ts';
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
const KINDS = (process.env.BENCH_KINDS ?? 'delete,kill,freeze,switchover,scaledown').split(
  ',',
) as Disruption[];
const TRACE = process.env.BENCH_TRACE === '1';
/** With BENCH_TRACE, an outage longer than this (ms) also prints what the writer saw and the new master's log. */
const TRACE_GAP_MS = Number(process.env.BENCH_TRACE_GAP_MS ?? 1000);
/**
 * Pause once the group and its Services have settled, before the next disruption: kube-proxy reprograms
 * at most once a second, and a disruption that meets it just after a turn waits for the next one.
 */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 1000);
const CACHE = 'fo';

type Disruption = 'delete' | 'kill' | 'freeze' | 'switchover' | 'scaledown';

const { ns, remove } = installOperator();
const writerTarget = {
  kubectl: KUBECTL,
  kubeconfig: KUBECONFIG,
  namespace: ns,
  pod: 'client',
  host: `${CACHE}.${ns}.svc.cluster.local`,
};

/** The fields of a watched EndpointSlice or Pod that the trace reads. */
interface Watched {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  endpoints?: { targetRef?: { name: string }; conditions?: { ready?: boolean; terminating?: boolean } }[];
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Watches the namespace's EndpointSlices and pods; `lines(t0)` lists what changed since t0: the master
 * and replicas Services' ready addresses, and each pod's role label and readiness.
 */
class Trace {
  private readonly events: string[] = [];
  private readonly procs = ['endpointslices', 'pods'].map((kind) => {
    const p = spawn(KUBECTL, ['--kubeconfig', KUBECONFIG, 'get', kind, '-n', ns, '-w', '-o', 'json']);
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      // `-w -o json` prints one pretty-printed object per change; each ends with a closing brace at column 0.
      let end = buf.indexOf('\n}\n');
      while (end >= 0) {
        this.seen(kind, JSON.parse(buf.slice(0, end + 2)) as Watched, Date.now());
        buf = buf.slice(end + 3);
        end = buf.indexOf('\n}\n');
      }
    });
    return p;
  });
  private readonly last = new Map<string, string>();

  private seen(kind: string, o: Watched, at: number): void {
    let key: string;
    let what: string;
    if (kind === 'endpointslices') {
      const service = o.metadata.labels?.['kubernetes.io/service-name'];
      if (service !== CACHE && service !== `${CACHE}-replicas`) return;
      key = service === CACHE ? 'master Service' : 'replicas Service';
      const ready = (o.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.targetRef?.name);
      const other = (o.endpoints ?? [])
        .filter((e) => !e.conditions?.ready)
        .map((e) => `${e.targetRef?.name}${e.conditions?.terminating ? '(terminating)' : ''}`);
      what = `ready [${ready.join(',')}] not ready [${other.join(',')}]`;
    } else {
      key = o.metadata.name;
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      what = `role=${o.metadata.labels?.['rcache.dev/role'] ?? '-'} ${ready ? 'ready' : 'not ready'}${o.metadata.deletionTimestamp ? ' deleting' : ''}`;
    }
    if (this.last.get(key) === what) return;
    this.last.set(key, what);
    this.events.push(`${at} ${key}: ${what}`);
  }

  lines(t0: number): string[] {
    return this.events
      .map((e) => e.split(' '))
      .filter(([at]) => Number(at) >= t0)
      .map(([at, ...rest]) => `  +${String(Number(at) - t0).padStart(5)} ms ${rest.join(' ')}`);
  }

  stop(): void {
    for (const p of this.procs) p.kill();
  }
}
const trace = TRACE ? new Trace() : undefined;

function masterContainer(s: CacheStatus): string | undefined {
  const pod = getJson<{ status: { containerStatuses?: { containerID?: string }[] } }>(
    ns,
    'pod',
    s.master!.pod,
  );
  return pod.status.containerStatuses?.[0]?.containerID;
}

/** The pods a Service's EndpointSlices list as ready, sorted. */
function readyEndpoints(service: string): string[] {
  const slices = getJson<{ items: Watched[] }>(
    ns,
    'endpointslices',
    '-l',
    `kubernetes.io/service-name=${service}`,
  );
  return slices.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready)
    .map((e) => e.targetRef?.name ?? '?')
    .sort();
}

/**
 * Ready with 3 nodes, and both Services on the roles: a recovering group keeps changing them for
 * seconds (a recreated pod turns Ready, then joins the replicas Service), and a disruption that meets
 * kube-proxy busy with them measures that too.
 */
const readyWith3 = () =>
  waitFor('Ready, with the Services on the roles', () => {
    const s = cacheStatus(ns, CACHE);
    if (!isReady(s, 3)) return undefined;
    const replicas = s.nodes!.map((n) => n.name).filter((n) => n !== s.master!.pod);
    const settled =
      readyEndpoints(CACHE).join() === s.master!.pod &&
      readyEndpoints(`${CACHE}-replicas`).join() === replicas.sort().join();
    return settled ? s : undefined;
  });

/** A scale-down removes the master only when it holds the highest ordinal: hand the role there first. */
async function masterOnLastOrdinal(): Promise<void> {
  const last = `${CACHE}-2`;
  if ((await readyWith3()).master?.pod === last) return;
  kubectl(['annotate', 'rcache', CACHE, '-n', ns, '--overwrite', `rcache.dev/switchover=${last}`]);
  await waitFor(`${last} master`, () => cacheStatus(ns, CACHE).master?.pod === last);
  kubectl(['annotate', 'rcache', CACHE, '-n', ns, 'rcache.dev/switchover-']);
}

async function once(kind: Disruption): Promise<{ recorded: number; outage: number }> {
  if (kind === 'scaledown') await masterOnLastOrdinal();
  const before = await readyWith3();
  await sleep(SETTLE_MS);
  const writer = new Writer(writerTarget);
  await writer.acksAfter(Date.now(), 50);
  let pid = 0;
  const t0 = Date.now();
  if (kind === 'delete') kubectl(['delete', 'pod', '-n', ns, before.master!.pod, '--wait=false']);
  else if (kind === 'scaledown') kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=2']);
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
  if (kind === 'scaledown') kubectl(['scale', 'rcache', CACHE, '-n', ns, '--replicas=3']);
  const outage = longestPause(log, t0);
  if (trace && outage > TRACE_GAP_MS) {
    // What the writer saw in the longest gap (its errors and failed connections), and the new master's log.
    const i = log.ackTimes.findIndex((t, n) => n > 0 && t > t0 && t - log.ackTimes[n - 1]! === outage);
    const [from, to] = [log.ackTimes[i - 1]!, log.ackTimes[i]!];
    console.log(
      `${kind}: ${outage} ms without an acknowledged write, from +${from - t0} ms; the writer saw:`,
    );
    for (const line of writer.out.split('\n')) {
      const at = Number(line.split(' ')[2]);
      if (at >= from && at <= to && !line.startsWith('A ')) console.log(`  +${at - t0} ms ${line}`);
    }
    const s = cacheStatus(ns, CACHE);
    console.log(`  new master ${s.master?.pod}'s log:`);
    const logs = kubectl(['logs', '-n', ns, s.master!.pod, '--timestamps']).split('\n');
    for (const l of logs.slice(-40)) console.log(`    ${l.slice(0, 200)}`);
  }
  if (trace) {
    console.log(`${kind} at ${new Date(t0).toISOString()}: recorded +${recorded} ms, outage ${outage} ms`);
    for (const line of trace.lines(t0)) console.log(line);
  }
  return { recorded, outage };
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
${writerPodManifest(IMAGE)}`,
  );
  kubectl(['wait', '--for=condition=Ready', 'pod/client', '-n', ns, '--timeout=120s']);
  for (const kind of KINDS) {
    const recorded: number[] = [];
    const outages: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await once(kind);
      recorded.push(r.recorded);
      outages.push(r.outage);
    }
    console.log(
      `${kind.padEnd(10)} (${RUNS} runs): new master recorded ${summary(recorded)}; ` +
        `write outage ${summary(outages)}`,
    );
  }
} finally {
  trace?.stop();
  remove();
}
