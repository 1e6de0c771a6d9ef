import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClockedServer, startClockedServer } from '../helpers/clocked-server.js';
import { type Reply, RespClient, show } from '../helpers/resp-client.js';

/*
 * Blocking list commands with several real connections to an in-process server whose clock the test
 * drives: timeouts fire when the test moves the clock past the deadline and the server's cron runs.
 */

let s: ClockedServer;
const extra: RespClient[] = [];

async function client(): Promise<RespClient> {
  const c = await RespClient.connect(s.port);
  extra.push(c);
  return c;
}

/** A reply promise plus a synchronous view of whether it has arrived. */
function pending(p: Promise<Reply>): { done: () => boolean; reply: Promise<string> } {
  let arrived = false;
  const reply = p.then((r) => {
    arrived = true;
    return show(r);
  });
  return { done: () => arrived, reply };
}

/** Waits until the server has `n` blocked clients (the BLPOP reached it and blocked). */
async function blockedCount(n: number): Promise<void> {
  for (let i = 0; i < 200 && s.server.blocking.clients.size !== n; i++)
    await new Promise((r) => setTimeout(r, 5));
  expect(s.server.blocking.clients.size).toBe(n);
}

/** Moves the server clock forward and waits for a cron tick (hz 10) to time clients out. */
async function advance(ms: number): Promise<void> {
  s.now += ms;
  await new Promise((r) => setTimeout(r, 250));
}

beforeAll(async () => {
  s = await startClockedServer();
});
afterAll(async () => {
  await s?.close();
});
beforeEach(() => s.reset());
afterEach(async () => {
  for (const c of extra.splice(0)) await c.close();
  await blockedCount(0);
});

