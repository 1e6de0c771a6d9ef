import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';
import { HashValue, SetValue, SortedSetValue } from '../../src/keyspace/values.js';
import { type ClockedServer, START_MS, startClockedServer } from '../helpers/clocked-server.js';
import { RespClient, show } from '../helpers/resp-client.js';

let s: ClockedServer;
const cmd = (...args: (string | number)[]) => s.cmd(...args);
const extraClients: RespClient[] = [];

/** Opens a connection, sends raw bytes, and returns what arrives until the server closes it (or 500 ms pass). */
async function exchangeOnce(payload: string): Promise<{ data: string; closedByServer: boolean }> {
  const socket = netConnect({ port: s.port, host: '127.0.0.1' });
  let data = '';
  let closedByServer = false;
  socket.on('data', (d: Buffer) => {
    data += d.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(payload);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 500);
    socket.once('close', () => {
      closedByServer = true;
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
  return { data, closedByServer };
}

async function connect(): Promise<RespClient> {
  const c = await RespClient.connect(s.port);
  extraClients.push(c);
  return c;
}

beforeAll(async () => {
  s = await startClockedServer();
});
afterAll(async () => {
  for (const c of extraClients) await c.close();
  await s?.close();
});
beforeEach(async () => {
  s.reset();
  s.now = START_MS;
  await cmd('SELECT', 0);
});

describe('DBSIZE / FLUSHDB / FLUSHALL / SWAPDB', () => {
  it('DBSIZE counts the selected db only', async () => {
    s.server.dbs[0]!.add('a', '1');
    s.server.dbs[0]!.add('b', '2');
    s.server.dbs[3]!.add('c', '3');
    expect(await cmd('DBSIZE')).toBe(':2');
    await cmd('SELECT', 3);
    expect(await cmd('DBSIZE')).toBe(':1');
  });

  it('FLUSHDB empties only the selected db, counts dirty, and is propagated even when empty', async () => {
    s.server.dbs[0]!.add('a', '1');
    s.server.dbs[1]!.add('b', '2');
    const dirty = s.server.dirty;
    expect(await cmd('FLUSHDB')).toBe('+OK');
    expect(s.server.dirty - dirty).toBe(1);
    expect(s.server.dbs[0]!.size).toBe(0);
    expect(s.server.dbs[1]!.size).toBe(1);
    expect(await cmd('FLUSHDB', 'ASYNC')).toBe('+OK');
    expect(s.takePropagated()).toEqual(['FLUSHDB', 'FLUSHDB ASYNC']);
    expect(await cmd('FLUSHDB', 'LATER')).toBe('-ERR syntax error');
    expect(await cmd('FLUSHALL', 'ASYNC', 'SYNC')).toBe('-ERR syntax error');
  });

  it('FLUSHALL empties every db, invalidates WATCH everywhere, and is propagated', async () => {
    s.server.dbs[0]!.add('a', '1');
    s.server.dbs[5]!.add('b', '2');
    const watcher = await connect();
    await watcher.call('SELECT', 5);
    await watcher.call('WATCH', 'b');
    // A WATCHed key that does not exist is invalidated too: FLUSHALL touches everything.
    await watcher.call('WATCH', 'never-existed');
    expect(await cmd('FLUSHALL')).toBe('+OK');
    expect(s.server.dbs.every((db) => db.size === 0)).toBe(true);
    expect(s.takePropagated()).toEqual(['FLUSHALL']);
    await watcher.call('MULTI');
    await watcher.call('PING');
    expect(show(await watcher.call('EXEC'))).toBe('nil*');
    // Empty dataset: no change, but still replicated so replicas converge.
    const dirty = s.server.dirty;
    expect(await cmd('FLUSHALL', 'SYNC')).toBe('+OK');
    expect(s.server.dirty).toBe(dirty);
    expect(s.takePropagated()).toEqual(['FLUSHALL SYNC']);
  });

  it('SWAPDB exchanges contents, keeps clients on their db number, and touches WATCHed keys', async () => {
    s.server.dbs[0]!.add('zero', 'z');
    s.server.dbs[1]!.add('one', 'o');
    s.server.dbs[1]!.setExpire('one', START_MS + 10_000);
    const watcher = await connect();
    await watcher.call('WATCH', 'one'); // db 0: absent now, present after the swap
    const untouched = await connect();
    await untouched.call('WATCH', 'nowhere');
    expect(await cmd('SWAPDB', 0, 1)).toBe('+OK');
    expect(await cmd('GET', 'one')).toBe('"o"');
    expect(await cmd('PTTL', 'one')).toBe(':10000');
    await cmd('SELECT', 1);
    expect(await cmd('GET', 'zero')).toBe('"z"');
    await watcher.call('MULTI');
    await watcher.call('PING');
    expect(show(await watcher.call('EXEC'))).toBe('nil*');
    await untouched.call('MULTI');
    await untouched.call('PING');
    expect(show(await untouched.call('EXEC'))).toBe('[+PONG]');
    expect(s.takePropagated()).toEqual(['SWAPDB 0 1']);
  });

  it('SWAPDB errors match Redis', async () => {
    expect(await cmd('SWAPDB', 'a', 1)).toBe('-ERR invalid first DB index');
    expect(await cmd('SWAPDB', 0, 'b')).toBe('-ERR invalid second DB index');
    expect(await cmd('SWAPDB', 0, 16)).toBe('-ERR DB index is out of range');
    expect(await cmd('SWAPDB', -1, 0)).toBe('-ERR DB index is out of range');
    expect(await cmd('SWAPDB', 0)).toBe("-ERR wrong number of arguments for 'swapdb' command");
  });
});

describe('TIME', () => {
  it('answers the command clock as [seconds, microseconds] bulk strings', async () => {
    s.now = START_MS + 1234;
    expect(await cmd('TIME')).toBe(`["${START_MS / 1000 + 1}", "234000"]`);
  });
});

describe('CONFIG', () => {
  it('GET takes several glob patterns (case-insensitive), aliases included, without duplicates', async () => {
    expect(await cmd('CONFIG', 'GET', 'maxmemory', 'MAXMEMORY', 'maxmemory')).toBe('["maxmemory", "0"]');
    const r = await s.client.call('CONFIG', 'GET', '*max-*-entries*');
    const names = (r as { value: { value: string }[] }).value
      .filter((_, i) => i % 2 === 0)
      .map((x) => x.value);
    expect(names.sort()).toEqual([
      'hash-max-listpack-entries',
      'hash-max-ziplist-entries',
      'set-max-intset-entries',
      'zset-max-listpack-entries',
      'zset-max-ziplist-entries',
    ]);
    expect(await cmd('CONFIG', 'GET', 'slave-read-only')).toBe('["slave-read-only", "yes"]');
    expect(await cmd('CONFIG', 'GET', 'no-such-thing')).toBe('[]');
  });

  it('GET answers a map in RESP3', async () => {
    const c = await connect();
    await c.call('HELLO', 3);
    expect(show(await c.call('CONFIG', 'GET', 'hz'))).toBe('{"hz": "10"}');
  });

  it('SET takes several pairs and is all or nothing', async () => {
    expect(await cmd('CONFIG', 'SET', 'maxmemory', '1mb', 'maxmemory-policy', 'allkeys-lru')).toBe('+OK');
    expect(s.server.config.num('maxmemory')).toBe(1024 * 1024);
    expect(s.server.config.str('maxmemory-policy')).toBe('allkeys-lru');
    // The second pair is refused: the first must be rolled back.
    expect(await cmd('CONFIG', 'SET', 'maxmemory', '2mb', 'appendonly', 'maybe')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
    );
    expect(s.server.config.num('maxmemory')).toBe(1024 * 1024);
    await cmd('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction');
  });

  it('SET errors carry Redis 7.0 texts', async () => {
    expect(await cmd('CONFIG', 'SET', 'foo', 'bar')).toBe(
      "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    );
    expect(await cmd('CONFIG', 'SET', 'maxmemory', '10', 'MAXMEMORY', '20')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter",
    );
    expect(await cmd('CONFIG', 'SET', 'daemonize', 'yes')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config",
    );
    expect(await cmd('CONFIG', 'SET', 'replicaof', '127.0.0.1 1')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config",
    );
    expect(await cmd('CONFIG', 'SET', 'port', '70000')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive",
    );
    expect(await cmd('CONFIG', 'SET', 'maxmemory')).toBe(
      "-ERR wrong number of arguments for 'config|set' command",
    );
    expect(await cmd('CONFIG', 'SET', 'maxmemory', '1', 'hz')).toBe(
      "-ERR wrong number of arguments for 'config|set' command",
    );
    expect(await cmd('CONFIG', 'FOO')).toBe("-ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
  });

  it('runtime changes take effect: slowlog, loglevel, requirepass, hz', async () => {
    await cmd('SLOWLOG', 'RESET');
    await cmd('CONFIG', 'SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '2');
    await cmd('PING');
    await cmd('ECHO', 'x');
    await cmd('ECHO', 'y');
    expect(await cmd('SLOWLOG', 'LEN')).toBe(':2');
    await cmd('CONFIG', 'SET', 'slowlog-log-slower-than', '10000', 'slowlog-max-len', '128');

    await cmd('CONFIG', 'SET', 'loglevel', 'verbose');
    expect(s.server.log.level).toBe('verbose');
    await cmd('CONFIG', 'SET', 'loglevel', 'notice');
    expect(s.server.log.level).toBe('notice');

    await cmd('CONFIG', 'SET', 'requirepass', 'sesame');
    const stranger = await connect();
    expect(show(await stranger.call('GET', 'x'))).toBe('-NOAUTH Authentication required.');
    expect(show(await stranger.call('AUTH', 'sesame'))).toBe('+OK');
    // The connection that set it stays authenticated, as in Redis.
    expect(await cmd('CONFIG', 'SET', 'requirepass', '')).toBe('+OK');

    await cmd('CONFIG', 'SET', 'maxclients', String(s.server.clients.size));
    // Refused with Redis's message and closed. The server side must be destroyed too: a refused socket
    // left half-open kept server.close() (afterAll) waiting forever.
    expect(await exchangeOnce('PING\r\n')).toEqual({
      data: '-ERR max number of clients reached\r\n',
      closedByServer: true,
    });
    await cmd('CONFIG', 'SET', 'maxclients', '10000');

    const cronBefore = (s.server as unknown as { cronTimer: NodeJS.Timeout }).cronTimer;
    await cmd('CONFIG', 'SET', 'hz', '50');
    const cronAfter = (s.server as unknown as { cronTimer: NodeJS.Timeout }).cronTimer;
    expect(cronAfter).not.toBe(cronBefore);
    expect((cronAfter as unknown as { _idleTimeout: number })._idleTimeout).toBe(20);
    await cmd('CONFIG', 'SET', 'hz', '10');
  });

  it('RESETSTAT zeroes INFO stats, commandstats and errorstats', async () => {
    await cmd('ECHO', 'x');
    await cmd('NOSUCHCOMMAND');
    expect(await cmd('INFO', 'commandstats')).toContain('cmdstat_echo:calls=');
    expect(await cmd('CONFIG', 'RESETSTAT')).toBe('+OK');
    const info = await cmd('INFO', 'commandstats', 'errorstats', 'stats');
    expect(info).not.toContain('cmdstat_echo');
    expect(info).not.toContain('errorstat_ERR');
    expect(info).toContain('total_error_replies:0');
  });

  it('REWRITE without a config file fails like Redis', async () => {
    expect(await cmd('CONFIG', 'REWRITE')).toBe('-ERR The server is running without a config file');
  });

  it('REWRITE keeps comments and unknown lines, rewrites in place, drops duplicates, appends the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcache-rewrite-'));
    const file = join(dir, 'redis.conf');
    writeFileSync(
      file,
      [
        '# top comment',
        'port 6379',
        'save ""',
        '# maxmemory comment',
        'maxmemory 100mb',
        'hz 10',
        'hz 12',
        'io-threads 4',
        'slave-read-only yes',
        '',
      ].join('\n'),
    );
    const config = s.server.config;
    const saved = { port: config.format('port'), hz: config.format('hz'), save: config.format('save') };
    config.configFile = file;
    try {
      await cmd(
        'CONFIG',
        'SET',
        'maxmemory',
        '2gb',
        'requirepass',
        'a b"c',
        'save',
        '100 2 300 4',
        'client-output-buffer-limit',
        'normal 1mb 2mb 3',
        'replica-read-only',
        'no',
      );
      await cmd('AUTH', 'a b"c');
      expect(await cmd('CONFIG', 'REWRITE')).toBe('+OK');
      expect(readFileSync(file, 'latin1')).toBe(
        [
          '# top comment',
          `port ${saved.port}`,
          'save 100 2',
          '# maxmemory comment',
          'maxmemory 2gb',
          `hz ${saved.hz}`,
          '',
          'io-threads 4',
          'replica-read-only no',
          '',
          '# Generated by CONFIG REWRITE',
          'requirepass "a b\\"c"',
          'save 300 4',
          'client-output-buffer-limit normal 1mb 2mb 3',
          '',
        ].join('\n'),
      );
      // A second rewrite is stable.
      expect(await cmd('CONFIG', 'REWRITE')).toBe('+OK');
      expect(readFileSync(file, 'latin1').match(/Generated by CONFIG REWRITE/g)).toHaveLength(1);
    } finally {
      await cmd(
        'CONFIG',
        'SET',
        'maxmemory',
        '0',
        'requirepass',
        '',
        'save',
        saved.save,
        'client-output-buffer-limit',
        'normal 0 0 0',
        'replica-read-only',
        'yes',
      );
      config.configFile = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('INFO', () => {
  const headers = (text: string) => text.split('\r\n').filter((l) => l.startsWith('# '));

  it('default, all and everything list Redis 7.0 sections in order', async () => {
    const text = (await s.client.call('INFO')) as { value: string };
    expect(headers(text.value)).toEqual([
      '# Server',
      '# Clients',
      '# Memory',
      '# Persistence',
      '# Stats',
      '# Replication',
      '# CPU',
      '# Modules',
      '# Errorstats',
      '# Cluster',
      '# Keyspace',
    ]);
    const all = (await s.client.call('INFO', 'all')) as { value: string };
    expect(headers(all.value)).toEqual([
      '# Server',
      '# Clients',
      '# Memory',
      '# Persistence',
      '# Stats',
      '# Replication',
      '# CPU',
      '# Modules',
      '# Commandstats',
      '# Errorstats',
      '# Latencystats',
      '# Cluster',
      '# Keyspace',
    ]);
  });

  it('several sections come back in server order; unknown ones are empty; names are case-insensitive', async () => {
    const r = (await s.client.call('INFO', 'keyspace', 'SERVER', 'nonsense')) as { value: string };
    expect(headers(r.value)).toEqual(['# Server', '# Keyspace']);
    expect(await cmd('INFO', 'nonsense')).toBe('""');
    const cpu = (await s.client.call('INFO', 'cpu')) as { value: string };
    expect(cpu.value).toMatch(/^# CPU\r\nused_cpu_sys:\d+\.\d{6}\r\n/);
    expect(cpu.value.endsWith('\r\n')).toBe(true);
  });

  it('is a verbatim string in RESP3', async () => {
    const c = await connect();
    await c.call('HELLO', 3);
    const r = await c.call('INFO', 'server');
    expect(r.type).toBe('verbatim');
    expect((r as { value: string }).value).toMatch(/^txt:# Server\r\nredis_version:7\.0\.15\r\n/);
  });

  it('reports keyspace, clients and stats figures', async () => {
    s.server.dbs[0]!.add('a', '1');
    s.server.dbs[0]!.add('b', '1');
    s.server.dbs[0]!.setExpire('b', START_MS + 5000);
    s.server.dbs[2]!.add('c', '1');
    const text = ((await s.client.call('INFO', 'keyspace', 'clients', 'stats')) as { value: string }).value;
    expect(text).toContain(
      '# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=5000\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n',
    );
    expect(text).toMatch(/connected_clients:\d+\r\n/);
    expect(text).toContain(`pubsub_channels:0\r\n`);
  });

  it('commandstats and errorstats count calls, failures and rejections', async () => {
    await cmd('CONFIG', 'RESETSTAT');
    await cmd('ECHO', 'a');
    await cmd('ECHO');
    await cmd('CONFIG', 'GET', 'hz');
    await cmd('SWAPDB', 'x', 0);
    await cmd('BOGUS');
    const text = ((await s.client.call('INFO', 'commandstats', 'errorstats')) as { value: string }).value;
    expect(text).toMatch(
      /cmdstat_echo:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0/,
    );
    expect(text).toMatch(/cmdstat_config\|get:calls=1,/);
    expect(text).toMatch(
      /cmdstat_swapdb:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1/,
    );
    expect(text).toContain('errorstat_ERR:count=3');
  });

  it('subsystems replace a section through server.infoSections', async () => {
    s.server.infoSections.set('replication', () => ['role:slave', 'master_host:example']);
    try {
      const text = ((await s.client.call('INFO', 'replication')) as { value: string }).value;
      expect(text).toBe('# Replication\r\nrole:slave\r\nmaster_host:example\r\n');
    } finally {
      s.server.infoSections.delete('replication');
    }
    const builtIn = ((await s.client.call('INFO', 'replication')) as { value: string }).value;
    expect(builtIn).toMatch(/^# Replication\r\nrole:master\r\nconnected_slaves:0\r\n/);
    expect(builtIn).toMatch(/master_replid:[0-9a-f]{40}\r\n/);
  });
});

describe('COMMAND', () => {
  it('COUNT matches the table, and INFO has the 10-element Redis 7.0 shape', async () => {
    expect(await cmd('COMMAND', 'COUNT')).toBe(`:${s.server.commands.size}`);
    // RESP2: sets and maps arrive as flat arrays; an unknown command is a null bulk, as in Redis.
    expect(await cmd('COMMAND', 'INFO', 'get', 'no-such')).toBe(
      '[["get", :2, [+readonly, +fast], :1, :1, :1, [+@read, +@string, +@fast], [], ' +
        '[["flags", [+RO, +access], "begin_search", ["type", "index", "spec", ["index", :1]], ' +
        '"find_keys", ["type", "range", "spec", ["lastkey", :0, "keystep", :1, "limit", :0]]]], []], nil]',
    );
  });

  it('describes containers with their subcommands', async () => {
    const r = await s.client.call('COMMAND', 'INFO', 'config');
    const info = (r as { value: { value: unknown[] }[] }).value[0]!.value;
    expect(show(info[0] as never)).toBe('"config"');
    expect(show(info[1] as never)).toBe(':-2');
    expect(show(info[6] as never)).toBe('[+@slow]');
    const subs = (info[9] as { value: { value: { value: string }[] }[] }).value.map((x) => x.value[0]!.value);
    expect(subs.sort()).toEqual([
      'config|get',
      'config|help',
      'config|resetstat',
      'config|rewrite',
      'config|set',
    ]);
    expect(await cmd('COMMAND', 'INFO', 'config|get')).toMatch(
      /^\[\["config\|get", :-3, \[\+admin, \+noscript, \+loading, \+stale\], :0, :0, :0, \[\+@admin, \+@slow, \+@dangerous\]/,
    );
  });

  it('GETKEYS and its errors', async () => {
    expect(await cmd('COMMAND', 'GETKEYS', 'set', 'k', 'v')).toBe('["k"]');
    expect(await cmd('COMMAND', 'GETKEYS', 'del', 'a', 'b', 'c')).toBe('["a", "b", "c"]');
    expect(await cmd('COMMAND', 'GETKEYS', 'memory', 'usage', 'k')).toBe('["k"]');
    expect(await cmd('COMMAND', 'GETKEYS', 'nosuch', 'a')).toBe('-ERR Invalid command specified');
    expect(await cmd('COMMAND', 'GETKEYS', 'get', 'a', 'b')).toBe(
      '-ERR Invalid number of arguments specified for command',
    );
    expect(await cmd('COMMAND', 'GETKEYS', 'ping', 'a')).toBe('-ERR The command has no key arguments');
  });

  it('LIST with and without FILTERBY', async () => {
    const all = (await s.client.call('COMMAND', 'LIST')) as { value: { value: string }[] };
    const names = all.value.map((x) => x.value);
    expect(names).toContain('get');
    expect(names).toContain('client|kill');
    expect(await cmd('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'pubsub|n*')).toBe(
      '["pubsub|numsub", "pubsub|numpat"]',
    );
    const pubsub = (await s.client.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'pubsub')) as {
      value: { value: string }[];
    };
    expect(pubsub.value.map((x) => x.value).sort()).toEqual(
      [
        'psubscribe',
        'publish',
        'pubsub|channels',
        'pubsub|numpat',
        'pubsub|numsub',
        'pubsub|shardchannels',
        'pubsub|shardnumsub',
        'punsubscribe',
        'spublish',
        'ssubscribe',
        'subscribe',
        'sunsubscribe',
        'unsubscribe',
      ].sort(),
    );
    expect(await cmd('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x')).toBe('[]');
    expect(await cmd('COMMAND', 'LIST', 'FILTERBY', 'SOMETHING', 'x')).toBe('-ERR syntax error');
  });
});

describe('DEBUG', () => {
  it('DIGEST is all zeros for an empty dataset and equals real Redis 7.0 digests', async () => {
    expect(await cmd('DEBUG', 'DIGEST')).toBe('+0000000000000000000000000000000000000000');
    // Reference values computed by redis-server 7.0.15 (`SET a 1`; `SET e v EX 100`).
    s.server.dbs[0]!.add('a', '1');
    expect(await cmd('DEBUG', 'DIGEST')).toBe('+943d800368fb9c0e951138f1bc0e313ac769d91f');
    s.server.dbs[0]!.add('e', 'v');
    s.server.dbs[0]!.setExpire('e', START_MS + 100_000);
    expect(await cmd('DEBUG', 'DIGEST-VALUE', 'e', 'missing')).toBe(
      '[+311b17018163335616e089f6b951c82c477335ac, +0000000000000000000000000000000000000000]',
    );
  });

  it('DIGEST changes with the db number and is independent of set/hash iteration order', async () => {
    s.server.dbs[0]!.add('s', new SetValue(['a', 'b', 'c']));
    const d1 = await cmd('DEBUG', 'DIGEST');
    s.reset();
    s.server.dbs[0]!.add('s', new SetValue(['c', 'a', 'b']));
    expect(await cmd('DEBUG', 'DIGEST')).toBe(d1);
    s.reset();
    s.server.dbs[1]!.add('s', new SetValue(['c', 'a', 'b']));
    expect(await cmd('DEBUG', 'DIGEST')).not.toBe(d1);
    s.reset();
    s.server.dbs[0]!.add('l', ListValue.from(['a', 'b']));
    const l1 = await cmd('DEBUG', 'DIGEST');
    s.reset();
    s.server.dbs[0]!.add('l', ListValue.from(['b', 'a']));
    expect(await cmd('DEBUG', 'DIGEST')).not.toBe(l1);
  });

  it('OBJECT, SET-ACTIVE-EXPIRE, SLEEP and the error for unknown subcommands', async () => {
    s.server.dbs[0]!.add('h', new HashValue([['f', 'v']]));
    expect(await cmd('DEBUG', 'OBJECT', 'h')).toMatch(
      /^\+Value at:\S+ refcount:1 encoding:listpack serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+$/,
    );
    expect(await cmd('DEBUG', 'OBJECT', 'nokey')).toBe('-ERR no such key');
    expect(await cmd('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toBe('+OK');
    expect(s.server.activeExpireEnabled).toBe(false);
    expect(await cmd('DEBUG', 'SET-ACTIVE-EXPIRE', '1')).toBe('+OK');
    expect(s.server.activeExpireEnabled).toBe(true);
    const before = Date.now();
    expect(await cmd('DEBUG', 'SLEEP', '0.2')).toBe('+OK');
    expect(Date.now() - before).toBeGreaterThanOrEqual(190);
    expect(await cmd('DEBUG', 'FOO')).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.",
    );
    expect(await cmd('DEBUG', 'DIGEST', 'extra')).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.",
    );
  });

  it('sorted-set digests use %.17g scores', async () => {
    const z = new SortedSetValue();
    z.add('a', 1.5);
    z.add('b', 2);
    s.server.dbs[0]!.add('z', z);
    // Reference value from redis-server 7.0.15: `ZADD z 1.5 a 2 b`, DEBUG DIGEST-VALUE z.
    expect(await cmd('DEBUG', 'DIGEST-VALUE', 'z')).toBe('[+445b877af3c3ec83af30529ddbbdda3185172254]');
  });
});

describe('SLOWLOG', () => {
  it('records slow commands with Redis 7.0 entry shape; GET n, LEN, RESET', async () => {
    await cmd('SLOWLOG', 'RESET');
    await cmd('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await cmd('CLIENT', 'SETNAME', 'slowpoke');
    await cmd('ECHO', 'hello');
    await cmd('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    const r = (await s.client.call('SLOWLOG', 'GET', '2')) as { value: { value: unknown[] }[] };
    expect(r.value).toHaveLength(2);
    const entry = r.value[0]!.value.map((x) => show(x as never));
    expect(entry[3]).toBe('["ECHO", "hello"]');
    expect(entry[4]).toMatch(/^"127\.0\.0\.1:\d+"$/);
    expect(entry[5]).toBe('"slowpoke"');
    // CONFIG SET ... 0, CLIENT SETNAME, ECHO: the command that raised the threshold is judged by the new one.
    expect(await cmd('SLOWLOG', 'LEN')).toBe(':3');
    expect(await cmd('SLOWLOG', 'GET', '-2')).toBe('-ERR count should be greater than or equal to -1');
    expect(await cmd('SLOWLOG', 'RESET')).toBe('+OK');
    expect(await cmd('SLOWLOG', 'LEN')).toBe(':0');
    await cmd('CLIENT', 'SETNAME', '');
  });
});

describe('CLIENT', () => {
  it('ID, SETNAME, GETNAME, INFO, SETINFO', async () => {
    const c = await connect();
    const id = show(await c.call('CLIENT', 'ID'));
    expect(id).toMatch(/^:\d+$/);
    expect(show(await c.call('CLIENT', 'GETNAME'))).toBe('nil');
    expect(show(await c.call('CLIENT', 'SETNAME', 'a b'))).toBe(
      '-ERR Client names cannot contain spaces, newlines or special characters.',
    );
    expect(show(await c.call('CLIENT', 'SETNAME', 'worker-1'))).toBe('+OK');
    expect(show(await c.call('CLIENT', 'GETNAME'))).toBe('"worker-1"');
    expect(show(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib'))).toBe('+OK');
    expect(show(await c.call('CLIENT', 'SETINFO', 'LIB-VER', '1.2.3'))).toBe('+OK');
    expect(show(await c.call('CLIENT', 'SETINFO', 'FOO', 'x'))).toBe("-ERR Unrecognized option 'FOO'");
    const info = (await c.call('CLIENT', 'INFO')) as { value: string };
    expect(info.value).toMatch(
      new RegExp(
        `^id=${id.slice(1)} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${s.port} fd=-?\\d+ name=worker-1 age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 .* cmd=client\\|info user=default redir=-1 resp=2 lib-name=mylib lib-ver=1\\.2\\.3\\n$`,
      ),
    );
  });

  it('LIST filters by TYPE and ID, with Redis errors', async () => {
    const sub = await connect();
    await sub.call('SUBSCRIBE', 'ch');
    const subId = [...s.server.clients].find((c) => c.inPubSub)!.id;
    const listed = ((await s.client.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as { value: string }).value;
    expect(listed).toMatch(new RegExp(`^id=${subId} .* flags=P .* sub=1 psub=0 `));
    expect(listed.split('\n').filter((l) => l !== '')).toHaveLength(1);
    const byId = ((await s.client.call('CLIENT', 'LIST', 'ID', String(subId), '999999')) as { value: string })
      .value;
    expect(byId.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(await cmd('CLIENT', 'LIST', 'TYPE', 'foo')).toBe("-ERR Unknown client type 'foo'");
    expect(await cmd('CLIENT', 'LIST', 'ID', 'abc')).toBe('-ERR Invalid client ID');
    expect(await cmd('CLIENT', 'LIST', 'foo')).toBe('-ERR syntax error');
    await sub.call('UNSUBSCRIBE');
  });

  it('KILL: old form by address, new form by filters, SKIPME, errors', async () => {
    // Killed connections are not closed again in afterAll.
    const victim = await RespClient.connect(s.port);
    const victimId = Number(((await victim.call('CLIENT', 'ID')) as { value: bigint }).value);
    const victimAddr = [...s.server.clients].find((c) => c.id === victimId)!.address;
    expect(await cmd('CLIENT', 'KILL', '1.2.3.4:5')).toBe('-ERR No such client');
    expect(await cmd('CLIENT', 'KILL', victimAddr)).toBe('+OK');
    await new Promise((r) => setTimeout(r, 50));
    expect([...s.server.clients].some((c) => c.id === victimId)).toBe(false);

    const v2 = await RespClient.connect(s.port);
    const v2Id = Number(((await v2.call('CLIENT', 'ID')) as { value: bigint }).value);
    expect(await cmd('CLIENT', 'KILL', 'ID', String(v2Id))).toBe(':1');
    expect(await cmd('CLIENT', 'KILL', 'ID', String(v2Id))).toBe(':0');
    expect(await cmd('CLIENT', 'KILL', 'ID', '0')).toBe('-ERR client-id should be greater than 0');
    expect(await cmd('CLIENT', 'KILL', 'TYPE', 'foo')).toBe("-ERR Unknown client type 'foo'");
    expect(await cmd('CLIENT', 'KILL', 'foo', 'bar')).toBe('-ERR syntax error');
    expect(await cmd('CLIENT', 'KILL', 'SKIPME', 'maybe')).toBe('-ERR syntax error');

    // SKIPME yes (the default) spares the caller; SKIPME no kills it after its reply.
    const self = await RespClient.connect(s.port);
    const selfAddr = [...s.server.clients].at(-1)!.address;
    expect(show(await self.call('CLIENT', 'KILL', 'ADDR', selfAddr))).toBe(':0');
    expect(show(await self.call('CLIENT', 'KILL', 'ADDR', selfAddr, 'SKIPME', 'no'))).toBe(':1');
    await self.close();
  });

  it('PAUSE WRITE holds writes but not reads; UNPAUSE releases them', async () => {
    const writer = await connect();
    expect(await cmd('CLIENT', 'PAUSE', '100000', 'WRITE')).toBe('+OK');
    try {
      let written = false;
      const pending = writer.call('SET', 'paused', '1').then((r) => {
        written = true;
        return show(r);
      });
      // Pipelined behind the held SET: answered only after it.
      const ping = writer.call('PING').then(show);
      await new Promise((r) => setTimeout(r, 50));
      expect(written).toBe(false);
      expect(await cmd('GET', 'paused')).toBe('nil');
      expect(await cmd('CLIENT', 'UNPAUSE')).toBe('+OK');
      expect(await pending).toBe('+OK');
      expect(await ping).toBe('+PONG');
      expect(await cmd('GET', 'paused')).toBe('"1"');
    } finally {
      s.server.pauseWritesUntil = 0;
    }
  });

  it('PAUSE ALL holds every command of normal clients until it expires', async () => {
    const other = await connect();
    expect(await cmd('CLIENT', 'PAUSE', '1000', 'ALL')).toBe('+OK');
    try {
      let answered = false;
      const ping = other.call('PING').then((r) => {
        answered = true;
        return show(r);
      });
      await new Promise((r) => setTimeout(r, 250));
      expect(answered).toBe(false);
      // The pause ends when the server clock passes it; the cron then resumes held clients.
      s.now += 1001;
      expect(await ping).toBe('+PONG');
    } finally {
      s.server.pauseAllUntil = 0;
    }
  });

  it('PAUSE errors', async () => {
    expect(await cmd('CLIENT', 'PAUSE', 'abc')).toBe('-ERR timeout is not an integer or out of range');
    expect(await cmd('CLIENT', 'PAUSE', '-1')).toBe('-ERR timeout is negative');
    expect(await cmd('CLIENT', 'PAUSE', '10', 'foo')).toBe('-ERR CLIENT PAUSE mode must be WRITE or ALL');
    expect(await cmd('CLIENT', 'NO-EVICT', 'maybe')).toBe('-ERR syntax error');
    expect(await cmd('CLIENT', 'NO-EVICT', 'on')).toBe('+OK');
    expect(await cmd('CLIENT', 'INFO')).toMatch(/flags=e /);
    expect(await cmd('CLIENT', 'NO-EVICT', 'off')).toBe('+OK');
  });
});

describe('CLIENT REPLY', () => {
  it('OFF silences every reply until ON; SKIP silences only the next command', async () => {
    const socket = netConnect({ port: s.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    socket.write(
      'CLIENT REPLY OFF\r\nSET silent 1\r\nECHO hidden\r\nNOSUCH\r\nCLIENT REPLY ON\r\n' +
        'CLIENT REPLY SKIP\r\nECHO skipped\r\nECHO shown\r\nCLIENT REPLY maybe\r\n',
    );
    for (let i = 0; i < 50 && !received.includes('syntax'); i++) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    expect(received).toBe('+OK\r\n$5\r\nshown\r\n-ERR syntax error\r\n');
    // The silenced commands did run.
    expect(await cmd('GET', 'silent')).toBe('"1"');
  });
});

describe('MONITOR', () => {
  it('streams executed commands with db and address, not admin commands', async () => {
    const m = await RespClient.connect(s.port);
    expect(show(await m.call('MONITOR'))).toBe('+OK');
    const next = new Promise<string>((resolve) => {
      (m as unknown as { waiting: ((r: unknown) => void)[] }).waiting.push((r) => resolve(show(r as never)));
    });
    await cmd('CONFIG', 'GET', 'hz'); // admin: not shown
    await cmd('SET', 'k', 'v"\n');
    expect(await next).toMatch(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "k" "v\\"\\n"$/);
    await m.close();
  });
});

describe('SHUTDOWN', () => {
  it('runs the shutdown path, or reports a failing hook and keeps serving', async () => {
    const other = await startClockedServer();
    try {
      let exitCode: number | undefined;
      other.server.onShutdownRequested = (code) => {
        exitCode = code;
      };
      let fail = true;
      other.server.shutdownHooks.push(async ({ save }) => {
        if (fail && save) throw new Error('disk full');
      });
      expect(await other.cmd('SHUTDOWN', 'SAVE')).toBe('-ERR Errors trying to SHUTDOWN. Check logs.');
      expect(await other.cmd('PING')).toBe('+PONG');
      expect(await other.cmd('SHUTDOWN', 'ABORT')).toBe('-ERR No shutdown in progress.');
      expect(await other.cmd('SHUTDOWN', 'BOGUS')).toBe('-ERR syntax error');
      fail = true;
      const closed = other.client.call('SHUTDOWN', 'SAVE', 'FORCE');
      await new Promise((r) => setTimeout(r, 100));
      expect(exitCode).toBe(0);
      expect(other.server.shuttingDown).toBe(true);
      void closed;
    } finally {
      await other.server.close();
    }
  });
});

describe('MEMORY / LATENCY', () => {
  it('MEMORY USAGE estimates a key, nil for a missing one; STATS is a map', async () => {
    s.server.dbs[0]!.add('kbig', 'x'.repeat(1000));
    s.server.dbs[0]!.add('ksml', 'x');
    const big = Number(((await s.client.call('MEMORY', 'USAGE', 'kbig')) as { value: bigint }).value);
    const small = Number(((await s.client.call('MEMORY', 'USAGE', 'ksml')) as { value: bigint }).value);
    // The estimate follows the value's size (a V8 one-byte string is a header plus the bytes, 8-aligned).
    expect(big - small).toBeGreaterThanOrEqual(990);
    expect(big - small).toBeLessThanOrEqual(1000);
    s.server.dbs[0]!.setExpire('ksml', START_MS + 1000);
    const withTtl = Number(((await s.client.call('MEMORY', 'USAGE', 'ksml')) as { value: bigint }).value);
    expect(withTtl).toBeGreaterThan(small);
    expect(await cmd('MEMORY', 'USAGE', 'nokey')).toBe('nil');
    expect(await cmd('MEMORY', 'USAGE', 'kbig', 'SAMPLES', 'x')).toBe(
      '-ERR value is not an integer or out of range',
    );
    expect(await cmd('MEMORY', 'STATS')).toMatch(/^\["peak\.allocated", :\d+, "total\.allocated", :\d+,/);
    expect(await cmd('LATENCY', 'LATEST')).toBe('[]');
    expect(await cmd('LATENCY', 'RESET')).toBe(':0');
  });
});
