// tools/cluster.sh's own behaviour: refusing bad starts with a clear message,
// `down` leaving nothing behind, and `up` recovering from a cluster whose
// processes all died. It takes the local cluster down and brings
// it back up (reloading the image), so it only runs when the tests use the
// local cluster, and the other e2e files still find it up afterwards.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { platform } from './support/kube.js';
import { CLUSTER_SCRIPT, loadImageIntoLocalCluster, run, runOk, waitFor } from './support/platform.js';

const STATE = process.env.RCACHE_CLUSTER_DIR ?? '/var/lib/rcache-cluster';
const BRIDGE = 'rcbr0';
const ETCD_PORT = 12379;
const local = platform().local;

const cluster = (cmd: string, env?: NodeJS.ProcessEnv) =>
  run('bash', [CLUSTER_SCRIPT, cmd], { env: env ?? process.env, timeoutMs: 1_800_000 });

function recordedPids(): number[] {
  const dir = join(STATE, 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()));
}

/** Running, that is: not gone and not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Everything of the cluster's still present on the machine, one line per finding. */
async function leftovers(pids: number[]): Promise<string[]> {
  const found: string[] = [];
  for (const pid of pids) if (alive(pid)) found.push(`process ${pid} still runs`);
  // Pod processes and shims are not in the PID files; they mention our state dir
  // (containerd's socket, bundle paths) on their command lines.
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (cmdline.includes(STATE) && alive(Number(entry)))
      found.push(`process ${entry}: ${cmdline.slice(0, 120)}`);
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint?.startsWith(STATE)) found.push(`mount ${mountPoint}`);
  }
  if ((await run('ip', ['link', 'show', BRIDGE])).code === 0) found.push(`interface ${BRIDGE}`);
  for (const save of ['iptables-save', 'ip6tables-save']) {
    const out = await runOk(save, []);
    for (const rule of out.split('\n')) {
      if (/KUBE-|rcache-cluster|CNI-/.test(rule)) found.push(`${save}: ${rule}`);
    }
  }
  for (const sub of readdirSync('/sys/fs/cgroup')) {
    if (existsSync(join('/sys/fs/cgroup', sub, 'kubepods'))) found.push(`cgroup ${sub}/kubepods`);
  }
  if (existsSync(STATE)) found.push(`state dir ${STATE}`);
  return found;
}

/** A PATH of symlinks to the machine's commands, minus some, plus fakes. */
function fakePath(omit: string[], fakes: Record<string, string> = {}): string {
  const dir = join(tmpdir(), `rcache-fakebin-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      if (omit.includes(f) || f in fakes || existsSync(join(dir, f))) continue;
      symlinkSync(join(d, f), join(dir, f));
    }
  }
  for (const [name, body] of Object.entries(fakes)) writeFileSync(join(dir, name), body, { mode: 0o755 });
  fakeDirs.push(dir);
  return dir;
}
const fakeDirs: string[] = [];

describe.skipIf(!local)(
  `tools/cluster.sh lifecycle${local ? '' : ' (skipped: a kubeconfig was given, the local cluster is not in use)'}`,
  () => {
    let busy: Server | undefined;

    afterAll(async () => {
      busy?.close();
      for (const d of fakeDirs) rmSync(d, { recursive: true, force: true });
      // Whatever happened above, later test files expect the cluster up.
      if ((await cluster('status')).code !== 0) {
        await cluster('down');
        await runOk('bash', [CLUSTER_SCRIPT, 'up'], { timeoutMs: 1_800_000 });
        await loadImageIntoLocalCluster(platform().image);
      }
    });

    it('up while a cluster is up says so and exits non-zero', async () => {
      expect((await cluster('status')).code).toBe(0);
      const r = await cluster('up');
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/already up/);
    });

    it('down removes processes, mounts, the bridge, iptables rules and state', async () => {
      const pids = recordedPids();
      expect(pids.length).toBe(8);
      // The probe must see the running cluster, or an empty result below proves nothing.
      const before = await leftovers(pids);
      for (const kind of ['process', 'mount', 'interface', 'iptables-save', 'state dir']) {
        expect(
          before.some((l) => l.startsWith(kind)),
          `leftovers() sees ${kind} while up`,
        ).toBe(true);
      }
      const t0 = Date.now();
      const r = await cluster('down');
      expect(r.code, r.stderr).toBe(0);
      console.log(`e2e: cluster down in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(await leftovers(pids)).toEqual([]);
    });

    it('down twice is harmless', async () => {
      const r = await cluster('down');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/no local cluster/);
    });

    it('up refuses without root', async () => {
      // A copy of tools/ that an unprivileged user can read: the checkout itself may sit in a directory
      // only root may enter (mktemp -d makes them 0700), where bash would fail before the script runs.
      const copy = mkdtempSync(join(tmpdir(), 'rcache-tools-'));
      try {
        chmodSync(copy, 0o755);
        cpSync(dirname(CLUSTER_SCRIPT), join(copy, 'tools'), { recursive: true });
        const r = await run('bash', [join(copy, 'tools', 'cluster.sh'), 'up'], { uid: 65534, gid: 65534 });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/needs root/);
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });

    it('up refuses on another OS', async () => {
      const path = fakePath([], { uname: '#!/bin/sh\necho Darwin\n' });
      const r = await cluster('up', { ...process.env, PATH: path });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/only on Linux/);
    });

    it('up names a missing package and how to install it', async () => {
      const path = fakePath(['conntrack']);
      const r = await cluster('up', { ...process.env, PATH: path });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/missing: conntrack/);
      expect(r.stderr).toMatch(/apt-get install/);
      expect(existsSync(STATE)).toBe(false);
    });

    it('up names a busy port and leaves nothing behind', async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy?.listen(ETCD_PORT, '127.0.0.1', resolve));
      const r = await cluster('up');
      busy.close();
      busy = undefined;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`port\\(s\\) ${ETCD_PORT} already in use`));
      expect(await leftovers([])).toEqual([]);
    });

    it('up starts again, ready for the other tests', async () => {
      const t0 = Date.now();
      const r = await cluster('up');
      expect(r.code, r.stderr).toBe(0);
      console.log(`e2e: cluster up (binaries cached) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect((await cluster('status')).code).toBe(0);
    });

    it('up refuses while some processes of an unhealthy cluster still run, and keeps its state', async () => {
      const kubelet = Number(readFileSync(join(STATE, 'pids/kubelet.pid'), 'utf8'));
      process.kill(kubelet, 'SIGKILL');
      await waitFor('the killed kubelet to be gone', async () => !alive(kubelet), 10_000, 50);
      expect((await cluster('status')).code).not.toBe(0);
      const r = await cluster('up');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/some of its processes still run/);
      expect(existsSync(join(STATE, 'pids/etcd.pid'))).toBe(true);
    });

    it('up after every process died (a crash or a restart) clears what they left and starts', async () => {
      const pids = recordedPids();
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor(
        'the killed processes to be gone',
        async () => pids.every((pid) => !alive(pid)),
        10_000,
        50,
      );
      const t0 = Date.now();
      const r = await cluster('up');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/none of its processes run: clearing it first/);
      console.log(`e2e: stale cluster cleared and up again in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect((await cluster('status')).code).toBe(0);
      await loadImageIntoLocalCluster(platform().image);
    });
  },
);
