// bin/rcache-server is invoked like redis-server: a redis.conf (quoting, include), --directive options,
// warnings for directives we accept but do not implement, precise errors for invalid values, the PID
// and "Ready to accept connections" lines, and a clean exit on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfText } from '../../src/config/conf-file.js';
import { freePort } from '../helpers/real-redis.js';

const BIN = join(import.meta.dirname, '../../bin/rcache-server');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rcache-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(BIN, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForOutput(r: Run, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!r.output().includes(text)) {
    if (Date.now() > deadline || r.child.exitCode !== null)
      throw new Error(`no '${text}' in:\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('rcache-server command line', () => {
  it('reads redis.conf with quoting and include, then command-line options, and warns about unimplemented directives', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'extra.conf'), 'maxmemory-policy allkeys-lru\n');
    writeFileSync(
      join(dir, 'redis.conf'),
      [
        '# a comment',
        `port ${port + 1}`,
        'bind 127.0.0.1 -::1',
        'save ""',
        'requirepass "pass word"',
        'include extra.conf',
        'io-threads 4',
        'loglevel verbose',
        '',
      ].join('\n'),
    );
    const r = run(['redis.conf', '--port', String(port), '--log-format', 'redis']);
    try {
      await waitForOutput(r, 'Ready to accept connections');
      expect(r.output()).toMatch(new RegExp(` PID: ${r.child.pid}\\b`));
      expect(r.output()).toMatch(
        /# Directive 'io-threads' \(.*redis\.conf:7\) is accepted but not implemented/,
      );
      const redis = new Redis({ port, host: '127.0.0.1', password: 'pass word', lazyConnect: true });
      await redis.connect();
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
      expect(await redis.config('GET', 'bind')).toEqual(['bind', '127.0.0.1 -::1']);
      expect(await redis.config('GET', 'save')).toEqual(['save', '']);
      redis.disconnect();
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      expect(r.output()).toMatch(/Received SIGTERM scheduling shutdown/);
    } finally {
      r.child.kill('SIGKILL');
    }
  });

  it('fails with the file, line and directive when a value is invalid', async () => {
    writeFileSync(join(dir, 'bad.conf'), 'port 7000\n\nmaxmemory lots\n');
    const r = run(['bad.conf']);
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain('FATAL CONFIG FILE ERROR');
    expect(r.output()).toMatch(/bad\.conf:3/);
    expect(r.output()).toContain(">>> 'maxmemory lots'");
    expect(r.output()).toContain("argument couldn't be parsed into an integer");
  });

  it('refuses unknown directives (typos) and bad command-line options', async () => {
    const typo = run(['--maxmemroy', '1gb']);
    expect(await typo.exited).toBe(1);
    expect(typo.output()).toMatch(/>>> 'maxmemroy 1gb'\nBad directive or wrong number of arguments/);
    const missing = run(['no-such-file.conf']);
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toMatch(/can't open config file 'no-such-file.conf'/);
  });

  it('reports a busy port instead of crashing', async () => {
    const port = await freePort();
    const first = run(['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
    try {
      await waitForOutput(first, 'Ready to accept connections');
      const second = run(['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(/Address already in use/);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('parses redis.conf lines like redis-server', () => {
    const lines = parseConfText(
      'save 900 1 300 10\nrename-command "FLUSH ALL" \'\'\n  # indented comment\nlogfile "/tmp/a b.log"\n',
      'x.conf',
    );
    expect(lines.map((l) => [l.name, l.args, l.line])).toEqual([
      ['save', ['900', '1', '300', '10'], 1],
      ['rename-command', ['FLUSH ALL', ''], 2],
      ['logfile', ['/tmp/a b.log'], 4],
    ]);
    expect(() => parseConfText('requirepass "unterminated\n', 'x.conf')).toThrow(/at line 1/);
  });
});
