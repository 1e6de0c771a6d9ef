// A thin kubectl wrapper for the e2e tests, plus ways to look inside pods of
// the project's image, which has node but no shell.
import { inject } from 'vitest';
import { type RunResult, run, runOk, waitFor } from './platform.js';

export interface PlatformContext {
  kubeconfig: string;
  kubectl: string;
  image: string;
  /** true when the cluster is the local one of tools/cluster.sh */
  local: boolean;
  /** true when global-setup started it (and will remove it) */
  startedHere: boolean;
  /** why there is no cluster to test on; each e2e file then fails with it */
  error?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    platform: PlatformContext;
  }
}

export function platform(): PlatformContext {
  const ctx = inject('platform');
  if (ctx.error) throw new Error(ctx.error);
  return ctx;
}

export class Kube {
  constructor(
    readonly kubeconfig: string,
    readonly kubectlPath: string,
  ) {}

  static fromContext(): Kube {
    const p = platform();
    return new Kube(p.kubeconfig, p.kubectl);
  }

  run(args: string[], input?: string): Promise<RunResult> {
    return run(this.kubectlPath, ['--kubeconfig', this.kubeconfig, ...args], { input, timeoutMs: 120_000 });
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return runOk(this.kubectlPath, ['--kubeconfig', this.kubeconfig, ...args], { input, timeoutMs: 120_000 });
  }

  apply(ns: string, manifest: string): Promise<string> {
    return this.kubectl(['apply', '-n', ns, '-f', '-'], manifest);
  }

  async createNamespace(prefix: string): Promise<string> {
    const ns = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
    await this.kubectl(['create', 'namespace', ns]);
    // Pods are refused until the namespace's default ServiceAccount exists.
    await waitFor(`ServiceAccount default in ${ns}`, async () => {
      const r = await this.run(['get', 'serviceaccount', 'default', '-n', ns]);
      return r.code === 0;
    });
    return ns;
  }

  async deleteNamespace(ns: string): Promise<void> {
    await this.run(['delete', 'namespace', ns, '--wait=false']);
  }

  async getJson<T = unknown>(ns: string, ...what: string[]): Promise<T> {
    return JSON.parse(await this.kubectl(['get', '-n', ns, ...what, '-o', 'json'])) as T;
  }

  /** Runs a command in a pod's first container; resolves with stdout. */
  exec(ns: string, pod: string, cmd: string[]): Promise<string> {
    return this.kubectl(['exec', '-n', ns, pod, '--', ...cmd]);
  }

  /** Runs a Node.js script in the pod (the image's node) and parses its JSON output. */
  async nodeEval<T = unknown>(ns: string, pod: string, script: string, args: string[] = []): Promise<T> {
    const out = await this.exec(ns, pod, ['node', '-e', script, '--', ...args]);
    return JSON.parse(out) as T;
  }

  /** Sends one Redis command to 127.0.0.1:6379 inside the pod; returns the decoded reply. */
  redis(ns: string, pod: string, ...command: string[]): Promise<RespValue> {
    return this.nodeEval<RespValue>(ns, pod, RESP_CLIENT, ['127.0.0.1', '6379', ...command]);
  }
}

export type RespValue = string | number | null | { error: string } | RespValue[];

// Connects to host:port, sends argv as a RESP array, prints the first complete
// reply as JSON. Kept dependency-free: it runs with the image's bare node.
export const RESP_CLIENT = `
const net = require('node:net');
const [host, port, ...cmd] = process.argv.slice(1).filter((a) => a !== '--');
const parts = ['*' + cmd.length + '\\r\\n'];
for (const a of cmd) parts.push('$' + Buffer.byteLength(a) + '\\r\\n' + a + '\\r\\n');
let buf = Buffer.alloc(0);
function parse(pos) {
  const eol = buf.indexOf('\\r\\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  if (type === '+') return [line, next];
  if (type === '-') return [{ error: line }, next];
  if (type === ':') return [Number(line), next];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, next];
    if (buf.length < next + n + 2) return undefined;
    return [buf.toString('utf8', next, next + n), next + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return [null, next];
    const out = [];
    let p = next;
    for (let i = 0; i < n; i++) {
      const r = parse(p);
      if (!r) return undefined;
      out.push(r[0]);
      p = r[1];
    }
    return [out, p];
  }
  throw new Error('unexpected reply type ' + type);
}
const sock = net.connect(Number(port), host, () => sock.write(parts.join('')));
sock.setTimeout(10000, () => { console.error('timeout'); process.exit(2); });
sock.on('error', (e) => { console.error(e.message); process.exit(3); });
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  const r = parse(0);
  if (r) { process.stdout.write(JSON.stringify(r[0])); sock.destroy(); }
});
`;
