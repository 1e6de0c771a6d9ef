import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRealRedis, type RealRedis, startRealRedis } from '../helpers/real-redis.js';
import { type Reply, RespClient, show } from '../helpers/resp-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/*
 * Differential test: fast-check generates command sequences over the list and hash families (blocking
 * forms included, with short timeouts, and inside MULTI where they must not block), runs each command
 * against our server and a real redis-server 7.0 side by side, and compares the replies exactly, in
 * RESP2 and RESP3. Small hashes are listpacks in Redis, which keep insertion order like our Maps, so
 * HGETALL/HKEYS/HVALS/HSCAN are compared in order. HRANDFIELD is random: its reply's shape is compared,
 * and its fields are checked to belong to the hash (distinct for a positive count).
 */

const real = hasRealRedis();
/** Multiplies the number of generated sequences, for longer exploratory runs (default 1). */
const SCALE = Number(process.env.RCACHE_DIFF_SCALE ?? '1');
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
/** Per-test time budget, growing with SCALE. */
const BUDGET_MS = 60_000 * Math.max(1, SCALE);

type Command = string[];

const LIST_KEYS = ['l1', 'l2', 'l3'];
const HASH_KEYS = ['h1', 'h2'];
/** A string key, planted at every reset, for WRONGTYPE paths. */
const STRING_KEY = 's';
const ALL_KEYS = [...LIST_KEYS, ...HASH_KEYS, STRING_KEY];

const element = fc.constantFrom('a', 'b', 'c', 'a', '1', '-2', '', 'x\x00y', '10');
const listKey = fc.constantFrom(...LIST_KEYS, 'l1', STRING_KEY);
const hashKey = fc.constantFrom(...HASH_KEYS, 'h1', STRING_KEY, 'l1');
const index = fc.oneof(
  fc.integer({ min: -6, max: 6 }).map(String),
  fc.constantFrom('x', '9223372036854775807'),
);
const count = fc.oneof(fc.integer({ min: -1, max: 5 }).map(String), fc.constantFrom('x', '100'));
const direction = fc.constantFrom('LEFT', 'RIGHT', 'left', 'Right', 'UP');
const timeout = fc.constantFrom('0.01', '0.02', 'x', '-1', 'inf');

function elements(min = 1, max = 3) {
  return fc.array(element, { minLength: min, maxLength: max });
}

const listCommand: fc.Arbitrary<Command> = fc.oneof(
  fc
    .tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), listKey, elements())
    .map(([c, k, e]) => [c, k, ...e]),
  fc
    .tuple(fc.constantFrom('LPOP', 'RPOP'), listKey, fc.option(count))
    .map(([c, k, n]) => (n === null ? [c, k] : [c, k, n])),
  fc.tuple(fc.constantFrom('LLEN'), listKey).map(([c, k]) => [c, k]),
  fc.tuple(listKey, index, index).map(([k, a, b]) => ['LRANGE', k, a, b]),
  fc.tuple(listKey, index).map(([k, i]) => ['LINDEX', k, i]),
  fc.tuple(listKey, index, element).map(([k, i, e]) => ['LSET', k, i, e]),
  fc
    .tuple(listKey, fc.constantFrom('BEFORE', 'after', 'middle'), element, element)
    .map(([k, w, p, e]) => ['LINSERT', k, w, p, e]),
  fc.tuple(listKey, index, element).map(([k, n, e]) => ['LREM', k, n, e]),
  fc.tuple(listKey, index, index).map(([k, a, b]) => ['LTRIM', k, a, b]),
  fc
    .tuple(
      listKey,
      element,
      fc.array(
        fc.oneof(
          fc.tuple(fc.constant('RANK'), fc.constantFrom('1', '2', '-1', '-2', '0', 'x')),
          fc.tuple(fc.constant('COUNT'), fc.constantFrom('0', '1', '2', '-1')),
          fc.tuple(fc.constant('MAXLEN'), fc.constantFrom('0', '1', '3', '-1')),
          fc.tuple(fc.constant('BOGUS'), fc.constant('1')),
        ),
        { maxLength: 2 },
      ),
    )
    .map(([k, e, opts]) => ['LPOS', k, e, ...opts.flat()]),
  fc.tuple(listKey, listKey, direction, direction).map(([a, b, x, y]) => ['LMOVE', a, b, x, y]),
  fc.tuple(listKey, listKey).map(([a, b]) => ['RPOPLPUSH', a, b]),
  fc
    .tuple(fc.array(listKey, { minLength: 1, maxLength: 3 }), direction, fc.option(count), fc.boolean())
    .map(([keys, d, n, badNumkeys]) => [
      'LMPOP',
      badNumkeys ? String(keys.length + 1) : String(keys.length),
      ...keys,
      d,
      ...(n === null ? [] : ['COUNT', n]),
    ]),
);

