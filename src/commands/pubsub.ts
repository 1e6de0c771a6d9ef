import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { dispatchedToSubcommands, replyHelp, subcommandSyntaxError } from './help.js';
import { forcePropagation } from './propagation.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { globMatch } from './util.js';

/**
 * Pub/Sub: channel, pattern and sharded-channel subscriptions, PUBLISH / SPUBLISH and PUBSUB introspection. Subscribers receive
 * messages as RESP3 pushes (`>3`) or, in RESP2, as plain arrays on a connection that can then do
 * nothing but (un)subscribe and ping (enforced by processCommand).
 */

/** Channels, patterns and sharded channels share their (un)subscribe logic. */
interface Flavour {
  subscribe: string;
  unsubscribe: string;
  mine: (c: Client) => Set<string>;
  registry: (server: Server) => Map<string, Set<Client>>;
  /** The count in confirmations: shard subscriptions are counted apart, as in Redis. */
  count: (c: Client) => number;
}

const channelAndPatternCount = (c: Client) => c.channels.size + c.patterns.size;

const CHANNELS: Flavour = {
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  mine: (c) => c.channels,
  registry: (server) => server.channels,
  count: channelAndPatternCount,
};
const PATTERNS: Flavour = {
  subscribe: 'psubscribe',
  unsubscribe: 'punsubscribe',
  mine: (c) => c.patterns,
  registry: (server) => server.patterns,
  count: channelAndPatternCount,
};
const SHARDS: Flavour = {
  subscribe: 'ssubscribe',
  unsubscribe: 'sunsubscribe',
  mine: (c) => c.shardChannels,
  registry: (server) => server.shardChannels,
  count: (c) => c.shardChannels.size,
};

/** A (un)subscribe confirmation: [kind, channel or null, subscriptions left], one per channel. */
function confirm(c: Client, kind: string, name: string | undefined, count: number): void {
  const out = c.out;
  out.pushHeader(3);
  out.bulk(kind);
  if (name === undefined) out.nullBulk();
  else out.bulk(name);
  out.integer(count);
}

function subscribeGeneric(c: Client, argv: string[], f: Flavour): void {
  const mine = f.mine(c);
  const registry = f.registry(c.server);
  for (let i = 1; i < argv.length; i++) {
    const name = argv[i]!;
    if (!mine.has(name)) {
      mine.add(name);
      const set = registry.get(name);
      if (set) set.add(c);
      else registry.set(name, new Set([c]));
    }
    confirm(c, f.subscribe, name, f.count(c));
  }
}

/**
 * The unsubscribe commands: the named channels (each confirmed, subscribed or not), or every current
 * one; with none at all, a single confirmation with a null name.
 */
function unsubscribeGeneric(c: Client, argv: string[], f: Flavour): void {
  const mine = f.mine(c);
  const registry = f.registry(c.server);
  const names = argv.length > 1 ? argv.slice(1) : [...mine];
  if (names.length === 0) {
    confirm(c, f.unsubscribe, undefined, f.count(c));
    return;
  }
  for (const name of names) {
    if (mine.delete(name)) c.server.unsubscribeFrom(registry, name, c);
    confirm(c, f.unsubscribe, name, f.count(c));
  }
}

/**
 * Delivers a message to the channel's subscribers, then to clients whose patterns match it, as Redis
 * does. Returns how many deliveries were made (a client matching twice counts twice).
 */
export function publishMessage(server: Server, channel: string, message: string): number {
  let receivers = 0;
  const subscribers = server.channels.get(channel);
  if (subscribers) {
    for (const sub of subscribers) {
      const out = sub.out;
      out.pushHeader(3);
      out.bulk('message');
      out.bulk(channel);
      out.bulk(message);
      receivers++;
    }
  }
  for (const [pattern, clients] of server.patterns) {
    if (!globMatch(pattern, channel)) continue;
    for (const sub of clients) {
      const out = sub.out;
      out.pushHeader(4);
      out.bulk('pmessage');
      out.bulk(pattern);
      out.bulk(channel);
      out.bulk(message);
      receivers++;
    }
  }
  return receivers;
}

/** SPUBLISH: sharded channels have their own subscribers and no patterns. */
export function publishShardMessage(server: Server, channel: string, message: string): number {
  const subscribers = server.shardChannels.get(channel);
  if (!subscribers) return 0;
  for (const sub of subscribers) {
    const out = sub.out;
    out.pushHeader(3);
    out.bulk('smessage');
    out.bulk(channel);
    out.bulk(message);
  }
  return subscribers.size;
}

