import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The operator's Prometheus metrics, in one registry served on /metrics. */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'rcache_reconcile_total',
    help: 'Reconciles by result (success, error, requeue).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'rcache_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly roleChanges = new Counter({
    name: 'rcache_role_changes_total',
    help: 'Master changes (failovers, switchovers, initial elections).',
    labelNames: ['namespace', 'cache', 'kind'],
    registers: [this.registry],
  });
  readonly repairs = new Counter({
    name: 'rcache_repairs_total',
    help: 'Nodes re-pointed to the master (drift repairs and role assignments).',
    labelNames: ['namespace', 'cache'],
    registers: [this.registry],
  });
  readonly replicationLag = new Gauge({
    name: 'rcache_replication_lag_bytes',
    help: "Bytes a replica is behind its master's offset.",
    labelNames: ['namespace', 'cache', 'pod'],
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'rcache_kube_writes_total',
    help: 'Requests that change something in the Kubernetes API, by verb and resource.',
    labelNames: ['verb', 'resource'],
    registers: [this.registry],
  });
  readonly watchRelists = new Gauge({
    name: 'rcache_watch_relists',
    help: 'Times each informer relisted (first list included).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'rcache_leader',
    help: '1 when this replica leads.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rcache_operator_' });
  }
}
