// Faults only the node can inject: SIGKILL and SIGSTOP reach a container's PID 1 from outside its PID
// namespace only (inside it, init ignores signals it has no handler for). Works when the cluster's node
// is this machine (tools/cluster.sh) and we are root. No relative imports: bench/ loads it too.
import { readdirSync, readFileSync } from 'node:fs';

/** The host PID of PID 1 of a container, given its status containerID (`containerd://<id>`). */
export function hostPidOfContainer(containerID: string | undefined): number {
  const id = containerID?.replace(/^[a-z]+:\/\//, '');
  if (!id) throw new Error('the container has no ID (not started?)');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(id)) continue;
      // NSpid lists the PID in each namespace from the host's down: the container's init ends in 1.
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (nspid?.trim().split(/\s+/).pop() === '1') return Number(entry);
    } catch {
      // The process exited while we looked.
    }
  }
  throw new Error(`no process of container ${id} on this host`);
}
