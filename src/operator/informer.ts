import { type KubeClient, KubeError, type KubeObject, type WatchEvent } from './kube.js';

export type InformerEvent = 'added' | 'modified' | 'deleted';

export interface InformerLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/**
 * A supervised list-then-watch cache of one kind. A watch that ends is resumed from the last
 * resourceVersion; one that fails (connection cut, apiserver restart, 410 Gone) is replaced by a fresh
 * list after a backoff, and the cache is reconciled against that list so no deletion is missed.
 */
export class Informer<T extends KubeObject> {
  readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private abort = new AbortController();
  private running = false;
  private syncedOnce: Promise<void>;
  private markSynced!: () => void;
  /** How many times the watch was re-established by a relist (for metrics and tests). */
  relists = 0;

  constructor(
    private readonly client: KubeClient,
    readonly kind: string,
    private readonly namespace: string | undefined,
    private readonly labelSelector: string | undefined,
    private readonly onChange: (event: InformerEvent, obj: T) => void,
    private readonly log: InformerLogger,
  ) {
    this.syncedOnce = new Promise((resolve) => {
      this.markSynced = resolve;
    });
  }

  static key(obj: KubeObject): string {
    return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  }

  /** Resolves after the first successful list. */
  waitForSync(): Promise<void> {
    return this.syncedOnce;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
  }

  /** Drops the current watch connection; the supervisor relists (used by tests and on demand). */
  interrupt(): void {
    this.abort.abort();
  }

  list(filter: (obj: T) => boolean = () => true): T[] {
    return [...this.cache.values()].filter(filter);
  }

  private async run(): Promise<void> {
    let backoffMs = 250;
    let needList = true;
    while (this.running) {
      this.abort = new AbortController();
      try {
        if (needList) {
          await this.relist();
          needList = false;
          backoffMs = 250;
        }
        await this.client.watch<T>(
          this.kind,
          this.namespace,
          this.query(),
          (e) => this.handle(e),
          this.abort.signal,
        );
        // A clean end (server-side timeout): resume from where we are.
      } catch (err) {
        if (!this.running) return;
        const gone = err instanceof KubeError && err.status === 410;
        if (!gone)
          this.log.warn(
            { kind: this.kind, err: (err as Error).message },
            'watch failed; relisting after backoff',
          );
        needList = true;
        await sleep(gone ? 0 : backoffMs);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }

  private query(): Record<string, string> {
    const q: Record<string, string> = {
      resourceVersion: this.resourceVersion,
      timeoutSeconds: String(240 + Math.floor(Math.random() * 60)),
    };
    if (this.labelSelector) q.labelSelector = this.labelSelector;
    return q;
  }

  private async relist(): Promise<void> {
    const query: Record<string, string> = {};
    if (this.labelSelector) query.labelSelector = this.labelSelector;
    const list = await this.client.list<T>(this.kind, this.namespace, query);
    const fresh = new Map<string, T>();
    for (const item of list.items) {
      item.kind ??= this.kind;
      fresh.set(Informer.key(item), item);
    }
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.onChange('deleted', old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.onChange('added', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.onChange('modified', obj);
    }
    this.resourceVersion = list.metadata.resourceVersion;
    if (this.relists++ === 0) this.markSynced();
    this.log.debug({ kind: this.kind, items: fresh.size }, 'listed');
  }

  private handle(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; message?: string };
      throw new KubeError(status.code ?? 500, 'WatchError', status.message ?? 'watch error');
    }
    const obj = event.object;
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    obj.kind ??= this.kind;
    const key = Informer.key(obj);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.onChange('deleted', obj);
    } else {
      this.cache.set(key, obj);
      this.onChange(event.type === 'ADDED' ? 'added' : 'modified', obj);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