/** Blocking forms: with tiny timeouts they either serve at once or time out identically. */
const blockingCommand: fc.Arbitrary<Command> = fc.oneof(
  fc
    .tuple(fc.constantFrom('BLPOP', 'BRPOP'), fc.array(listKey, { minLength: 1, maxLength: 3 }), timeout)
    .map(([c, keys, t]) => [c, ...keys, t]),
  fc
    .tuple(listKey, listKey, direction, direction, timeout)
    .map(([a, b, x, y, t]) => ['BLMOVE', a, b, x, y, t]),
  fc.tuple(listKey, listKey, timeout).map(([a, b, t]) => ['BRPOPLPUSH', a, b, t]),
  fc
    .tuple(timeout, fc.array(listKey, { minLength: 1, maxLength: 2 }), direction, fc.option(count))
    .map(([t, keys, d, n]) => [
      'BLMPOP',
      t,
      String(keys.length),
      ...keys,
      d,
      ...(n === null ? [] : ['COUNT', n]),
    ]),
);

const field = fc.constantFrom('f1', 'f2', 'f3', 'n', 'fl', '');
const value = fc.constantFrom('v', '1', '-7', '3.5', '01', 'abc', '');
const intIncrement = fc.constantFrom('1', '-3', '100', 'x', '1.5', '9223372036854775807');
const floatIncrement = fc.constantFrom('0.1', '-1.5', '1e3', '3.0e-2', 'abc', 'inf', '5', '-0.1');

const hashCommand: fc.Arbitrary<Command> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('HSET', 'HMSET'),
      hashKey,
      fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
    )
    .map(([c, k, pairs, odd]) => [c, k, ...pairs.flat(), ...(odd ? ['dangling'] : [])]),
  fc.tuple(hashKey, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
  fc.tuple(fc.constantFrom('HGET', 'HEXISTS', 'HSTRLEN'), hashKey, field).map(([c, k, f]) => [c, k, f]),
  fc
    .tuple(fc.constantFrom('HMGET', 'HDEL'), hashKey, fc.array(field, { minLength: 1, maxLength: 3 }))
    .map(([c, k, f]) => [c, k, ...f]),
  fc.tuple(fc.constantFrom('HLEN', 'HGETALL', 'HKEYS', 'HVALS'), hashKey).map(([c, k]) => [c, k]),
  fc.tuple(hashKey, field, intIncrement).map(([k, f, n]) => ['HINCRBY', k, f, n]),
  fc.tuple(hashKey, field, floatIncrement).map(([k, f, n]) => ['HINCRBYFLOAT', k, f, n]),
  fc
    .tuple(
      hashKey,
      fc.option(fc.constantFrom('0', '1', '2', '5', '-1', '-4', 'x')),
      fc.constantFrom('', 'WITHVALUES', 'bogus'),
    )
    .map(([k, n, wv]) => (n === null ? ['HRANDFIELD', k] : ['HRANDFIELD', k, n, ...(wv === '' ? [] : [wv])])),
  fc
    .tuple(
      hashKey,
      fc.constantFrom('0', 'x'),
      fc.option(fc.constantFrom('f*', '*', 'n')),
      fc.option(fc.constantFrom('1', '10', '0')),
    )
    .map(([k, cur, m, n]) => [
      'HSCAN',
      k,
      cur,
      ...(m === null ? [] : ['MATCH', m]),
      ...(n === null ? [] : ['COUNT', n]),
    ]),
);

