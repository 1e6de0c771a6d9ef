import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Real client libraries against rcache-server: their connection handshakes (INFO ready check, HELLO,
 * CLIENT SETINFO/SETNAME), server-administration commands and pub/sub, in RESP2 and RESP3, plus the
 * redis-cli binary as a subprocess.
 */

const run = promisify(execFile);

function hasRedisCli(): boolean {
  try {
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const cliMissing = !hasRedisCli();
/** Shown in the test name when skipped, so the report says why. */
const noCli = cliMissing ? ' [SKIPPED: redis-cli is not installed]' : '';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

function waitFor<T>(register: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting')), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe('ioredis', () => {
  it('connects (INFO ready check), names itself, and runs admin commands', async () => {
    const r = new Redis({
      port: t.port,
      host: '127.0.0.1',
      connectionName: 'ioredis-test',
      lazyConnect: true,
    });
    try {
      await r.connect();
      expect(await r.ping()).toBe('PONG');
      expect(await r.client('GETNAME')).toBe('ioredis-test');
      expect(await r.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await r.config('SET', 'slowlog-max-len', '64')).toBe('OK');
      expect(await r.dbsize()).toBe(0);
      const info = await r.info('server');
      expect(info).toMatch(/^# Server\r\nredis_version:7\.0\.15\r\n/);
      const list = (await r.client('LIST')) as string;
      expect(list).toMatch(/ name=ioredis-test /);
      const time = await r.time();
      expect(Number(time[0])).toBeGreaterThan(1_600_000_000);
      expect(await r.swapdb(0, 1)).toBe('OK');
      expect(await r.flushall()).toBe('OK');
      expect(await r.call('COMMAND', 'COUNT')).toBe(t.server.commands.size);
    } finally {
      r.disconnect();
    }
  });

  it('subscribes to channels and patterns and receives messages', async () => {
    const sub = new Redis({ port: t.port, host: '127.0.0.1' });
    const pub = new Redis({ port: t.port, host: '127.0.0.1' });
    try {
      expect(await sub.subscribe('news', 'sport')).toBe(2);
      expect(await sub.psubscribe('weather.*')).toBe(3);
      const message = waitFor<[string, string]>((done) => sub.once('message', (ch, msg) => done([ch, msg])));
      const pmessage = waitFor<[string, string, string]>((done) =>
        sub.once('pmessage', (p, ch, msg) => done([p, ch, msg])),
      );
      expect(await pub.publish('news', 'extra')).toBe(1);
      expect(await pub.publish('weather.paris', 'rain')).toBe(1);
      expect(await message).toEqual(['news', 'extra']);
      expect(await pmessage).toEqual(['weather.*', 'weather.paris', 'rain']);
      expect(await pub.pubsub('NUMSUB', 'news', 'none')).toEqual(['news', 1, 'none', 0]);
      expect(await pub.pubsub('NUMPAT')).toBe(1);
      // Named explicitly: ioredis 6 (RESP3) waits forever on an argument-less UNSUBSCRIBE, against real
      // Redis 7.0 as well.
      expect(await sub.unsubscribe('news', 'sport')).toBe(1);
      expect(await sub.punsubscribe('weather.*')).toBe(0);
      expect(await sub.ping()).toBe('PONG');
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
  });

  it('MONITOR streams other clients’ commands', async () => {
    const r = new Redis({ port: t.port, host: '127.0.0.1' });
    const monitor = await r.monitor();
    try {
      const seen = waitFor<string[]>((done) =>
        monitor.on('monitor', (_time: string, args: string[]) => {
          if (args[0] === 'echo') done(args);
        }),
      );
      const other = new Redis({ port: t.port, host: '127.0.0.1' });
      await other.echo('watched');
      other.disconnect();
      expect(await seen).toEqual(['echo', 'watched']);
    } finally {
      monitor.disconnect();
      r.disconnect();
    }
  });
});

describe.each([2, 3] as const)('node-redis RESP%i', (resp) => {
  it('connects (HELLO / CLIENT SETINFO), names itself and runs admin commands', async () => {
    const client = createClient({
      socket: { port: t.port, host: '127.0.0.1' },
      RESP: resp,
      name: `nr${resp}`,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.clientGetName()).toBe(`nr${resp}`);
      const info = await client.clientInfo();
      expect(info.name).toBe(`nr${resp}`);
      expect(info.resp).toBe(resp);
      expect(info.libName).toBe('node-redis');
      expect(await client.configGet('hz')).toEqual({ hz: '10' });
      expect(await client.configSet({ 'slowlog-max-len': '100', 'slowlog-log-slower-than': '20000' })).toBe(
        'OK',
      );
      expect(await client.info('keyspace')).toBe('# Keyspace\r\n');
      expect(await client.dbSize()).toBe(0);
      expect(await client.sendCommand(['DEBUG', 'DIGEST'])).toBe('0000000000000000000000000000000000000000');
      expect(await client.commandCount()).toBe(t.server.commands.size);
    } finally {
      await client.close();
    }
  });

  it('receives pub/sub messages', async () => {
    const publisher = createClient({ socket: { port: t.port, host: '127.0.0.1' }, RESP: resp });
    publisher.on('error', () => {});
    await publisher.connect();
    const subscriber = publisher.duplicate();
    subscriber.on('error', () => {});
    await subscriber.connect();
    try {
      const got = waitFor<[string, string]>((done) => {
        void subscriber.subscribe('orders', (message, channel) => done([channel, message]));
      });
      const pgot = waitFor<[string, string]>((done) => {
        void subscriber.pSubscribe('ord*', (message, channel) => done([channel, message]));
      });
      // Wait until both subscriptions are registered server-side.
      for (let i = 0; i < 50 && (await publisher.pubSubNumPat()) < 1; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(await publisher.publish('orders', 'o-1')).toBe(2);
      expect(await got).toEqual(['orders', 'o-1']);
      expect(await pgot).toEqual(['orders', 'o-1']);
      expect(await publisher.pubSubChannels()).toEqual(['orders']);
    } finally {
      await subscriber.close();
      await publisher.close();
    }
  });
});

describe('redis-cli', () => {
  const cli = async (...args: string[]) =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(t.port), ...args], { timeout: 10_000 })).stdout;

  it.skipIf(cliMissing)(
    `runs one-shot commands and reads INFO, CLIENT LIST and CONFIG GET${noCli}`,
    async () => {
      expect(await cli('PING')).toBe('PONG\n');
      expect(await cli('CONFIG', 'GET', 'databases')).toBe('databases\n16\n');
      expect(await cli('INFO', 'replication')).toMatch(/^# Replication\r?\nrole:master\r?\n/);
      expect(await cli('CLIENT', 'LIST')).toMatch(/^id=\d+ addr=127\.0\.0\.1:\d+ .* cmd=client\|list /m);
      expect(await cli('--no-raw', 'CONFIG', 'SET', 'foo', 'bar')).toBe(
        "(error) ERR Unknown option or number of arguments for CONFIG SET - 'foo'\n",
      );
      expect(await cli('-3', 'HELLO', '3')).toMatch(/^server redis\nversion 7\.0\.15\nproto 3\n/);
      expect(await cli('--no-raw', 'COMMAND', 'GETKEYS', 'SET', 'k', 'v')).toBe('1) "k"\n');
    },
  );

  it.skipIf(cliMissing)(
    `mass-inserts with --pipe (pipelining plus its ECHO end marker)${noCli}`,
    async () => {
      const lines: string[] = [];
      for (let i = 0; i < 1000; i++) lines.push(`SET key:${i} value-${i}`);
      const child = execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(t.port), '--pipe'], {
        timeout: 20_000,
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.stdin!.end(`${lines.join('\r\n')}\r\n`);
      expect(await exited).toBe(0);
      expect(out).toMatch(/errors: 0, replies: 1000/);
      expect(await cli('DBSIZE')).toBe('1000\n');
      expect(await cli('FLUSHALL')).toBe('OK\n');
    },
  );
});
