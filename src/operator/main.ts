import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { KubeClient } from './kube.js';
import { Manager } from './manager.js';
import { FIELD_MANAGER } from './names.js';

const HELP = `Usage: rcache-operator [options]

Reconciles ReplicatedCache resources (rcache.dev/v1alpha1) into replicated rcache-server groups.

Options:
  --namespace <ns>         watch only this namespace (default: all namespaces)
  --default-image <image>  image for caches without spec.image (default: $RCACHE_DEFAULT_IMAGE)
  --cluster-domain <d>     cluster DNS domain (default: cluster.local)
  --metrics-port <port>    /metrics, /healthz and /readyz (default: 8081)
  --leader-elect           run with Lease leader election (needed for more than one replica)
  --workers <n>            concurrent reconciles (default: 4)
  --log-level <level>      debug, info, warn, error (default: info)
  --kubeconfig <path>      kubeconfig file (default: $RCACHE_KUBECONFIG, $KUBECONFIG, in-cluster)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      namespace: { type: 'string' },
      'default-image': { type: 'string' },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      'metrics-port': { type: 'string', default: '8081' },
      'leader-elect': { type: 'boolean', default: false },
      workers: { type: 'string', default: '4' },
      'log-level': { type: 'string', default: 'info' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = pino({ level: values['log-level'], base: { component: 'rcache-operator' } });
  const image = values['default-image'] ?? process.env.RCACHE_DEFAULT_IMAGE;
  if (!image) {
    process.stderr.write(
      'rcache-operator: no default image: pass --default-image or set RCACHE_DEFAULT_IMAGE (the Helm chart sets it to its own image)\n',
    );
    return 2;
  }
  let metrics: Manager['metrics'] | undefined;
  const kube = await KubeClient.fromEnvironment(
    { fieldManager: FIELD_MANAGER, onWrite: (verb, resource) => metrics?.apiWrites.inc({ verb, resource }) },
    values.kubeconfig ?? process.env.RCACHE_KUBECONFIG,
  );
  const manager = new Manager(
    kube,
    {
      namespace: values.namespace,
      defaults: { image, clusterDomain: values['cluster-domain']! },
      workers: Number(values.workers),
      metricsPort: Number(values['metrics-port']),
      leaderElection: {
        enabled: values['leader-elect']!,
        namespace: process.env.POD_NAMESPACE ?? values.namespace ?? 'default',
        identity: process.env.POD_NAME,
      },
    },
    log,
  );
  metrics = manager.metrics;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await manager.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await manager.start();
  log.info({ image }, 'rcache-operator started');
  return -1;
}

const code = await main().catch((err: Error) => {
  process.stderr.write(`rcache-operator: ${err.message}\n`);
  return 1;
});
if (code >= 0) process.exit(code);
