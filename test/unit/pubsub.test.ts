import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClockedServer, startClockedServer } from '../helpers/clocked-server.js';
import { type Reply, RespClient, show } from '../helpers/resp-client.js';

/**
 * Pub/Sub over real connections: confirmations, message delivery (RESP2 arrays, RESP3 pushes),
 * pattern matching, the RESP2 subscriber context, PUBSUB introspection and propagation of PUBLISH.
 */

let s: ClockedServer;
const open: RespClient[] = [];

/** A client that also collects out-of-band messages (replies nobody asked for). */
class Subscriber {
  readonly messages: string[] = [];
  private constructor(readonly conn: RespClient) {}

  static async connect(resp: 2 | 3 = 2): Promise<Subscriber> {
    const conn = await RespClient.connect(s.port);
    open.push(conn);
    if (resp === 3) await conn.call('HELLO', 3);
    return new Subscriber(conn);
  }

  call(...args: string[]): Promise<string> {
    return this.conn.call(...args).then(show);
  }

  /** Waits for the next unsolicited reply (a published message). */
  next(): Promise<string> {
    const waiting = (this.conn as unknown as { waiting: ((r: Reply) => void)[] }).waiting;
    return new Promise((resolve) => waiting.push((r) => resolve(show(r))));
  }
}

beforeAll(async () => {
  s = await startClockedServer();
});
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
  s.takePropagated();
});
afterAll(async () => {
  await s?.close();
});