function spublish(c: Client, argv: string[]): void {
  const receivers = publishShardMessage(c.server, argv[1]!, argv[2]!);
  forcePropagation(c, argv);
  c.out.integer(receivers);
}

function publish(c: Client, argv: string[]): void {
  const receivers = publishMessage(c.server, argv[1]!, argv[2]!);
  // Replicas deliver the message to their own subscribers.
  forcePropagation(c, argv);
  c.out.integer(receivers);
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern] */
function listChannels(c: Client, argv: string[], registry: Map<string, Set<Client>>): void {
  if (argv.length > 3) {
    subcommandSyntaxError(c, 'PUBSUB', argv[1]!);
    return;
  }
  const pattern = argv[2];
  const names: string[] = [];
  for (const name of registry.keys()) {
    if (pattern === undefined || globMatch(pattern, name)) names.push(name);
  }
  c.out.bulkArray(names);
}

/** PUBSUB NUMSUB / SHARDNUMSUB [channel ...] */
function countSubscribers(c: Client, argv: string[], registry: Map<string, Set<Client>>): void {
  c.out.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.out.bulk(argv[i]!);
    c.out.integer(registry.get(argv[i]!)?.size ?? 0);
  }
}

function pubsubNumpat(c: Client): void {
  c.out.integer(c.server.patterns.size);
}

function pubsubHelp(c: Client): void {
  replyHelp(c, 'PUBSUB', [
    'CHANNELS [<pattern>]',
    "    Return the currently active channels matching a <pattern> (default: '*').",
    'NUMPAT',
    '    Return number of subscriptions to patterns.',
    'NUMSUB [<channel> ...]',
    '    Return the number of subscribers for the specified channels, excluding',
    '    pattern subscriptions(default: no channels).',
    'SHARDCHANNELS [<pattern>]',
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    'SHARDNUMSUB [<shardchannel> ...]',
    '    Return the number of subscribers for the specified shard level channel(s)',
  ]);
}

const PUBSUB_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;
const INTROSPECTION_FLAGS = ['pubsub', 'loading', 'stale'] as const;

export const pubsubCommands: CommandSpec[] = [
  cmd('subscribe', -2, PUBSUB_FLAGS, NO_KEYS, 'pubsub', (c, argv) => subscribeGeneric(c, argv, CHANNELS)),
  cmd('unsubscribe', -1, PUBSUB_FLAGS, NO_KEYS, 'pubsub', (c, argv) => unsubscribeGeneric(c, argv, CHANNELS)),
  cmd('psubscribe', -2, PUBSUB_FLAGS, NO_KEYS, 'pubsub', (c, argv) => subscribeGeneric(c, argv, PATTERNS)),
  cmd('punsubscribe', -1, PUBSUB_FLAGS, NO_KEYS, 'pubsub', (c, argv) =>
    unsubscribeGeneric(c, argv, PATTERNS),
  ),
  // Sharded channels are declared as keys (cluster routing), as in Redis 7.0.
  cmd('ssubscribe', -2, PUBSUB_FLAGS, [1, -1, 1], 'pubsub', (c, argv) => subscribeGeneric(c, argv, SHARDS)),
  cmd('sunsubscribe', -1, PUBSUB_FLAGS, [1, -1, 1], 'pubsub', (c, argv) =>
    unsubscribeGeneric(c, argv, SHARDS),
  ),
  cmd('publish', 3, ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], NO_KEYS, 'pubsub', publish),
  cmd('spublish', 3, ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], [1, 1, 1], 'pubsub', spublish),
  cmd('pubsub', -2, [], NO_KEYS, 'pubsub', dispatchedToSubcommands, {
    subcommands: [
      cmd('pubsub|channels', -2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', (c, argv) =>
        listChannels(c, argv, c.server.channels),
      ),
      cmd('pubsub|numsub', -2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', (c, argv) =>
        countSubscribers(c, argv, c.server.channels),
      ),
      cmd('pubsub|numpat', 2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', pubsubNumpat),
      cmd('pubsub|shardchannels', -2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', (c, argv) =>
        listChannels(c, argv, c.server.shardChannels),
      ),
      cmd('pubsub|shardnumsub', -2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', (c, argv) =>
        countSubscribers(c, argv, c.server.shardChannels),
      ),
      cmd('pubsub|help', 2, ['loading', 'stale'], NO_KEYS, 'server', pubsubHelp),
    ],
  }),
];
