// A write load for availability tests and benchmarks: a client inside the cluster (any pod of the
// project's image, which has node but no shell) writes through the master Service without pause and
// counts a write as acknowledged only once `WAIT 1` reports that a replica has it. Afterwards VERIFY
// checks that every acknowledged write is on every node. No relative imports: bench/ loads this file
// with plain Node (type stripping) as well.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

// Writes SET <prefix>:<n> <n> then WAIT 1 300 through the Service, one at a time, and prints
// `A <n> <ms>` for each write a replica acknowledged, `E <n> <ms> <why>` otherwise, and `C - <ms> <why>`
// for a connection that failed before carrying a write. An error or a cut connection makes it reconnect
// (the Service may route to another pod now). It stops at stdin's end or after <maxMs>, printing END.
export const WRITER = `
const net = require('node:net');
const [host, port, prefix, maxMs] = process.argv.slice(1).filter((a) => a !== '--');
let seq = 0, sock, buf = '', pending = null, timer, stopping = false;
const out = [];
const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
setInterval(flush, 100);
const stop = () => { stopping = true; };
process.stdin.on('data', () => {});
process.stdin.on('end', stop);
setTimeout(stop, Number(maxMs));
function finish() { flush(); process.stdout.write('END\\n', () => process.exit(0)); }
function connect() {
  buf = '';
  sock = net.connect(Number(port), host);
  sock.setNoDelay(true);
  // Which stage a connection was stuck in: the name's lookup, or the TCP handshake to this address.
  let address = 'before its DNS answer';
  sock.on('lookup', (err, a) => { address = err ? 'DNS error ' + err.code : 'to ' + a; });
  // The Service may still route to a pod that is gone: a SYN nobody answers must not stall us.
  timer = setTimeout(() => fail('connect timeout ' + address), 1000);
  sock.on('connect', () => { clearTimeout(timer); next(); });
  sock.on('data', (d) => { buf += d.toString('latin1'); parse(); });
  sock.on('error', () => {});
  sock.on('close', () => fail('connection closed'));
}
function reconnect() {
  sock.removeAllListeners();
  sock.on('error', () => {});
  sock.destroy();
  if (stopping) return finish();
  setTimeout(connect, 20);
}
function fail(why) {
  clearTimeout(timer);
  if (pending) out.push('E ' + pending.seq + ' ' + Date.now() + ' ' + why + '\\n');
  else out.push('C - ' + Date.now() + ' ' + why + '\\n');
  pending = null;
  reconnect();
}
function bulk(s) { return '$' + Buffer.byteLength(s) + '\\r\\n' + s + '\\r\\n'; }
function next() {
  if (stopping) return finish();
  seq++;
  pending = { seq, replies: [] };
  sock.write('*3\\r\\n' + bulk('SET') + bulk(prefix + ':' + seq) + bulk(String(seq)) +
    '*3\\r\\n' + bulk('WAIT') + bulk('1') + bulk('300'));
  timer = setTimeout(() => fail('timeout'), 2000);
}
function parse() {
  let i;
  while (pending && (i = buf.indexOf('\\r\\n')) >= 0) {
    pending.replies.push(buf.slice(0, i));
    buf = buf.slice(i + 2);
    if (pending.replies.length < 2) continue;
    clearTimeout(timer);
    const [set, wait] = pending.replies;
    const p = pending;
    pending = null;
    const acked = set === '+OK' && wait[0] === ':' && Number(wait.slice(1)) >= 1;
    out.push((acked ? 'A ' : 'E ') + p.seq + ' ' + Date.now() + (acked ? '' : ' ' + set + '|' + wait) + '\\n');
    if (set[0] === '-' || wait[0] === '-') reconnect();
    else next();
  }
}
connect();
`;

