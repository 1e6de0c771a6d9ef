/**
 * Shared plumbing for the benchmark scripts: start rcache-server (from dist/, so build first) and a real
 * redis-server on free loopback ports, talk to them with redis-cli, stop them. Scripts run directly with
 * Node 24 (type stripping): `node bench/server.ts`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningServer {
  name: 'rcache' | 'redis';
  port: number;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Runs redis-cli against a port and returns its output (raw mode, one reply per line). */
export function cli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'latin1',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

async function waitReady(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      if (cli(port, 'PING') === 'PONG') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer PING on port ${port}`);
}

/** Starts one server; `extra` are additional command-line directives. */
export async function startServer(name: 'rcache' | 'redis', extra: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  // A private working directory: a dump.rdb lying in the current directory must not be loaded.
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const common = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  let child: ChildProcess;
  if (name === 'rcache') {
    const bin = join(ROOT, 'bin', 'rcache-server');
    if (!existsSync(join(ROOT, 'dist', 'cli.js')))
      throw new Error('dist/cli.js missing: run `npx tsc -p tsconfig.json`');
    // BENCH_NODE_OPTIONS tries V8/Node flags (e.g. --max-semi-space-size=2) without editing the launcher.
    const env = { ...process.env, NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '' };
    child = spawn(bin, [...common, '--loglevel', 'warning', ...extra], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  } else {
    child = spawn('redis-server', [...common, '--loglevel', 'warning', ...extra], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  await waitReady(port, child, name);
  return {
    name,
    port,
    pid: child.pid!,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in bytes, from /proc (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** One field of INFO (e.g. used_memory), or undefined when the server does not report it. */
export function infoField(port: number, section: string, field: string): string | undefined {
  const text = cli(port, 'INFO', section);
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
