import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { dispatchedToSubcommands, replyHelp, subcommandSyntaxError } from './help.js';
import { forcePropagation } from './propagation.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { globMatch } from './util.js';

/**
 * Pub/Sub: channel and pattern subscriptions, PUBLISH and PUBSUB introspection. Subscribers receive
 * messages as RESP3 pushes (`>3`) or, in RESP2, as plain arrays on a connection that can then do
 * nothing but (un)subscribe and ping (enforced by processCommand).
 */

type Kind = 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe';

/** A (un)subscribe confirmation: [kind, channel or null, subscriptions left], one per channel. */
function confirm(c: Client, kind: Kind, name: string | undefined): void {
  const out = c.out;
  out.pushHeader(3);
  out.bulk(kind);
  if (name === undefined) out.nullBulk();
  else out.bulk(name);
  out.integer(c.channels.size + c.patterns.size);
}

function addTo(registry: Map<string, Set<Client>>, name: string, c: Client): void {
  const set = registry.get(name);
  if (set) set.add(c);
  else registry.set(name, new Set([c]));
}

function subscribe(c: Client, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    const channel = argv[i]!;
    if (!c.channels.has(channel)) {
      c.channels.add(channel);
      addTo(c.server.channels, channel, c);
    }
    confirm(c, 'subscribe', channel);
  }
}

function psubscribe(c: Client, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    const pattern = argv[i]!;
    if (!c.patterns.has(pattern)) {
      c.patterns.add(pattern);
      addTo(c.server.patterns, pattern, c);
    }
    confirm(c, 'psubscribe', pattern);
  }
}

/**
 * UNSUBSCRIBE / PUNSUBSCRIBE: the named channels (each confirmed, subscribed or not), or every current
 * one; with none at all, a single confirmation with a null name.
 */
function unsubscribeGeneric(c: Client, argv: string[], pattern: boolean): void {
  const mine = pattern ? c.patterns : c.channels;
  const registry = pattern ? c.server.patterns : c.server.channels;
  const kind: Kind = pattern ? 'punsubscribe' : 'unsubscribe';
  const names = argv.length > 1 ? argv.slice(1) : [...mine];
  if (names.length === 0) {
    confirm(c, kind, undefined);
    return;
  }
  for (const name of names) {
    if (mine.delete(name)) c.server.unsubscribeFrom(registry, name, c);
    confirm(c, kind, name);
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

function publish(c: Client, argv: string[]): void {
  const receivers = publishMessage(c.server, argv[1]!, argv[2]!);
  // Replicas deliver the message to their own subscribers.
  forcePropagation(c, argv);
  c.out.integer(receivers);
}

function pubsubChannels(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(c, 'PUBSUB', argv[1]!);
    return;
  }
  const pattern = argv[2];
  const names: string[] = [];
  for (const name of c.server.channels.keys()) {
    if (pattern === undefined || globMatch(pattern, name)) names.push(name);
  }
  c.out.bulkArray(names);
}

function pubsubNumsub(c: Client, argv: string[]): void {
  c.out.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.out.bulk(argv[i]!);
    c.out.integer(c.server.channels.get(argv[i]!)?.size ?? 0);
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
  ]);
}

const PUBSUB_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;
const INTROSPECTION_FLAGS = ['pubsub', 'loading', 'stale'] as const;

export const pubsubCommands: CommandSpec[] = [
  cmd('subscribe', -2, PUBSUB_FLAGS, NO_KEYS, 'pubsub', subscribe),
  cmd('unsubscribe', -1, PUBSUB_FLAGS, NO_KEYS, 'pubsub', (c, argv) => unsubscribeGeneric(c, argv, false)),
  cmd('psubscribe', -2, PUBSUB_FLAGS, NO_KEYS, 'pubsub', psubscribe),
  cmd('punsubscribe', -1, PUBSUB_FLAGS, NO_KEYS, 'pubsub', (c, argv) => unsubscribeGeneric(c, argv, true)),
  cmd('publish', 3, ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], NO_KEYS, 'pubsub', publish),
  cmd('pubsub', -2, [], NO_KEYS, 'pubsub', dispatchedToSubcommands, {
    subcommands: [
      cmd('pubsub|channels', -2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', pubsubChannels),
      cmd('pubsub|numsub', -2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', pubsubNumsub),
      cmd('pubsub|numpat', 2, INTROSPECTION_FLAGS, NO_KEYS, 'pubsub', pubsubNumpat),
      cmd('pubsub|help', 2, ['loading', 'stale'], NO_KEYS, 'server', pubsubHelp),
    ],
  }),
];