/** A command run inside MULTI/EXEC, where blocking commands answer as if timed out. */
const transaction: fc.Arbitrary<Command> = fc
  .array(fc.oneof(blockingCommand, listCommand, hashCommand), { minLength: 1, maxLength: 3 })
  .map((cmds) => ['TRANSACTION', JSON.stringify(cmds)]);

/** Blocking commands that wait forever: the scenario serves them by pushing, as a client would. */
const blockerCommand: fc.Arbitrary<Command> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('BLPOP', 'BRPOP'),
      fc.array(fc.constantFrom(...LIST_KEYS), { minLength: 1, maxLength: 3 }),
    )
    .map(([c, keys]) => [c, ...keys, '0']),
  fc
    .tuple(
      fc.constantFrom(...LIST_KEYS),
      listKey,
      fc.constantFrom('LEFT', 'RIGHT'),
      fc.constantFrom('LEFT', 'RIGHT'),
    )
    .map(([a, b, x, y]) => ['BLMOVE', a, b, x, y, '0']),
  fc.tuple(fc.constantFrom(...LIST_KEYS), listKey).map(([a, b]) => ['BRPOPLPUSH', a, b, '0']),
  fc
    .tuple(
      fc.array(fc.constantFrom(...LIST_KEYS), { minLength: 1, maxLength: 2 }),
      fc.constantFrom('LEFT', 'RIGHT'),
      fc.constantFrom('1', '2'),
    )
    .map(([keys, d, n]) => ['BLMPOP', '0', String(keys.length), ...keys, d, 'COUNT', n]),
);

/**
 * A write by the client that is not blocked: mostly pushes of distinct elements (so the end a waiter
 * is served from shows), moves and pops between the list keys, alone or in a transaction.
 */
const pushToList: fc.Arbitrary<Command> = fc
  .tuple(
    fc.constantFrom('LPUSH', 'RPUSH', 'RPUSHX'),
    fc.constantFrom(...LIST_KEYS),
    fc.uniqueArray(fc.constantFrom('p', 'q', 'r', 's', 't'), { minLength: 1, maxLength: 3 }),
  )
  .map(([c, k, e]) => [c, k, ...e]);
const moveBetweenLists: fc.Arbitrary<Command> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...LIST_KEYS),
      fc.constantFrom(...LIST_KEYS),
      fc.constantFrom('LEFT', 'RIGHT'),
      fc.constantFrom('LEFT', 'RIGHT'),
    )
    .map(([a, b, x, y]) => ['LMOVE', a, b, x, y]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), fc.constantFrom(...LIST_KEYS)).map(([c, k]) => [c, k]),
);
const listWrite: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: pushToList, weight: 4 },
  { arbitrary: moveBetweenLists, weight: 2 },
  { arbitrary: listCommand, weight: 1 },
  {
    arbitrary: fc
      .array(fc.oneof(pushToList, moveBetweenLists), { minLength: 1, maxLength: 3 })
      .map((cmds) => ['TRANSACTION', JSON.stringify(cmds)]),
    weight: 2,
  },
);

interface BlockingScenario {
  prelude: Command[];
  blockers: Command[];
  writes: Command[];
}

const blockingScenario: fc.Arbitrary<BlockingScenario> = fc.record({
  prelude: fc.array(listCommand, { maxLength: 4 }),
  blockers: fc.array(blockerCommand, { minLength: 1, maxLength: 3 }),
  writes: fc.array(listWrite, { minLength: 1, maxLength: 8 }),
});

