// Helpers shared by the platform tests: running the project's scripts, the
// image, and the cluster that test/e2e/global-setup.ts found or started.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLUSTER_SCRIPT = join(ROOT, 'tools/cluster.sh');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/** Runs a command to completion without a shell; never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      uid: opts.uid,
      gid: opts.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs} ms\n${stderr}`));
          }, opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    // A command that exits before reading its input must not fail the caller.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but throws with the command's output when it fails. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}

export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'tools/versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

export function defaultImageTag(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return process.env.RCACHE_IMAGE ?? `localhost/rcache:${pkg.version}`;
}

/** Which container engine answers, as image/build.sh would pick it. */
export function containerEngine(): string | undefined {
  for (const e of [process.env.RCACHE_ENGINE, 'docker', 'podman']) {
    if (e && spawnSync(e, ['info'], { stdio: 'ignore' }).status === 0) return e;
  }
  return undefined;
}

let built: Promise<string> | undefined;

/**
 * Builds the image once per test process with `npm run image`'s script. `npm
 * test` compiles first; a bare `vitest run` on a fresh clone compiles here.
 */
export function buildImage(): Promise<string> {
  built ??= (async () => {
    const args = existsSync(join(ROOT, 'dist/cli.js')) ? ['--no-compile'] : [];
    const out = await runOk('bash', [join(ROOT, 'image/build.sh'), ...args], {
      env: { ...process.env, RCACHE_IMAGE_TAG: defaultImageTag() },
    });
    return out.trim().split('\n').pop() ?? defaultImageTag();
  })();
  return built;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The kubectl that tools/k8s-build.sh built (or KUBEBUILDER_ASSETS has). */
export async function localKubectl(): Promise<string> {
  return (await runOk('bash', [join(ROOT, 'tools/k8s-build.sh'), 'path', 'kubectl'])).trim();
}

export async function loadImageIntoLocalCluster(image: string): Promise<void> {
  await runOk('bash', [CLUSTER_SCRIPT, 'load-image', image], { timeoutMs: 300_000 });
}
