// The container image (image/Dockerfile, built by `npm run image`) under a real
// container engine through testcontainers: what it runs and as whom, that it
// stops cleanly, and that rcache-server in it serves and replicates: to
// redis-cli on the host, container to container by DNS alias, and to a real
// redis-server on the host.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GenericContainer,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, containerEngine, run, runOk, versions, waitFor } from '../e2e/support/platform.js';

// The reaper image cannot be pulled on these machines; every test stops its own containers.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const engine = containerEngine();
if (!engine) {
  throw new Error(
    'image tests need a container engine: start dockerd (bash tools/ensure-docker.sh) or podman',
  );
}
const ENGINE: string = engine;

const cli = (port: number, ...args: string[]) =>
  runOk('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

function rcache(image: string): GenericContainer {
  return (
    new GenericContainer(image)
      .withExposedPorts(6379)
      // The image's default command: the host reaches it over the bridge network, not loopback.
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .withStartupTimeout(30_000)
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

describe('the rcache image', () => {
  let image = '';
  const started: StartedTestContainer[] = [];
  const networks: StartedNetwork[] = [];

  beforeAll(async () => {
    image = await buildImage();
    const size = Number((await runOk(ENGINE, ['image', 'inspect', '-f', '{{.Size}}', image])).trim());
    console.log(`image ${image}: ${(size / 1e6).toFixed(0)} MB`);
  }, 300_000);

  afterAll(async () => {
    for (const c of started) await c.stop({ timeout: 1_000 }).catch(() => {});
    for (const n of networks) await n.stop().catch(() => {});
  });

  it('is small, runs as uid 1000 and starts rcache-server by default, in exec form', async () => {
    const inspect = JSON.parse(await runOk(ENGINE, ['image', 'inspect', image]))[0];
    expect(inspect.Config.User).toBe('1000:1000');
    expect(inspect.Config.Cmd).toEqual(['rcache-server', '--protected-mode', 'no']);
    expect(inspect.Config.Entrypoint ?? null).toBeNull();
    expect(inspect.Size).toBeLessThan(250e6);
  });

  it('has both programs on PATH and no shell', async () => {
    const version = await runOk(ENGINE, ['run', '--rm', image, 'rcache-server', '--version']);
    expect(version).toMatch(/^rcache-server v=/);
    const paths = await runOk(ENGINE, [
      'run',
      '--rm',
      image,
      'node',
      '-e',
      `const fs=require('fs');for(const p of ['/usr/local/bin/rcache-server','/usr/local/bin/rcache-operator'])fs.accessSync(p,fs.constants.X_OK);console.log(process.getuid())`,
    ]);
    expect(paths.trim()).toBe('1000');
    // The offline base has no shell at all; node:24-bookworm-slim has one, but
    // the image's command does not go through it (exec form, checked above).
    const base = (
      await runOk(ENGINE, [
        'image',
        'inspect',
        '-f',
        '{{index .Config.Labels "org.opencontainers.image.base.name"}}',
        image,
      ])
    ).trim();
    if (base === versions().NODE_BASE_IMAGE) {
      const shell = await run(ENGINE, ['run', '--rm', image, '/bin/sh', '-c', 'true']);
      expect(shell.code).not.toBe(0);
    } else {
      console.log(`image built on ${base}: not checking for the absence of a shell`);
    }
  });

  it('answers redis-cli from the host', async () => {
    const c = await rcache(image).start();
    started.push(c);
    const port = c.getMappedPort(6379);
    expect((await cli(port, 'PING')).trim()).toBe('PONG');
    expect((await cli(port, 'SET', 'greeting', 'hello')).trim()).toBe('OK');
    expect((await cli(port, 'GET', 'greeting')).trim()).toBe('hello');
  });

  it('stops promptly and cleanly on SIGTERM', async () => {
    const c = await rcache(image).start();
    const id = c.getId();
    const t0 = Date.now();
    await c.stop({ timeout: 10_000, remove: false }); // milliseconds
    const took = Date.now() - t0;
    const exitCode = (await runOk(ENGINE, ['inspect', '-f', '{{.State.ExitCode}}', id])).trim();
    const logs = await run(ENGINE, ['logs', id]);
    await run(ENGINE, ['rm', '-f', id]);
    expect(exitCode).toBe('0');
    // Far below the 10 s after which the engine would have used SIGKILL.
    expect(took).toBeLessThan(5_000);
    expect(logs.stdout + logs.stderr).toMatch(/SIGTERM/);
  });

  it('replicates between two containers on one network by DNS alias', async () => {
    const network = await new Network().start();
    networks.push(network);
    const master = await rcache(image).withNetwork(network).withNetworkAliases('rc-master').start();
    started.push(master);
    const replica = await rcache(image)
      .withNetwork(network)
      .withCommand(['rcache-server', '--protected-mode', 'no', '--replicaof', 'rc-master', '6379'])
      .start();
    started.push(replica);
    const mport = master.getMappedPort(6379);
    const rport = replica.getMappedPort(6379);
    await waitFor(
      'replica master_link_status:up',
      async () => field(await cli(rport, 'INFO', 'replication'), 'master_link_status') === 'up',
      30_000,
      250,
    );
    await cli(mport, 'SET', 'k', 'via-alias');
    await waitFor(
      'the write to reach the replica',
      async () => (await cli(rport, 'GET', 'k')).trim() === 'via-alias',
    );
    expect(field(await cli(mport, 'INFO', 'replication'), 'connected_slaves')).toBe('1');
  }, 90_000);

  it('feeds a real redis-server on the host as its replica', async () => {
    const master = await rcache(image).start();
    started.push(master);
    const mport = master.getMappedPort(6379);
    await cli(mport, 'SET', 'before', 'sync');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'rcache-redis-replica-'));
    let redis: ChildProcess | undefined;
    try {
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      redis.on('error', (err) => {
        throw err;
      });
      await waitFor(
        'redis-server to listen',
        async () => (await cli(port, 'PING')).trim() === 'PONG',
        10_000,
      );
      await cli(port, 'REPLICAOF', '127.0.0.1', String(mport));
      await waitFor(
        'redis-server master_link_status:up',
        async () => field(await cli(port, 'INFO', 'replication'), 'master_link_status') === 'up',
        30_000,
        250,
      );
      expect((await cli(port, 'GET', 'before')).trim()).toBe('sync');
      await cli(mport, 'SET', 'after', 'stream');
      await waitFor('the streamed write', async () => (await cli(port, 'GET', 'after')).trim() === 'stream');
    } finally {
      redis?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