describe.skipIf(!real)(
  'lists and hashes against real redis-server 7.0 (skipped when redis-server is not installed)',
  () => {
    let ours: TestServer;
    let theirs: RealRedis;
    let a: RespClient;
    let b: RespClient;
    /** Per server, connections that issue the blocking commands. */
    const blockersOf = new Map<RespClient, RespClient[]>();

    beforeAll(async () => {
      // A faster cron on both sides makes blocking timeouts cheap.
      ours = await startTestServer({ hz: '100' });
      theirs = await startRealRedis(['--hz', '100']);
      a = await RespClient.connect(ours.port);
      b = await RespClient.connect(theirs.port);
      blockersOf.set(a, await Promise.all([0, 1, 2].map(() => RespClient.connect(ours.port))));
      blockersOf.set(b, await Promise.all([0, 1, 2].map(() => RespClient.connect(theirs.port))));
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      for (const list of blockersOf.values()) for (const c of list) await c.close();
      await ours?.close();
      await theirs?.stop();
    });

    async function reset(protocol: '2' | '3'): Promise<void> {
      for (const c of [a, b]) {
        await c.call('HELLO', protocol);
        await c.call('FLUSHALL');
        await c.call('SET', STRING_KEY, 'str');
      }
    }

    /** HRANDFIELD's reply, reduced to what both servers must agree on. */
    async function randomFieldShape(client: RespClient, command: Command, reply: Reply): Promise<string> {
      const key = command[1]!;
      const withValues = command[3]?.toUpperCase() === 'WITHVALUES';
      const fieldsOf = (r: Reply): string[] => {
        if (r.type !== 'array') return [];
        if (withValues && r.value[0]?.type === 'array')
          return r.value
            .map((p) => (p as { value: Reply[] }).value[0]!)
            .map((f) => (f as { value: string }).value);
        const step = withValues ? 2 : 1;
        const out: string[] = [];
        for (let i = 0; i < r.value.length; i += step) out.push((r.value[i] as { value: string }).value);
        return out;
      };
      const shape = (r: Reply): string =>
        r.type === 'array'
          ? `array(${r.value.map((x) => (x.type === 'array' ? `array${x.value.length}` : x.type)).join(',')})`
          : r.type;
      if (reply.type === 'error' || reply.type === 'null') return show(reply);
      const fields = reply.type === 'bulk' ? [reply.value] : fieldsOf(reply);
      for (const f of fields) {
        const exists = await client.call('HEXISTS', key, f);
        if (exists.type !== 'int' || exists.value !== 1n) return `<field ${JSON.stringify(f)} not in hash>`;
      }
      const n = Number(command[2] ?? '1');
      if (n > 0 && new Set(fields).size !== fields.length) return '<repeated fields for a positive count>';
      return shape(reply);
    }

    async function run(client: RespClient, command: Command): Promise<string> {
      if (command[0] === 'TRANSACTION') {
        const inner = JSON.parse(command[1]!) as Command[];
        const queued = [show(await client.call('MULTI'))];
        for (const c of inner) queued.push(show(await client.call(...c)));
        const exec = await client.call('EXEC');
        if (exec.type !== 'array') return `${queued.join(' ')} ${show(exec)}`;
        // Within EXEC, HRANDFIELD replies are random too: reduce them as outside.
        const parts: string[] = [];
        for (const [i, r] of exec.value.entries()) {
          const c = inner[i]!;
          parts.push(c[0] === 'HRANDFIELD' ? `<${r.type}>` : show(r));
        }
        return `${queued.join(' ')} [${parts.join(', ')}]`;
      }
      const reply = await client.call(...command);
      if (command[0] === 'HRANDFIELD') return randomFieldShape(client, command, reply);
      return show(reply);
    }

    async function check(commands: Command[], protocol: '2' | '3'): Promise<void> {
      await reset(protocol);
      const transcript: string[] = [];
      for (const command of commands) {
        const mine = await run(a, command);
        const theirsReply = await run(b, command);
        transcript.push(`${command.map((x) => JSON.stringify(x)).join(' ')} -> ${theirsReply}`);
        if (mine !== theirsReply) {
          throw new Error(
            `reply differs for ${JSON.stringify(command)}\n  redis: ${theirsReply}\n  ours:  ${mine}\ntranscript:\n  ${transcript.join('\n  ')}`,
          );
        }
      }
      // The final state must agree too.
      for (const k of ALL_KEYS) {
        for (const probe of [
          ['TYPE', k],
          ['LRANGE', k, '0', '-1'],
          ['HGETALL', k],
        ]) {
          const mine = show(await a.call(...probe));
          const theirsReply = show(await b.call(...probe));
          if (mine !== theirsReply)
            throw new Error(
              `final ${probe.join(' ')}: redis ${theirsReply}, ours ${mine}\n  ${transcript.join('\n  ')}`,
            );
        }
      }
    }

    it(
      'list commands agree (RESP2)',
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.oneof(listCommand, listCommand, blockingCommand), { minLength: 1, maxLength: 30 }),
            (c) => check(c, '2'),
          ),
          { numRuns: runs(150) },
        );
      },
      BUDGET_MS,
    );

    it(
      'hash commands agree (RESP2)',
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(hashCommand, { minLength: 1, maxLength: 30 }), (c) => check(c, '2')),
          { numRuns: runs(200) },
        );
      },
      BUDGET_MS,
    );

    it(
      'mixed sequences with transactions agree (RESP3)',
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.oneof(listCommand, hashCommand, blockingCommand, transaction), {
              minLength: 1,
              maxLength: 30,
            }),
            (c) => check(c, '3'),
          ),
          { numRuns: runs(150) },
        );
      },
      BUDGET_MS,
    );

    async function blockedClients(main: RespClient): Promise<number> {
      const info = await main.call('INFO', 'clients');
      const text = info.type === 'bulk' || info.type === 'verbatim' ? info.value : '';
      return Number(/blocked_clients:(\d+)/.exec(text)?.[1] ?? -1);
    }

    /**
     * Runs a scenario on one server: the prelude, then each blocker in turn (waiting until it has
     * blocked or answered, so the blocking order is the same on both servers), then the writes, then
     * pushes to every list key until every blocker has answered. Returns everything observed.
     */
    async function runScenario(main: RespClient, scenario: BlockingScenario): Promise<string[]> {
      await reset('2');
      const seen: string[] = [];
      for (const c of scenario.prelude) seen.push(`prelude ${await run(main, c)}`);
      const blockers = blockersOf.get(main)!;
      const answers: (string | undefined)[] = [];
      let blocked = 0;
      for (const [i, command] of scenario.blockers.entries()) {
        blockers[i]!.call(...command).then((r) => {
          answers[i] = show(r);
        });
        for (let tries = 0; tries < 500; tries++) {
          if (answers[i] !== undefined) break;
          if ((await blockedClients(main)) === blocked + 1) {
            blocked++;
            break;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      for (const c of scenario.writes) seen.push(`write ${await run(main, c)}`);
      const answered = () => answers.filter((x) => x !== undefined).length;
      // Replies of served blockers travel on other connections: wait until each blocker is either
      // answered or still blocked before deciding who needs unblocking.
      const settle = async () => {
        for (let tries = 0; tries < 500; tries++) {
          if (answered() + (await blockedClients(main)) === scenario.blockers.length) return;
          await new Promise((r) => setTimeout(r, 2));
        }
      };
      await settle();
      for (let round = 0; round < 5 && answered() < scenario.blockers.length; round++) {
        for (const k of LIST_KEYS) seen.push(`unblock ${show(await main.call('RPUSH', k, `u${round}`))}`);
        await settle();
      }
      seen.push(`blockers ${JSON.stringify(answers)}`);
      for (const k of ALL_KEYS) seen.push(`final ${k} ${show(await main.call('LRANGE', k, '0', '-1'))}`);
      return seen;
    }

    it(
      'blocked clients are served like Redis serves them',
      async () => {
        await fc.assert(
          fc.asyncProperty(blockingScenario, async (scenario) => {
            const mine = await runScenario(a, scenario);
            const theirsSeen = await runScenario(b, scenario);
            expect(mine).toEqual(theirsSeen);
          }),
          { numRuns: runs(60) },
        );
      },
      BUDGET_MS,
    );

    it('a sample sequence really exercises both servers', async () => {
      // Guards against a vacuous comparison (e.g. both sides answering errors for everything).
      await reset('2');
      for (const c of [a, b]) {
        expect(show(await c.call('RPUSH', 'l1', 'a', 'b'))).toBe(':2');
        expect(show(await c.call('HSET', 'h1', 'f', 'v'))).toBe(':1');
        expect(show(await c.call('BLMPOP', '0.01', '1', 'l1', 'RIGHT', 'COUNT', '5'))).toBe(
          '["l1", ["b", "a"]]',
        );
      }
    });
  },
);
