import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * The operator's one door to the Kubernetes API. Requests and watches are plain HTTP here, so that
 * timeouts, cancellation and server-side apply are explicit and every write can be counted. In its pod
 * the operator authenticates with its service account directly; with a kubeconfig (a laptop, the tests)
 * @kubernetes/client-node loads it, with every auth method kubeconfigs allow.
 */

/** How requests reach and authenticate to the apiserver. */
export interface ApiCredentials {
  readonly server: URL;
  apply(options: https.RequestOptions): Promise<void>;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The pod's service account, read without @kubernetes/client-node: loading that library costs about
 * 80 MB of memory, more than the operator's whole working set.
 */
export class ServiceAccountCredentials implements ApiCredentials {
  readonly server: URL;
  private readonly ca: Buffer;
  private token = '';
  private tokenReadAt = 0;

  static available(): boolean {
    return process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(`${SERVICE_ACCOUNT_DIR}/token`);
  }

  constructor() {
    const host = process.env.KUBERNETES_SERVICE_HOST!;
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    this.server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
    this.ca = readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`);
  }

  async apply(options: https.RequestOptions): Promise<void> {
    // Projected service-account tokens are rotated by the kubelet: read the file again now and then.
    if (Date.now() - this.tokenReadAt > 60_000) {
      this.token = readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim();
      this.tokenReadAt = Date.now();
    }
    options.ca = this.ca;
    options.headers = { ...options.headers, Authorization: `Bearer ${this.token}` };
  }
}

/** A kubeconfig, through @kubernetes/client-node (exec plugins, client certificates, tokens...). */
class KubeConfigCredentials implements ApiCredentials {
  readonly server: URL;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  async apply(options: https.RequestOptions): Promise<void> {
    await this.kc.applyToHTTPSOptions(options);
  }
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { uid: string; kind: string; name: string }[];
    creationTimestamp?: string;
  };
  [key: string]: unknown;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Where each kind we touch lives in the API. */
const RESOURCES: Record<string, { group: string; version: string; plural: string; namespaced: boolean }> = {
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  Secret: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  Event: { group: '', version: 'v1', plural: 'events', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  PodDisruptionBudget: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  ReplicatedCache: { group: 'rcache.dev', version: 'v1alpha1', plural: 'replicatedcaches', namespaced: true },
};

/** `/api/v1/namespaces/ns/pods[/name]` or the all-namespaces collection when namespace is undefined. */
export function resourcePath(kind: string, namespace?: string, name?: string, subresource?: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`unknown kind ${kind}`);
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  let path = namespace !== undefined ? `${base}/namespaces/${namespace}/${r.plural}` : `${base}/${r.plural}`;
  if (name !== undefined) path += `/${name}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

export interface KubeClientOptions {
  fieldManager: string;
  /** Called for every request that changes something, for the write counters. */
  onWrite?: (verb: string, kind: string) => void;
}

export class KubeClient {
  private readonly server: URL;

  constructor(
    private readonly credentials: ApiCredentials,
    private readonly options: KubeClientOptions,
  ) {
    this.server = credentials.server;
  }

  /**
   * A given kubeconfig (--kubeconfig or RCACHE_KUBECONFIG), else the pod's service account when running
   * in a cluster without KUBECONFIG, else KUBECONFIG / ~/.kube/config.
   */
  static async fromEnvironment(options: KubeClientOptions, kubeconfig?: string): Promise<KubeClient> {
    if (!kubeconfig && !process.env.KUBECONFIG && ServiceAccountCredentials.available()) {
      return new KubeClient(new ServiceAccountCredentials(), options);
    }
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    return new KubeClient(new KubeConfigCredentials(kc), options);
  }

  get fieldManager(): string {
    return this.options.fieldManager;
  }

  /** One HTTP request; JSON in and out; non-2xx answers become KubeError with the apiserver's message. */
  async request<T>(
    method: string,
    path: string,
    init: { body?: unknown; contentType?: string; query?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<T> {
    const res = await this.open(method, path, init);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toKubeError(status, text);
    if (method !== 'GET') this.options.onWrite?.(method, kindOfPath(path));
    return (text.length > 0 ? JSON.parse(text) : undefined) as T;
  }

  private async open(
    method: string,
    path: string,
    init: {
      body?: unknown;
      contentType?: string;
      query?: Record<string, string>;
      timeoutMs?: number;
      signal?: AbortSignal;
    },
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.server.toString().replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const options: https.RequestOptions = { method, headers: { Accept: 'application/json' } };
    await this.credentials.apply(options);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    if (body !== undefined) {
      options.headers = {
        ...options.headers,
        'Content-Type': init.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(body),
      };
    }
    const transport = url.protocol === 'https:' ? https : http;
    return await new Promise((resolve, reject) => {
      const req = transport.request(url, { ...options, signal: init.signal }, resolve);
      req.on('error', reject);
      if (init.timeoutMs !== undefined) {
        req.setTimeout(init.timeoutMs, () =>
          req.destroy(new Error(`request to ${path} timed out after ${init.timeoutMs} ms`)),
        );
      }
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async get<T extends KubeObject>(kind: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', resourcePath(kind, namespace, name), { timeoutMs: 10_000 });
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(
    kind: string,
    namespace: string | undefined,
    query: Record<string, string> = {},
  ): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    return await this.request('GET', resourcePath(kind, namespace), { query, timeoutMs: 30_000 });
  }

  /** Server-side apply: we own exactly the fields we send; force resolves conflicts in our favour. */
  async apply<T extends KubeObject>(obj: KubeObject, subresource?: string): Promise<T> {
    const kind = obj.kind!;
    return await this.request<T>(
      'PATCH',
      resourcePath(kind, obj.metadata.namespace, obj.metadata.name, subresource),
      {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: this.options.fieldManager, force: 'true' },
        timeoutMs: 15_000,
      },
    );
  }

  async mergePatch<T extends KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    patch: unknown,
    subresource?: string,
  ): Promise<T> {
    return await this.request<T>('PATCH', resourcePath(kind, namespace, name, subresource), {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: this.options.fieldManager },
      timeoutMs: 15_000,
    });
  }

  async create<T extends KubeObject>(obj: KubeObject): Promise<T> {
    return await this.request<T>('POST', resourcePath(obj.kind!, obj.metadata.namespace), {
      body: obj,
      query: { fieldManager: this.options.fieldManager },
      timeoutMs: 15_000,
    });
  }

  async replace<T extends KubeObject>(obj: KubeObject): Promise<T> {
    return await this.request<T>('PUT', resourcePath(obj.kind!, obj.metadata.namespace, obj.metadata.name), {
      body: obj,
      query: { fieldManager: this.options.fieldManager },
      timeoutMs: 15_000,
    });
  }

  async delete(kind: string, namespace: string, name: string): Promise<void> {
    try {
      await this.request('DELETE', resourcePath(kind, namespace, name), { timeoutMs: 15_000 });
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }

  /**
   * Streams watch events until the server closes the stream, the signal aborts, or no byte arrives for
   * `idleTimeoutMs` (a silently dead connection). Resolves when the stream ends; rejects on errors.
   */
  async watch<T extends KubeObject>(
    kind: string,
    namespace: string | undefined,
    query: Record<string, string>,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
    idleTimeoutMs = 90_000,
  ): Promise<void> {
    const res = await this.open('GET', resourcePath(kind, namespace), {
      query: { ...query, watch: '1', allowWatchBookmarks: 'true' },
      signal,
    });
    if ((res.statusCode ?? 0) >= 300) throw toKubeError(res.statusCode ?? 0, await readAll(res));
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => res.destroy(new Error(`watch on ${kind} idle for ${idleTimeoutMs} ms`)),
          idleTimeoutMs,
        );
      };
      arm();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm();
        pending += chunk;
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line.length > 0) {
            try {
              onEvent(JSON.parse(line) as WatchEvent<T>);
            } catch (err) {
              res.destroy(err as Error);
              return;
            }
          }
          nl = pending.indexOf('\n');
        }
      });
      res.on('end', () => {
        clearTimeout(idle);
        resolve();
      });
      res.on('error', (err) => {
        clearTimeout(idle);
        reject(err);
      });
      res.on('close', () => {
        clearTimeout(idle);
        resolve();
      });
    });
  }
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toKubeError(status: number, text: string): KubeError {
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeError(status, body.reason ?? String(status), body.message ?? text);
  } catch {
    return new KubeError(status, String(status), text.slice(0, 500));
  }
}

function kindOfPath(path: string): string {
  const parts = path.split('/');
  const ns = parts.indexOf('namespaces');
  return ns >= 0 ? (parts[ns + 2] ?? 'unknown') : (parts[parts.length - 1] ?? 'unknown');
}
