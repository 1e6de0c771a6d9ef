import { type KubeClient, KubeError, type KubeObject } from './kube.js';

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewEveryMs: number;
  onStarted: () => void;
  onStopped: () => void;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), the same protocol as client-go's: the holder
 * renews `renewTime`; anyone may take a lease whose renewTime is older than its duration. Updates use
 * the lease's resourceVersion, so two candidates can never both win a round.
 */
export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly options: LeaderElectionOptions,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Gives the lease up (on SIGTERM) so another replica takes over at once instead of after expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    try {
      const lease = await this.kube.get<Lease>('Lease', this.options.namespace, this.options.name);
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec.holderIdentity = '';
        lease.spec.leaseDurationSeconds = 1;
        await this.kube.replace(lease);
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not release the leader lease');
    }
    this.setLeading(false);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      this.setLeading(await this.tryAcquireOrRenew());
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 409))
        this.options.log.warn({ err: (err as Error).message }, 'leader election round failed');
      this.setLeading(false);
    }
    if (!this.stopped)
      this.timer = setTimeout(
        () => void this.tick(),
        this.leading ? this.options.renewEveryMs : this.options.renewEveryMs / 2,
      );
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.options;
    const now = new Date();
    const nowText = now.toISOString().replace(/Z$/, '000Z');
    const lease = await this.kube.get<Lease>('Lease', namespace, name);
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      renewTime: nowText,
    };
    if (!lease) {
      await this.kube.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: { ...spec, acquireTime: nowText, leaseTransitions: 0 },
      });
      return true;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
    if (holder !== identity && holder !== '' && !expired) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    await this.kube.replace({
      ...lease,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      spec: {
        ...lease.spec,
        ...spec,
        acquireTime: holder === identity ? lease.spec?.acquireTime : nowText,
        leaseTransitions: transitions,
      },
    });
    return true;
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.log.info({ identity: this.options.identity }, leading ? 'became leader' : 'lost leadership');
    if (leading) this.options.onStarted();
    else this.options.onStopped();
  }
}