// Reads {prefix, seqs} on stdin and, for each host:port argument, prints how many of the keys are
// missing or hold another value there, with the first few of them (MGET in chunks).
export const VERIFY = `
const net = require('node:net');
const hosts = process.argv.slice(1).filter((a) => a !== '--');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const { prefix, seqs } = JSON.parse(input);
  const result = {};
  for (const h of hosts) result[h] = await check(h, prefix, seqs).catch((e) => 'error: ' + e.message);
  process.stdout.write(JSON.stringify(result));
});
function check(hostPort, prefix, seqs) {
  return new Promise((resolve, reject) => {
    const [host, port] = hostPort.split(':');
    const sock = net.connect(Number(port), host);
    let buf = Buffer.alloc(0), chunk = 0, missing = 0;
    const sample = [];
    const size = 1000;
    const send = () => {
      const part = seqs.slice(chunk * size, chunk * size + size);
      if (part.length === 0) { sock.destroy(); return resolve({ missing, sample }); }
      let cmd = '*' + (part.length + 1) + '\\r\\n$4\\r\\nMGET\\r\\n';
      for (const s of part) { const k = prefix + ':' + s; cmd += '$' + k.length + '\\r\\n' + k + '\\r\\n'; }
      sock.write(cmd);
    };
    sock.on('connect', send);
    sock.on('error', reject);
    sock.setTimeout(20000, () => reject(new Error('timeout')));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const part = seqs.slice(chunk * size, chunk * size + size);
      let pos = buf.indexOf('\\r\\n') + 2;
      const values = [];
      for (let n = 0; n < part.length; n++) {
        const eol = buf.indexOf('\\r\\n', pos);
        if (eol < 0) return;
        const len = Number(buf.toString('latin1', pos + 1, eol));
        if (len < 0) { values.push(null); pos = eol + 2; continue; }
        if (buf.length < eol + 2 + len + 2) return;
        values.push(buf.toString('latin1', eol + 2, eol + 2 + len));
        pos = eol + 2 + len + 2;
      }
      part.forEach((s, n) => { if (values[n] !== String(s) && missing++ < 10) sample.push(s); });
      buf = buf.subarray(pos);
      chunk++;
      send();
    });
  });
}
`;

export interface WriteLog {
  acked: number[];
  /** Acknowledgement times (ms since the epoch, the node's clock: the same host's clock here). */
  ackTimes: number[];
  errors: string[];
}

/** A writer running in the client pod; `stop()` ends it and returns what it saw. */
/**
 * A pod of the project's image that only waits, for the writer to run in (`kubectl exec`): its node
 * reaches the cache through the cluster's Services and DNS like any client.
 */
export function writerPodManifest(image: string, name = 'client'): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: client
      image: ${image}
      imagePullPolicy: IfNotPresent
      command: [node, -e, "setInterval(() => {}, 1 << 30)"]
`;
}

export interface WriterTarget {
  kubectl: string;
  kubeconfig: string;
  namespace: string;
  /** The pod the writer runs in. */
  pod: string;
  /** host of the master Service, e.g. <cache>.<ns>.svc.cluster.local */
  host: string;
}

/** Runs `node -e script -- ...args` in the target pod; its stdin stays open until the caller ends it. */
function runInPod(target: WriterTarget, script: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(target.kubectl, [
    '--kubeconfig',
    target.kubeconfig,
    'exec',
    '-i',
    '-n',
    target.namespace,
    target.pod,
    '--',
    'node',
    '-e',
    script,
    '--',
    ...args,
  ]);
}

export class Writer {
  /** The writer's raw report: `A <n> <ms>` and `E <n> <ms> <why>` lines. */
  out = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly closed: Promise<void>;
  readonly prefix = `w${Math.random().toString(36).slice(2, 8)}`;

  constructor(target: WriterTarget, maxMs = 600_000) {
    this.child = runInPod(target, WRITER, [target.host, '6379', this.prefix, String(maxMs)]);
    this.child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
  }

  /** What the writer reported so far. */
  log(): WriteLog {
    const acked: number[] = [];
    const ackTimes: number[] = [];
    const errors: string[] = [];
    for (const line of this.out.split('\n')) {
      const [kind, seq, t, ...why] = line.split(' ');
      if (kind === 'A') {
        acked.push(Number(seq));
        ackTimes.push(Number(t));
      } else if (kind === 'E') errors.push(`${seq} ${why.join(' ')}`);
    }
    return { acked, ackTimes, errors };
  }

  /** Waits until at least `n` more writes were acknowledged after time `since`. */
  async acksAfter(since: number, n = 1, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const later = this.log().ackTimes.filter((t) => t > since);
      if (later.length >= n) return later[0]!;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        const log = this.log();
        throw new Error(
          `no ${n} acknowledged write(s) after ${new Date(since).toISOString()} within ${timeoutMs} ms; ` +
            `${log.acked.length} acked so far, last errors: ${log.errors.slice(-5).join('; ')}; ` +
            `writer output tail: ${JSON.stringify(this.out.slice(-300))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<WriteLog> {
    this.child.stdin.end();
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    if (!this.out.endsWith('END\n'))
      throw new Error(`the writer did not finish cleanly: ${JSON.stringify(this.out.slice(-300))}`);
    return this.log();
  }
}

