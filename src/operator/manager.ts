import { createServer, type Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ReplicatedCache } from './api.js';
import type { OperatorDefaults } from './desired.js';
import { Informer } from './informer.js';
import type { KubeClient, KubeObject } from './kube.js';
import { LeaderElector } from './leader.js';
import { OperatorMetrics } from './metrics.js';
import { APP_NAME, FIELD_MANAGER, LABELS } from './names.js';
import { Reconciler } from './reconciler.js';
import { WorkQueue } from './workqueue.js';

export interface ManagerOptions {
  /** Watch one namespace, or all when undefined. */
  namespace: string | undefined;
  defaults: OperatorDefaults;
  workers: number;
  metricsPort: number;
  leaderElection: { enabled: boolean; namespace: string; identity?: string };
}

/**
 * Wires informers, the work queue, the reconciler, leader election and the health/metrics endpoint
 * together (controller-runtime's Manager, in small).
 */
export class Manager {
  readonly metrics = new OperatorMetrics();
  readonly queue = new WorkQueue();
  readonly caches: Informer<ReplicatedCache & KubeObject>;
  readonly statefulSets: Informer<KubeObject>;
  readonly pods: Informer<KubeObject>;
  readonly services: Informer<KubeObject>;
  private readonly reconciler: Reconciler;
  private readonly elector: LeaderElector | undefined;
  private leading = false;
  private http: HttpServer | undefined;
  private stopping = false;

  constructor(
    kube: KubeClient,
    private readonly options: ManagerOptions,
    private readonly log: Logger,
  ) {
    const ns = options.namespace;
    const enqueueOwner = (_e: string, obj: KubeObject) => {
      const instance = obj.metadata.labels?.[LABELS.instance];
      if (instance) this.queue.add(`${obj.metadata.namespace}/${instance}`);
    };
    const informerLog = {
      warn: (o: object, m: string) => log.warn(o, m),
      debug: (o: object, m: string) => log.debug(o, m),
    };
    this.caches = new Informer(
      kube,
      'ReplicatedCache',
      ns,
      undefined,
      (_e, obj) => this.queue.add(Informer.key(obj)),
      informerLog,
    );
    this.statefulSets = new Informer(
      kube,
      'StatefulSet',
      ns,
      `${LABELS.managedBy}=${FIELD_MANAGER}`,
      enqueueOwner,
      informerLog,
    );
    this.services = new Informer(
      kube,
      'Service',
      ns,
      `${LABELS.managedBy}=${FIELD_MANAGER}`,
      enqueueOwner,
      informerLog,
    );
    this.pods = new Informer(kube, 'Pod', ns, `${LABELS.name}=${APP_NAME}`, enqueueOwner, informerLog);
    this.reconciler = new Reconciler({
      kube,
      caches: this.caches,
      statefulSets: this.statefulSets,
      pods: this.pods,
      services: this.services,
      defaults: options.defaults,
      metrics: this.metrics,
      log: {
        info: (o, m) => log.info(o, m),
        warn: (o, m) => log.warn(o, m),
        debug: (o, m) => log.debug(o, m),
      },
    });
    if (options.leaderElection.enabled) {
      this.elector = new LeaderElector(kube, {
        namespace: options.leaderElection.namespace,
        name: 'rcache-operator-leader',
        identity: options.leaderElection.identity ?? `${hostname()}_${process.pid}`,
        leaseDurationMs: 15_000,
        renewEveryMs: 5_000,
        onStarted: () => this.startLeading(),
        onStopped: () => {
          this.leading = false;
          this.metrics.leader.set(0);
        },
        log: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m) },
      });
    }
  }

  private get informers(): Informer<KubeObject>[] {
    return [this.caches as unknown as Informer<KubeObject>, this.statefulSets, this.services, this.pods];
  }

  get ready(): boolean {
    return this.informers.every((i) => i.relists > 0);
  }

  async start(): Promise<void> {
    await this.serveHttp();
    for (const informer of this.informers) informer.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    this.log.info({ namespace: this.options.namespace ?? '(all)' }, 'caches synced');
    for (let i = 0; i < this.options.workers; i++) void this.worker();
    if (this.elector) this.elector.start();
    else this.startLeading();
  }

  private startLeading(): void {
    this.leading = true;
    this.metrics.leader.set(1);
    for (const cache of this.caches.list()) this.queue.add(Informer.key(cache));
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.leading) {
        this.queue.done(key);
        continue;
      }
      const end = this.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler.reconcile(key);
        this.queue.forget(key);
        this.metrics.reconciles.inc({ result: result.requeueAfterMs ? 'requeue' : 'success' });
        if (result.requeueAfterMs !== undefined && !this.stopping)
          this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        this.metrics.reconciles.inc({ result: 'error' });
        const [namespace, name] = key.split('/');
        this.log.warn(
          { namespace, name, err: (err as Error).message, retries: this.queue.retries(key) },
          'reconcile failed; retrying with backoff',
        );
        this.queue.addRateLimited(key);
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }

  private async serveHttp(): Promise<void> {
    this.http = createServer((req, res) => {
      if (req.url === '/healthz') {
        res.writeHead(200).end('ok');
      } else if (req.url === '/readyz') {
        res.writeHead(this.ready ? 200 : 503).end(this.ready ? 'ok' : 'informers not synced');
      } else if (req.url === '/metrics') {
        for (const i of this.informers) this.metrics.watchRelists.set({ kind: i.kind }, i.relists);
        this.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.http!.listen(this.options.metricsPort, resolve));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.shutdown();
    await this.elector?.stop();
    for (const informer of this.informers) informer.stop();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
  }
}
