import type { Client } from '../server/client.js';
import { writeHelloReply } from './hello-reply.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, parseLong } from './util.js';

function ping(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    c.out.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  // A RESP2 subscriber gets a pubsub-shaped pong, as in Redis.
  if (c.resp === 2 && c.inPubSub) {
    c.out.arrayHeader(2);
    c.out.bulk('pong');
    c.out.bulk(argv.length === 2 ? argv[1]! : '');
    return;
  }
  if (argv.length === 2) c.out.bulk(argv[1]!);
  else c.out.status('PONG');
}

function echo(c: Client, argv: string[]): void {
  c.out.bulk(argv[1]!);
}

/** Checks a password against requirepass; the only user is `default`, as without an ACL file. */
function checkPassword(c: Client, user: string, pass: string): boolean {
  const required = c.server.config.str('requirepass');
  if (user !== 'default') return false;
  if (required === '') return true;
  return pass === required;
}

function auth(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.out.error(Err.syntax);
    return;
  }
  const required = c.server.config.str('requirepass');
  if (argv.length === 2 && required === '') {
    c.out.error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
    return;
  }
  const [user, pass] = argv.length === 3 ? [argv[1]!, argv[2]!] : ['default', argv[1]!];
  if (checkPassword(c, user, pass)) {
    c.authenticated = true;
    c.out.status('OK');
  } else {
    c.out.error('WRONGPASS invalid username-password pair or user is disabled.');
  }
}

function hello(c: Client, argv: string[]): void {
  let version: number | undefined;
  let i = 1;
  if (argv.length >= 2) {
    version = parseLong(argv[1]!);
    if (version === undefined) {
      c.out.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    // Redis checks the version before looking at the options.
    if (version < 2 || version > 3) {
      c.out.error('NOPROTO unsupported protocol version');
      return;
    }
    i = 2;
  }
  let setName: string | undefined;
  for (; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    const more = argv.length - i - 1;
    if (opt === 'auth' && more >= 2) {
      if (!checkPassword(c, argv[i + 1]!, argv[i + 2]!)) {
        c.out.error('WRONGPASS invalid username-password pair or user is disabled.');
        return;
      }
      c.authenticated = true;
      i += 2;
    } else if (opt === 'setname' && more >= 1) {
      setName = argv[i + 1]!;
      if (!validClientName(setName)) {
        c.out.error('ERR Client names cannot contain spaces, newlines or special characters.');
        return;
      }
      i += 1;
    } else {
      c.out.error(`ERR Syntax error in HELLO option '${argv[i]}'`);
      return;
    }
  }
  if (!c.authenticated) {
    c.out.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (version !== undefined) c.resp = version as 2 | 3;
  if (setName !== undefined) c.name = setName;
  writeHelloReply(c);
}

export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function select(c: Client, argv: string[]): void {
  const index = parseLong(argv[1]!);
  if (index === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  if (!c.selectDb(index)) {
    c.out.error(Err.dbIndex);
    return;
  }
  c.out.status('OK');
}

function quit(c: Client): void {
  c.out.status('OK');
  c.server.closeAfterReply(c);
}

/** RESET: back to a fresh connection's state (db 0, RESP2, no MULTI/WATCH/subscriptions, no name). */
function reset(c: Client): void {
  const server = c.server;
  c.multi = undefined;
  c.multiAborted = false;
  server.unwatchAll(c);
  for (const ch of c.channels) server.unsubscribeFrom(server.channels, ch, c);
  for (const p of c.patterns) server.unsubscribeFrom(server.patterns, p, c);
  for (const ch of c.shardChannels) server.unsubscribeFrom(server.shardChannels, ch, c);
  c.channels.clear();
  c.patterns.clear();
  c.shardChannels.clear();
  server.monitors.delete(c);
  c.flags.monitor = false;
  c.flags.noEvict = false;
  c.replyOff = false;
  c.replySkipNext = false;
  c.selectDb(0);
  c.resp = 2;
  c.name = '';
  c.authenticated = !server.requiresAuth;
  c.out.status('RESET');
}

export const connectionCommands: CommandSpec[] = [
  cmd('ping', -1, ['fast', 'sort_for_script'], NO_KEYS, 'connection', ping),
  cmd('echo', 2, ['loading', 'stale', 'fast'], NO_KEYS, 'connection', echo),
  cmd(
    'auth',
    -2,
    ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    NO_KEYS,
    'connection',
    auth,
  ),
  cmd(
    'hello',
    -1,
    ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    NO_KEYS,
    'connection',
    hello,
  ),
  cmd('select', 2, ['loading', 'stale', 'fast'], NO_KEYS, 'connection', select),
  cmd(
    'quit',
    -1,
    ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'],
    NO_KEYS,
    'connection',
    quit,
  ),
  cmd(
    'reset',
    1,
    ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    NO_KEYS,
    'connection',
    reset,
  ),
];