/** Longest gap (ms) between two consecutive acknowledged writes, counting gaps that end after `since`. */
export function longestPause(log: WriteLog, since = 0): number {
  let max = 0;
  for (let i = 1; i < log.ackTimes.length; i++)
    if (log.ackTimes[i]! > since) max = Math.max(max, log.ackTimes[i]! - log.ackTimes[i - 1]!);
  return max;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// A client as most libraries are: one connection, kept until it drops, then reconnected (after 100 ms);
// an error reply is just reported. Sends SET <prefix>:<n> <n> every 50 ms and prints `OK <ms>`,
// `ERR <error code> <ms>` (e.g. `ERR -READONLY 1795...`) and `CLOSED <ms>` lines, and END at stdin's end.
export const STICKY_CLIENT = `
const net = require('node:net');
const [host, port, prefix] = process.argv.slice(1).filter((a) => a !== '--');
let seq = 0, sock, buf = '', stopping = false;
const out = (line) => process.stdout.write(line + ' ' + Date.now() + '\\n');
process.stdin.on('data', () => {});
process.stdin.on('end', () => { stopping = true; sock.destroy(); process.stdout.write('END\\n', () => process.exit(0)); });
function connect() {
  buf = '';
  sock = net.connect(Number(port), host);
  sock.on('error', () => {});
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\\r\\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (line === '+OK') out('OK');
      else out('ERR' + ' ' + line.split(' ')[0]);
    }
  });
  sock.on('close', () => { if (stopping) return; out('CLOSED'); setTimeout(connect, 100); });
}
setInterval(() => {
  if (!sock || sock.destroyed || sock.connecting) return;
  seq++;
  const k = prefix + ':' + seq, v = String(seq);
  sock.write('*3\\r\\n$3\\r\\nSET\\r\\n$' + k.length + '\\r\\n' + k + '\\r\\n$' + v.length + '\\r\\n' + v + '\\r\\n');
}, 50);
connect();
`;

/** STICKY_CLIENT running in the target pod against the master Service. */
export class StickyClient {
  out = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly closed: Promise<void>;

  constructor(target: WriterTarget) {
    const prefix = `s${Math.random().toString(36).slice(2, 8)}`;
    this.child = runInPod(target, STICKY_CLIENT, [target.host, '6379', prefix]);
    this.child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
  }

  /** Its reports so far: OK, ERR (detail: the error code) or CLOSED, and when (ms since the epoch). */
  events(): { kind: string; at: number; detail?: string }[] {
    return this.out
      .split('\n')
      .map((line) => line.split(' '))
      .filter((parts) => parts.length >= 2)
      .map(([kind, ...rest]) => ({
        kind: kind!,
        at: Number(rest.at(-1)),
        detail: rest.length > 1 ? rest.slice(0, -1).join(' ') : undefined,
      }));
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
