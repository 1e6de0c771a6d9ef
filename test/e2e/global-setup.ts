// Finds the Kubernetes cluster the e2e tests run on, or brings up the local one.
//  - RCACHE_KUBECONFIG, else KUBECONFIG: that cluster is used as is. Its nodes
//    must be able to get the image: RCACHE_IMAGE names it (default
//    localhost/rcache:<version>, which only a node that was loaded with it has).
//  - neither: tools/cluster.sh's local cluster (Linux, root). If one is already
//    up it is reused and left running; otherwise it is started here and removed
//    at the end. The image is built and loaded into the node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import type { PlatformContext } from './support/kube.js';
import {
  buildImage,
  CLUSTER_SCRIPT,
  defaultImageTag,
  loadImageIntoLocalCluster,
  localKubectl,
  run,
  runOk,
} from './support/platform.js';

function which(cmd: string): string | undefined {
  const r = spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Failing here would abort the unit and integration tests too: instead every
  // e2e file fails with the reason (platform() throws it).
  try {
    return await findOrStartCluster(project);
  } catch (err) {
    project.provide('platform', {
      kubeconfig: '',
      kubectl: '',
      image: '',
      local: false,
      startedHere: false,
      error: (err as Error).message,
    });
    return async () => {};
  }
}

async function findOrStartCluster(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.RCACHE_KUBECONFIG || process.env.KUBECONFIG;
  let ctx: PlatformContext;
  if (given) {
    const kubectl = which('kubectl') ?? (await localKubectl());
    if (!existsSync(kubectl)) {
      throw new Error(
        `e2e: a kubeconfig was given (${given}) but no kubectl is on PATH; install one or run npm run k8s:build`,
      );
    }
    await runOk(kubectl, ['--kubeconfig', given, 'version'], { timeoutMs: 30_000 });
    ctx = { kubeconfig: given, kubectl, image: defaultImageTag(), local: false, startedHere: false };
    console.log(`e2e: using the cluster of ${given}, image ${ctx.image}`);
  } else {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) {
      throw new Error(
        'e2e: no kubeconfig given (RCACHE_KUBECONFIG or KUBECONFIG) and the local cluster needs Linux and root; ' +
          'run the tests as root, or point RCACHE_KUBECONFIG at an existing cluster',
      );
    }
    const status = await run('bash', [CLUSTER_SCRIPT, 'status']);
    let startedHere = false;
    if (status.code === 0) {
      console.log('e2e: reusing the local cluster that is already up (it stays up afterwards)');
    } else {
      const t0 = Date.now();
      // Builds the Kubernetes binaries first when they are not cached (~8 min cold).
      const up = await run('bash', [CLUSTER_SCRIPT, 'up'], { timeoutMs: 1_800_000 });
      if (up.code !== 0) {
        // Leave nothing half-made behind.
        await run('bash', [CLUSTER_SCRIPT, 'down']);
        throw new Error(`e2e: local cluster did not come up:\n${up.stderr}`);
      }
      startedHere = true;
      console.log(
        `e2e: local cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s (incl. any binary build)`,
      );
    }
    try {
      const kubeconfig = (await runOk('bash', [CLUSTER_SCRIPT, 'kubeconfig'])).trim();
      const t1 = Date.now();
      const image = await buildImage();
      await loadImageIntoLocalCluster(image);
      console.log(`e2e: image ${image} built and loaded in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      ctx = { kubeconfig, kubectl: await localKubectl(), image, local: true, startedHere };
    } catch (err) {
      // The teardown below will not run: remove what was started here now.
      if (startedHere) await run('bash', [CLUSTER_SCRIPT, 'down']);
      throw err;
    }
  }
  project.provide('platform', ctx);

  return async () => {
    if (ctx.startedHere) {
      const down = await run('bash', [CLUSTER_SCRIPT, 'down']);
      if (down.code !== 0) throw new Error(`e2e: tools/cluster.sh down failed:\n${down.stderr}`);
    }
  };
}
