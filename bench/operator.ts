/**
 * The operator's speed and footprint on a real cluster (the image must be in the node already):
 *
 *   npm run bench:operator        (tsc, then node bench/operator.ts)
 *
 * 1. apply → Ready for a 3-node cache, BENCH_RUNS times (default 3): p50 and max.
 * 2. 20 one-node caches (BENCH_CACHES) applied at once → all Ready: elapsed time, and the operator's
 *    RSS and CPU seconds over that burst (from its own /metrics).
 * 3. The operator's RSS idle: before any cache, and with the 20 caches steady for 30 s.
 */
import {
  cacheStatus,
  installOperator,
  isReady,
  kubectl,
  mib,
  operatorMetrics,
  sleep,
  waitFor,
} from './k8s.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CACHES = Number(process.env.BENCH_CACHES ?? 20);
const RSS = 'rcache_operator_process_resident_memory_bytes';
const CPU = 'rcache_operator_process_cpu_seconds_total';

const cacheYaml = (name: string, replicas: number) =>
  `apiVersion: rcache.dev/v1alpha1\nkind: ReplicatedCache\nmetadata: {name: ${name}}\nspec: {replicas: ${replicas}}\n`;

const { opNs, ns, remove } = installOperator();
try {
  await sleep(5000);
  const idle = operatorMetrics(opNs);
  console.log(`operator RSS idle, no caches: ${mib(idle.get(RSS))}`);

  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `three-${i}`;
    const t0 = Date.now();
    kubectl(['apply', '-n', ns, '-f', '-'], cacheYaml(name, 3));
    await waitFor(`${name} Ready`, () => isReady(cacheStatus(ns, name), 3));
    times.push(Date.now() - t0);
    kubectl(['delete', 'rcache', name, '-n', ns, '--wait=true']);
    await waitFor(
      `${name}'s pods gone`,
      () =>
        kubectl([
          'get',
          'pods',
          '-n',
          ns,
          '-l',
          `app.kubernetes.io/instance=${name}`,
          '-o',
          'name',
        ]).trim() === '',
    );
  }
  times.sort((a, b) => a - b);
  console.log(
    `apply → Ready, 3 nodes: ${times.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')} ` +
      `(p50 ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(1)} s, max ${(times.at(-1)! / 1000).toFixed(1)} s)`,
  );

  const before = operatorMetrics(opNs);
  const t0 = Date.now();
  kubectl(
    ['apply', '-n', ns, '-f', '-'],
    Array.from({ length: CACHES }, (_, i) => cacheYaml(`one-${i}`, 1)).join('---\n'),
  );
  await waitFor(`${CACHES} caches Ready`, () => {
    const list = JSON.parse(kubectl(['get', 'rcache', '-n', ns, '-o', 'json'])) as {
      items: { metadata: { name: string }; status?: { phase?: string; readyReplicas?: number } }[];
    };
    return (
      list.items.filter((c) => c.status?.phase === 'Ready' && c.status.readyReplicas === 1).length === CACHES
    );
  });
  const elapsed = Date.now() - t0;
  const after = operatorMetrics(opNs);
  console.log(
    `${CACHES} one-node caches at once → all Ready in ${(elapsed / 1000).toFixed(1)} s; operator CPU ` +
      `${((after.get(CPU) ?? 0) - (before.get(CPU) ?? 0)).toFixed(2)} s over the burst ` +
      `(${((100 * ((after.get(CPU) ?? 0) - (before.get(CPU) ?? 0))) / (elapsed / 1000)).toFixed(0)}% of a core), ` +
      `RSS ${mib(before.get(RSS))} → ${mib(after.get(RSS))}`,
  );

  // Steady state with every cache health-checked every 500 ms.
  const s0 = operatorMetrics(opNs);
  await sleep(30_000);
  const s1 = operatorMetrics(opNs);
  console.log(
    `operator with ${CACHES} steady caches: RSS ${mib(s1.get(RSS))}, CPU ` +
      `${((100 * ((s1.get(CPU) ?? 0) - (s0.get(CPU) ?? 0))) / 30).toFixed(1)}% of a core over 30 s`,
  );
} finally {
  remove();
}