describe('BLPOP / BRPOP', () => {
  it('pops at once from the first non-empty key, in argument order', async () => {
    await s.cmd('RPUSH', 'b', '1', '2');
    await s.cmd('RPUSH', 'c', '3');
    expect(await s.cmd('BLPOP', 'a', 'b', 'c', 0)).toBe('["b", "1"]');
    expect(await s.cmd('BRPOP', 'a', 'c', 'b', 0)).toBe('["c", "3"]');
    expect(s.takePropagated()).toEqual(['RPUSH b 1 2', 'RPUSH c 3', 'LPOP b', 'RPOP c']);
  });

  it('a blocked client is served by another client push, and the pop propagates as LPOP', async () => {
    const a = await client();
    const r = pending(a.call('BLPOP', 'k1', 'k2', 0));
    await blockedCount(1);
    expect(r.done()).toBe(false);
    expect(await s.cmd('RPUSH', 'k2', 'x', 'y')).toBe(':2');
    expect(await r.reply).toBe('["k2", "x"]');
    expect(await s.cmd('LRANGE', 'k2', 0, -1)).toBe('["y"]');
    expect(s.takePropagated()).toEqual(['RPUSH k2 x y', 'LPOP k2']);
  });

  it('serves blocked clients FIFO, one element each', async () => {
    const clients = [await client(), await client(), await client()];
    const replies = [];
    for (const c of clients) {
      replies.push(pending(c.call('BRPOP', 'q', 0)));
      await blockedCount(replies.length);
    }
    await s.cmd('RPUSH', 'q', 'a', 'b');
    expect(await replies[0]!.reply).toBe('["q", "b"]');
    expect(await replies[1]!.reply).toBe('["q", "a"]');
    expect(replies[2]!.done()).toBe(false);
    expect(await s.cmd('EXISTS', 'q')).toBe(':0');
    await s.cmd('LPUSH', 'q', 'c');
    expect(await replies[2]!.reply).toBe('["q", "c"]');
  });

  it('serves the waiter right after the pushing command, before that client next command', async () => {
    const a = await client();
    const r = pending(a.call('BLPOP', 'k', 0));
    await blockedCount(1);
    // One TCP write with a push and a pop: as in Redis, the blocked client gets the element.
    const socket = connect({ port: s.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    socket.write('RPUSH k v\r\nLPOP k\r\n');
    expect(await r.reply).toBe('["k", "v"]');
    for (let i = 0; i < 100 && !received.endsWith('$-1\r\n'); i++)
      await new Promise((res) => setTimeout(res, 5));
    expect(received).toBe(':1\r\n$-1\r\n');
    socket.destroy();
  });

  it('serves each blocked client pipelined commands after it is served', async () => {
    const socket = connect({ port: s.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    socket.write('BLPOP k 0\r\nPING\r\n');
    await blockedCount(1);
    expect(received).toBe('');
    await s.cmd('RPUSH', 'k', 'v');
    for (let i = 0; i < 100 && !received.endsWith('+PONG\r\n'); i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(received).toBe('*2\r\n$1\r\nk\r\n$1\r\nv\r\n+PONG\r\n');
    socket.destroy();
  });

  it('waits once on a key named twice', async () => {
    const a = await client();
    const b = await client();
    const ra = pending(a.call('BLPOP', 'k', 'k', 0));
    await blockedCount(1);
    const rb = pending(b.call('BLPOP', 'k', 0));
    await blockedCount(2);
    await s.cmd('RPUSH', 'k', '1');
    expect(await ra.reply).toBe('["k", "1"]');
    const again = pending(a.call('BLPOP', 'k', 0));
    await blockedCount(2);
    await s.cmd('RPUSH', 'k', '2');
    expect(await rb.reply).toBe('["k", "2"]');
    expect(again.done()).toBe(false);
    await s.cmd('RPUSH', 'k', '3');
    expect(await again.reply).toBe('["k", "3"]');
  });

  it('times out with a null array (RESP2) or null (RESP3)', async () => {
    const a = await client();
    const b = await client();
    await b.call('HELLO', '3');
    const ra = pending(a.call('BLPOP', 'k', '0.5'));
    const rb = pending(b.call('BRPOP', 'k', '1.5'));
    await blockedCount(2);
    await advance(600);
    expect(await ra.reply).toBe('nil*');
    expect(rb.done()).toBe(false);
    await advance(1000);
    expect(await rb.reply).toBe('nil');
    expect(s.takePropagated()).toEqual([]);
  });

  it('does not block inside MULTI', async () => {
    expect(await s.cmd('MULTI')).toBe('+OK');
    expect(await s.cmd('BLPOP', 'k', 0)).toBe('+QUEUED');
    expect(await s.cmd('BLMOVE', 'k', 'd', 'LEFT', 'LEFT', 0)).toBe('+QUEUED');
    expect(await s.cmd('BRPOPLPUSH', 'k', 'd', 0)).toBe('+QUEUED');
    expect(await s.cmd('BLMPOP', 0, 1, 'k', 'LEFT')).toBe('+QUEUED');
    // BLMOVE and BRPOPLPUSH answer a null bulk here, unlike their timeout (a null array).
    expect(await s.cmd('EXEC')).toBe('[nil*, nil, nil, nil*]');
  });

  it('forgets a client that disconnects while blocked', async () => {
    const a = await RespClient.connect(s.port);
    void a.call('BLPOP', 'k', 0);
    await blockedCount(1);
    await a.close();
    await blockedCount(0);
    expect(await s.cmd('RPUSH', 'k', 'v')).toBe(':1');
    expect(await s.cmd('LLEN', 'k')).toBe(':1');
  });

  it('keeps waiting when the key comes back as another type', async () => {
    const a = await client();
    const r = pending(a.call('BLPOP', 'k', 0));
    await blockedCount(1);
    await s.cmd('ZADD', 'k', 1, 'm');
    await new Promise((res) => setTimeout(res, 20));
    expect(r.done()).toBe(false);
    await s.cmd('DEL', 'k');
    await s.cmd('RPUSH', 'k', 'v');
    expect(await r.reply).toBe('["k", "v"]');
  });

  it('timeout argument errors', async () => {
    expect(await s.cmd('BLPOP', 'k', 'abc')).toBe('-ERR timeout is not a float or out of range');
    expect(await s.cmd('BLPOP', 'k', ' 1')).toBe('-ERR timeout is not a float or out of range');
    expect(await s.cmd('BLPOP', 'k', '-1')).toBe('-ERR timeout is negative');
    // Redis 7.0 casts an out-of-range long double to LLONG_MIN: these read as negative.
    expect(await s.cmd('BLPOP', 'k', 'inf')).toBe('-ERR timeout is negative');
    expect(await s.cmd('BRPOP', 'k', '1e30')).toBe('-ERR timeout is negative');
    await s.cmd('SET', 'str', 'v');
    expect(await s.cmd('BLPOP', 'str', 'x')).toBe('-ERR timeout is not a float or out of range');
    expect(await s.cmd('BLPOP', 'missing', 'str', 0)).toBe(
      '-WRONGTYPE Operation against a key holding the wrong kind of value',
    );
  });
});

describe('BLMOVE / BRPOPLPUSH', () => {
  it('moves at once when the source has elements, propagating LMOVE / RPOPLPUSH', async () => {
    await s.cmd('RPUSH', 'src', 'a', 'b');
    expect(await s.cmd('BLMOVE', 'src', 'dst', 'left', 'RIGHT', 0)).toBe('"a"');
    expect(await s.cmd('BRPOPLPUSH', 'src', 'dst', 0)).toBe('"b"');
    expect(s.takePropagated()).toEqual(['RPUSH src a b', 'LMOVE src dst left RIGHT', 'RPOPLPUSH src dst']);
  });

  it('a served BLMOVE wakes a client blocked on its destination', async () => {
    const mover = await client();
    const popper = await client();
    const rm = pending(mover.call('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', 0));
    await blockedCount(1);
    const rp = pending(popper.call('BLPOP', 'dst', 0));
    await blockedCount(2);
    await s.cmd('RPUSH', 'src', 'x');
    expect(await rm.reply).toBe('"x"');
    expect(await rp.reply).toBe('["dst", "x"]');
    expect(await s.cmd('EXISTS', 'src', 'dst')).toBe(':0');
    expect(s.takePropagated()).toEqual(['RPUSH src x', 'LMOVE src dst RIGHT LEFT', 'LPOP dst']);
  });

  it('BRPOPLPUSH served propagates RPOPLPUSH; a timeout answers a null array', async () => {
    const a = await client();
    const r = pending(a.call('BRPOPLPUSH', 'src', 'dst', 0));
    await blockedCount(1);
    await s.cmd('LPUSH', 'src', 'v');
    expect(await r.reply).toBe('"v"');
    expect(s.takePropagated()).toEqual(['LPUSH src v', 'RPOPLPUSH src dst']);
    const t = pending(a.call('BLMOVE', 'none', 'dst', 'LEFT', 'LEFT', '0.1'));
    await blockedCount(1);
    await advance(200);
    expect(await t.reply).toBe('nil*');
  });

  it('a destination of the wrong type unblocks with WRONGTYPE and leaves the source', async () => {
    await s.cmd('SET', 'dst', 'string');
    const a = await client();
    const r = pending(a.call('BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', 0));
    await blockedCount(1);
    await s.cmd('RPUSH', 'src', 'v');
    expect(await r.reply).toBe('-WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(await s.cmd('LRANGE', 'src', 0, -1)).toBe('["v"]');
  });

  it('argument errors', async () => {
    expect(await s.cmd('BLMOVE', 'a', 'b', 'UP', 'LEFT', 0)).toBe('-ERR syntax error');
    expect(await s.cmd('BLMOVE', 'a', 'b', 'LEFT', 'LEFT', -1)).toBe('-ERR timeout is negative');
    expect(await s.cmd('BRPOPLPUSH', 'a', 'b', 'x')).toBe('-ERR timeout is not a float or out of range');
  });
});

describe('BLMPOP', () => {
  it('pops at once or blocks; a served BLMPOP propagates LPOP/RPOP key n', async () => {
    await s.cmd('RPUSH', 'l', '1', '2', '3');
    expect(await s.cmd('BLMPOP', 0, 2, 'x', 'l', 'RIGHT', 'COUNT', 2)).toBe('["l", ["3", "2"]]');
    expect(s.takePropagated()).toEqual(['RPUSH l 1 2 3', 'RPOP l 2']);
    await s.cmd('DEL', 'l');
    s.takePropagated();
    const a = await client();
    const r = pending(a.call('BLMPOP', 0, 2, 'x', 'l', 'LEFT', 'COUNT', 5));
    await blockedCount(1);
    await s.cmd('RPUSH', 'l', 'a', 'b');
    expect(await r.reply).toBe('["l", ["a", "b"]]');
    expect(s.takePropagated()).toEqual(['RPUSH l a b', 'LPOP l 2']);
  });

  it('checks numkeys, direction and COUNT before the timeout', async () => {
    expect(await s.cmd('BLMPOP', -1, 0, 'k', 'LEFT')).toBe('-ERR numkeys should be greater than 0');
    expect(await s.cmd('BLMPOP', -1, 1, 'k', 'LEFT', 'COUNT', 0)).toBe('-ERR count should be greater than 0');
    expect(await s.cmd('BLMPOP', -1, 1, 'k', 'LEFT')).toBe('-ERR timeout is negative');
    expect(await s.cmd('BLMPOP', 'x', 1, 'k', 'UP')).toBe('-ERR syntax error');
  });

  it('times out with a null array', async () => {
    const a = await client();
    const r = pending(a.call('BLMPOP', '0.05', 1, 'k', 'LEFT'));
    await blockedCount(1);
    await advance(100);
    expect(await r.reply).toBe('nil*');
  });
});