describe('SUBSCRIBE / UNSUBSCRIBE', () => {
  it('confirms each channel with the running subscription count (channels + patterns)', async () => {
    const sub = await Subscriber.connect();
    // One confirmation per channel: the second is a reply of its own, so wait for it up front.
    const [first, second] = [sub.call('SUBSCRIBE', 'a', 'b'), sub.next()];
    expect(await first).toBe('["subscribe", "a", :1]');
    expect(await second).toBe('["subscribe", "b", :2]');
    expect(await sub.call('PSUBSCRIBE', 'p*')).toBe('["psubscribe", "p*", :3]');
    expect(await sub.call('SUBSCRIBE', 'a')).toBe('["subscribe", "a", :3]');
    const [u1, u2] = [sub.call('UNSUBSCRIBE', 'b', 'never'), sub.next()];
    expect(await u1).toBe('["unsubscribe", "b", :2]');
    expect(await u2).toBe('["unsubscribe", "never", :2]');
    expect(await sub.call('UNSUBSCRIBE')).toBe('["unsubscribe", "a", :1]');
    expect(await sub.call('PUNSUBSCRIBE')).toBe('["punsubscribe", "p*", :0]');
    // With nothing left, a bare UNSUBSCRIBE still answers once, with a null channel.
    expect(await sub.call('UNSUBSCRIBE')).toBe('["unsubscribe", nil, :0]');
    expect(await sub.call('PUNSUBSCRIBE')).toBe('["punsubscribe", nil, :0]');
    // Out of subscriber mode: ordinary commands work again.
    expect(await sub.call('GET', 'x')).toBe('nil');
  });

  it('RESP2 subscribers may only (un)subscribe, ping, quit and reset; PING answers pubsub-style', async () => {
    const sub = await Subscriber.connect();
    await sub.call('SUBSCRIBE', 'a');
    expect(await sub.call('GET', 'x')).toBe(
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
    expect(await sub.call('CLIENT', 'ID')).toBe(
      "-ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
    expect(await sub.call('PING')).toBe('["pong", ""]');
    expect(await sub.call('PING', 'hi')).toBe('["pong", "hi"]');
    expect(await sub.call('RESET')).toBe('+RESET');
    expect(s.server.channels.has('a')).toBe(false);
    expect(await sub.call('GET', 'x')).toBe('nil');
  });

  it('RESP3 subscribers get pushes and may run any command', async () => {
    const sub = await Subscriber.connect(3);
    expect(await sub.call('SUBSCRIBE', 'a')).toBe('>["subscribe", "a", :1]');
    expect(await sub.call('GET', 'x')).toBe('nil');
    expect(await sub.call('PING')).toBe('+PONG');
    const got = sub.next();
    const publisher = await Subscriber.connect();
    expect(await publisher.call('PUBLISH', 'a', 'hello')).toBe(':1');
    expect(await got).toBe('>["message", "a", "hello"]');
    const [u1, u2] = [sub.call('UNSUBSCRIBE', 'a', 'b'), sub.next()];
    expect(await u1).toBe('>["unsubscribe", "a", :0]');
    expect(await u2).toBe('>["unsubscribe", "b", :0]');
  });
});

describe('PUBLISH', () => {
  it('delivers to channel subscribers then pattern subscribers, counting every delivery', async () => {
    const exact = await Subscriber.connect();
    const pattern = await Subscriber.connect();
    const both = await Subscriber.connect();
    await exact.call('SUBSCRIBE', 'news.tech');
    await pattern.call('PSUBSCRIBE', 'news.*');
    await both.call('SUBSCRIBE', 'news.tech');
    await both.call('PSUBSCRIBE', 'news.[st]ech');
    const m1 = exact.next();
    const m2 = pattern.next();
    const m3 = Promise.all([both.next(), both.next()]);
    const publisher = await Subscriber.connect();
    expect(await publisher.call('PUBLISH', 'news.tech', 'bin\x00\xff\r\n')).toBe(':4');
    expect(await m1).toBe('["message", "news.tech", "bin\\u0000ÿ\\r\\n"]');
    expect(await m2).toBe('["pmessage", "news.*", "news.tech", "bin\\u0000ÿ\\r\\n"]');
    expect(await m3).toEqual([
      '["message", "news.tech", "bin\\u0000ÿ\\r\\n"]',
      '["pmessage", "news.[st]ech", "news.tech", "bin\\u0000ÿ\\r\\n"]',
    ]);
    expect(await publisher.call('PUBLISH', 'nobody', 'x')).toBe(':0');
  });

  it('is propagated to replicas even though it changes no data', async () => {
    const publisher = await Subscriber.connect();
    s.takePropagated();
    await publisher.call('PUBLISH', 'ch', 'payload');
    expect(s.takePropagated()).toEqual(['PUBLISH ch payload']);
  });

  it('a subscriber that disconnects is forgotten', async () => {
    const sub = await Subscriber.connect();
    await sub.call('SUBSCRIBE', 'gone');
    await sub.call('PSUBSCRIBE', 'g*');
    await open.pop()!.close();
    await new Promise((r) => setTimeout(r, 30));
    expect(s.server.channels.has('gone')).toBe(false);
    expect(s.server.patterns.has('g*')).toBe(false);
    const publisher = await Subscriber.connect();
    expect(await publisher.call('PUBLISH', 'gone', 'x')).toBe(':0');
  });
});

describe('sharded channels (SSUBSCRIBE / SPUBLISH)', () => {
  it('count apart from channels and patterns, deliver smessage, and have their own introspection', async () => {
    const sub = await Subscriber.connect();
    expect(await sub.call('SUBSCRIBE', 'a')).toBe('["subscribe", "a", :1]');
    const [s1, s2] = [sub.call('SSUBSCRIBE', 's1', 's2'), sub.next()];
    expect(await s1).toBe('["ssubscribe", "s1", :1]');
    expect(await s2).toBe('["ssubscribe", "s2", :2]');
    expect(await sub.call('PSUBSCRIBE', 'p')).toBe('["psubscribe", "p", :2]');
    const message = sub.next();
    const publisher = await Subscriber.connect();
    expect(await publisher.call('SPUBLISH', 's1', 'hi')).toBe(':1');
    expect(await message).toBe('["smessage", "s1", "hi"]');
    // PUBLISH and SPUBLISH are separate namespaces.
    expect(await publisher.call('PUBLISH', 's1', 'x')).toBe(':0');
    expect(await publisher.call('PUBSUB', 'SHARDCHANNELS')).toMatch(/^\["s[12]", "s[12]"\]$/);
    expect(await publisher.call('PUBSUB', 'SHARDNUMSUB', 's1', 'zz')).toBe('["s1", :1, "zz", :0]');
    expect(s.takePropagated()).toEqual(['SPUBLISH s1 hi', 'PUBLISH s1 x']);
    const [u1, u2] = [sub.call('SUNSUBSCRIBE', 's1', 'zz'), sub.next()];
    expect(await u1).toBe('["sunsubscribe", "s1", :1]');
    expect(await u2).toBe('["sunsubscribe", "zz", :1]');
    expect(await sub.call('SUNSUBSCRIBE')).toBe('["sunsubscribe", "s2", :0]');
    expect(await sub.call('SUNSUBSCRIBE')).toBe('["sunsubscribe", nil, :0]');
    // Still subscribed to a channel and a pattern: the RESP2 restriction holds.
    expect(await sub.call('GET', 'k')).toMatch(/^-ERR Can't execute 'get'/);
  });
});

describe('PUBSUB', () => {
  it('CHANNELS, NUMSUB, NUMPAT and their errors', async () => {
    const a = await Subscriber.connect();
    const b = await Subscriber.connect();
    await a.call('SUBSCRIBE', 'alpha');
    await b.call('SUBSCRIBE', 'alpha');
    await b.call('SUBSCRIBE', 'beta');
    await a.call('PSUBSCRIBE', 'x*');
    await b.call('PSUBSCRIBE', 'x*');
    await b.call('PSUBSCRIBE', 'y*');
    const q = await Subscriber.connect();
    const channels = await q.conn.call('PUBSUB', 'CHANNELS');
    expect((channels as { value: { value: string }[] }).value.map((x) => x.value).sort()).toEqual([
      'alpha',
      'beta',
    ]);
    expect(await q.call('PUBSUB', 'CHANNELS', 'a*')).toBe('["alpha"]');
    expect(await q.call('PUBSUB', 'NUMSUB', 'alpha', 'beta', 'none')).toBe(
      '["alpha", :2, "beta", :1, "none", :0]',
    );
    expect(await q.call('PUBSUB', 'NUMSUB')).toBe('[]');
    expect(await q.call('PUBSUB', 'NUMPAT')).toBe(':2');
    expect(await q.call('PUBSUB', 'CHANNELS', 'a', 'b')).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.",
    );
    expect(await q.call('PUBSUB', 'NUMPAT', 'x')).toBe(
      "-ERR wrong number of arguments for 'pubsub|numpat' command",
    );
    expect(await q.call('PUBSUB', 'FOO')).toBe("-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.");
    expect(await q.call('PUBSUB')).toBe("-ERR wrong number of arguments for 'pubsub' command");
    expect(await q.call('SUBSCRIBE')).toBe("-ERR wrong number of arguments for 'subscribe' command");
    const info = ((await q.conn.call('INFO', 'stats')) as { value: string }).value;
    expect(info).toContain('pubsub_channels:2\r\n');
    expect(info).toContain('pubsub_patterns:2\r\n');
  });
});
